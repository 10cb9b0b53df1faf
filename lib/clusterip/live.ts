// A cluster address's rules as the kernel has them, reduced to what matters, so the
// wanted and the live state compare field by field whichever backend holds them.
import type { CipSpec } from '../plan/ops.js';
import type { HashMode } from '../config/types.js';

export interface CipLive {
  dev?: string | undefined;
  address?: string | undefined;
  total?: number | undefined;
  seed?: number | undefined;
  hash?: HashMode | undefined;
  mac?: string | undefined;
  /** The buckets answered for (1-based). */
  buckets: number[];
  /** Everything else to the address is dropped (not for CLUSTERIP, which drops itself). */
  drop: boolean;
  /** How many rules the address's own chain holds: an extra rule there is drift. */
  rules: number;
}

/** Per backend state of one namespace: each address by name, and the shared hook. */
export interface BackendLive {
  byName: Map<string, CipLive>;
  /** The jump from the built-in chain into ours (xtables); always true for nft. */
  parentJump: boolean;
  /** Addresses whose ARP mangling is in place (cluster-match), by address. */
  arp: Map<string, string>;
}

export const emptyLive = (): BackendLive => ({ byName: new Map(), parentJump: false, arp: new Map() });

/** How a spec should look once installed (buckets apart). */
export function wanted(spec: CipSpec, withDrop: boolean, rules: number): Omit<CipLive, 'buckets'> {
  return { dev: spec.dev, address: spec.address, total: spec.total, seed: spec.seed, hash: spec.hash, mac: spec.mac, drop: withDrop, rules };
}

export function describeLive(l: Omit<CipLive, 'buckets'>): string {
  return `dev ${l.dev ?? '-'} address ${l.address ?? '-'} total ${l.total ?? '-'} seed ${l.seed === undefined ? '-' : `0x${l.seed.toString(16)}`} hash ${l.hash ?? '-'} mac ${l.mac ?? '-'}${l.drop ? ' drop' : ''} rules ${l.rules}`;
}

export const sameBuckets = (a: readonly number[], b: readonly number[]) =>
  JSON.stringify([...a].sort((x, y) => x - y)) === JSON.stringify([...b].sort((x, y) => x - y));
