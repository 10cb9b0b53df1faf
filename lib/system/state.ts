// What a namespace has now, read with ONE `ip -json` process per namespace.
import { inNs, type Ns } from './ns.js';
import { ROUTE_PROTOCOL } from './tag.js';
import { runChecked, showCommand, type Runner } from './runner.js';
import { readFileSync, writeFileSync } from 'node:fs';
import { ApplyError } from '../errors.js';

const sysctlPath = (key: string) => `/proc/sys/${key.replace(/\./g, '/')}`;

/** A sysctl of a namespace, or null when it does not exist (its module not loaded yet). */
export async function readSysctl(runner: Runner, ns: Ns, key: string): Promise<string | null> {
  const path = sysctlPath(key);
  if (ns.kind === 'current') {
    try {
      return readFileSync(path, 'utf8').trim();
    } catch {
      return null;
    }
  }
  const r = await runner.run(inNs(ns, ['cat', path]));
  return r.exitCode === 0 ? r.stdout.trim() : null;
}

/**
 * In our own namespace a write to its /proc/sys file is the whole of `sysctl -w` (no
 * process); another namespace's needs a process inside it (nsenter), as /proc/sys shows
 * the namespace of whoever opens it. Only for the real system: a test's fake runner sees
 * the command.
 */
export async function writeSysctl(
  runner: Runner,
  ns: Ns,
  key: string,
  value: string,
): Promise<void> {
  if (ns.kind === 'current' && runner.system) {
    try {
      writeFileSync(sysctlPath(key), value);
    } catch (error) {
      const e = error as NodeJS.ErrnoException;
      throw new ApplyError(
        `sysctl -w ${key}=${value}`,
        `${sysctlPath(key)}: ${e.code === 'ENOENT' ? 'no such key (is its module loaded?)' : (e.code ?? e.message)}`,
      );
    }
    return;
  }
  await runChecked(runner, inNs(ns, ['sysctl', '-q', '-w', `${key}=${value}`]));
}

export interface LinkState {
  name: string;
  index: number;
  kind: string | null;
  /**
   * The lower device (vlan, macvlan) or peer (veth): by name when it is in the same
   * namespace, else by its ifindex over there and that namespace's id as seen from here.
   */
  parent: { index: number | null; netnsid: number | null; name: string | null } | null;
  /** The bridge (or other master) this link is a port of. */
  master: string | null;
  /** The kind's own attributes as `ip -d` prints them (linkinfo.info_data): drivers read them. */
  info: Record<string, unknown> | null;
  mac: string;
  mtu: number;
  maxMtu: number | null;
  up: boolean;
  alias: string | null;
  addresses: string[];
}

export interface RouteState {
  dst: string;
  family: 4 | 6;
  gateway: string | null;
  dev: string | null;
  protocol: string | null;
  onlink: boolean;
}

/** A permanent neighbour entry (`ip neigh show nud permanent`). */
export interface NeighState {
  address: string;
  dev: string;
  lladdr: string | null;
  protocol: string | null;
}

/** A static forwarding entry of a device (`bridge fdb show dev D`). */
export interface FdbEntry {
  mac: string;
  dst: string | null;
  permanent: boolean;
}

export interface NsState {
  links: Map<string, LinkState>;
  /** Routes of the main table, both families. */
  routes: RouteState[];
  /** Permanent neighbour entries. */
  neighbors: NeighState[];
  /** Read only when a plan has fdb ops: the forwarding entries, by device. */
  fdb: Map<string, FdbEntry[]>;
  /** Multicast link addresses joined, by device. */
  maddrs: Map<string, string[]>;
  /** Read only when a plan needs them: sysctl values. */
  sysctls: Map<string, string | null>;
  /** Link types this kernel was seen to accept earlier in this boot (the probe cache). */
  linkTypes: Set<string>;
}

interface IpLink {
  ifindex: number;
  ifname: string;
  link?: string;
  link_index?: number;
  link_netnsid?: number;
  master?: string;
  flags?: string[];
  mtu: number;
  max_mtu?: number;
  address?: string;
  ifalias?: string;
  linkinfo?: { info_kind?: string; info_data?: Record<string, unknown> };
  addr_info?: { local: string; prefixlen: number; family: string }[];
}
interface IpMaddr {
  ifname: string;
  maddr?: { link?: string }[];
}
interface IpRoute {
  dst: string;
  gateway?: string;
  dev?: string;
  table?: string;
  protocol?: string | number;
  flags?: string[];
}
interface IpNeigh {
  dst: string;
  dev?: string;
  lladdr?: string;
  protocol?: string | number;
}

export async function readNsState(runner: Runner, ns: Ns): Promise<NsState> {
  const { stdout } = await runChecked(
    runner,
    inNs(ns, ['ip', '-json', '-details', '-batch', '-']),
    {
      // `table all`: `table main` would give IPv4 routes only. Not filtered by protocol:
      // `ip route show proto 211` leaves the protocol out of what it prints.
      input: 'address show\nroute show table all\nmaddr show\nneigh show nud permanent\n',
    },
  );
  return parseNsState(stdout);
}

/** `ip -json -batch` prints one JSON array per command, one per line. */
export function parseNsState(stdout: string): NsState {
  const [links = [], routes = [], maddrs = [], neighbors = []] = stdout
    .split('\n')
    .filter((line) => line.trim() !== '')
    .map((line) => JSON.parse(line) as unknown[]) as [
    IpLink[]?,
    IpRoute[]?,
    IpMaddr[]?,
    IpNeigh[]?,
  ];
  return {
    links: new Map(
      links.map((l) => [
        l.ifname,
        {
          name: l.ifname,
          index: l.ifindex,
          kind: l.linkinfo?.info_kind ?? null,
          parent: parentOf(l),
          master: l.master ?? null,
          info: l.linkinfo?.info_data ?? null,
          mac: l.address ?? '',
          mtu: l.mtu,
          maxMtu: l.max_mtu ?? null,
          up: (l.flags ?? []).includes('UP'),
          alias: l.ifalias ?? null,
          addresses: (l.addr_info ?? []).map((a) => `${a.local}/${a.prefixlen}`),
        },
      ]),
    ),
    // The local and other tables are the kernel's own (and policy routing's): not ours.
    routes: routes
      .filter((r) => r.table === undefined || r.table === 'main')
      .map((r) => ({
        dst: r.dst,
        family: r.dst.includes(':') || (r.gateway ?? '').includes(':') ? 6 : 4,
        gateway: r.gateway ?? null,
        dev: r.dev ?? null,
        // ip prints known protocol numbers by name and ours as a number.
        protocol: protocolOf(r.protocol),
        onlink: (r.flags ?? []).includes('onlink'),
      })),
    neighbors: neighbors.map((n) => ({
      address: n.dst,
      dev: n.dev ?? '',
      lladdr: n.lladdr?.toLowerCase() ?? null,
      protocol: protocolOf(n.protocol),
    })),
    fdb: new Map(),
    maddrs: new Map(
      maddrs.map((m) => [
        m.ifname,
        (m.maddr ?? []).flatMap((a) => (a.link ? [a.link.toLowerCase()] : [])),
      ]),
    ),
    sysctls: new Map(),
    linkTypes: new Set(),
  };
}

const protocolOf = (p: string | number | undefined): string | null =>
  p === undefined ? null : String(p);

/** A route or neighbour entry made by clusternet: it carries our protocol number. */
export const isOurRoute = (r: { protocol: string | null }): boolean =>
  r.protocol === String(ROUTE_PROTOCOL);

interface BridgeFdb {
  mac: string;
  dst?: string;
  state?: string;
}

/**
 * The forwarding entries of one device. Absent device: no entries (bridge exits 255,
 * "Cannot find device"); the plan's assess then says what is missing.
 */
export async function readFdb(runner: Runner, ns: Ns, dev: string): Promise<FdbEntry[]> {
  const argv = inNs(ns, ['bridge', '-j', 'fdb', 'show', 'dev', dev]);
  const r = await runner.run(argv);
  if (r.exitCode === 255 && /Cannot find device/.test(r.stderr)) return [];
  if (r.exitCode !== 0)
    throw new ApplyError(showCommand(argv), r.stderr.trim() || `exit code ${r.exitCode}`);
  return parseFdb(r.stdout);
}

export function parseFdb(stdout: string): FdbEntry[] {
  const entries = (stdout.trim() === '' ? [] : JSON.parse(stdout)) as BridgeFdb[];
  return entries.map((e) => ({
    mac: e.mac.toLowerCase(),
    dst: e.dst ?? null,
    permanent: e.state === 'permanent',
  }));
}

/** `link` names a parent in this namespace; `link_index` + `link_netnsid` one in another. */
function parentOf(l: IpLink): LinkState['parent'] {
  if (l.link !== undefined) return { index: l.link_index ?? null, netnsid: null, name: l.link };
  if (l.link_index === undefined) return null;
  return { index: l.link_index, netnsid: l.link_netnsid ?? null, name: null };
}
