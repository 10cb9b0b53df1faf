// The built command against a real kernel — but only inside a network namespace this test
// creates (and deletes): `--netns` on every command that reads or changes links. The
// container side (init-pre, stop) is run for real; boot-* only as dry runs or checks,
// since their links are made from the host's own namespace.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { execFileSync } from 'node:child_process';
import { ROOT, buildOnce, cli, show } from '../helpers/cli.js';
import { conf } from '../helpers/fixtures.js';
import { TempDir } from '../helpers/temp.js';

const NS = `cnt-cli-${process.pid % 100000}`;
let tmp: TempDir | undefined;
let created = false;
let config: string;
let env: Record<string, string>;

const ip = (...args: string[]) => execFileSync('ip', ['-n', NS, ...args], { encoding: 'utf8' });
const links = () =>
  JSON.parse(ip('-json', 'address', 'show')) as {
    ifname: string;
    flags: string[];
    addr_info: { local: string; prefixlen: number }[];
  }[];
const link = (name: string) => links().find((l) => l.ifname === name);
const addresses = (name: string) =>
  (link(name)?.addr_info ?? []).map((a) => `${a.local}/${a.prefixlen}`);
const run = (...args: string[]) => cli([...args, '--config', config, '--netns', NS], { env });

const ns = suite('cli in a namespace: init-pre and stop for real');

ns.before(() => {
  buildOnce();
  const dir = new TempDir('clusternet-cli-ns-');
  tmp = dir;
  // A gateway inside the node network, and an IPv6 address: every init-pre op kind.
  config = dir.write(
    'net.conf',
    conf({ nodes: '1-4', net: { address6: 'fd00:4:135::/64', gateway: '10.4.135.254' } }),
  );
  // Records and the lock go to a temp folder, not /run/clusternet.
  env = { CLUSTERNET_RUN_DIR: dir.path('run') };
  execFileSync('ip', ['netns', 'add', NS]);
  created = true;
  // krg0 stands for the link boot-post would have moved in: a veth (this kernel has no 8021q).
  ip('link', 'add', 'krg0', 'type', 'veth', 'peer', 'name', 'krg0p');
  ip('link', 'set', 'krg0p', 'up');
});

ns.after(() => {
  try {
    if (created) execFileSync('ip', ['netns', 'del', NS]);
  } finally {
    tmp?.remove();
  }
});

ns('the namespace starts bare: lo down, krg0 down without addresses', () => {
  assert.ok(!link('lo')!.flags.includes('UP'));
  assert.ok(!link('krg0')!.flags.includes('UP'));
  assert.equal(
    addresses('krg0').filter((a) => !a.startsWith('fe80:')),
    [],
  );
});

ns('run init-pre --dry-run: prints what would change, changes nothing', () => {
  const r = run('run', 'init-pre', '--node', '4', '--dry-run');
  assert.is(r.code, 0, show(r));
  for (const command of [
    `[netns ${NS}] ip link set dev lo up`,
    `[netns ${NS}] ip address add 10.4.135.4/18 dev krg0`,
    `[netns ${NS}] ip address add fd00:4:135::4/64 dev krg0`,
    `[netns ${NS}] ip link set dev krg0 up`,
    `[netns ${NS}] ip route add default via 10.4.135.254 dev krg0 proto 211`,
  ]) {
    assert.ok(r.stderr.includes(`would run: ${command}\n`), `${command}\n${r.stderr}`);
  }
  assert.ok(!link('lo')!.flags.includes('UP'), 'lo still down');
  assert.equal(
    addresses('krg0').filter((a) => !a.startsWith('fe80:')),
    [],
  );
});

ns('hook hooks/init-pre.d/10net --dry-run is the same step', () => {
  const r = cli(
    [
      'hook',
      `${ROOT}/hooks/init-pre.d/10net`,
      '--node',
      '4',
      '--dry-run',
      '--config',
      config,
      '--netns',
      NS,
    ],
    { env },
  );
  assert.is(r.code, 0, show(r));
  assert.ok(
    r.stderr.includes(`would run: [netns ${NS}] ip address add 10.4.135.4/18 dev krg0`),
    r.stderr,
  );
  assert.equal(
    addresses('krg0').filter((a) => !a.startsWith('fe80:')),
    [],
  );
});

ns('run init-pre: the addresses, the links up and the default route, in the namespace', () => {
  const r = run('run', 'init-pre', '--node', '4');
  assert.is(r.code, 0, show(r));
  assert.ok(
    r.stderr.includes(`changed: [netns ${NS}] ip address add 10.4.135.4/18 dev krg0`),
    r.stderr,
  );
  assert.ok(link('lo')!.flags.includes('UP'), 'lo up');
  assert.ok(link('krg0')!.flags.includes('UP'), 'krg0 up');
  assert.ok(addresses('krg0').includes('10.4.135.4/18'), addresses('krg0').join(' '));
  assert.ok(addresses('krg0').includes('fd00:4:135::4/64'), addresses('krg0').join(' '));
  assert.match(ip('route', 'show', 'default'), /^default via 10\.4\.135\.254 dev krg0 proto 211/);
});

ns('run init-pre again: nothing to change', () => {
  const r = run('run', 'init-pre', '--node', '4');
  assert.is(r.code, 0, show(r));
  assert.match(r.stderr, /init-pre: nothing to change/);
  assert.not.match(r.stderr, /changed:/);
});

ns(
  'check --json: the init-pre items match; the hand-made krg0 is not clusternet’s (exit 1)',
  () => {
    const r = run('check', '--node', '4', '--json');
    assert.is(r.code, 1, show(r));
    const report = JSON.parse(r.stdout) as {
      node: number;
      ok: boolean;
      items: { phase: string; item: string; status: string }[];
    };
    assert.is(report.node, 4);
    assert.is(report.ok, false);
    const initPre = report.items.filter((i) => i.phase === 'init-pre');
    assert.is(initPre.length, 5);
    assert.ok(
      initPre.every((i) => i.status === 'ok'),
      JSON.stringify(initPre),
    );
    assert.match(r.stderr, /items do not match the plan/);
  },
);

ns('--verbose names the node id source and every command run, with one ip -json read', () => {
  const r = run('run', 'init-pre', '--node', '4', '--verbose', '--dry-run');
  assert.is(r.code, 0, show(r));
  assert.match(r.stderr, /node id 4 from --node; config \S+ \(native format\)/);
  const reads = r.stderr
    .split('\n')
    .filter((l) => l.includes(`ran nsenter --net=/run/netns/${NS} -- ip -json -details -batch -`));
  assert.is(reads.length, 1, r.stderr);
  assert.match(r.stderr, /init-pre: nothing to change/);
});

ns('run stop: our addresses and route go; the link we did not make stays', () => {
  const r = run('run', 'stop', '--node', '4');
  assert.is(r.code, 0, show(r));
  assert.match(r.stderr, /krg0 in netns \S+ is not tagged clusternet; left alone/);
  assert.equal(
    addresses('krg0').filter((a) => !a.startsWith('fe80:')),
    [],
  );
  assert.is(ip('route', 'show', 'default'), '');
  assert.ok(link('krg0'), 'krg0 left alone');
});

ns('run stop again: nothing to change', () => {
  const r = run('run', 'stop', '--node', '4');
  assert.is(r.code, 0, show(r));
  assert.match(r.stderr, /stop: nothing to change/);
});

ns('init-pre without the link boot-post makes: exit 1, "run boot-post first"', () => {
  ip('link', 'del', 'krg0');
  const r = run('run', 'init-pre', '--node', '4', '--dry-run');
  assert.is(r.code, 1, show(r));
  assert.match(r.stderr, /krg0 does not exist in netns \S+; run boot-post first/);
});

ns('a namespace that does not exist: exit 1, nothing done', () => {
  const r = cli(
    ['run', 'init-pre', '--node', '4', '--dry-run', '--config', config, '--netns', 'cnt-cli-none'],
    { env },
  );
  assert.is(r.code, 1, show(r));
  assert.match(r.stderr, /cnt-cli-none/);
});

ns.run();
