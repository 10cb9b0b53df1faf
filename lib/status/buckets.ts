// Which hash buckets of a cluster address this node answers for, as the kernel reports
// them, in whichever backend holds the address. Read through the cluster-IP layer's own
// readers (lib/clusterip/system.ts), so `status` sees exactly what `run` and `check` see.
import { readBackendLive, readBucketsOf } from '../clusterip/system.js';
import type { BackendLive } from '../clusterip/live.js';
import type { Runner } from '../system/runner.js';
import type { NodeRecord } from '../apply/record.js';
import type { CipBackend } from '../clusterip/types.js';
import type { Ns } from '../system/ns.js';

export interface Buckets {
  /** The backend the address was found in. */
  backend: CipBackend;
  /** Bucket numbers, 1-based (bucket K is the K-th node of [cluster] nodes). */
  buckets: number[];
}

const BACKENDS: readonly CipBackend[] = ['cluster-match', 'nft', 'clusterip'];

export async function readBuckets(
  runner: Runner,
  ns: Ns,
  address: string,
): Promise<Buckets | null> {
  for (const backend of BACKENDS) {
    try {
      const live = await readBackendLive(runner, ns, backend, [address]);
      const found = liveBuckets(live, address);
      if (found) return { backend, buckets: found };
    } catch {
      // That backend's tool is missing or has nothing: not this backend.
    }
  }
  return null;
}

/**
 * The buckets this node answers for now, read cheaply: only the chain or set of the
 * backend that init-post installed the address with (the node's record says which: one
 * process), else every backend in turn. What a cluster manager's monitor asks every few
 * seconds.
 */
export async function answeredBuckets(
  runner: Runner,
  ns: Ns,
  address: string,
  record: NodeRecord,
): Promise<number[]> {
  for (const op of record.phases['init-post'] ?? []) {
    const spec = op.op === 'cip-rules' ? op.specs.find((s) => s.address === address) : undefined;
    if (op.op === 'cip-rules' && spec)
      return readBucketsOf(runner, ns, op.backend, spec.name, address);
  }
  return (await readBuckets(runner, ns, address))?.buckets ?? [];
}

/** The sorted buckets of `address` in what a backend has installed; undefined if absent. */
function liveBuckets(live: BackendLive, address: string): number[] | undefined {
  const found = [...live.byName.values()].find(
    (l) => l.address === address || l.address?.split('/')[0] === address,
  );
  return found && [...found.buckets].sort((a, b) => a - b);
}
