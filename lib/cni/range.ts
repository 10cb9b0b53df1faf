// Address arithmetic for the node ranges: numbers (bigint), never string surgery. One small
// set of pure functions; the routed per-node segments (issue 14) use the same rule.
import { ipaddr } from '../cjs.js';
import type { Cidr } from '../config/values.js';

const toNumber = (ip: string): bigint => ipaddr.parse(ip).toByteArray().reduce((n, b) => (n << 8n) | BigInt(b), 0n);
const bitsOf = (family: 4 | 6): number => (family === 4 ? 32 : 128);

function toIp(n: bigint, family: 4 | 6): string {
  const bytes: number[] = [];
  for (let i = 0; i < bitsOf(family) / 8; i++) bytes.unshift(Number((n >> BigInt(8 * i)) & 0xffn));
  return ipaddr.fromByteArray(bytes).toString();
}

/**
 * The n-th subnet (from 0) of `network` at the longer prefix `prefix`: node N's range is
 * nthSubnet(network, node-prefix, N). 10.244.0.0/16 at /24: n = 3 → 10.244.3.0/24.
 * Throws when n does not fit (config validation refuses such a file first).
 */
export function nthSubnet(network: Cidr, prefix: number, n: number): Cidr {
  const bits = bitsOf(network.family);
  if (prefix <= network.prefix || prefix > bits) throw new RangeError(`/${prefix} is not a subnet of /${network.prefix}`);
  const count = 1n << BigInt(prefix - network.prefix);
  if (!Number.isSafeInteger(n) || n < 0 || BigInt(n) >= count) throw new RangeError(`${network.address}/${network.prefix} has ${count} subnets at /${prefix}, not ${n + 1}`);
  const host = BigInt(bits - network.prefix);
  const base = (toNumber(network.address) >> host) << host;
  return { family: network.family, address: toIp(base + (BigInt(n) << BigInt(bits - prefix)), network.family), prefix };
}

/** The address `offset` after the subnet's first (its network address); negative from its last. */
export function addressAt(subnet: Cidr, offset: bigint): string {
  const host = BigInt(bitsOf(subnet.family) - subnet.prefix);
  const first = (toNumber(subnet.address) >> host) << host;
  return toIp(offset >= 0n ? first + offset : first + (1n << host) + offset, subnet.family);
}

/** Addresses from `start` to `end`, both included. */
export const countBetween = (start: string, end: string): bigint => toNumber(end) - toNumber(start) + 1n;

/** Whether `ip` lies in [start, end] (same family). */
export function between(ip: string, start: string, end: string): boolean {
  if (ipaddr.parse(ip).kind() !== ipaddr.parse(start).kind()) return false;
  const n = toNumber(ip);
  return n >= toNumber(start) && n <= toNumber(end);
}
