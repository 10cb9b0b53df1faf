// Packaging, built and installed for real: the npm tarball installs with its runtime
// dependencies only and runs with nothing but node and iproute2 on the PATH; the Debian
// package (staged by install-hooks --prefix) installs into a scratch root with dpkg,
// runs from there, and is removed and purged cleanly.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { execFileSync, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import {
  copyFileSync,
  existsSync,
  lstatSync,
  mkdirSync,
  readFileSync,
  readdirSync,
  readlinkSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { dirname, join } from 'node:path';
import { ROOT, tempDir, writeConf } from './cli.js';

const sh = (file: string, args: string[], o: { cwd?: string; env?: NodeJS.ProcessEnv } = {}) =>
  spawnSync(file, args, {
    cwd: o.cwd ?? ROOT,
    env: o.env ?? { ...process.env, CLUSTERNET_SYSLOG: 'none' },
    encoding: 'utf8',
    maxBuffer: 64 * 1024 * 1024,
    timeout: 300_000,
  });

const DEV_ONLY = ['typescript', 'tsx', 'uvu', 'prettier', '@types', 'esbuild', 'execa', 'zx'];

let dir: string;
let tgz: string;

test.before(() => {
  dir = tempDir();
  const r = sh('npm', ['pack', '--pack-destination', dir, '--silent']);
  assert.is(r.status, 0, `npm pack: ${r.stdout}${r.stderr}`);
  tgz = join(
    dir,
    readdirSync(dir).find((f) => f.endsWith('.tgz'))!,
  );
});

test('npm pack: dist built, hooks, etc and templates in; sources and tests out', () => {
  const files = execFileSync('tar', ['-tzf', tgz], { encoding: 'utf8' }).split('\n');
  for (const f of [
    'package/package.json',
    'package/dist/lib/cli/main.js',
    'package/dist/lib/hooks/entry.js',
    'package/hooks/init-pre.d/10net',
    'package/etc/net.conf',
    'package/templates/systemd/clusternet.service.in',
    'package/templates/sysv/clusternet.in',
    'package/man/clusternet.8',
    'package/man/net.conf.5',
  ]) {
    assert.ok(files.includes(f), f);
  }
  assert.not.ok(
    files.some(
      (f) => f.startsWith('package/test/') || f.startsWith('package/lib/') || f.endsWith('.ts'),
    ),
    'no sources or tests',
  );
});

test('the tarball installs with runtime dependencies only and runs with only node and ip', () => {
  const prefix = join(dir, 'app');
  const install = sh(
    'npm',
    [
      'install',
      '--prefix',
      prefix,
      '--omit=dev',
      '--no-audit',
      '--no-fund',
      '--prefer-offline',
      '--loglevel=error',
      tgz,
    ],
    { cwd: dir },
  );
  assert.is(install.status, 0, install.stderr);
  const modules = readdirSync(join(prefix, 'node_modules'));
  for (const dev of DEV_ONLY) assert.not.ok(modules.includes(dev), `${dev} is not installed`);
  for (const dep of ['clusternet', 'yargs', 'ini', 'ipaddr.js'])
    assert.ok(modules.includes(dep), dep);
  // A PATH with node and ip and nothing else.
  const bin = join(dir, 'bin');
  mkdirSync(bin);
  symlinkSync(process.execPath, join(bin, 'node'));
  symlinkSync(
    execFileSync('sh', ['-c', 'command -v ip'], { encoding: 'utf8' }).trim(),
    join(bin, 'ip'),
  );
  const env = { PATH: bin, CLUSTERNET_SYSLOG: 'none' };
  const cli = join(prefix, 'node_modules', '.bin', 'clusternet');
  const example = join(prefix, 'node_modules', 'clusternet', 'etc', 'net.conf');
  const validate = sh(cli, ['-c', example, 'validate'], { env, cwd: dir });
  assert.is(validate.status, 0, validate.stderr);
  assert.match(validate.stdout, /ok \(native format\): 16 nodes/);
  const server = sh(cli, ['-c', example, 'server-config', '--address', '10.4.135.254'], {
    env,
    cwd: dir,
  });
  assert.match(
    server.stdout,
    /^ip link add link eth0 name krg0 address f0:00:00:00:07:fe mtu 1496 type vlan id 7$/m,
  );
  // A dry run reads the kernel through ip (started with node:child_process: execa and zx
  // are for the tests only), in a namespace of the test's own.
  const ns = `cnt${randomBytes(3).toString('hex')}-pk`;
  execFileSync('ip', ['netns', 'add', ns]);
  try {
    const conf = writeConf(
      '[cluster]\nnodes = 1\n[net]\nlink = macvlan\ndevice = lo\nmac = 02:00:00:00:00:00\naddress = 10.9.0.0/24\n',
    );
    const dry = sh(
      'ip',
      [
        'netns',
        'exec',
        ns,
        'env',
        '-i',
        `PATH=${bin}`,
        'CLUSTERNET_SYSLOG=none',
        cli,
        '-c',
        conf,
        'run',
        'boot-pre',
        '--node',
        '1',
        '--dry-run',
      ],
      { cwd: dir },
    );
    assert.is(dry.status, 0, dry.stderr);
    assert.match(dry.stderr, /would run: ip link set dev lo up/);
  } finally {
    execFileSync('ip', ['netns', 'del', ns]);
  }
  // install-hooks from the installed package links the hooks into it.
  const p = tempDir();
  const hooks = sh(cli, ['install-hooks', '--prefix', p, '--init', 'sysv'], { env, cwd: dir });
  assert.is(hooks.status, 0, hooks.stderr);
  assert.is(
    readlinkSync(join(p, 'etc/clusternet/hooks/boot-pre.d/50net')),
    join(prefix, 'node_modules', 'clusternet', 'hooks', 'boot-pre.d', '50net'),
  );
});

/** A program and the shared libraries ldd names, at their own paths under `root`. */
function copyWithLibraries(program: string, root: string): void {
  const libraries = [
    ...execFileSync('ldd', [program], { encoding: 'utf8' }).matchAll(/(\/\S+\.so[.\d]*) \(0x/g),
  ].map((m) => m[1]!);
  for (const file of [program, ...libraries]) {
    mkdirSync(join(root, dirname(file)), { recursive: true });
    copyFileSync(file, join(root, file));
  }
}

/** A package of the given files (path → content, mode 0755), built with dpkg-deb. */
function fakePackage(name: string, files: Record<string, string>, out: string): string {
  const tree = tempDir();
  mkdirSync(join(tree, 'DEBIAN'));
  writeFileSync(
    join(tree, 'DEBIAN', 'control'),
    `Package: ${name}\nVersion: 1.0\nArchitecture: all\nMaintainer: Test <test@example.org>\nDescription: ${name} for the test\n stand-in\n`,
  );
  for (const [path, content] of Object.entries(files)) {
    mkdirSync(join(tree, dirname(path)), { recursive: true });
    writeFileSync(join(tree, path), content, { mode: 0o755 });
  }
  const deb = join(out, `${name}_1.0_all.deb`);
  execFileSync('dpkg-deb', ['--root-owner-group', '-b', tree, deb], { stdio: 'ignore' });
  return deb;
}

/** A throwaway root for dpkg: its own database, busybox as /bin/sh for the maintainer
 * scripts (dpkg runs them chrooted there), and the Debian helpers they call as stand-ins
 * that record their arguments. Nothing of this machine's dpkg database or /etc is used. */
function scratchRoot(): string {
  const root = tempDir('clusternet-dpkg-root-');
  for (const d of [
    'var/lib/dpkg/info',
    'var/lib/dpkg/updates',
    'bin',
    'usr/bin',
    'usr/sbin',
    'dev',
    'var/log',
  ])
    mkdirSync(join(root, d), { recursive: true });
  for (const f of ['var/lib/dpkg/status', 'var/lib/dpkg/available'])
    writeFileSync(join(root, f), '');
  execFileSync('cp', ['/bin/busybox', join(root, 'bin', 'busybox')]);
  symlinkSync('busybox', join(root, 'bin', 'sh'));
  execFileSync('mknod', ['-m', '666', join(root, 'dev', 'null'), 'c', '1', '3']);
  // dpkg-divert is dpkg's own, real: copied with the libraries it loads.
  copyWithLibraries('/usr/bin/dpkg-divert', root);
  for (const [dir, tool] of [
    ['usr/bin', 'deb-systemd-helper'],
    ['usr/bin', 'deb-systemd-invoke'],
    ['usr/sbin', 'update-rc.d'],
    ['usr/sbin', 'invoke-rc.d'],
  ] as const) {
    writeFileSync(join(root, dir, tool), `#!/bin/sh\necho "${tool} $*" >> /var/log/calls\n`, {
      mode: 0o755,
    });
  }
  return root;
}

test('the Debian package: lintian clean, a dependency Debian 13 meets, man pages, completion, copyright', () => {
  const out = tempDir();
  const build = sh(process.execPath, [join(ROOT, 'dist/lib/install/deb.js'), out, tgz]);
  assert.is(build.status, 0, build.stderr);
  const deb = join(out, 'clusternet_0.1.0_all.deb');
  const field = (name: string) =>
    execFileSync('dpkg-deb', ['--field', deb, name], { encoding: 'utf8' }).trim();
  assert.is(field('Depends'), 'nodejs (>= 20.19), iproute2, util-linux (>= 2.38)');
  assert.is(
    field('Recommends'),
    'iptables, nftables',
    'what the cluster-match path runs (iptables-restore, nft), no arptables',
  );
  assert.not.match(field('Maintainer'), /localhost/);
  // The nodejs dependency: met by Debian 13's nodejs, not by Debian 12's (README says so).
  const ge = (version: string) =>
    spawnSync('dpkg', ['--compare-versions', version, 'ge', '20.19']).status === 0;
  assert.ok(ge('20.19.2+dfsg-1'), "Debian 13's nodejs");
  assert.not.ok(ge('18.20.4+dfsg-1~deb12u3'), "Debian 12's nodejs");
  // And every dependency is met on this machine (read from its database, never written).
  for (const dep of field('Depends').split(', ')) {
    const [, pkg, version] = /^(\S+)(?: \(>= (\S+)\))?$/.exec(dep)!;
    const have = sh('dpkg-query', ['-W', '-f', '${Version}', pkg!]).stdout;
    assert.ok(have !== '', `${pkg} is installed here`);
    if (version)
      assert.is(
        spawnSync('dpkg', ['--compare-versions', have, 'ge', version]).status,
        0,
        `${pkg} ${have} >= ${version}`,
      );
  }
  const contents = execFileSync('dpkg-deb', ['--contents', deb], {
    encoding: 'utf8',
    maxBuffer: 64 * 1024 * 1024,
  });
  for (const path of [
    './etc/default/clusternet',
    './etc/init.d/clusternet',
    './lib/systemd/system/clusternet.service',
    './usr/share/man/man8/clusternet.8.gz',
    './usr/share/man/man5/net.conf.5.gz',
    './usr/share/bash-completion/completions/clusternet',
    './usr/share/doc/clusternet/copyright',
    './usr/share/doc/clusternet/changelog.gz',
    './usr/lib/ocf/resource.d/clusternet/clusterip',
    './usr/lib/cni/clusternet-cni',
    './usr/lib/clusternet/bin/clusternet-cni',
    './usr/lib/clusternet/bin/clusternet-cni.sh',
    './usr/lib/clusternet/bin/clusternet-cni.awk',
    './usr/lib/clusternet/bin/clusternet-cni.cjs',
    './usr/lib/clusternet/dist/lib/cni/entry.cjs',
    './usr/lib/clusternet/dist/lib/cli/main.js',
    './usr/lib/clusternet/node_modules/yargs/package.json',
  ]) {
    assert.ok(contents.includes(` ${path}\n`) || contents.includes(` ${path} `), path);
  }
  assert.not.match(
    contents,
    / \.\/etc\/net\.conf\n/,
    "/etc/net.conf is the administrator's, not the package's",
  );
  assert.not.match(contents, / \.\/etc\/kerrighed\/net\.conf\n/, "so is Kerrighed's");
  assert.match(
    contents,
    /\.\/etc\/kerrighed\/krginit_helper-pre\.d\/10net -> \.\.\/\.\.\/clusternet\/hooks\/init-pre\.d\/10net/,
  );
  assert.not.match(contents, /node_modules\/(typescript|tsx|uvu|prettier)\//);
  assert.not.match(contents, /install-manifest/);
  assert.not.match(
    contents,
    /^-rwxr-xr-x .*node_modules\/wrap-ansi\/index\.js$/m,
    'no stray executable',
  );
  assert.match(
    contents,
    /^-rwxr-xr-x root\/root .*\.\/usr\/lib\/clusternet\/hooks\/init-pre\.d\/10net$/m,
  );
  assert.is(
    execFileSync('dpkg-deb', ['--info', deb, 'conffiles'], { encoding: 'utf8' }),
    '/etc/default/clusternet\n/etc/init.d/clusternet\n',
  );
  const copyright = execFileSync(
    'sh',
    [
      '-c',
      'dpkg-deb --fsys-tarfile "$1" | tar -xOf - ./usr/share/doc/clusternet/copyright',
      'sh',
      deb,
    ],
    { encoding: 'utf8' },
  );
  assert.match(
    copyright,
    /^Files: usr\/lib\/clusternet\/node_modules\/yargs\/\*\nCopyright: .+\nLicense: Expat$/m,
  );
  // lintian: no error and no warning (none is overridden).
  const lint = sh('lintian', ['--fail-on', 'error,warning', deb]);
  const tags = lint.stdout.split('\n').filter((l) => /^[EW]: /.test(l));
  assert.equal(tags, [], lint.stdout);
  assert.is(lint.status, 0, `${lint.stdout}${lint.stderr}`);
});

test("the Debian package in a throwaway root: install enables the units, upgrade keeps the admin's files, remove stops, purge forgets", () => {
  const out = tempDir();
  assert.is(sh(process.execPath, [join(ROOT, 'dist/lib/install/deb.js'), out, tgz]).status, 0);
  const deb = join(out, 'clusternet_0.1.0_all.deb');
  // The next version, for the upgrade: the same package with a higher version.
  const unpacked = join(tempDir(), 'pkg');
  execFileSync('dpkg-deb', ['-R', deb, unpacked]);
  const control = join(unpacked, 'DEBIAN', 'control');
  writeFileSync(control, readFileSync(control, 'utf8').replace(/^Version: .*$/m, 'Version: 0.1.1'));
  const next = join(out, 'clusternet_0.1.1_all.deb');
  execFileSync('dpkg-deb', ['--root-owner-group', '-b', unpacked, next], { stdio: 'ignore' });

  const root = scratchRoot();
  const dpkg = (...args: string[]) => sh('dpkg', [`--root=${root}`, '--force-depends', ...args]);
  const calls = () =>
    existsSync(join(root, 'var/log/calls'))
      ? readFileSync(join(root, 'var/log/calls'), 'utf8')
      : '';
  const installed = dpkg('-i', deb);
  assert.is(installed.status, 0, installed.stderr);
  assert.match(dpkg('-s', 'clusternet').stdout, /Status: install ok installed/);
  assert.match(calls(), /^deb-systemd-helper enable clusternet\.service$/m);
  assert.match(calls(), /^deb-systemd-helper enable clusternet-wait-online\.service$/m);
  assert.match(calls(), /^update-rc\.d clusternet defaults$/m);
  assert.not.match(
    calls(),
    /invoke|start/,
    'enabled, not started: nothing runs before /etc/net.conf is written',
  );
  assert.not.ok(existsSync(join(root, 'etc/net.conf')));
  const unit = readFileSync(join(root, 'lib/systemd/system/clusternet.service'), 'utf8');
  assert.match(
    unit,
    /^ExecStart=\/usr\/bin\/node \/usr\/lib\/clusternet\/dist\/lib\/cli\/main\.js service start --defaults \/etc\/default\/clusternet$/m,
  );
  assert.match(unit, /^ConditionPathExists=\/etc\/net\.conf$/m);
  assert.is(
    readlinkSync(join(root, 'etc/clusternet/hooks/init-pre.d/10net')),
    '/usr/lib/clusternet/hooks/init-pre.d/10net',
  );
  // The installed CLI runs: the administrator writes /etc/net.conf from the shipped example.
  const cli = join(root, 'usr/lib/clusternet/dist/lib/cli/main.js');
  writeFileSync(
    join(root, 'etc/net.conf'),
    `${readFileSync(join(root, 'usr/lib/clusternet/etc/net.conf'), 'utf8')}\n# mine\n`,
  );
  const run = sh(
    process.execPath,
    [cli, '-c', join(root, 'etc/net.conf'), 'show', '--node', '4', '--json'],
    { cwd: root },
  );
  assert.is(run.status, 0, run.stderr);
  assert.is((JSON.parse(run.stdout) as { mac: string }).mac, 'f0:00:00:00:07:04');
  const defaults = join(root, 'etc/default/clusternet');
  writeFileSync(
    defaults,
    readFileSync(defaults, 'utf8').replace('WAIT_TIMEOUT=60', 'WAIT_TIMEOUT=90'),
  );

  writeFileSync(join(root, 'var/log/calls'), '');
  const upgraded = dpkg('-i', next);
  assert.is(upgraded.status, 0, upgraded.stderr);
  assert.match(dpkg('-s', 'clusternet').stdout, /Version: 0\.1\.1/);
  assert.match(readFileSync(defaults, 'utf8'), /^WAIT_TIMEOUT=90$/m, 'an edited conffile is kept');
  assert.match(readFileSync(join(root, 'etc/net.conf'), 'utf8'), /# mine\n$/);
  assert.not.match(calls(), /stop/, 'an upgrade leaves the running network alone');

  writeFileSync(join(root, 'var/log/calls'), '');
  assert.is(dpkg('-r', 'clusternet').status, 0);
  assert.match(calls(), /^invoke-rc\.d clusternet stop$/m);
  assert.match(
    calls(),
    /^deb-systemd-helper mask clusternet\.service clusternet-wait-online\.service$/m,
  );
  assert.not.ok(existsSync(join(root, 'usr/lib/clusternet')));
  assert.ok(existsSync(defaults), 'remove keeps the conffiles');

  writeFileSync(join(root, 'var/log/calls'), '');
  assert.is(dpkg('--purge', 'clusternet').status, 0);
  assert.match(calls(), /^update-rc\.d clusternet remove$/m);
  assert.match(
    calls(),
    /^deb-systemd-helper purge clusternet\.service clusternet-wait-online\.service$/m,
  );
  assert.not.ok(existsSync(defaults));
  assert.not.ok(existsSync(join(root, 'etc/init.d/clusternet')));
  assert.not.ok(existsSync(join(root, 'etc/clusternet')));
  // The administrator's net.conf is theirs: purge leaves it.
  assert.match(readFileSync(join(root, 'etc/net.conf'), 'utf8'), /# mine\n$/);
  assert.equal(readdirSync(join(root, 'etc')), ['net.conf']);
});

test('the Debian package beside kerrighed-tools: its hooks of the same names are diverted (run-parts skips them) and given back on removal', () => {
  const out = tempDir();
  assert.is(sh(process.execPath, [join(ROOT, 'dist/lib/install/deb.js'), out, tgz]).status, 0);
  const deb = join(out, 'clusternet_0.1.0_all.deb');
  const theirs = [
    'krgboot_helper-pre.d/50net',
    'krgboot_helper-post.d/50net',
    'krginit_helper-pre.d/10net',
    'krginit_helper-post.d/20clusterip',
  ].map((p) => `/etc/kerrighed/${p}`);
  const contents = execFileSync('dpkg-deb', ['--contents', deb], {
    encoding: 'utf8',
    maxBuffer: 64 * 1024 * 1024,
  });
  for (const path of theirs)
    assert.ok(contents.includes(` .${path} -> `), `the package ships ${path}`);
  const kerrighed = fakePackage(
    'kerrighed-tools',
    Object.fromEntries(theirs.map((p) => [p, `#!/bin/sh\n# kerrighed-tools' ${p}\n`])),
    out,
  );

  const root = scratchRoot();
  const dpkg = (...args: string[]) => sh('dpkg', [`--root=${root}`, '--force-depends', ...args]);
  // Kerrighed first, then clusternet: no file conflict.
  assert.is(dpkg('-i', kerrighed).status, 0);
  const installed = dpkg('-i', deb);
  assert.is(installed.status, 0, installed.stderr);
  for (const path of theirs) {
    assert.ok(lstatSync(join(root, path)).isSymbolicLink(), `${path} is clusternet's hook`);
    assert.match(
      readFileSync(join(root, `${path}.kerrighed-tools`), 'utf8'),
      /kerrighed-tools'/,
      `${path}'s own kept aside`,
    );
    assert.not.match(
      `${path}.kerrighed-tools`.split('/').pop()!,
      /^[A-Za-z0-9_-]+$/,
      'a name run-parts does not run',
    );
  }
  assert.match(
    sh('dpkg-divert', [`--admindir=${join(root, 'var/lib/dpkg')}`, '--list', 'clusternet']).stdout,
    /diversion of \/etc\/kerrighed\/krginit_helper-pre\.d\/10net to \/etc\/kerrighed\/krginit_helper-pre\.d\/10net\.kerrighed-tools by clusternet/,
  );
  // An upgrade keeps the diversions (adding one again changes nothing).
  assert.is(dpkg('-i', deb).status, 0);
  assert.ok(lstatSync(join(root, theirs[0]!)).isSymbolicLink());

  // Removing clusternet gives kerrighed-tools its hooks back.
  assert.is(dpkg('-r', 'clusternet').status, 0);
  for (const path of theirs) {
    assert.match(
      readFileSync(join(root, path), 'utf8'),
      /kerrighed-tools'/,
      `${path} is kerrighed-tools' again`,
    );
    assert.not.ok(existsSync(join(root, `${path}.kerrighed-tools`)));
  }
  assert.is(
    sh('dpkg-divert', [`--admindir=${join(root, 'var/lib/dpkg')}`, '--list', 'clusternet']).stdout,
    '',
  );

  // clusternet first, then kerrighed-tools: its hooks unpack under the diverted names.
  const other = scratchRoot();
  const dpkg2 = (...args: string[]) => sh('dpkg', [`--root=${other}`, '--force-depends', ...args]);
  assert.is(dpkg2('-i', deb).status, 0);
  const after = dpkg2('-i', kerrighed);
  assert.is(after.status, 0, after.stderr);
  assert.ok(lstatSync(join(other, theirs[2]!)).isSymbolicLink());
  assert.match(
    readFileSync(join(other, `${theirs[2]}.kerrighed-tools`), 'utf8'),
    /kerrighed-tools'/,
  );
});

test.run();
