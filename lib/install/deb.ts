// The Debian package: the npm tarball unpacked into /usr/lib/clusternet with its runtime
// dependencies only, and everything else laid out by `install-hooks --prefix` run from that
// very copy. `npm run package:deb -- OUTDIR` (or `node dist/lib/install/deb.js OUTDIR
// [TARBALL]`, to package a tarball already made by `npm pack`).
// No maintainer scripts: dpkg itself installs, keeps conffiles and removes.
import { execFileSync } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, rmdirSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
import { PACKAGE_ROOT } from '../paths.js';
import { PATHS } from './layout.js';
import { renderTemplate } from './templates.js';

export const LIBDIR = '/usr/lib/clusternet';
/** Debian's nodejs; the package depends on it. */
export const DEBIAN_NODE = '/usr/bin/node';

const run = (file: string, args: string[], cwd: string, input?: Buffer) =>
  execFileSync(file, args, { cwd, input, env: { ...process.env, CLUSTERNET_SYSLOG: 'none' }, stdio: ['pipe', 'pipe', 'pipe'], maxBuffer: 64 * 1024 * 1024 });

/** `npm pack` of this package into `dir`; returns the tarball's path. */
export function npmPack(dir: string): string {
  const out = run('npm', ['pack', '--json', '--pack-destination', dir], PACKAGE_ROOT).toString('utf8');
  const [packed] = JSON.parse(out.slice(out.indexOf('['))) as { filename: string }[];
  return join(dir, packed!.filename);
}

function diskKiB(dir: string): number {
  let bytes = 0;
  const walk = (d: string) => {
    for (const e of readdirSync(d, { withFileTypes: true })) {
      if (e.isDirectory()) walk(join(d, e.name));
      else if (e.isFile()) bytes += statSync(join(d, e.name)).size;
    }
  };
  walk(dir);
  return Math.ceil(bytes / 1024);
}

export function buildDeb(outDir: string, packed?: string): string {
  const work = mkdtempSync(join(tmpdir(), 'clusternet-deb-'));
  try {
    const tarball = packed ? resolve(packed) : npmPack(work);
    const stage = join(work, 'stage');
    const lib = join(stage, LIBDIR);
    mkdirSync(lib, { recursive: true });
    run('tar', ['-xzf', tarball, '-C', lib, '--strip-components=1'], work);
    // Runtime dependencies only, exactly as an npm user gets them.
    run('npm', ['install', '--omit=dev', '--no-audit', '--no-fund', '--no-package-lock', '--ignore-scripts', '--prefer-offline', '--loglevel=error'], lib);
    const cli = join(lib, 'dist', 'lib', 'cli', 'main.js');
    chmodSync(cli, 0o755);
    mkdirSync(join(stage, 'usr', 'bin'), { recursive: true });
    symlinkSync('../lib/clusternet/dist/lib/cli/main.js', join(stage, 'usr', 'bin', 'clusternet'));
    run(process.execPath, [cli, 'install-hooks', '--prefix', stage, '--libdir', LIBDIR, '--node', DEBIAN_NODE, '--init', 'systemd', '--init', 'sysv', '--init', 'kerrighed'], work);
    // dpkg keeps the list of installed files; install-hooks' own record is not shipped.
    rmSync(join(stage, PATHS.manifest));
    for (const dir of ['/var/lib/clusternet', '/var/lib', '/var']) rmdirSync(join(stage, dir));
    const man = join(stage, 'usr', 'share', 'man', 'man8');
    mkdirSync(man, { recursive: true });
    writeFileSync(join(man, 'clusternet.8.gz'), gzipSync(run(process.execPath, [cli, 'man'], work), { level: 9 }));
    const version = (JSON.parse(readFileSync(join(lib, 'package.json'), 'utf8')) as { version: string }).version;
    const debian = join(stage, 'DEBIAN');
    mkdirSync(debian);
    writeFileSync(join(debian, 'control'), renderTemplate('debian/control.in', { VERSION: version, INSTALLED_SIZE: String(diskKiB(stage)) }));
    writeFileSync(join(debian, 'conffiles'), `${[PATHS.config, PATHS.kerrighedConfig, PATHS.defaults, PATHS.initScript].join('\n')}\n`);
    mkdirSync(outDir, { recursive: true });
    const deb = join(resolve(outDir), `clusternet_${version}_all.deb`);
    run('dpkg-deb', ['--root-owner-group', '-Zxz', '--build', stage, deb], work);
    return deb;
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  process.stdout.write(`${buildDeb(process.argv[2] ?? '.', process.argv[3])}\n`);
}
