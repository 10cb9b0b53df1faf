// Which cluster-IP backends can run here, remembered for the rest of the boot, so only the
// first run in a namespace pays the probe (one or two iptables/arptables/nft processes):
// the re-runs, `takeover`, `release` and `check` that follow read one small file instead.
// Kept in the run dir (/run/clusternet: gone at reboot), one file per network namespace,
// valid only for the kernel release and boot id it was written under. Only successes are
// remembered: a backend that could not run is probed again each time, so a tool installed
// later is picked up at once. Only the real system is cached, never a test's fake runner.
import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { release } from 'node:os';
import { join } from 'node:path';
import type { CipBackend, Ns } from '../plan/ops.js';
import { runDir } from '../system/lock.js';
import { nsIdentity } from '../system/netns.js';
import type { Runner } from '../system/runner.js';
import { probeBackend } from './system.js';

export const BOOT_ID_FILE = '/proc/sys/kernel/random/boot_id';

interface CacheFile {
  kernel: string;
  boot: string;
  /** The backends that probed fine in this namespace. */
  ok: CipBackend[];
}

export interface ProbeCacheOptions {
  env?: NodeJS.ProcessEnv;
  /** The kernel release and boot id the cache is valid for (default: this machine's). */
  kernel?: string;
  boot?: string;
}

/** The cache file of a namespace: one per network namespace identity. */
export function probeCachePath(ns: Ns, env: NodeJS.ProcessEnv = process.env): string {
  return join(runDir(env), `probe-netns-${nsIdentity(ns)}.json`);
}

function bootId(): string {
  try {
    return readFileSync(BOOT_ID_FILE, 'utf8').trim();
  } catch {
    return 'unknown';
  }
}

function readCache(path: string, kernel: string, boot: string): CipBackend[] {
  try {
    const c = JSON.parse(readFileSync(path, 'utf8')) as Partial<CacheFile>;
    return c.kernel === kernel && c.boot === boot && Array.isArray(c.ok) ? c.ok : [];
  } catch {
    return [];
  }
}

/**
 * probeBackend, remembered: why `backend` cannot run in `ns`, or undefined when it can.
 * A cache that cannot be read or written (no run dir yet, a read-only file system) only
 * costs the probe.
 */
export async function probeBackendCached(
  runner: Runner,
  ns: Ns,
  backend: CipBackend,
  options: ProbeCacheOptions = {},
): Promise<string | undefined> {
  if (!runner.system) return probeBackend(runner, ns, backend);
  const env = options.env ?? process.env;
  const kernel = options.kernel ?? release();
  const boot = options.boot ?? bootId();
  let path: string;
  try {
    path = probeCachePath(ns, env);
  } catch {
    return probeBackend(runner, ns, backend);
  }
  if (readCache(path, kernel, boot).includes(backend)) return undefined;
  const why = await probeBackend(runner, ns, backend);
  if (why === undefined) {
    try {
      const ok = [...new Set([...readCache(path, kernel, boot), backend])].sort();
      mkdirSync(runDir(env), { recursive: true, mode: 0o755 });
      const tmp = `${path}.${process.pid}.tmp`;
      writeFileSync(tmp, JSON.stringify({ kernel, boot, ok } satisfies CacheFile), { mode: 0o644 });
      renameSync(tmp, path);
    } catch {
      /* not remembered: the next run probes again */
    }
  }
  return why;
}
