// The Debian package: the npm tarball unpacked into /usr/lib/clusternet with its runtime
// dependencies only, and everything else laid out by `install-hooks --prefix` run from that
// very copy. `npm run package:deb -- OUTDIR` (or `node dist/lib/install/deb.js OUTDIR
// [TARBALL]`, to package a tarball already made by `npm pack`).
// Targets Debian 13 (trixie) and later (nodejs 20.19); the maintainer scripts enable the
// units as dh_installsystemd/dh_installinit would, and /etc/net.conf is not shipped.
import { execFileSync } from 'node:child_process';
import {
  chmodSync,
  mkdirSync,
  mkdtempSync,
  rmSync,
  rmdirSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
import { MAN_PAGES } from './man-pages.js';
import { PACKAGE_ROOT, packageVersion } from '../paths.js';
import {
  changelogFile,
  copyrightFile,
  diskKiB,
  MAINTAINER,
  md5sums,
  normaliseModes,
} from './debian.js';
import { kerrighedLinks, PATHS } from './layout.js';
import { renderTemplate } from './templates.js';

export const LIBDIR = '/usr/lib/clusternet';
/**
 * What kerrighed-tools' own hooks are renamed to while ours hold their names: with a dot,
 * so run-parts (its name pattern is [A-Za-z0-9_-]) never runs them.
 */
export const DIVERT_SUFFIX = '.kerrighed-tools';
/** Debian's nodejs; the package depends on it. */
export const DEBIAN_NODE = '/usr/bin/node';

const run = (file: string, args: string[], cwd: string, input?: Buffer) =>
  execFileSync(file, args, {
    cwd,
    input,
    env: { ...process.env, CLUSTERNET_SYSLOG: 'none' },
    stdio: ['pipe', 'pipe', 'pipe'],
    maxBuffer: 64 * 1024 * 1024,
  });

/** `npm pack` of this package into `dir`; returns the tarball's path. */
export function npmPack(dir: string): string {
  const out = run('npm', ['pack', '--json', '--pack-destination', dir], PACKAGE_ROOT).toString(
    'utf8',
  );
  const [packed] = JSON.parse(out.slice(out.indexOf('['))) as { filename: string }[];
  return join(dir, packed!.filename);
}

/** `date`: the changelog's (the build's time by default; tests give a fixed one). */
export function buildDeb(outDir: string, packed?: string, date = new Date()): string {
  const work = mkdtempSync(join(tmpdir(), 'clusternet-deb-'));
  try {
    const tarball = packed ? resolve(packed) : npmPack(work);
    const stage = join(work, 'stage');
    const lib = join(stage, LIBDIR);
    mkdirSync(lib, { recursive: true });
    run('tar', ['-xzf', tarball, '-C', lib, '--strip-components=1'], work);
    // Runtime dependencies only, exactly as an npm user gets them.
    run(
      'npm',
      [
        'install',
        '--omit=dev',
        '--no-audit',
        '--no-fund',
        '--no-package-lock',
        '--ignore-scripts',
        '--prefer-offline',
        '--loglevel=error',
      ],
      lib,
    );
    // npm's own record of that install: nothing at run time reads it.
    rmSync(join(lib, 'node_modules', '.package-lock.json'), { force: true });
    const cli = join(lib, 'dist', 'lib', 'cli', 'main.js');
    chmodSync(cli, 0o755);
    mkdirSync(join(stage, 'usr', 'bin'), { recursive: true });
    symlinkSync('../lib/clusternet/dist/lib/cli/main.js', join(stage, 'usr', 'bin', 'clusternet'));
    run(
      process.execPath,
      [
        cli,
        'install-hooks',
        '--prefix',
        stage,
        '--libdir',
        LIBDIR,
        '--node',
        DEBIAN_NODE,
        '--init',
        'systemd',
        '--init',
        'sysv',
        '--init',
        'kerrighed',
      ],
      work,
    );
    // dpkg keeps the list of installed files; install-hooks' own record is not shipped.
    rmSync(join(stage, PATHS.manifest));
    for (const dir of ['/var/lib/clusternet', '/var/lib', '/var']) rmdirSync(join(stage, dir));
    // /etc/net.conf is the administrator's, written from the example (clusternet edit):
    // not shipped, so neither an upgrade nor a purge ever touches it.
    rmSync(join(stage, PATHS.config));
    // So is Kerrighed's (kerrighed-tools ships its own): the package's hooks read it there.
    rmSync(join(stage, PATHS.kerrighedConfig));
    normaliseModes(lib);
    const share = (...parts: string[]) => join(stage, 'usr', 'share', ...parts);
    for (const [page, file] of Object.entries(MAN_PAGES)) {
      const dir = share('man', `man${file.slice(-1)}`);
      mkdirSync(dir, { recursive: true });
      writeFileSync(
        join(dir, `${file}.gz`),
        gzipSync(run(process.execPath, [cli, 'man', page], work), { level: 9 }),
      );
    }
    mkdirSync(share('bash-completion', 'completions'), { recursive: true });
    writeFileSync(
      share('bash-completion', 'completions', 'clusternet'),
      run(process.execPath, [cli, 'completion'], work),
    );
    const version = packageVersion(lib);
    mkdirSync(share('doc', 'clusternet'), { recursive: true });
    writeFileSync(share('doc', 'clusternet', 'copyright'), copyrightFile(stage, LIBDIR));
    writeFileSync(
      share('doc', 'clusternet', 'changelog.gz'),
      gzipSync(changelogFile(version, date), { level: 9 }),
    );
    const debian = join(stage, 'DEBIAN');
    mkdirSync(debian);
    writeFileSync(
      join(debian, 'control'),
      renderTemplate('debian/control.in', {
        VERSION: version,
        MAINTAINER,
        INSTALLED_SIZE: String(diskKiB(stage)),
      }),
    );
    writeFileSync(join(debian, 'conffiles'), `${[PATHS.defaults, PATHS.initScript].join('\n')}\n`);
    // kerrighed-tools ships hooks under the names ours take in its helper folders: diverted.
    const diverted = {
      DIVERTED: kerrighedLinks()
        .map((l) => l.path)
        .join(' '),
      DIVERT_SUFFIX: DIVERT_SUFFIX,
    };
    for (const script of ['preinst', 'postinst', 'prerm', 'postrm'])
      writeFileSync(join(debian, script), renderTemplate(`debian/${script}`, diverted), {
        mode: 0o755,
      });
    writeFileSync(join(debian, 'md5sums'), md5sums(stage));
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
