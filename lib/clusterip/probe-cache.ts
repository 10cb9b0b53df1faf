// Which cluster-IP backends can run here, remembered for the rest of the boot, so only the
// first run in a namespace pays the probe (one or two iptables/arptables/nft processes):
// the re-runs, `takeover`, `release` and `check` that follow read one small file instead.
// boot-pre's link-type probe (`ip link add … mtu 1 type vlan`, lib/apply/execute.ts) is
// remembered the same way, as `link vlan` or `link macvlan`.
// Kept in the run dir (/run/clusternet: gone at reboot), one file per network namespace,
// valid only for the kernel release and boot id it was written under. Only successes are
// remembered: a backend that could not run is probed again each time, so a tool installed
// later is picked up at once. Only the real system is cached, never a test's fake runner.
import { readFileSync } from 'node:fs';
import { release } from 'node:os';
import { join } from 'node:path';
import { readRunFile, runDir, writeRunFile } from '../system/rundir.js';
import { nsIdentity } from '../system/netns.js';
import type { Runner } from '../system/runner.js';
import { probeBackend } from './system.js';
import type { CipBackend } from './types.js';
import type { Ns } from '../system/ns.js';

export const BOOT_ID_FILE = '/proc/sys/kernel/random/boot_id';

interface CacheFile {
  kernel: string;
  boot: string;
  /** What probed fine in this namespace: backends, and `link <type>`. */
  ok: string[];
}

export interface ProbeCacheOptions {
  env?: NodeJS.ProcessEnv;
  /** The kernel release and boot id the cache is valid for (default: this machine's). */
  kernel?: string;
  boot?: string;
}

/** The cache file of a namespace: one per network namespace identity. */
export function probeCachePath(ns: Ns, env: NodeJS.ProcessEnv = process.env): string {
  return join(runDir(env), probeCacheName(ns));
}

const probeCacheName = (ns: Ns) => `probe-netns-${nsIdentity(ns)}.json`;

function bootId(): string {
  try {
    return readFileSync(BOOT_ID_FILE, 'utf8').trim();
  } catch {
    return 'unknown';
  }
}

/** What is remembered; anything unreadable or unexpected counts as nothing (a probe again). */
function readCache(c: CacheOf): string[] {
  try {
    const f = JSON.parse(readRunFile(c.env, c.name) ?? '{}') as Partial<CacheFile> | null;
    const ok = f?.kernel === c.kernel && f.boot === c.boot && Array.isArray(f.ok) ? f.ok : [];
    return ok.filter(
      (what): what is string => typeof what === 'string' && /^[a-z -]{1,40}$/.test(what),
    );
  } catch {
    return [];
  }
}

interface CacheOf {
  name: string;
  kernel: string;
  boot: string;
  env: NodeJS.ProcessEnv;
}

/** The cache file of `ns`, and the kernel and boot it must match; undefined: no caching. */
function cacheOf(runner: Runner, ns: Ns, options: ProbeCacheOptions): CacheOf | undefined {
  if (!runner.system) return undefined;
  const env = options.env ?? process.env;
  try {
    return {
      name: probeCacheName(ns),
      kernel: options.kernel ?? release(),
      boot: options.boot ?? bootId(),
      env,
    };
  } catch {
    return undefined;
  }
}

/** Whether `what` probed fine in `ns` earlier in this boot. */
export function probedOk(
  runner: Runner,
  ns: Ns,
  what: string,
  options: ProbeCacheOptions = {},
): boolean {
  const c = cacheOf(runner, ns, options);
  return c !== undefined && readCache(c).includes(what);
}

/**
 * Remembers that `what` probed fine in `ns`. A cache that cannot be written (no run dir
 * yet, a read-only file system) only costs the probe next time.
 */
export function rememberProbe(
  runner: Runner,
  ns: Ns,
  what: string,
  options: ProbeCacheOptions = {},
): void {
  const c = cacheOf(runner, ns, options);
  if (!c) return;
  try {
    const ok = [...new Set([...readCache(c), what])].sort();
    writeRunFile(
      c.env,
      c.name,
      JSON.stringify({ kernel: c.kernel, boot: c.boot, ok } satisfies CacheFile),
    );
  } catch {
    /* not remembered: the next run probes again */
  }
}

/** probeBackend, remembered: why `backend` cannot run in `ns`, or undefined when it can. */
export async function probeBackendCached(
  runner: Runner,
  ns: Ns,
  backend: CipBackend,
  options: ProbeCacheOptions = {},
): Promise<string | undefined> {
  if (probedOk(runner, ns, backend, options)) return undefined;
  const why = await probeBackend(runner, ns, backend);
  if (why === undefined) rememberProbe(runner, ns, backend, options);
  return why;
}
