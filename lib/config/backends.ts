// What each cluster-IP backend can express, measured on real kernels (see the README's
// cluster-IP section): net.conf is read against these limits, the backends are chosen by them.
import type { Backend, HashMode } from './types.js';

export type ConcreteBackend = Exclude<Backend, 'auto'>;

export const BACKEND_LIMITS: Record<
  ConcreteBackend,
  { maxNodes: number; hashes: readonly HashMode[]; why: string }
> = {
  // xt_cluster keeps a 32-bit node mask and hashes only the source address.
  'cluster-match': {
    maxNodes: 32,
    hashes: ['sourceip'],
    why: 'the cluster match (xt_cluster) hashes only the source address, for at most 32 nodes',
  },
  // nft's jhash takes any concatenation; the bucket set has no practical size limit.
  nft: {
    maxNodes: 4096,
    hashes: ['sourceip', 'sourceip-sourceport', 'sourceip-sourceport-destport'],
    why: 'nftables',
  },
  // ipt_CLUSTERIP: at most 16 nodes (its node bitmap), three hash modes.
  clusterip: {
    maxNodes: 16,
    hashes: ['sourceip', 'sourceip-sourceport', 'sourceip-sourceport-destport'],
    why: 'CLUSTERIP allows at most 16 nodes',
  },
};

/**
 * The most nodes a cluster may list: what the largest backend shares an address among
 * (nft). Enforced when net.conf is read, so that nothing downstream (deriving every node,
 * a boot hook) spends time on a cluster no backend could serve.
 */
export const MAX_NODES = Math.max(...Object.values(BACKEND_LIMITS).map((l) => l.maxNodes));
