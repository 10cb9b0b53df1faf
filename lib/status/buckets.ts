// Which hash buckets of a cluster address this node answers for, as the kernel reports
// them, in whichever backend holds the address. Read through the cluster-IP layer's own
// readers (lib/clusterip/system.ts), so `status` sees exactly what `run` and `check` see.
import { readBackendLive } from '../clusterip/system.js';
import type { CipBackend, Ns } from '../plan/ops.js';
import type { Runner } from '../system/runner.js';

export interface Buckets {
  /** The backend the address was found in. */
  backend: CipBackend;
  /** Bucket numbers, 1-based (bucket K is the K-th node of [cluster] nodes). */
  buckets: number[];
}

const BACKENDS: readonly CipBackend[] = ['cluster-match', 'nft', 'clusterip'];

export async function readBuckets(runner: Runner, ns: Ns, address: string): Promise<Buckets | null> {
  for (const backend of BACKENDS) {
    try {
      const live = await readBackendLive(runner, ns, backend, [address]);
      const found = [...live.byName.values()].find((l) => l.address === address || l.address?.split('/')[0] === address);
      if (found) return { backend, buckets: [...found.buckets].sort((a, b) => a - b) };
    } catch {
      // That backend's tool is missing or has nothing: not this backend.
    }
  }
  return null;
}
