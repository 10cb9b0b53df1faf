// What a namespace has now, read with ONE `ip -json` process per namespace.
import { inNs, type Ns } from './ns.js';
import { ROUTE_PROTOCOL } from './tag.js';
import { runChecked, type Runner } from './runner.js';
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
export async function writeSysctl(runner: Runner, ns: Ns, key: string, value: string): Promise<void> {
  if (ns.kind === 'current' && runner.system) {
    try {
      writeFileSync(sysctlPath(key), value);
    } catch (error) {
      const e = error as NodeJS.ErrnoException;
      throw new ApplyError(`sysctl -w ${key}=${value}`, `${sysctlPath(key)}: ${e.code === 'ENOENT' ? 'no such key (is its module loaded?)' : (e.code ?? e.message)}`);
    }
    return;
  }
  await runChecked(runner, inNs(ns, ['sysctl', '-q', '-w', `${key}=${value}`]));
}

export interface LinkState {
  name: string;
  kind: string | null;
  vlan: number | null;
  mac: string;
  mtu: number;
  maxMtu: number | null;
  up: boolean;
  alias: string | null;
  addresses: string[];
}

export interface RouteState {
  dst: string;
  gateway: string | null;
  dev: string | null;
  protocol: string | null;
}

export interface NsState {
  links: Map<string, LinkState>;
  routes: RouteState[];
  /** Multicast link addresses joined, by device. */
  maddrs: Map<string, string[]>;
  /** Read only when a plan needs them: sysctl values. */
  sysctls: Map<string, string | null>;
  /** Link types this kernel was seen to accept earlier in this boot (the probe cache). */
  linkTypes: Set<string>;
}

interface IpLink {
  ifname: string;
  flags?: string[];
  mtu: number;
  max_mtu?: number;
  address?: string;
  ifalias?: string;
  linkinfo?: { info_kind?: string; info_data?: { id?: number } };
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
  protocol?: string | number;
}

export async function readNsState(runner: Runner, ns: Ns): Promise<NsState> {
  const { stdout } = await runChecked(runner, inNs(ns, ['ip', '-json', '-details', '-batch', '-']), {
    input: 'address show\nroute show table main\nmaddr show\n',
  });
  return parseNsState(stdout);
}

/** `ip -json -batch` prints one JSON array per command, one per line. */
export function parseNsState(stdout: string): NsState {
  const [links = [], routes = [], maddrs = []] = stdout
    .split('\n')
    .filter((line) => line.trim() !== '')
    .map((line) => JSON.parse(line) as unknown[]) as [IpLink[]?, IpRoute[]?, IpMaddr[]?];
  return {
    links: new Map(
      links.map((l) => [
        l.ifname,
        {
          name: l.ifname,
          kind: l.linkinfo?.info_kind ?? null,
          vlan: l.linkinfo?.info_kind === 'vlan' ? (l.linkinfo.info_data?.id ?? null) : null,
          mac: l.address ?? '',
          mtu: l.mtu,
          maxMtu: l.max_mtu ?? null,
          up: (l.flags ?? []).includes('UP'),
          alias: l.ifalias ?? null,
          addresses: (l.addr_info ?? []).map((a) => `${a.local}/${a.prefixlen}`),
        },
      ]),
    ),
    routes: routes.map((r) => ({
      dst: r.dst,
      gateway: r.gateway ?? null,
      dev: r.dev ?? null,
      // ip prints known protocol numbers by name and ours as a number.
      protocol: r.protocol === undefined ? null : String(r.protocol),
    })),
    maddrs: new Map(maddrs.map((m) => [m.ifname, (m.maddr ?? []).flatMap((a) => (a.link ? [a.link.toLowerCase()] : []))])),
    sysctls: new Map(),
    linkTypes: new Set(),
  };
}

export const isOurRoute = (r: RouteState): boolean => r.protocol === String(ROUTE_PROTOCOL);
