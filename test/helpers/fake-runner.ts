// A Runner that runs nothing: it records every call and answers from scripted responders,
// so apply/ is tested without root and without touching any network namespace.
import type { CommandResult, RunOptions, Runner } from '../../lib/system/runner.js';
import { type Ns, inNs } from '../../lib/system/ns.js';

export interface RunnerCall {
  argv: string[];
  input: string | undefined;
  timeoutMs?: number | undefined;
}

export type Reply = Partial<CommandResult>;
/** Returns a reply for a call it recognises, undefined to let the next responder answer. */
export type Responder = (argv: string[], input: string | undefined) => Reply | undefined;

export class FakeRunner implements Runner {
  readonly calls: RunnerCall[] = [];
  private readonly responders: Responder[];

  constructor(...responders: Responder[]) {
    this.responders = responders;
  }

  /** Adds a responder, consulted before the ones given so far. */
  on(responder: Responder): this {
    this.responders.unshift(responder);
    return this;
  }

  async run(argv: string[], options: RunOptions = {}): Promise<CommandResult> {
    this.calls.push({
      argv: [...argv],
      input: options.input,
      ...(options.timeoutMs === undefined ? {} : { timeoutMs: options.timeoutMs }),
    });
    for (const responder of this.responders) {
      const reply = responder(argv, options.input);
      if (reply) return { exitCode: 0, stdout: '', stderr: '', timedOut: false, ...reply };
    }
    return { exitCode: 0, stdout: '', stderr: '', timedOut: false };
  }

  /** The calls other than state reads (`ip -json ...`): what would change the system. */
  get changes(): RunnerCall[] {
    return this.calls.filter((c) => !c.argv.includes('-json'));
  }

  /** The lines a call fed to `ip -batch -`. */
  static lines(call: RunnerCall | undefined): string[] {
    return (call?.input ?? '').split('\n').filter((l) => l !== '');
  }
}

/** The argv that reads a namespace's state (lib/system/state.ts readNsState). */
export const stateArgv = (ns: Ns): string[] => inNs(ns, ['ip', '-json', '-details', '-batch', '-']);

const same = (a: readonly string[], b: readonly string[]) =>
  a.length === b.length && a.every((x, i) => x === b[i]);

/** Answers the state read of `ns` with `stdout` (see ipJson). */
export const stateOf =
  (ns: Ns, stdout: string): Responder =>
  (argv) =>
    same(argv, stateArgv(ns)) ? { stdout } : undefined;

/** Makes `ip -batch -` (in any namespace) fail at the line that contains `needle`. */
export const failBatchLine =
  (needle: string, error = 'RTNETLINK answers: File exists'): Responder =>
  (argv, input) => {
    if (!argv.includes('-batch') || argv.includes('-json') || argv.includes('-force'))
      return undefined;
    const lines = (input ?? '').split('\n').filter((l) => l !== '');
    const index = lines.findIndex((l) => l.includes(needle));
    if (index < 0) return undefined;
    return { exitCode: 1, stderr: `${error}\nCommand failed -:${index + 1}\n` };
  };

// ---- realistic `ip -json -details` output ------------------------------------------

export interface LinkSpec {
  name: string;
  up?: boolean;
  mtu?: number;
  mac?: string;
  kind?: 'vlan' | 'macvlan' | 'veth' | 'loopback';
  vlan?: number;
  alias?: string;
  addresses?: string[];
  lower?: string;
  /** The bridge it is a port of. */
  master?: string;
  /** Its ifindex (else the next of a counter). */
  index?: number;
  /** The lower device in another namespace, as the kernel shows it there: ifindex and namespace id (`lower` unset). */
  lowerIndex?: number;
  netnsid?: number;
  /** Multicast link addresses joined (ip maddr), besides the all-nodes 33:33:00:00:00:01. */
  maddrs?: string[];
}

let ifindex = 1;

/** One element of `ip -json -details address show`, shaped like iproute2 6.x prints it. */
export function ipLink(spec: LinkSpec): Record<string, unknown> {
  const loopback = spec.kind === 'loopback' || spec.name === 'lo';
  const flags = loopback ? ['LOOPBACK'] : ['BROADCAST', 'MULTICAST'];
  if (spec.up) flags.push('UP', 'LOWER_UP');
  const link: Record<string, unknown> = {
    ifindex: spec.index ?? ifindex++,
    ...(spec.lower ? { link: spec.lower } : {}),
    ...(spec.lowerIndex !== undefined
      ? { link_index: spec.lowerIndex, link_netnsid: spec.netnsid ?? 0 }
      : {}),
    ifname: spec.name,
    flags,
    mtu: spec.mtu ?? (loopback ? 65536 : 1500),
    qdisc: spec.up ? 'noqueue' : 'noop',
    operstate: spec.up ? (loopback ? 'UNKNOWN' : 'UP') : 'DOWN',
    group: 'default',
    txqlen: 1000,
    link_type: loopback ? 'loopback' : 'ether',
    address: spec.mac ?? (loopback ? '00:00:00:00:00:00' : '02:fc:00:00:00:01'),
    broadcast: loopback ? '00:00:00:00:00:00' : 'ff:ff:ff:ff:ff:ff',
    promiscuity: 0,
    allmulti: 0,
    min_mtu: loopback ? 0 : 68,
    max_mtu: loopback ? 0 : 65535,
  };
  if (spec.kind === 'vlan') {
    link.linkinfo = {
      info_kind: 'vlan',
      info_data: { protocol: '802.1Q', id: spec.vlan ?? 0, flags: ['REORDER_HDR'] },
    };
  } else if (spec.kind === 'macvlan') {
    link.linkinfo = {
      info_kind: 'macvlan',
      info_data: { mode: 'bridge', bcqueuelen: 1000, usedbcqueuelen: 1000 },
    };
  } else if (spec.kind === 'veth') {
    link.linkinfo = { info_kind: 'veth' };
  }
  Object.assign(link, {
    num_tx_queues: 1,
    num_rx_queues: 1,
    gso_max_size: 65536,
    gso_max_segs: 65535,
  });
  if (spec.alias !== undefined) link.ifalias = spec.alias;
  if (spec.master !== undefined) link.master = spec.master;
  link.addr_info = (spec.addresses ?? (loopback && spec.up ? ['127.0.0.1/8', '::1/128'] : [])).map(
    (cidr) => {
      const [local, prefixlen] = cidr.split('/');
      const v6 = local!.includes(':');
      return {
        family: v6 ? 'inet6' : 'inet',
        local,
        prefixlen: Number(prefixlen),
        scope: loopback ? 'host' : 'global',
        ...(v6 ? {} : { label: spec.name }),
        valid_life_time: 4294967295,
        preferred_life_time: 4294967295,
      };
    },
  );
  return link;
}

export interface RouteSpec {
  dst: string;
  gateway?: string;
  dev: string;
  protocol?: string;
  /** `route show table all` prints each route's table; main unless said. */
  table?: string;
  onlink?: boolean;
}

export function ipRoute(spec: RouteSpec): Record<string, unknown> {
  return {
    type: spec.table === 'local' ? 'local' : 'unicast',
    dst: spec.dst,
    ...(spec.gateway ? { gateway: spec.gateway } : {}),
    dev: spec.dev,
    table: spec.table ?? 'main',
    protocol: spec.protocol ?? (spec.gateway ? 'boot' : 'kernel'),
    scope: spec.gateway ? 'global' : spec.table === 'local' ? 'host' : 'link',
    flags: spec.onlink ? ['onlink'] : [],
  };
}

export interface NeighSpec {
  address: string;
  dev: string;
  lladdr: string;
  protocol?: string;
}

/** One element of `ip -json neigh show nud permanent`. */
export const ipNeigh = (spec: NeighSpec): Record<string, unknown> => ({
  dst: spec.address,
  dev: spec.dev,
  lladdr: spec.lladdr,
  state: ['PERMANENT'],
  ...(spec.protocol ? { protocol: spec.protocol } : {}),
});

/** One element of `ip -json maddr show`. */
export function ipMaddr(spec: LinkSpec): Record<string, unknown> {
  const loopback = spec.kind === 'loopback' || spec.name === 'lo';
  const link = loopback
    ? []
    : ['33:33:00:00:00:01', ...(spec.maddrs ?? [])].map((mac, i) =>
        i === 0 ? { link: mac } : { link: mac, features: 'static' },
      );
  return {
    ifname: spec.name,
    maddr: [
      ...link,
      { family: 'inet6', address: 'ff02::1' },
      { family: 'inet6', address: 'ff01::1' },
    ],
  };
}

/**
 * The stdout of `ip -json -details -batch -` fed "address show", "route show table all",
 * "maddr show" and "neigh show nud permanent": one JSON array per command, one per line.
 */
export function ipJson(
  links: LinkSpec[],
  routes: RouteSpec[] = [],
  neighbors: NeighSpec[] = [],
): string {
  return `${JSON.stringify(links.map(ipLink))}\n${JSON.stringify(routes.map(ipRoute))}\n${JSON.stringify(links.map(ipMaddr))}\n${JSON.stringify(neighbors.map(ipNeigh))}\n`;
}
