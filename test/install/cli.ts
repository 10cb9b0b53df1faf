// Shared by the tests of issue 7's commands: run the BUILT clusternet as a separate
// process (as the init system and an administrator do), and make root-owned temp folders.
import { spawnSync } from 'node:child_process';
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
export const CLI = join(ROOT, 'dist', 'lib', 'cli', 'main.js');
export const EXAMPLE = join(ROOT, 'etc', 'net.conf');

export interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** The environment without the caller's CLUSTERNET_* variables, and no system log. */
export function env(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const out: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) if (!k.startsWith('CLUSTERNET_')) out[k] = v;
  return { ...out, CLUSTERNET_SYSLOG: 'none', ...extra };
}

export function clusternet(
  args: string[],
  o: { env?: Record<string, string>; input?: string; cwd?: string } = {},
): Run {
  const r = spawnSync(process.execPath, [CLI, ...args], {
    cwd: o.cwd ?? ROOT,
    env: env(o.env),
    input: o.input ?? '',
    encoding: 'utf8',
    timeout: 120_000,
  });
  if (r.error) throw r.error;
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

export const show = (r: Run) => `exit ${r.code}\n--- stdout\n${r.stdout}--- stderr\n${r.stderr}`;

const made: string[] = [];
process.on('exit', () => made.forEach((dir) => rmSync(dir, { recursive: true, force: true })));

/** A fresh folder (0755, so root hooks accept what is in it), removed when the test process ends. */
export function tempDir(name = 'clusternet-t7-'): string {
  const dir = mkdtempSync(join(tmpdir(), name));
  chmodSync(dir, 0o755);
  made.push(dir);
  return dir;
}

/** A config file a root hook accepts (0644 in a 0755 folder). */
export function writeConf(text: string, dir = tempDir()): string {
  const path = join(dir, 'net.conf');
  writeFileSync(path, text, { mode: 0o644 });
  chmodSync(path, 0o644);
  return path;
}
