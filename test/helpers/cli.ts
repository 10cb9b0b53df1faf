// Runs the BUILT command (dist/lib/cli/main.js) as a separate process, the way an
// administrator or the init system does, and returns its exit code and output.
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
export const CLI = join(ROOT, 'dist', 'lib', 'cli', 'main.js');
export const EXAMPLE_CONF = join(ROOT, 'etc', 'net.conf');

let built = false;

/** Compiles lib/ to dist/ once per test process as `npm run build` does: tsc, then the bundles. */
export function buildOnce(): void {
  if (built) return;
  try {
    execFileSync(
      process.execPath,
      [join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', join(ROOT, 'tsconfig.json')],
      {
        cwd: ROOT,
        stdio: ['ignore', 'pipe', 'pipe'],
        encoding: 'utf8',
      },
    );
    execFileSync(process.execPath, [join(ROOT, 'scripts', 'bundle.mjs')], {
      cwd: ROOT,
      stdio: ['ignore', 'pipe', 'pipe'],
      encoding: 'utf8',
    });
  } catch (error) {
    const e = error as { stdout?: string; stderr?: string };
    throw new Error(
      `npm run build (tsc, scripts/bundle.mjs) failed:\n${e.stdout ?? ''}${e.stderr ?? ''}`,
    );
  }
  if (!existsSync(CLI)) throw new Error(`build did not produce ${CLI}`);
  built = true;
}

export interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** The environment without any CLUSTERNET_* variable of the caller, plus `extra`. */
export function cleanEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) if (!k.startsWith('CLUSTERNET_')) env[k] = v;
  return { ...env, ...extra };
}

export function cli(
  args: string[],
  options: { env?: Record<string, string>; cwd?: string } = {},
): CliResult {
  const result = spawnSync(process.execPath, [CLI, ...args], {
    cwd: options.cwd ?? ROOT,
    env: cleanEnv(options.env),
    encoding: 'utf8',
    timeout: 60_000,
  });
  if (result.error) throw result.error;
  return { code: result.status, stdout: result.stdout, stderr: result.stderr };
}

/** A readable dump for assertion messages. */
export const show = (r: CliResult): string =>
  `exit ${r.code}\n--- stdout\n${r.stdout}--- stderr\n${r.stderr}`;
