// A cluster address's rules as the kernel has them, reduced to what matters, so the
// wanted and the live state compare field by field whichever backend holds them.
import type { HashMode } from '../config/types.js';
import type { CipSpec } from './types.js';

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
  /** Whether any nftables table of this backend exists (nft: inet/arp clusternet; cluster-match: arp clusternet_xt). */
  tables: boolean;
}

export const emptyLive = (): BackendLive => ({
  byName: new Map(),
  parentJump: false,
  arp: new Map(),
  tables: false,
});

/** How a spec should look once installed (buckets apart). */
export function wanted(spec: CipSpec, withDrop: boolean, rules: number): Omit<CipLive, 'buckets'> {
  return {
    dev: spec.dev,
    address: spec.address,
    total: spec.total,
    seed: spec.seed,
    hash: spec.hash,
    mac: spec.mac,
    drop: withDrop,
    rules,
  };
}

export function describeLive(l: Omit<CipLive, 'buckets'>): string {
  return `dev ${l.dev ?? '-'} address ${l.address ?? '-'} total ${l.total ?? '-'} seed ${l.seed === undefined ? '-' : `0x${l.seed.toString(16)}`} hash ${l.hash ?? '-'} mac ${l.mac ?? '-'}${l.drop ? ' drop' : ''} rules ${l.rules}`;
}

/** Per spec, the buckets added to `was`; undefined when any is removed or none added. */
export function addedOnly(
  specs: readonly CipSpec[],
  was: readonly number[][],
): number[][] | undefined {
  const added: number[][] = [];
  for (const [i, s] of specs.entries()) {
    const before = was[i] ?? [];
    if (before.some((b) => !s.buckets.includes(b))) return undefined;
    added.push(s.buckets.filter((b) => !before.includes(b)));
  }
  return added.some((a) => a.length > 0) ? added : undefined;
}

export const sameBuckets = (a: readonly number[], b: readonly number[]) =>
  JSON.stringify([...a].sort((x, y) => x - y)) === JSON.stringify([...b].sort((x, y) => x - y));
