// Hook folders with Debian run-parts semantics, in temp folders.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { chmodSync, chownSync, symlinkSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { BUILTIN_HOOKS, builtinPhase } from '../../lib/hooks/builtin.js';
import { HOOK_NAME, listHooks, phaseDir } from '../../lib/hooks/runparts.js';
import { hookEnv } from '../../lib/hooks/run.js';
import { containerOfArg, kerrighedConfig } from '../../lib/hooks/entry.js';
import { DEFAULT_HOOKS_DIR } from '../../lib/paths.js';
import type { NodeContext } from '../../lib/context.js';
import { parseConfig } from '../../lib/config/load.js';
import { deriveNode } from '../../lib/derive/node.js';
import { silentLogger } from '../../lib/log.js';
import { NATIVE_CONF } from '../helpers/fixtures.js';
import { throwsInput } from '../helpers/errors.js';
import { FakeRunner } from '../helpers/fake-runner.js';
import { TempDir } from '../helpers/temp.js';

const SCRIPT = '#!/bin/sh\nexit 0\n';
let tmp: TempDir;

/** A fresh hook folder with `files` (name → mode); returns its path. */
function folder(name: string, files: Record<string, number>): string {
  const dir = tmp.mkdir(name);
  for (const [file, mode] of Object.entries(files)) tmp.write(join(name, file), SCRIPT, mode);
  return dir;
}
const names = (dir: string) => listHooks(dir).map((h) => h.name);

const parts = suite('hooks: run-parts semantics');
parts.before(() => {
  tmp = new TempDir();
});
parts.after(() => tmp.remove());

parts(
  'names must match ^[A-Za-z0-9_-]+$: backups, packaging leftovers and dotted names are skipped',
  () => {
    const dir = folder('names', {
      '50net': 0o755,
      '50net~': 0o755,
      '50net.dpkg-old': 0o755,
      '50net.dpkg-dist': 0o755,
      'a.sh': 0o755,
      '.hidden': 0o755,
      '#50net#': 0o755,
      '60_site-hook': 0o755,
    });
    const skipped: string[] = [];
    assert.equal(
      listHooks(dir, (n) => skipped.push(n)).map((h) => h.name),
      ['50net', '60_site-hook'],
    );
    assert.equal(
      skipped.sort(),
      ['#50net#', '.hidden', '50net.dpkg-dist', '50net.dpkg-old', '50net~', 'a.sh'].sort(),
    );
    assert.ok(HOOK_NAME.test('Z_9-a') && !HOOK_NAME.test('a b') && !HOOK_NAME.test(''));
  },
);

parts('the skip callback says why', () => {
  const dir = folder('why', { 'a.sh': 0o755, plain: 0o644 });
  const why = new Map<string, string>();
  listHooks(dir, (n, w) => why.set(n, w));
  assert.match(why.get('a.sh')!, /name is not \[A-Za-z0-9_-\]\+/);
  assert.is(why.get('plain'), 'not executable');
});

parts('executable regular files only: no folders, FIFOs or non-executable files', () => {
  const dir = folder('kinds', {
    '10run': 0o755,
    '20owner-only': 0o700,
    '30plain': 0o644,
    '40group-x': 0o654,
  });
  tmp.mkdir('kinds/50folder', 0o755);
  execFileSync('mkfifo', [join(dir, '60fifo')]);
  assert.equal(names(dir), ['10run', '20owner-only', '40group-x']);
});

parts('C-locale byte order: digits, upper case, "_", lower case; 10B before 10a', () => {
  const dir = folder('order', {
    '10a': 0o755,
    '10B': 0o755,
    _x: 0o755,
    Z: 0o755,
    a: 0o755,
    '-first': 0o755,
    '9': 0o755,
    '10': 0o755,
    '100': 0o755,
  });
  assert.equal(names(dir), ['-first', '10', '100', '10B', '10a', '9', 'Z', '_x', 'a']);
});

parts('symlinks: inside the folder followed, out of the folder or dangling skipped', () => {
  const outside = tmp.write('elsewhere/tool', SCRIPT, 0o755);
  const dir = folder('links', { '10real': 0o755 });
  symlinkSync(join(dir, '10real'), join(dir, '20inside'));
  symlinkSync('10real', join(dir, '25relative'));
  symlinkSync(outside, join(dir, '30outside'));
  symlinkSync(join(dir, 'missing'), join(dir, '40dangling'));
  symlinkSync('../links/../elsewhere/tool', join(dir, '50sneaky'));
  const skipped = new Map<string, string>();
  assert.equal(
    listHooks(dir, (n, w) => skipped.set(n, w)).map((h) => h.name),
    ['10real', '20inside', '25relative'],
  );
  assert.match(skipped.get('30outside')!, /symlink leads out of the folder/);
  assert.match(skipped.get('50sneaky')!, /symlink leads out of the folder/);
  assert.is(skipped.get('40dangling'), 'dangling symlink');
});

parts(
  "a symlink to one of clusternet's own hooks is allowed (Kerrighed's folders link to them)",
  () => {
    const dir = folder('kerrighed', {});
    symlinkSync(join(DEFAULT_HOOKS_DIR, 'init-pre.d', '10net'), join(dir, '10net'));
    assert.equal(names(dir), ['10net']);
    assert.is(builtinPhase(join(dir, '10net')), 'init-pre');
    assert.is(builtinPhase(tmp.write('other/10net', SCRIPT, 0o755)), undefined);
  },
);

parts('a group- or world-writable hook folder is refused when root', () => {
  for (const mode of [0o775, 0o757]) {
    const dir = folder(`loose-${mode.toString(8)}`, { '10net': 0o755 });
    chmodSync(dir, mode);
    throwsInput(() => listHooks(dir), {
      file: dir,
      message: `the hook folder has mode 0${mode.toString(8)}: it is writable by group or others`,
    });
  }
});

parts('a hook folder or a hook not owned by root is refused when root', () => {
  const dir = folder('foreign-dir', { '10net': 0o755 });
  chownSync(dir, 1000, 1000);
  throwsInput(() => listHooks(dir), { file: dir, message: 'the hook folder is owned by uid 1000' });
  const dir2 = folder('foreign-hook', { '10net': 0o755 });
  chownSync(join(dir2, '10net'), 1000, 1000);
  throwsInput(() => listHooks(dir2), {
    file: join(dir2, '10net'),
    message: 'the hook is owned by uid 1000',
  });
});

parts('a group-writable hook is refused', () => {
  const dir = folder('loose-hook', { '10net': 0o775 });
  throwsInput(() => listHooks(dir), {
    file: join(dir, '10net'),
    message: 'the hook has mode 0775',
  });
});

parts('a missing phase folder has no hooks', () => {
  assert.equal(listHooks(tmp.path('no-such.d')), []);
  assert.is(phaseDir('/etc/clusternet/hooks', 'boot-post'), '/etc/clusternet/hooks/boot-post.d');
});

const shipped = suite('hooks: the ones clusternet ships');

shipped('each phase folder has its built-in hook, recognised as such', () => {
  for (const [key, phase] of Object.entries(BUILTIN_HOOKS)) {
    const [dirName, name] = key.split('/') as [string, string];
    const hooks = listHooks(join(DEFAULT_HOOKS_DIR, dirName));
    assert.ok(
      hooks.some((h) => h.name === name),
      `${key} listed`,
    );
    assert.is(builtinPhase(join(DEFAULT_HOOKS_DIR, key)), phase);
  }
});

shipped('hookEnv: what a site hook learns about the node', () => {
  const config = parseConfig(NATIVE_CONF, '/etc/net.conf');
  const ctx: NodeContext = {
    config,
    values: deriveNode(config, 4),
    nodeSource: '--node',
    container: { kind: 'pid', pid: 321 },
    runner: new FakeRunner(),
    log: silentLogger,
  };
  assert.equal(hookEnv(ctx, 'boot-post'), {
    CLUSTERNET_PHASE: 'boot-post',
    CLUSTERNET_CONFIG: '/etc/net.conf',
    CLUSTERNET_NODE_ID: '4',
    CLUSTERNET_LINK: 'vlan',
    CLUSTERNET_DEVICE: 'eth0',
    CLUSTERNET_INTERFACE: 'krg0',
    CLUSTERNET_MAC: 'f0:00:00:00:07:04',
    CLUSTERNET_ADDRESS: '10.4.135.4/18',
    CLUSTERNET_VLAN: '7',
    CLUSTERNET_ADDRESS6: 'fd00:4:135::4/64',
    CLUSTERNET_PID: '321',
  });
  const netns = hookEnv({ ...ctx, container: { kind: 'netns', name: 'c1' } }, 'init-pre');
  assert.is(netns.CLUSTERNET_NETNS, 'c1');
  assert.is(netns.CLUSTERNET_PID, undefined);
  // routing = per-node: the node's subnets and the host's addresses on its bridge.
  const routed = parseConfig(
    '[cluster]\nnodes = 1-4\n[net]\nlink = bridge\nrouting = per-node\ndevice = eth0\nmac = 02:00:00:00:05:00\naddress = 10.5.0.0/16\nnode-prefix = 24\naddress6 = fd05::/48\nnode-prefix6 = 64\nunderlay = 192.168.10.0/24\nvni = 5\n',
    '/etc/net.conf',
  );
  const env = hookEnv({ ...ctx, config: routed, values: deriveNode(routed, 4) }, 'boot-post');
  assert.equal(
    [
      env.CLUSTERNET_BRIDGE,
      env.CLUSTERNET_ADDRESS,
      env.CLUSTERNET_SUBNET,
      env.CLUSTERNET_HOST_ADDRESS,
      env.CLUSTERNET_SUBNET6,
      env.CLUSTERNET_HOST_ADDRESS6,
    ],
    ['cnbr0', '10.5.4.2/24', '10.5.4.0/24', '10.5.4.1/24', 'fd05:0:0:4::/64', 'fd05:0:0:4::1/64'],
  );
});

const kerrighed = suite("hooks: under Kerrighed's helpers");

kerrighed(
  'an argument is a PID, a namespace in /run/netns, or a run-parts --arg ignored for what it is',
  () => {
    assert.equal(containerOfArg('4242'), { pid: '4242' });
    // krginit_helper: `run-parts --verbose --arg=$CONF -- …/krginit_helper-pre.d`
    assert.equal(containerOfArg('/etc/kerrighed/krginit_helper.conf'), {
      ignored: '/etc/kerrighed/krginit_helper.conf',
    });
    assert.equal(containerOfArg('krginit_helper.conf'), { ignored: 'krginit_helper.conf' });
    assert.equal(containerOfArg('no-such-netns-x'), { ignored: 'no-such-netns-x' });
    assert.equal(containerOfArg(undefined), {});
    const ns = `cnu${process.pid}`;
    execFileSync('ip', ['netns', 'add', ns]);
    try {
      assert.equal(containerOfArg(ns), { netns: ns });
    } finally {
      execFileSync('ip', ['netns', 'del', ns]);
    }
  },
);

kerrighed(
  'run from a Kerrighed helper folder, a hook reads the net.conf beside the folders',
  () => {
    assert.is(
      kerrighedConfig('/etc/kerrighed/krginit_helper-pre.d/10net', {}),
      '/etc/kerrighed/net.conf',
    );
    assert.is(
      kerrighedConfig('/srv/p/etc/kerrighed/krgboot_helper-post.d/50net', {}),
      '/srv/p/etc/kerrighed/net.conf',
    );
    assert.is(
      kerrighedConfig('/etc/kerrighed/krginit_helper-pre.d/10net', {
        CLUSTERNET_CONFIG: '/x.conf',
      }),
      undefined,
      'CLUSTERNET_CONFIG wins',
    );
    assert.is(
      kerrighedConfig('/etc/clusternet/hooks/init-pre.d/10net', {}),
      undefined,
      'elsewhere: the usual default',
    );
  },
);

parts.run();
shipped.run();
kerrighed.run();
