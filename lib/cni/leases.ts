// What host-local holds: one file per leased address, named after it, in
// <lease-dir>/<network name>/ (beside its lock and last_reserved_ip.N). Counted, never
// opened: the names are all that status needs.
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { ipaddr } from '../cjs.js';
import type { Config } from '../config/types.js';
import { cniOf, nodeRanges } from './conf.js';
import { between } from './range.js';

/** The leased addresses in the lease folder (empty when there is none yet). */
export function leasedAddresses(folder: string): string[] {
  let names: string[];
  try {
    names = readdirSync(folder);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw error;
  }
  return names.filter((n) => ipaddr.isValid(n));
}

export interface RangeUse {
  node: number;
  family: 4 | 6;
  delegate: string;
  subnet: string;
  size: number;
  /** Leases in the range; null for another node (its leases are on its own disk). */
  used: number | null;
}

/** Every node's ranges; the leases of `here` (this node) counted from its lease folder. */
export function rangeUse(config: Config, here: number | undefined): RangeUse[] {
  const cni = cniOf(config);
  const leased = here === undefined ? [] : leasedAddresses(join(cni.leaseDir, cni.name));
  return config.nodes.flatMap((node) =>
    nodeRanges(config, node).map((r) => ({
      node,
      family: r.family,
      delegate: cni.delegate,
      subnet: `${r.subnet.address}/${r.subnet.prefix}`,
      size: Number(r.size),
      used:
        node === here ? leased.filter((ip) => between(ip, r.rangeStart, r.rangeEnd)).length : null,
    })),
  );
}
