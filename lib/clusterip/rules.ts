// What each cluster-IP backend can express, measured on real kernels (see the README's
// cluster-IP section): limits, hash modes, how node ids become hash buckets, and which
// backends may share a cluster.
import type { Backend, ClusterIpSettings, Config } from '../config/types.js';
import { ipFamily } from '../value/parse.js';
import { BACKEND_LIMITS, type ConcreteBackend } from '../config/backends.js';

/** The internal name of a cluster address: its section's name, "main" for [clusterip]. */
export const cipName = (cip: { name: string }) => cip.name || 'main';

/** The order `auto` tries, the modern first. */
export const AUTO_ORDER: readonly ConcreteBackend[] = ['cluster-match', 'nft', 'clusterip'];

/**
 * A node's hash bucket: its rank in [cluster] nodes, counting from 1, so a cluster
 * "1-4,7" has 5 buckets and node 7 owns bucket 5 (no bucket is left without an owner).
 */
export const bucketOf = (config: Config, node: number): number =>
  ranks(config.nodes).get(node) ?? 0;

/** Each node's rank in the list, counted once per list: a lookup per node, not a search. */
const rankCache = new WeakMap<readonly number[], Map<number, number>>();
function ranks(nodes: readonly number[]): Map<number, number> {
  let r = rankCache.get(nodes);
  if (!r) rankCache.set(nodes, (r = new Map(nodes.map((n, i) => [n, i + 1]))));
  return r;
}
export const nodeOfBucket = (config: Config, bucket: number): number | undefined =>
  config.nodes[bucket - 1];

/** The backend a node is asked for: its [node N] backend, else the address's. */
export function wantedBackend(config: Config, node: number, cip: ClusterIpSettings): Backend {
  return config.nodeSettings.get(node)?.backend ?? cip.backend;
}

/** Why `backend` cannot serve `cip` in this cluster, or undefined when it can. */
export function cannotServe(
  backend: ConcreteBackend,
  cip: ClusterIpSettings,
  total: number,
): string | undefined {
  const limits = BACKEND_LIMITS[backend];
  if (total > limits.maxNodes)
    return `${backend} allows at most ${limits.maxNodes} nodes and the cluster has ${total}`;
  if (!limits.hashes.includes(cip.hash)) return `${backend} cannot hash ${cip.hash}: ${limits.why}`;
  // A CLUSTERIP rule is made with its --local-node: it cannot exist answering for nothing,
  // which is how a node waits for the cluster manager to assign its buckets.
  if (backend === 'clusterip' && cip.buckets === 'manager')
    return 'clusterip cannot answer for no bucket, as buckets = manager starts (its rule always holds a local node)';
  return undefined;
}

/**
 * Problems of a cluster address as configured, for every node. IPv6 is refused on every
 * backend: CLUSTERIP is IPv4 only; the cluster match hashes only the first 32 bits of an
 * IPv6 source (all of a /32 lands on one node); nft can hash it but answering neighbour
 * discovery for a shared address needs a rewrite of the ND option that nft does not
 * checksum.
 */
export function clusterIpProblems(
  config: Config,
  cip: ClusterIpSettings,
): { key: string; message: string }[] {
  const path = (key: string) => (cip.name ? `clusterip.${cip.name}.${key}` : `clusterip.${key}`);
  const problems: { key: string; message: string }[] = [];
  if (ipFamily(cip.address) === 6) {
    problems.push({
      key: path('address'),
      message: `${cip.address}: IPv6 cluster addresses are not supported by any backend (CLUSTERIP is IPv4 only; the cluster match hashes only the first 32 bits of an IPv6 source; nft cannot checksum the neighbour-discovery rewrite a shared address needs); allowed: an IPv4 address`,
    });
    return problems;
  }
  const total = config.nodes.length;
  const backends = new Set(config.nodes.map((n) => wantedBackend(config, n, cip)));
  for (const backend of backends) {
    if (backend === 'auto') {
      if (AUTO_ORDER.every((b) => cannotServe(b, cip, total)))
        problems.push({
          key: path('backend'),
          message: `no backend can serve this address: ${AUTO_ORDER.map((b) => cannotServe(b, cip, total)).join('; ')}`,
        });
      continue;
    }
    const why = cannotServe(backend, cip, total);
    if (why)
      problems.push({
        key: path('backend'),
        message: `${why}; allowed: ${AUTO_ORDER.filter((b) => !cannotServe(b, cip, total)).join(', ') || 'none'}`,
      });
  }
  // CLUSTERIP hashes the source in host byte order, the cluster match and nft in network
  // byte order: on x86 they disagree for ~3 sources in 4 (4 nodes), so they cannot mix.
  if (backends.has('clusterip') && backends.size > 1) {
    problems.push({
      key: path('backend'),
      message:
        'clusterip cannot share a cluster with cluster-match, nft or auto: its hash (source in host byte order) disagrees with theirs, so some clients would get two answers and others none; move every node off clusterip at once',
    });
  }
  return problems;
}
