// Where clusternet's own files are, found from this module so it works from source
// (tsx), from dist/ and from an installed package alike.
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

function findPackageRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  while (!existsSync(join(dir, 'package.json')) || !existsSync(join(dir, 'hooks'))) {
    const parent = dirname(dir);
    if (parent === dir) throw new Error('cannot find the clusternet package root');
    dir = parent;
  }
  return dir;
}

export const PACKAGE_ROOT = findPackageRoot();
export const DEFAULT_HOOKS_DIR = join(PACKAGE_ROOT, 'hooks');
export const EXAMPLE_CONFIG = join(PACKAGE_ROOT, 'etc', 'net.conf');
/** What `install-hooks --init kerrighed` puts at /etc/kerrighed/net.conf when there is none. */
export const KERRIGHED_EXAMPLE_CONFIG = join(PACKAGE_ROOT, 'etc', 'kerrighed', 'net.conf');

export const hooksDir = (flag?: string, env: NodeJS.ProcessEnv = process.env): string =>
  flag ?? env.CLUSTERNET_HOOKS_DIR ?? DEFAULT_HOOKS_DIR;

/** The version in the package.json of the package at `root` (this one by default). */
export const packageVersion = (root: string = PACKAGE_ROOT): string =>
  (JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { version: string }).version;
