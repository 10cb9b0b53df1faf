// Host side of the lab's proof: boots one guest that runs guest/prove.ts and returns the
// parts it reported (LAB-RESULT lines), for the tests to assert on.
import { runInGuest, type GuestResult } from './harness.js';
import type { Series } from './kernels.js';
import type { IpLink } from '../sim/cluster.js';

/** One CLI call in the guest. */
export interface Call {
  exitCode: number;
  stderr: string;
  ms?: number;
}

/** A phase run on one node. */
export interface Run extends Call {
  node: number;
  phase?: string;
}

export interface Spread {
  answeredOnce: number;
  spread: Record<string, number>;
  owners: Record<string, number>;
  problems: string[];
}

export interface Parts {
  boot: {
    backend: string;
    runs: Run[];
    serverCommands: string;
    clientCommands: string;
    configText: string;
    seconds: number;
  }[];
  vlan?: {
    nodes: {
      node: number;
      show: { mac: string; address: string; vlan: number; interface: string; device: string };
      container: IpLink[];
      hostLinks: string[];
      lowerMtu: number;
    }[];
  };
  reach?: { pairs: { from: string; to: string; address: string; ok: boolean }[] };
  rerun: {
    backend: string;
    seconds: number;
    runs: Run[];
    changed: { where: string; before: string; after: string }[];
  }[];
  cip: {
    backend: string;
    sources: number;
    first: Spread;
    arp: string;
    stop: Call;
    gap: Spread;
    takeover: Call;
    taken: Spread;
    release: Call;
    back: Run[];
    after: Spread;
    proc: Record<'first' | 'taken' | 'back', Record<string, string | null> | null>;
    seconds: number;
  }[];
  stop: {
    backend: string;
    seconds: number;
    runs: Run[];
    again: Run[];
    left: {
      node: number;
      containerLinks: string[];
      containerRoutes: string;
      firewall: string;
      hostLinks: string[];
      records: string[];
    }[];
  }[];
}

export interface Proof {
  kernel: Series;
  guest: GuestResult;
  parts: Parts;
  /** The guest's own error line, if its program failed. */
  error?: string;
  /** Guest output and console tail, for assertion messages. */
  why: string;
}

/**
 * Boots `kernel` and proves the VLAN path and the cluster IP with each of `backends`.
 * Two vCPUs: the four nodes run their phases at the same time.
 */
export async function prove(
  kernel: Series,
  backends: string[],
  timeoutMs = 45 * 60_000,
): Promise<Proof> {
  const guest = await runInGuest({
    kernel,
    cpus: 2,
    timeoutMs,
    script: `node --import tsx test/lab/guest/prove.ts --backends ${backends.join(',')}`,
  });
  const parts: Parts = { boot: [], rerun: [], cip: [], stop: [] };
  let error: string | undefined;
  for (const line of guest.output.split('\n')) {
    if (line.startsWith('LAB-ERROR ')) error = line.slice('LAB-ERROR '.length);
    if (!line.startsWith('LAB-RESULT ')) continue;
    const data = JSON.parse(line.slice('LAB-RESULT '.length)) as { part: keyof Parts };
    const list = parts[data.part];
    if (Array.isArray(list)) (list as unknown[]).push(data);
    else (parts as unknown as Record<string, unknown>)[data.part] = data;
  }
  const progress = guest.output
    .split('\n')
    .filter((l) => !l.startsWith('LAB-RESULT '))
    .join('\n');
  const why = `\n--- Linux ${kernel} guest: ${guest.timedOut ? 'timed out' : `exit ${guest.exitCode}`} after ${guest.seconds.toFixed(0)} s ---\n${progress.slice(-4000)}\n--- console (tail) ---\n${guest.console.slice(-1500)}`;
  return { kernel, guest, parts, why, ...(error === undefined ? {} : { error }) };
}
