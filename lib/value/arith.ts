// Address and MAC arithmetic on numbers, never string surgery: the one home of what node
// values, server values, status and the link drivers compute from a base and an offset.
import { ipaddr } from '../cjs.js';
import { ipFamily, isMulticastMac, macToNumber, numberToMac, type Cidr } from './parse.js';

const bitsOf = (family: 4 | 6): number => (family === 4 ? 32 : 128);

export const ipToBig = (ip: string): bigint =>
  ipaddr
    .parse(ip)
    .toByteArray()
    .reduce((n, b) => (n << 8n) | BigInt(b), 0n);

export function bigToIp(value: bigint, family: 4 | 6): string {
  const bytes: number[] = [];
  for (let i = bitsOf(family) / 8 - 1; i >= 0; i--)
    bytes.push(Number((value >> BigInt(i * 8)) & 0xffn));
  return ipaddr.fromByteArray(bytes).toString();
}

/** Whether `ip` lies in base/prefix (another family never does). */
export function inSubnet(ip: string, base: string, prefix: number): boolean {
  if (ipFamily(ip) !== ipFamily(base)) return false;
  return ipaddr.parse(ip).match(ipaddr.parse(base), prefix);
}

export interface Subnet {
  /** The network address with the prefix: 10.4.128.0/18. */
  cidr: string;
  /** How many addresses it holds (a float past 2^53: IPv6). */
  size: number;
  /** The network address and the last one (IPv4: the broadcast address), as numbers. */
  first: bigint;
  last: bigint;
}

/** The subnet a base address lies in. */
export function subnetOf(base: string, prefix: number): Subnet {
  const family = ipFamily(base);
  const hostBits = BigInt(bitsOf(family) - prefix);
  const first = (ipToBig(base) >> hostBits) << hostBits;
  const last = first | ((1n << hostBits) - 1n);
  return { cidr: `${bigToIp(first, family)}/${prefix}`, size: 2 ** Number(hostBits), first, last };
}

/**
 * The address `value` as one a host may carry in `cidr`: inside it, and neither its
 * network nor (IPv4) its broadcast address. `outside` is appended to the message when it
 * is not inside.
 */
export function addressAt(
  cidr: Cidr,
  value: bigint,
  fail: (message: string) => void,
  outside = '',
): string | undefined {
  const { cidr: subnet, first, last } = subnetOf(cidr.address, cidr.prefix);
  const ip = bigToIp(value, cidr.family);
  if (value < first || value > last) fail(`${ip} is outside ${subnet}${outside}`);
  else if (cidr.family === 4 && value === last)
    fail(`${ip} is the broadcast address of ${subnet}; use a larger subnet or a lower base`);
  else if (value === first) fail(`${ip} is the network address of ${subnet}`);
  else return ip;
  return undefined;
}

/** The base of `cidr` plus `n`, checked as addressAt does and not past the subnet's end. */
export function offsetAddress(
  cidr: Cidr,
  n: bigint,
  fail: (message: string) => void,
): string | undefined {
  const value = ipToBig(cidr.address) + n;
  const { cidr: subnet, last } = subnetOf(cidr.address, cidr.prefix);
  if (value > last) {
    fail(
      `${cidr.address} + ${n} is past the end of ${subnet}; use a larger subnet or a lower base`,
    );
    return undefined;
  }
  return addressAt(cidr, value, fail);
}

/**
 * `value` with its last byte replaced by `byte`: the id in a template's last byte, as
 * Kerrighed's hooks put it there (template = replace), for MACs and IPv4 addresses alike.
 */
export const withLastByte = (value: bigint, byte: bigint): bigint =>
  (value & ~0xffn) | (byte & 0xffn);

const MAX_MAC = (1n << 48n) - 1n;

/** Why a MAC offset failed: past 48 bits, or into the multicast bit of the first byte. */
export type MacProblem = { why: 'overflow' } | { why: 'multicast'; mac: string };

/**
 * A MAC template plus `n` (or, given `value`, that number as a MAC): refused past 48 bits
 * and when the multicast bit is set, which no unicast host may carry.
 */
export function offsetMac(
  template: string,
  n: bigint,
  fail: (problem: MacProblem) => void,
): string | undefined {
  return macAt(macToNumber(template) + n, fail);
}

/** A number as a unicast MAC, checked as offsetMac does. */
export function macAt(value: bigint, fail: (problem: MacProblem) => void): string | undefined {
  if (value > MAX_MAC || value < 0n) {
    fail({ why: 'overflow' });
    return undefined;
  }
  const mac = numberToMac(value);
  if (isMulticastMac(mac)) {
    fail({ why: 'multicast', mac });
    return undefined;
  }
  return mac;
}

/**
 * The n-th subnet of length `nodePrefix` inside `cidr` (n from 0): node N's own segment
 * when every node routes a subnet of its own. Undefined when n does not fit.
 */
export function nthSubnet(cidr: Cidr, nodePrefix: number, n: number): string | undefined {
  const bits = bitsOf(cidr.family);
  if (nodePrefix < cidr.prefix || nodePrefix > bits || n < 0 || !Number.isSafeInteger(n))
    return undefined;
  if (BigInt(n) >= 1n << BigInt(nodePrefix - cidr.prefix)) return undefined;
  const { first } = subnetOf(cidr.address, cidr.prefix);
  return `${bigToIp(first + (BigInt(n) << BigInt(bits - nodePrefix)), cidr.family)}/${nodePrefix}`;
}

/**
 * The IPv6 link-local address the kernel gives a link with this MAC (modified EUI-64:
 * ff:fe in the middle, the universal/local bit flipped): a next hop for IPv6 routes that
 * needs no address configured.
 */
export function eui64LinkLocal(mac: string): string {
  const b = mac.split(':').map((h) => parseInt(h, 16));
  const bytes = [
    0xfe,
    0x80,
    0,
    0,
    0,
    0,
    0,
    0,
    b[0]! ^ 0x02,
    b[1]!,
    b[2]!,
    0xff,
    0xfe,
    b[3]!,
    b[4]!,
    b[5]!,
  ];
  return ipaddr.fromByteArray(bytes).toString();
}
