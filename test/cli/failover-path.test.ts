// `clusternet takeover|release` with plain options runs without yargs (lib/cli/main.ts →
// failover-entry.ts, bundled at build time); the same command line with the global option
// moved before the command goes through yargs. Both must answer alike: same exit code,
// same output. Nothing here reaches the kernel: every case is refused before any state
// is read.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { spawnSync } from 'node:child_process';
import { builtinModules } from 'node:module';
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { EXAMPLE_CONF, ROOT, buildOnce, cleanEnv, cli, show } from '../helpers/cli.js';
import { TempDir } from '../helpers/temp.js';

const F = suite('cli: takeover and release without yargs');
let tmp: TempDir;

F.before(() => {
  buildOnce();
  tmp = new TempDir('clusternet-failover-');
});
F.after(() => tmp.remove());

F(
  'the hook entry, the failover entry and the CLI are built as single-file CommonJS bundles that load no package',
  () => {
    for (const entry of [
      join('lib', 'hooks', 'entry.cjs'),
      join('lib', 'cli', 'failover-entry.cjs'),
      join('lib', 'cli', 'cli.cjs'),
      join('lib', 'cni', 'entry.cjs'),
    ]) {
      const text = readFileSync(join(ROOT, 'dist', entry), 'utf8');
      assert.match(text, /^\/\/ Built by scripts\/bundle\.mjs/, entry);
      const loaded = [...text.matchAll(/(?:\brequire\(|from |import\()["']([^"'.][^"']*)["']/g)]
        .map((m) => m[1]!)
        // yargs, inside the CLI's bundle, names node's own modules without `node:`.
        .filter((p) => !p.startsWith('node:') && !builtinModules.includes(p));
      // ipaddr.js and ini are inside, yargs too in the CLI's; zx and execa are not needed at all.
      assert.equal(loaded, [], entry);
      assert.match(text, /^module\.exports = /m, entry);
    }
  },
);

F('the hook files are CommonJS and load the bundle (no ES module loader at boot)', () => {
  const pkg = JSON.parse(readFileSync(join(ROOT, 'hooks', 'package.json'), 'utf8'));
  assert.is(pkg.type, 'commonjs');
  const hook = readFileSync(join(ROOT, 'hooks', 'init-pre.d', '10net'), 'utf8');
  assert.match(hook, /require\('\.\.\/\.\.\/dist\/lib\/hooks\/start\.cjs'\)/);
  assert.match(
    readFileSync(join(ROOT, 'dist', 'lib', 'hooks', 'start.cjs'), 'utf8'),
    /'entry\.cjs'/,
  );
});

F(
  'a hook leaves the code cache of its bundle in the run dir; the next one runs the same from it',
  () => {
    const run = tmp.path('run-cache');
    const hook = join(ROOT, 'hooks', 'init-pre.d', '10net');
    // Refused before anything is read (no such config), so nothing reaches the kernel.
    const env = cleanEnv({
      CLUSTERNET_RUN_DIR: run,
      CLUSTERNET_CONFIG: tmp.path('missing.conf'),
      CLUSTERNET_NODE_ID: '1',
      CLUSTERNET_SYSLOG: 'none',
    });
    const once = spawnSync(hook, [], { env, encoding: 'utf8' });
    assert.is(once.status, 2, once.stderr);
    const id = /Build ([0-9a-f]{24})\./.exec(
      readFileSync(join(ROOT, 'dist', 'lib', 'hooks', 'entry.cjs'), 'utf8'),
    )?.[1];
    assert.ok(id, 'the bundle names its build');
    assert.equal(readdirSync(run), [`entry-${id}.v8cache`]);
    const twice = spawnSync(hook, [], { env, encoding: 'utf8' });
    assert.equal([twice.status, twice.stderr], [once.status, once.stderr]);
  },
);

F(
  "the clusternet command runs from its bundle: it leaves that bundle's code cache in the run dir",
  () => {
    const run = tmp.path('run-cache-cli');
    const r = cli(['-c', tmp.path('missing.conf'), 'validate'], {
      env: { CLUSTERNET_RUN_DIR: run, CLUSTERNET_SYSLOG: 'none' },
    });
    assert.is(r.code, 2, show(r));
    const id = /Build ([0-9a-f]{24})\./.exec(
      readFileSync(join(ROOT, 'dist', 'lib', 'cli', 'cli.cjs'), 'utf8'),
    )?.[1];
    assert.ok(id, 'the bundle names its build');
    assert.equal(readdirSync(run), [`cli-${id}.v8cache`]);
  },
);

F('refusals read the same on both paths: exit code, stdout and stderr', () => {
  const noCip = tmp.write(
    'nocip.conf',
    readFileSync(EXAMPLE_CONF, 'utf8').replace(/^\[clusterip\][\s\S]*?(?=^\[|$(?![\s\S]))/m, ''),
  );
  const cases: { verb: string; args: string[]; config: string; want: RegExp }[] = [
    {
      verb: 'takeover',
      args: ['--node', '99'],
      config: EXAMPLE_CONF,
      want: /--node: "99" is not a node of the cluster/,
    },
    {
      verb: 'release',
      args: ['--node=1'],
      config: EXAMPLE_CONF,
      want: /--node: node 1 is this node/,
    },
    {
      verb: 'takeover',
      args: ['--node', '3', '--netns', 'bad/name'],
      config: EXAMPLE_CONF,
      want: /--netns: "bad\/name" is not a usable netns name/,
    },
    {
      verb: 'takeover',
      args: ['--node', '3', '-q'],
      config: tmp.path('missing.conf'),
      want: /missing\.conf: cannot read the config file/,
    },
    {
      verb: 'release',
      args: ['--node', '3', '-v'],
      config: noCip,
      want: /no cluster address is enabled/,
    },
  ];
  const env = { CLUSTERNET_NODE_ID: '1' };
  for (const c of cases) {
    const direct = cli([c.verb, ...c.args, '-c', c.config], { env });
    const viaYargs = cli(['-c', c.config, c.verb, ...c.args], { env });
    assert.is(direct.code, 2, show(direct));
    assert.match(direct.stderr, c.want, show(direct));
    assert.equal(
      direct,
      viaYargs,
      `${c.verb} ${c.args.join(' ')}:\n${show(direct)}\n${show(viaYargs)}`,
    );
  }
});

F('help and usage errors still come from yargs', () => {
  const help = cli(['takeover', '--help']);
  assert.is(help.code, 0, show(help));
  assert.match(help.stdout, /answer for a dead node's share of every cluster address/);
  const missing = cli(['release']);
  assert.is(missing.code, 2, show(missing));
  assert.match(missing.stderr, /Missing required argument: node/);
});

F.run();
