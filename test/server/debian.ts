// Debian's own tools for checking generated files, fetched without installing them (their
// maintainer scripts would reconfigure this machine's networking): `apt-get download`,
// then `dpkg -x` into a cache outside the repository.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, renameSync, rmSync } from 'node:fs';
import { join } from 'node:path';

export const CACHE = process.env.CLUSTERNET_TEST_CACHE ?? '/var/cache/clusternet-test';

/** The unpacked root of Debian package `name` (downloaded once). */
export function unpacked(name: string): string {
  const root = join(CACHE, 'debs', name);
  if (existsSync(root)) return root;
  mkdirSync(join(CACHE, 'debs'), { recursive: true });
  // A scratch folder renamed at the end: an interrupted fetch never looks complete.
  const scratch = mkdtempSync(join(CACHE, 'debs', `.${name}-`));
  try {
    execFileSync('apt-get', ['download', '-q', name], {
      cwd: scratch,
      stdio: ['ignore', 'pipe', 'pipe'],
      timeout: 300_000,
    });
    const deb = readdirSync(scratch).find((f) => f.endsWith('.deb'));
    if (!deb) throw new Error(`apt-get download ${name} gave no .deb`);
    execFileSync('dpkg', ['-x', join(scratch, deb), join(scratch, 'root')]);
    renameSync(join(scratch, 'root'), root);
  } finally {
    rmSync(scratch, { recursive: true, force: true });
  }
  return root;
}
