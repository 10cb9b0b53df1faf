// Parsers for single config values. Each returns the typed value or throws a
// ValueProblem whose message says what is wrong and what is allowed.
import { ipaddr } from '../cjs.js';

export class ValueProblem extends Error {}

const fail = (message: string): never => {
  throw new ValueProblem(message);
};

export function parseBool(raw: string): boolean {
  const v = raw.toLowerCase();
  if (['true', 'yes', 'on', '1'].includes(v)) return true;
  if (['false', 'no', 'off', '0'].includes(v)) return false;
  return fail(`"${raw}" is not a boolean; allowed: true, false (or yes/no, on/off, 1/0)`);
}

export function parseInteger(raw: string, min: number, max: number, what = 'a number'): number {
  const v = raw.trim();
  if (!/^(0x[0-9a-f]+|\d+)$/i.test(v))
    return fail(`"${raw}" is not ${what}; allowed: a whole number from ${min} to ${max}`);
  const n = Number(v);
  if (!Number.isSafeInteger(n) || n < min || n > max)
    return fail(`${v} is out of range; allowed: ${min} to ${max}`);
  return n;
}

export function parseChoice<T extends string>(raw: string, choices: readonly T[]): T {
  const v = raw.toLowerCase() as T;
  return choices.includes(v) ? v : fail(`"${raw}" is not allowed; allowed: ${choices.join(', ')}`);
}

/**
 * Interface names end up on `ip` command lines and in the kernel, which takes at most 15
 * bytes. We allow a conservative character set: no white space, '/', ':' or quotes.
 */
export function parseIfName(raw: string): string {
  if (Buffer.byteLength(raw) > 15)
    return fail(`"${raw}" is ${Buffer.byteLength(raw)} bytes long; allowed: at most 15 bytes`);
  if (raw === '' || raw === '.' || raw === '..' || !/^[A-Za-z0-9_.@+-]+$/.test(raw)) {
    return fail(
      `"${raw}" is not a valid interface name; allowed: 1 to 15 of A-Z a-z 0-9 _ . @ + - (no white space, '/' or ':')`,
    );
  }
  return raw;
}

/** A MAC written as six hex pairs separated by ':' or '-'; returned lowercase with ':'. */
export function parseMac(raw: string): string {
  const v = raw.trim().toLowerCase();
  if (!/^[0-9a-f]{2}([:-][0-9a-f]{2}){5}$/.test(v))
    return fail(`"${raw}" is not a MAC address; allowed: six hex pairs like f0:00:00:00:07:00`);
  return v.replace(/-/g, ':');
}

export const macToNumber = (mac: string): bigint => BigInt(`0x${mac.replace(/:/g, '')}`);
export const numberToMac = (n: bigint): string =>
  n.toString(16).padStart(12, '0').match(/../g)!.join(':');
export const isMulticastMac = (mac: string): boolean => (parseInt(mac.slice(0, 2), 16) & 1) === 1;

export interface Cidr {
  family: 4 | 6;
  /** The address exactly as configured (the base), normalised. */
  address: string;
  prefix: number;
}

export function parseCidr(raw: string, family: 4 | 6): Cidr {
  const [addr, len, extra] = raw.trim().split('/');
  const example = family === 4 ? '10.4.135.0/18' : 'fd00:4::/64';
  if (addr === undefined || len === undefined || extra !== undefined || !/^\d+$/.test(len)) {
    return fail(`"${raw}" is not an address with a prefix length; allowed: like ${example}`);
  }
  const address = parseIp(addr, family);
  const maxPrefix = family === 4 ? 30 : 126;
  const prefix = Number(len);
  if (prefix < 1 || prefix > maxPrefix) {
    return fail(`prefix length /${prefix} leaves no room for nodes; allowed: /1 to /${maxPrefix}`);
  }
  return { family, address, prefix };
}

/**
 * A cluster address, bare (installed as /32, or /128) or with the prefix length to install
 * it with, as Kerrighed's `ip addr add $CLUSTERADDR` did (10.4.199.1/18).
 */
export function parseClusterAddress(raw: string): { address: string; prefix: number } {
  const [addr, len, extra] = raw.trim().split('/');
  const address = parseIp(addr ?? '');
  const max = hostPrefix(address);
  if (len === undefined) return { address, prefix: max };
  if (extra !== undefined || !/^\d+$/.test(len) || Number(len) < 1 || Number(len) > max) {
    return fail(
      `"${raw}" has no usable prefix length; allowed: an address alone, or with /1 to /${max}`,
    );
  }
  return { address, prefix: Number(len) };
}

export function parseIp(raw: string, family?: 4 | 6): string {
  const v = raw.trim();
  if ((family ?? 4) === 4 && ipaddr.IPv4.isValidFourPartDecimal(v))
    return ipaddr.IPv4.parse(v).toString();
  if ((family ?? 6) === 6 && ipaddr.IPv6.isValid(v) && !v.includes('%'))
    return ipaddr.IPv6.parse(v).toString();
  const allowed =
    family === 4
      ? 'an IPv4 address like 10.4.192.1'
      : family === 6
        ? 'an IPv6 address like fd00:4::1'
        : 'an IPv4 or IPv6 address';
  return fail(`"${raw}" is not an IP address; allowed: ${allowed}`);
}

export const ipFamily = (ip: string): 4 | 6 => (ip.includes(':') ? 6 : 4);

/** The prefix length of one address alone: 32 (IPv4) or 128 (IPv6). */
export const hostPrefix = (ip: string): number => (ipFamily(ip) === 4 ? 32 : 128);

/**
 * "1-4,7" → [1,2,3,4,7]. Ids start at 1: CLUSTERIP and the cluster match number from 1.
 * At most `maxCount` nodes, counted before any range is expanded.
 */
export function parseNodeList(raw: string, max = 65535, maxCount = Infinity): number[] {
  const ids = new Set<number>();
  const ranges: [number, number][] = [];
  let count = 0;
  for (const part of raw.split(',').map((p) => p.trim())) {
    const m = /^(\d+)(?:\s*-\s*(\d+))?$/.exec(part);
    if (!m) return fail(`"${part}" is not a node id or range; allowed: a list like 1-4,7`);
    const from = parseInteger(m[1]!, 1, max, 'a node id');
    const to = m[2] === undefined ? from : parseInteger(m[2], 1, max, 'a node id');
    if (to < from) return fail(`range ${part} runs backwards; allowed: low-high`);
    count += to - from + 1;
    if (count > maxCount)
      return fail(
        `more than ${maxCount} nodes; allowed: at most ${maxCount}, what every backend and link kind can serve`,
      );
    ranges.push([from, to]);
  }
  for (const [from, to] of ranges) {
    for (let id = from; id <= to; id++) {
      if (ids.has(id)) return fail(`node ${id} is listed twice`);
      ids.add(id);
    }
  }
  return [...ids].sort((a, b) => a - b);
}

/** A host name as compared (DNS's way): lower case, without a final dot. */
export const normalHostname = (name: string): string => name.toLowerCase().replace(/\.$/, '');

/** Prints [1,2,3,4,7] as "1-4,7". */
export function formatNodeList(ids: readonly number[]): string {
  const parts: string[] = [];
  for (let i = 0; i < ids.length;) {
    let j = i;
    while (j + 1 < ids.length && ids[j + 1] === ids[j]! + 1) j++;
    parts.push(j === i ? `${ids[i]}` : `${ids[i]}-${ids[j]}`);
    i = j + 1;
  }
  return parts.join(',');
}

/** Edit distance, for "did you mean" suggestions. */
export function nearest(word: string, candidates: readonly string[]): string | undefined {
  let best: string | undefined;
  let bestDistance = Math.max(2, Math.floor(word.length / 3)) + 1;
  for (const candidate of candidates) {
    const d = distance(word.toLowerCase(), candidate.toLowerCase());
    if (d < bestDistance) [best, bestDistance] = [candidate, d];
  }
  return best;
}

function distance(a: string, b: string): number {
  let prev = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    const row = [i];
    for (let j = 1; j <= b.length; j++) {
      row[j] = Math.min(
        prev[j]! + 1,
        row[j - 1]! + 1,
        prev[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1),
      );
    }
    prev = row;
  }
  return prev[b.length]!;
}
