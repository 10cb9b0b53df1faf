// install-hooks / uninstall-hooks into temporary prefixes: what lands where, the units
// verified by systemd-analyze, the init script's LSB headers and behaviour, Kerrighed's
// helper folders, net.conf never overwritten, uninstall removing exactly what was
// installed; and the man page and completion made from the same option definitions.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawnSync } from 'node:child_process';
import {
  existsSync,
  mkdirSync,
  readFileSync,
  readdirSync,
  readlinkSync,
  realpathSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { join, relative } from 'node:path';
import { EXAMPLE, ROOT, clusternet, show, tempDir } from './cli.js';

const CLI_JS = join(ROOT, 'dist', 'lib', 'cli', 'main.js');

const install = (
  prefix: string,
  extra: string[] = ['--init', 'systemd', '--init', 'sysv', '--init', 'kerrighed'],
) => clusternet(['install-hooks', '--prefix', prefix, ...extra]);

/** Every file and link under `dir` (folders only when empty), as paths relative to it. */
function tree(dir: string): string[] {
  const out: string[] = [];
  const walk = (d: string) => {
    const entries = readdirSync(d, { withFileTypes: true });
    if (entries.length === 0 && d !== dir) out.push(`${relative(dir, d)}/`);
    for (const e of entries) {
      if (e.isDirectory()) walk(join(d, e.name));
      else out.push(relative(dir, join(d, e.name)));
    }
  };
  walk(dir);
  return out.sort();
}

test('install-hooks --prefix lays out config, switches, hooks, units, init script and Kerrighed folders', () => {
  const p = tempDir();
  const r = install(p);
  assert.is(r.code, 0, show(r));
  assert.match(
    r.stdout,
    /systemd, sysv, kerrighed integration under .*: 17 written, 0 already in place$/m,
  );
  assert.equal(tree(p), [
    'etc/clusternet/hooks/boot-post.d/50net',
    'etc/clusternet/hooks/boot-pre.d/50net',
    'etc/clusternet/hooks/init-post.d/20clusterip',
    'etc/clusternet/hooks/init-pre.d/10net',
    'etc/clusternet/hooks/stop.d/50clusternet',
    'etc/default/clusternet',
    'etc/init.d/clusternet',
    'etc/kerrighed/krgboot_helper-post.d/50net',
    'etc/kerrighed/krgboot_helper-pre.d/50net',
    'etc/kerrighed/krginit_helper-post.d/20clusterip',
    'etc/kerrighed/krginit_helper-pre.d/10net',
    'etc/kerrighed/net.conf',
    'etc/net.conf',
    'lib/systemd/system/clusternet-wait-online.service',
    'lib/systemd/system/clusternet.service',
    'usr/lib/cni/clusternet-cni',
    'usr/lib/ocf/resource.d/clusternet/clusterip',
    'var/lib/clusternet/install-manifest.json',
  ]);
  assert.is(readFileSync(join(p, 'etc/net.conf'), 'utf8'), readFileSync(EXAMPLE, 'utf8'));
  // The Pacemaker resource agent, executable, calling this package's CLI with this node.
  const agent = join(p, 'usr/lib/ocf/resource.d/clusternet/clusterip');
  assert.is(statSync(agent).mode & 0o777, 0o755);
  assert.match(
    readFileSync(agent, 'utf8'),
    new RegExp(`^NODE=${process.execPath}\nCLI=${CLI_JS}$`, 'm'),
  );
  // The CNI plugin, executable with this node, answering as a runtime asks it.
  const plugin = join(p, 'usr/lib/cni/clusternet-cni');
  assert.is(statSync(plugin).mode & 0o777, 0o755);
  assert.match(
    readFileSync(plugin, 'utf8'),
    new RegExp(`^cn_node=${process.execPath}\ncn_lib=${join(ROOT, 'bin')}$`, 'm'),
  );
  const version = spawnSync(plugin, [], {
    input: '{}',
    env: { CNI_COMMAND: 'VERSION' },
    encoding: 'utf8',
  });
  assert.is(
    version.stdout,
    '{"cniVersion":"1.0.0","supportedVersions":["0.3.0","0.3.1","0.4.0","1.0.0"]}\n',
    version.stderr,
  );
  // Built-in hooks are links into this package; Kerrighed's folders get a link per hook.
  assert.is(
    readlinkSync(join(p, 'etc/clusternet/hooks/init-pre.d/10net')),
    join(ROOT, 'hooks/init-pre.d/10net'),
  );
  assert.is(
    readlinkSync(join(p, 'etc/kerrighed/krgboot_helper-post.d/50net')),
    '../../clusternet/hooks/boot-post.d/50net',
  );
  assert.is(
    realpathSync(join(p, 'etc/kerrighed/krgboot_helper-post.d/50net')),
    join(ROOT, 'hooks/boot-post.d/50net'),
  );
  const defaults = readFileSync(join(p, 'etc/default/clusternet'), 'utf8');
  assert.match(defaults, /^ISOLATE_NET=true$/m);
  assert.match(defaults, /^CONTAINER_NETNS=cluster$/m);
  assert.match(defaults, /^CLUSTERNET_HOOKS_DIR=\/etc\/clusternet\/hooks$/m);
  const unit = readFileSync(join(p, 'lib/systemd/system/clusternet.service'), 'utf8');
  assert.match(
    unit,
    new RegExp(
      `^ExecStart=${process.execPath} ${CLI_JS} service start --defaults /etc/default/clusternet$`,
      'm',
    ),
  );
  assert.match(unit, /^ExecStop=.* service stop --defaults \/etc\/default\/clusternet$/m);
  assert.match(unit, /^Type=oneshot$/m);
  assert.match(unit, /^RemainAfterExit=yes$/m);
  // No device here: `service start` finds this node's from net.conf (test/install/admin.test.ts).
  assert.match(unit, /^After=network-pre\.target$/m);
  assert.match(unit, /^Before=systemd-nspawn@cluster\.service$/m);
  assert.is(statSync(join(p, 'etc/init.d/clusternet')).mode & 0o777, 0o755);
  assert.is(statSync(join(p, 'etc/net.conf')).mode & 0o777, 0o644);
});

test('systemd-analyze verify accepts both units', () => {
  const p = tempDir();
  assert.is(
    install(p, ['--init', 'systemd', '--netns', 'krg', '--container-unit', 'krgboot.service']).code,
    0,
  );
  const units = ['clusternet.service', 'clusternet-wait-online.service'].map((u) =>
    join(p, 'lib/systemd/system', u),
  );
  const r = spawnSync('systemd-analyze', ['verify', '--man=no', ...units], { encoding: 'utf8' });
  assert.is(r.status, 0, `${r.stdout}${r.stderr}`);
  assert.is(r.stderr, '', 'not even a warning');
  assert.match(readFileSync(units[0]!, 'utf8'), /^Before=krgboot\.service$/m);
  // The verifier is real: a unit whose command does not exist fails it.
  writeFileSync(
    units[0]!,
    readFileSync(units[0]!, 'utf8').replace(process.execPath, '/nonexistent/node'),
  );
  const bad = spawnSync('systemd-analyze', ['verify', '--man=no', ...units], { encoding: 'utf8' });
  assert.is.not(bad.status, 0);
  assert.match(bad.stderr, /\/nonexistent\/node is not executable/);
});

test('the sysv init script: LSB headers, shell syntax, LSB exit codes', () => {
  const p = tempDir();
  assert.is(install(p, ['--init', 'sysv']).code, 0);
  const script = join(p, 'etc/init.d/clusternet');
  const text = readFileSync(script, 'utf8');
  const header = /### BEGIN INIT INFO\n([\s\S]*?)### END INIT INFO/.exec(text)?.[1] ?? '';
  const fields = new Map(
    [...header.matchAll(/^# ([A-Za-z-]+):\s*(.*)$/gm)].map((m) => [m[1]!, m[2]!]),
  );
  for (const key of [
    'Provides',
    'Required-Start',
    'Required-Stop',
    'Default-Start',
    'Default-Stop',
    'Short-Description',
  ])
    assert.ok(fields.has(key), `LSB ${key}`);
  assert.is(fields.get('Provides'), 'clusternet');
  assert.is(fields.get('Default-Start'), '2 3 4 5');
  assert.is(fields.get('Default-Stop'), '0 1 6');
  assert.is(spawnSync('sh', ['-n', script]).status, 0);
  const usage = spawnSync(script, ['frobnicate'], { encoding: 'utf8' });
  assert.is(usage.status, 3);
  assert.match(usage.stderr, /Usage: .* \{start\|stop\|status\|restart\|force-reload\}/);
  // status of a container that does not exist: LSB 3 "not running", through the real CLI.
  const defaults = join(p, 'etc/default/clusternet');
  writeFileSync(
    defaults,
    readFileSync(defaults, 'utf8').replace(
      'CONTAINER_NETNS=cluster',
      'CONTAINER_NETNS=cnt-no-such',
    ),
  );
  const status = spawnSync(script, ['status'], {
    encoding: 'utf8',
    env: { ...process.env, CLUSTERNET_DEFAULTS: defaults, CLUSTERNET_SYSLOG: 'none' },
  });
  assert.is(status.status, 3, `${status.stdout}${status.stderr}`);
  assert.match(status.stdout, /not ready: network namespace cnt-no-such does not exist/);
  assert.not.ok(existsSync(join(p, 'lib/systemd')), 'no units with --init sysv');
});

test('the default integration follows the running init system', () => {
  const p = tempDir();
  const r = install(p, []);
  assert.is(r.code, 0, show(r));
  const systemd = existsSync('/run/systemd/system');
  assert.is(existsSync(join(p, 'lib/systemd/system/clusternet.service')), systemd);
  assert.is(existsSync(join(p, 'etc/init.d/clusternet')), !systemd);
});

test('net.conf is never overwritten; a second install changes nothing else', () => {
  const p = tempDir();
  assert.is(install(p).code, 0);
  const mine =
    '# my cluster\n[cluster]\nnodes = 1-2\n[net]\nlink = macvlan\ndevice = eth1\nmac = 02:00:00:00:00:00\naddress = 10.9.0.0/24\n';
  writeFileSync(join(p, 'etc/net.conf'), mine);
  const again = install(p);
  assert.is(again.code, 0, show(again));
  assert.is(readFileSync(join(p, 'etc/net.conf'), 'utf8'), mine);
  assert.match(again.stdout, /: 0 written, 16 already in place; kept \/etc\/net\.conf$/m);
  const third = install(p);
  assert.match(third.stdout, /: 0 written, 16 already in place; kept \/etc\/net\.conf$/m);
});

const KERRIGHED_LEGACY =
  'NETCONF_ENABLE=true\nPHYS=eth0\nVIRT=krg0\nVLANID=7\nVIRTMAC=f0:00:00:00:07:00\nVIRTPREFIX=10.4.135.0/18\n';

test("--init kerrighed keeps /etc/kerrighed/net.conf and Kerrighed's own hooks, and adds ours beside them", () => {
  const p = tempDir();
  for (const dir of [
    'krgboot_helper-pre.d',
    'krgboot_helper-post.d',
    'krginit_helper-pre.d',
    'krginit_helper-post.d',
  ])
    mkdirSync(join(p, 'etc/kerrighed', dir), { recursive: true });
  writeFileSync(join(p, 'etc/kerrighed/krginit_helper-post.d/50kerrighed_start'), '#!/bin/sh\n', {
    mode: 0o755,
  });
  writeFileSync(join(p, 'etc/kerrighed/krgboot_helper-post.d/70site'), '#!/bin/sh\n', {
    mode: 0o755,
  });
  writeFileSync(join(p, 'etc/kerrighed/net.conf'), KERRIGHED_LEGACY);
  const r = install(p, ['--init', 'kerrighed']);
  assert.is(r.code, 0, show(r));
  assert.match(r.stdout, /kerrighed integration under .*; kept \/etc\/kerrighed\/net\.conf$/m);
  assert.is(readFileSync(join(p, 'etc/kerrighed/net.conf'), 'utf8'), KERRIGHED_LEGACY);
  assert.ok(!existsSync(join(p, 'etc/net.conf')), 'no second config for Kerrighed alone');
  assert.match(
    readFileSync(join(p, 'etc/default/clusternet'), 'utf8'),
    /^CLUSTERNET_CONFIG=\/etc\/kerrighed\/net\.conf$/m,
  );
  const kerrighed = tree(join(p, 'etc/kerrighed'));
  assert.equal(kerrighed, [
    'krgboot_helper-post.d/50net',
    'krgboot_helper-post.d/70site',
    'krgboot_helper-pre.d/50net',
    'krginit_helper-post.d/20clusterip',
    'krginit_helper-post.d/50kerrighed_start',
    'krginit_helper-pre.d/10net',
    'net.conf',
  ]);
  // Uninstalled, the folders and everything that was not ours stay.
  const u = clusternet(['uninstall-hooks', '--prefix', p]);
  assert.is(u.code, 0, show(u));
  assert.equal(tree(join(p, 'etc/kerrighed')), [
    'krgboot_helper-post.d/70site',
    'krgboot_helper-pre.d/',
    'krginit_helper-post.d/50kerrighed_start',
    'krginit_helper-pre.d/',
    'net.conf',
  ]);
});

test('--init kerrighed on a fresh system installs a net.conf that enables nothing', () => {
  const p = tempDir();
  const r = install(p, ['--init', 'kerrighed']);
  assert.is(r.code, 0, show(r));
  const conf = join(p, 'etc/kerrighed/net.conf');
  const v = clusternet(['validate', '-c', conf]);
  assert.is(v.code, 0, show(v));
  assert.match(v.stdout, /link vlan \(disabled\), 0 cluster addresses$/m);
  const plan = clusternet(['plan', 'init-post', '--node', '1', '-c', conf]);
  assert.is(plan.code, 0, show(plan));
  assert.not.match(plan.stdout, /ip address add/);
});

test("Kerrighed's own 50net in its helper folder is refused by name, and nothing is installed", () => {
  const p = tempDir();
  mkdirSync(join(p, 'etc/kerrighed/krgboot_helper-post.d'), { recursive: true });
  writeFileSync(join(p, 'etc/kerrighed/krgboot_helper-post.d/50net'), '#!/bin/sh\n', {
    mode: 0o755,
  });
  const r = install(p, ['--init', 'kerrighed']);
  assert.is(r.code, 2, show(r));
  assert.match(
    r.stderr,
    /\/etc\/kerrighed\/krgboot_helper-post\.d\/50net exists: Kerrighed's own 50net hook does what clusternet's does: move it out of krgboot_helper-post\.d/,
  );
  assert.equal(tree(p), ['etc/kerrighed/krgboot_helper-post.d/50net']);
});

test('a file that is not ours at an install path is refused and nothing is installed', () => {
  const p = tempDir();
  mkdirSync(join(p, 'etc/init.d'), { recursive: true });
  writeFileSync(join(p, 'etc/init.d/clusternet'), "#!/bin/sh\n# someone else's\n");
  const r = install(p);
  assert.is(r.code, 2, show(r));
  assert.match(
    r.stderr,
    /install-hooks: \/etc\/init\.d\/clusternet exists \(file\) and was not installed by clusternet/,
  );
  assert.equal(tree(p), ['etc/init.d/clusternet']);
});

test('uninstall-hooks removes exactly what was installed, keeping what the admin changed or added', () => {
  const p = tempDir();
  mkdirSync(join(p, 'etc/default'), { recursive: true });
  writeFileSync(join(p, 'etc/default/other'), 'x\n');
  assert.is(install(p).code, 0);
  writeFileSync(
    join(p, 'etc/default/clusternet'),
    `${readFileSync(join(p, 'etc/default/clusternet'), 'utf8')}WAIT_TIMEOUT=5\n`,
  );
  writeFileSync(join(p, 'etc/clusternet/hooks/init-pre.d/30site'), '#!/bin/sh\n', { mode: 0o755 });
  const r = clusternet(['uninstall-hooks', '--prefix', p]);
  assert.is(r.code, 0, show(r));
  assert.match(r.stderr, /kept \/etc\/default\/clusternet: changed since it was installed/);
  assert.match(r.stderr, /kept \/etc\/clusternet\/hooks\/init-pre\.d: not empty/);
  assert.equal(tree(p), [
    'etc/clusternet/hooks/init-pre.d/30site',
    'etc/default/clusternet',
    'etc/default/other',
  ]);
  const again = clusternet(['uninstall-hooks', '--prefix', p]);
  assert.is(again.code, 2);
  assert.match(again.stderr, /no install manifest: nothing was installed here/);
});

test('bad options are input errors', () => {
  const p = tempDir();
  const netns = install(p, ['--netns', 'a/b']);
  assert.is(netns.code, 2);
  assert.match(netns.stderr, /--netns: "a\/b" is not a valid interface name/);
  const unitName = install(p, ['--container-unit', 'x y']);
  assert.is(unitName.code, 2);
  assert.match(unitName.stderr, /--container-unit: "x y" is not a unit name/);
  assert.is(install(p, ['--init', 'upstart']).code, 2);
  assert.equal(tree(p), []);
});

test.run();
