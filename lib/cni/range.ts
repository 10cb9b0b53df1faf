// The node ranges' arithmetic, on numbers (lib/value/arith.ts), never string surgery.
// nthSubnet is the rule that gives node N its range; the routed per-node segments use the
// same one (lib/value/arith.ts).
import { ipaddr } from '../cjs.js';
import { bigToIp, ipToBig, nthSubnet as subnetAt, subnetOf } from '../value/arith.js';
import type { Cidr } from '../value/parse.js';

/**
 * The n-th subnet (from 0) of `network` at the longer prefix `prefix`: node N's range is
 * nthSubnet(network, node-prefix, N), arith's rule, the routed segments' too.
 * 10.244.0.0/16 at /24: n = 3 → 10.244.3.0/24. Throws when n does not fit (config
 * validation refuses such a file first).
 */
export function nthSubnet(network: Cidr, prefix: number, n: number): Cidr {
  const subnet = prefix > network.prefix ? subnetAt(network, prefix, n) : undefined;
  if (subnet === undefined) {
    const count =
      prefix > network.prefix ? `${1n << BigInt(prefix - network.prefix)} subnets` : 'no subnets';
    throw new RangeError(
      `${network.address}/${network.prefix} has ${count} at /${prefix}, not ${n + 1}`,
    );
  }
  return { family: network.family, address: subnet.split('/')[0]!, prefix };
}

/** The address `offset` after the subnet's first (its network address); negative: from past its last. */
export function rangeAddress(subnet: Cidr, offset: bigint): string {
  const { first, last } = subnetOf(subnet.address, subnet.prefix);
  return bigToIp(offset >= 0n ? first + offset : last + 1n + offset, subnet.family);
}

/** Addresses from `start` to `end`, both included. */
export const countBetween = (start: string, end: string): bigint =>
  ipToBig(end) - ipToBig(start) + 1n;

/** Whether `ip` lies in [start, end] (another family never does). */
export function between(ip: string, start: string, end: string): boolean {
  if (ipaddr.parse(ip).kind() !== ipaddr.parse(start).kind()) return false;
  const n = ipToBig(ip);
  return n >= ipToBig(start) && n <= ipToBig(end);
}
