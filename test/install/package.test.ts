// Packaging, built and installed for real: the npm tarball installs with its runtime
// dependencies only and runs with nothing but node and iproute2 on the PATH; the Debian
// package (staged by install-hooks --prefix) installs into a scratch root with dpkg,
// runs from there, and is removed and purged cleanly.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { execFileSync, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, readdirSync, readlinkSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ROOT, tempDir, writeConf } from './cli.js';

const sh = (file: string, args: string[], o: { cwd?: string; env?: NodeJS.ProcessEnv } = {}) =>
  spawnSync(file, args, { cwd: o.cwd ?? ROOT, env: o.env ?? { ...process.env, CLUSTERNET_SYSLOG: 'none' }, encoding: 'utf8', maxBuffer: 64 * 1024 * 1024, timeout: 300_000 });

const DEV_ONLY = ['typescript', 'tsx', 'uvu', 'prettier', '@types', 'esbuild', 'execa', 'zx'];

let dir: string;
let tgz: string;

test.before(() => {
  dir = tempDir();
  const r = sh('npm', ['pack', '--pack-destination', dir, '--silent']);
  assert.is(r.status, 0, `npm pack: ${r.stdout}${r.stderr}`);
  tgz = join(dir, readdirSync(dir).find((f) => f.endsWith('.tgz'))!);
});

test('npm pack: dist built, hooks, etc and templates in; sources and tests out', () => {
  const files = execFileSync('tar', ['-tzf', tgz], { encoding: 'utf8' }).split('\n');
  for (const f of ['package/package.json', 'package/dist/lib/cli/main.js', 'package/dist/lib/hooks/entry.js', 'package/hooks/init-pre.d/10net', 'package/etc/net.conf', 'package/templates/systemd/clusternet.service.in', 'package/templates/sysv/clusternet.in']) {
    assert.ok(files.includes(f), f);
  }
  assert.not.ok(files.some((f) => f.startsWith('package/test/') || f.startsWith('package/lib/') || f.endsWith('.ts')), 'no sources or tests');
});

test('the tarball installs with runtime dependencies only and runs with only node and ip', () => {
  const prefix = join(dir, 'app');
  const install = sh('npm', ['install', '--prefix', prefix, '--omit=dev', '--no-audit', '--no-fund', '--prefer-offline', '--loglevel=error', tgz], { cwd: dir });
  assert.is(install.status, 0, install.stderr);
  const modules = readdirSync(join(prefix, 'node_modules'));
  for (const dev of DEV_ONLY) assert.not.ok(modules.includes(dev), `${dev} is not installed`);
  for (const dep of ['clusternet', 'yargs', 'ini', 'ipaddr.js']) assert.ok(modules.includes(dep), dep);
  // A PATH with node and ip and nothing else.
  const bin = join(dir, 'bin');
  mkdirSync(bin);
  symlinkSync(process.execPath, join(bin, 'node'));
  symlinkSync(execFileSync('sh', ['-c', 'command -v ip'], { encoding: 'utf8' }).trim(), join(bin, 'ip'));
  const env = { PATH: bin, CLUSTERNET_SYSLOG: 'none' };
  const cli = join(prefix, 'node_modules', '.bin', 'clusternet');
  const example = join(prefix, 'node_modules', 'clusternet', 'etc', 'net.conf');
  const validate = sh(cli, ['-c', example, 'validate'], { env, cwd: dir });
  assert.is(validate.status, 0, validate.stderr);
  assert.match(validate.stdout, /ok \(native format\): 16 nodes/);
  const server = sh(cli, ['-c', example, 'server-config', '--address', '10.4.135.254'], { env, cwd: dir });
  assert.match(server.stdout, /^ip link add link eth0 name krg0 address f0:00:00:00:07:fe mtu 1496 type vlan id 7$/m);
  // A dry run reads the kernel through ip (started with node:child_process: execa and zx
  // are for the tests only), in a namespace of the test's own.
  const ns = `cnt${randomBytes(3).toString('hex')}-pk`;
  execFileSync('ip', ['netns', 'add', ns]);
  try {
    const conf = writeConf('[cluster]\nnodes = 1\n[net]\nlink = macvlan\ndevice = lo\nmac = 02:00:00:00:00:00\naddress = 10.9.0.0/24\n');
    const dry = sh('ip', ['netns', 'exec', ns, 'env', '-i', `PATH=${bin}`, 'CLUSTERNET_SYSLOG=none', cli, '-c', conf, 'run', 'boot-pre', '--node', '1', '--dry-run'], { cwd: dir });
    assert.is(dry.status, 0, dry.stderr);
    assert.match(dry.stderr, /would run: ip link set dev lo up/);
  } finally {
    execFileSync('ip', ['netns', 'del', ns]);
  }
  // install-hooks from the installed package links the hooks into it.
  const p = tempDir();
  const hooks = sh(cli, ['install-hooks', '--prefix', p, '--init', 'sysv'], { env, cwd: dir });
  assert.is(hooks.status, 0, hooks.stderr);
  assert.is(readlinkSync(join(p, 'etc/clusternet/hooks/boot-pre.d/50net')), join(prefix, 'node_modules', 'clusternet', 'hooks', 'boot-pre.d', '50net'));
});

test('the Debian package: built from an install-hooks staging folder, installed, run, removed, purged', () => {
  const out = tempDir();
  // The same tarball as above (`npm run package:deb` makes its own with npm pack).
  const build = sh(process.execPath, [join(ROOT, 'dist/lib/install/deb.js'), out, tgz]);
  assert.is(build.status, 0, build.stderr);
  const deb = join(out, 'clusternet_0.1.0_all.deb');
  const info = execFileSync('dpkg-deb', ['--field', deb, 'Package', 'Architecture', 'Depends'], { encoding: 'utf8' });
  assert.match(info, /Package: clusternet\nArchitecture: all\nDepends: nodejs \(>= 20\.19\), iproute2, util-linux/);
  const contents = execFileSync('dpkg-deb', ['--contents', deb], { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
  for (const path of ['./etc/net.conf', './etc/default/clusternet', './etc/init.d/clusternet', './lib/systemd/system/clusternet.service', './usr/share/man/man8/clusternet.8.gz', './usr/lib/clusternet/dist/lib/cli/main.js', './usr/lib/clusternet/node_modules/yargs/package.json']) {
    assert.ok(contents.includes(` ${path}`), path);
  }
  assert.match(contents, /\.\/usr\/bin\/clusternet -> \.\.\/lib\/clusternet\/dist\/lib\/cli\/main\.js/);
  assert.match(contents, /\.\/etc\/kerrighed\/krginit_helper-pre\.d\/10net -> \.\.\/\.\.\/clusternet\/hooks\/init-pre\.d\/10net/);
  assert.not.match(contents, /node_modules\/(typescript|tsx|uvu|prettier)\//);
  assert.not.match(contents, /install-manifest/);
  assert.is(execFileSync('dpkg-deb', ['--info', deb, 'conffiles'], { encoding: 'utf8' }), '/etc/net.conf\n/etc/kerrighed/net.conf\n/etc/default/clusternet\n/etc/init.d/clusternet\n');

  // A scratch root with an empty dpkg database; the dependencies are the machine's, not the root's.
  const root = tempDir();
  for (const d of ['var/lib/dpkg/info', 'var/lib/dpkg/updates']) mkdirSync(join(root, d), { recursive: true });
  for (const f of ['var/lib/dpkg/status', 'var/lib/dpkg/available']) writeFileSync(join(root, f), '');
  const dpkg = (...args: string[]) => sh('dpkg', [`--root=${root}`, ...args]);
  const installed = dpkg('--force-depends', '-i', deb);
  assert.is(installed.status, 0, installed.stderr);
  assert.match(dpkg('-s', 'clusternet').stdout, /Status: install ok installed/);
  const unit = readFileSync(join(root, 'lib/systemd/system/clusternet.service'), 'utf8');
  assert.match(unit, /^ExecStart=\/usr\/bin\/node \/usr\/lib\/clusternet\/dist\/lib\/cli\/main\.js service start --defaults \/etc\/default\/clusternet$/m);
  assert.is(readlinkSync(join(root, 'etc/clusternet/hooks/init-pre.d/10net')), '/usr/lib/clusternet/hooks/init-pre.d/10net');
  const run = sh(process.execPath, [join(root, 'usr/lib/clusternet/dist/lib/cli/main.js'), '-c', join(root, 'etc/net.conf'), 'show', '--node', '4', '--json'], { cwd: root });
  assert.is(run.status, 0, run.stderr);
  assert.is((JSON.parse(run.stdout) as { mac: string }).mac, 'f0:00:00:00:07:04');
  // remove keeps the (conf)files, purge removes them; nothing else is left behind.
  assert.is(dpkg('-r', 'clusternet').status, 0);
  assert.not.ok(existsSync(join(root, 'usr/lib/clusternet')));
  assert.ok(existsSync(join(root, 'etc/net.conf')));
  assert.is(dpkg('--purge', 'clusternet').status, 0);
  assert.equal(readdirSync(root).sort(), ['var']);
});

test.run();
