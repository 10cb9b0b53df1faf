// link = vxlan: an overlay that crosses L3 (Linen, flannel). Each node's VXLAN sends over
// its lower device from its own VTEP address (its underlay); broadcasts and the cluster
// MAC go to every peer by head-end replication (one all-zero forwarding entry per VTEP),
// unicast frames straight to the peer whose MAC they carry: no multicast underlay, no
// learning. The link is made in the host with `netns C` (its UDP socket stays there) and
// renamed in the container, as vlan and macvlan are.
import {
  ValueProblem,
  formatNodeList,
  ipFamily,
  parseInteger,
  parseIp,
  type Cidr,
} from '../value/parse.js';
import { offsetAddress } from '../value/arith.js';
import type { KeySpec } from '../value/spec.js';
import type {
  Drift,
  KeyProblem,
  LinkCreate,
  LinkDriver,
  LinkParams,
  LinkPeer,
  NodesKeys,
} from './driver.js';
import { addArgs, movedLinkOps, ZERO_MAC, type KernelOp } from './ops.js';
import type { LinkState, NsState } from '../system/state.js';
import { CURRENT_NS, type Ns } from '../system/ns.js';

export type Vxlan = Extract<LinkParams, { kind: 'vxlan' }>;

export const MAX_VNI = 16777215;
/** IANA's VXLAN port, the kernel's `dstport` when none is given. */
export const DEFAULT_VXLAN_PORT = 4789;
/** The encapsulation: outer Ethernet 14 + IPv4 20 (IPv6 40) + UDP 8 + VXLAN 8. */
const overheadOf = (local: string): number => (ipFamily(local) === 6 ? 70 : 50);
/** As many VTEPs as `bridge fdb` entries a node is sensibly given beyond its peers. */
const MAX_FLOOD = 1024;

const cidrOf = (raw: string, maxPrefix: (family: 4 | 6) => number, example: string): Cidr => {
  const [addr, len, extra] = raw.trim().split('/');
  if (addr === undefined || len === undefined || extra !== undefined || !/^\d+$/.test(len)) {
    throw new ValueProblem(
      `"${raw}" is not an address with a prefix length; allowed: like ${example}`,
    );
  }
  const family = ipFamily(addr);
  const address = parseIp(addr, family);
  const prefix = Number(len);
  if (prefix < 1 || prefix > maxPrefix(family))
    throw new ValueProblem(`prefix length /${prefix}; allowed: /1 to /${maxPrefix(family)}`);
  return { family, address, prefix };
};
const showCidr = (value: unknown): string => `${(value as Cidr).address}/${(value as Cidr).prefix}`;

/** [net] underlay: a base; node N's VTEP is base + N (room for nodes: /30, /126 at most). */
const underlayBase: KeySpec = {
  parse: (raw) => cidrOf(raw, (f) => (f === 4 ? 30 : 126), '192.168.10.0/24 or fd10:a::/64'),
  what: 'underlay (a VTEP address)',
  show: showCidr,
};
/** [node N] underlay (and server-config's --underlay): the node's own VTEP, exactly. */
const underlayExact: KeySpec = {
  parse: (raw) =>
    cidrOf(
      raw.includes('/') ? raw : `${raw}/${ipFamily(raw) === 4 ? 32 : 128}`,
      (f) => (f === 4 ? 32 : 128),
      '192.168.20.3/24 or fd10:b::3/64',
    ),
  what: 'underlay (a VTEP address)',
  show: showCidr,
};

/**
 * The keys every VXLAN of ours is made from (the routed bridge's overlay uses them too):
 * the VNI, the UDP port, and where each node's VTEP address comes from.
 */
export const OVERLAY_NET_KEYS: Record<'vni' | 'vxlan-port' | 'underlay', KeySpec> = {
  vni: {
    parse: (raw) => parseInteger(raw, 1, MAX_VNI, 'a VXLAN id (VNI)'),
    what: 'a VXLAN id (vni)',
  },
  // No default here: a default would make the key present in every config, of every kind.
  'vxlan-port': { parse: (raw) => parseInteger(raw, 1, 65535, 'a UDP port'), what: 'a VXLAN port' },
  underlay: underlayBase,
};
export const OVERLAY_NODE_KEYS: Record<'underlay', KeySpec> = { underlay: underlayExact };

const vxlanPeers: KeySpec = {
  parse: (raw) => {
    const list = raw.split(/[\s,]+/).filter((s) => s !== '');
    if (list.length === 0)
      throw new ValueProblem(
        'empty; allowed: VTEP addresses separated by commas, like 192.168.10.100, 192.168.20.100',
      );
    if (list.length > MAX_FLOOD)
      throw new ValueProblem(`${list.length} addresses; allowed: at most ${MAX_FLOOD}`);
    const ips = list.map((ip) => parseIp(ip));
    const twice = ips.find((ip, i) => ips.indexOf(ip) !== i);
    if (twice) throw new ValueProblem(`${twice} is listed twice`);
    return ips;
  },
  what: 'a list of VTEPs (vxlan-peers)',
  show: (value) => (value as string[]).join(', '),
};

/** Where a VTEP came from, for messages: the key that gave it. */
export interface Vtep {
  address: string;
  family: 4 | 6;
  /** net.underlay or node.N.underlay. */
  key: string;
}

/**
 * Node `id`'s VTEP: its [node N] underlay (exact), else the [net] base + id. undefined
 * (`fail` told why, with the key to blame) when neither gives one.
 */
export function vtepOf(
  values: ReadonlyMap<string, unknown>,
  id: number,
  nodeKeys: ReadonlyMap<string, unknown>,
  fail: (key: string, message: string) => void,
): Vtep | undefined {
  const own = nodeKeys.get('underlay') as Cidr | undefined;
  if (own) return { address: own.address, family: own.family, key: `node.${id}.underlay` };
  const base = values.get('underlay') as Cidr | undefined;
  if (!base) {
    fail(
      `node.${id}.underlay`,
      `node ${id} has no underlay; allowed: [net] underlay = BASE/PREFIX (node N's VTEP is base + N) or [node ${id}] underlay = ADDR/PREFIX`,
    );
    return undefined;
  }
  const address = offsetAddress(base, BigInt(id), (m) =>
    fail('net.underlay', `node ${id}'s VTEP: ${m}`),
  );
  return address === undefined ? undefined : { address, family: base.family, key: 'net.underlay' };
}

/** The VXLAN's own parameters from the overlay keys, for a host whose VTEP is `local`. */
export const overlayParams = (
  values: ReadonlyMap<string, unknown>,
  local: string,
  flood: string[] = [],
): Vxlan => ({
  kind: 'vxlan',
  vni: values.get('vni') as number,
  port: (values.get('vxlan-port') as number | undefined) ?? DEFAULT_VXLAN_PORT,
  local,
  flood,
});

/**
 * `ip link add … type vxlan id VNI dev D local L dstport P nolearning`: the lower device
 * goes to `dev` (the socket's device), never to the head's `link` (vxlan ignores it).
 */
export const vxlanCreateArgs = (c: LinkCreate<Vxlan>): string[] =>
  addArgs({ ...c, lower: null }, [
    'type',
    'vxlan',
    'id',
    String(c.link.vni),
    ...(c.lower === null ? [] : ['dev', c.lower]),
    'local',
    c.link.local,
    'dstport',
    String(c.link.port),
    'nolearning',
  ]);

/** Whether the host's lower device carries the VTEP address (ADDR/PREFIX there). */
const carries = (host: NsState, lower: string | null, local: string): boolean =>
  lower === null || (host.links.get(lower)?.addresses ?? []).some((a) => a.split('/')[0] === local);

/**
 * Rules across the nodes' underlays: one VTEP each, none shared, one family (with
 * net.vxlan-peers too). Every overlay of ours needs them (the routed bridge's as well).
 */
export function underlayProblems(
  values: ReadonlyMap<string, unknown>,
  written: (key: string) => boolean,
  nodes: NodesKeys,
): KeyProblem[] {
  const problems: KeyProblem[] = [];
  const fail = (key: string, message: string) => problems.push({ key, message });
  const baseBroken = written('underlay') && !values.has('underlay');
  const missing: number[] = [];
  const byAddress = new Map<string, number>();
  let family: { family: 4 | 6; what: string } | undefined;
  const base = values.get('underlay') as Cidr | undefined;
  if (base) family = { family: base.family, what: 'net.underlay' };
  for (const id of nodes.ids) {
    const keys = nodes.keys(id);
    // A value that did not parse was reported where it is written.
    if (
      (!keys.has('underlay') && nodes.written(id, 'underlay')) ||
      (!keys.has('underlay') && baseBroken)
    )
      continue;
    if (!keys.has('underlay') && !base) {
      missing.push(id);
      continue;
    }
    const vtep = vtepOf(values, id, keys, fail);
    if (!vtep) continue;
    const other = byAddress.get(vtep.address);
    if (other !== undefined)
      fail(
        vtep.key,
        `node ${id}'s underlay ${vtep.address} is also node ${other}'s; every node needs a VTEP address of its own`,
      );
    byAddress.set(vtep.address, id);
    if (!family) family = { family: vtep.family, what: `node ${id}'s underlay` };
    else if (family.family !== vtep.family)
      fail(
        vtep.key,
        `node ${id}'s underlay ${vtep.address} is IPv${vtep.family}, ${family.what} IPv${family.family}; one VXLAN has one underlay family`,
      );
  }
  if (missing.length > 0) {
    const who =
      missing.length === 1 ? `node ${missing[0]} has` : `nodes ${formatNodeList(missing)} have`;
    fail(
      'net.underlay',
      `missing; ${who} no underlay; allowed: [net] underlay = BASE/PREFIX (node N's VTEP is base + N), or underlay = ADDR/PREFIX in each [node N]`,
    );
  }
  for (const ip of (values.get('vxlan-peers') as string[] | undefined) ?? []) {
    const node = byAddress.get(ip);
    if (node !== undefined)
      fail(
        'net.vxlan-peers',
        `${ip} is node ${node}'s own VTEP; list only hosts that are no node (servers, clients)`,
      );
    if (family && ipFamily(ip) !== family.family)
      fail(
        'net.vxlan-peers',
        `${ip} is IPv${ipFamily(ip)}, ${family.what} IPv${family.family}; one VXLAN has one underlay family`,
      );
  }
  return problems;
}

/** One forwarding entry on the node's VXLAN: `mac` (all-zero: floods) to the VTEP `dst`. */
const fdb = (ns: Ns, dev: string, mac: string, dst: string): KernelOp => ({
  op: 'fdb-add',
  ns,
  dev,
  mac,
  dst,
});

/**
 * A host's forwarding entries: every peer's flood entry and its MAC's (no learning, no
 * flooding of unicast), then the extra VTEPs' flood entries.
 */
export function forwardingOps(
  ns: Ns,
  dev: string,
  link: Vxlan,
  peers: readonly LinkPeer<Vxlan>[],
): KernelOp[] {
  return [
    ...peers.flatMap((p) => [
      fdb(ns, dev, ZERO_MAC, p.link.local),
      fdb(ns, dev, p.mac, p.link.local),
    ]),
    ...link.flood.map((ip) => fdb(ns, dev, ZERO_MAC, ip)),
  ];
}

/**
 * The live VXLAN against the plan. Its lower device is never read from the container's
 * view (`info_data.link` names a device of the reader's namespace, and the top-level
 * link_index is the VXLAN's own): the VTEP address on the host's device stands for it.
 */
export function vxlanDrift(
  want: { lower: string | null; link: Vxlan },
  live: LinkState,
  host: NsState,
): Drift[] {
  const info = live.info ?? {};
  const local =
    typeof info.local === 'string'
      ? info.local
      : typeof info.local6 === 'string'
        ? info.local6
        : null;
  const have = (key: string) => (typeof info[key] === 'number' ? String(info[key]) : '-');
  const drifts: Drift[] = [];
  // None of these is corrected in place: a difference replaces the link.
  const differs = (attribute: string, wantWords: string, haveWords: string) =>
    drifts.push({ attribute, want: wantWords, have: haveWords, inPlace: false });
  if (info.id !== want.link.vni) differs('id', `id ${want.link.vni}`, `id ${have('id')}`);
  if (info.port !== want.link.port)
    differs('port', `port ${want.link.port}`, `port ${have('port')}`);
  if (local !== want.link.local)
    differs('local', `local ${want.link.local}`, `local ${local ?? '-'}`);
  if (info.learning !== false) differs('learning', 'nolearning', 'learning');
  if (!carries(host, want.lower, want.link.local))
    differs('underlay', `${want.lower} carrying ${want.link.local}`, `${want.lower} without it`);
  return drifts;
}

export const vxlanDriver: LinkDriver<Vxlan> = {
  kind: 'vxlan',
  netKeys: { ...OVERLAY_NET_KEYS, 'vxlan-peers': vxlanPeers },
  check: (values, written, nodes) => [
    ...(values.has('vni') || written('vni')
      ? []
      : [{ key: 'net.vni', message: `missing; link = vxlan needs a VXLAN id (1..${MAX_VNI})` }]),
    ...underlayProblems(values, written, nodes),
  ],
  nodeKeys: OVERLAY_NODE_KEYS,
  params: (values, node) => {
    if (!values.has('vni')) return null;
    const peers = (values.get('vxlan-peers') as string[] | undefined) ?? [];
    // A host that is no node (server-config) gives its VTEP as an option, never base + 0.
    if (node.id === 0 && !node.keys.has('underlay')) {
      node.problem(
        '--underlay',
        'a host joining a VXLAN needs its VTEP address: give --underlay ADDR, one of net.vxlan-peers',
      );
      return null;
    }
    const vtep = vtepOf(values, node.id, node.keys, node.problem);
    if (!vtep) return null;
    // The nodes flood to a host that is no node only if net.vxlan-peers lists it.
    if (node.id === 0 && !peers.includes(vtep.address)) {
      node.problem(
        '--underlay',
        `${vtep.address} is not in net.vxlan-peers; add it to net.vxlan-peers so the nodes send to it (then reload them)`,
      );
      return null;
    }
    return overlayParams(
      values,
      vtep.address,
      peers.filter((ip) => ip !== vtep.address),
    );
  },
  needsPeers: true,
  extraPeers: (link) => link.flood,
  ops: (n, at) => ({
    boot: movedLinkOps(n, at),
    init: forwardingOps(at.container, n.interface, n.link, n.peers),
  }),
  recordFields: {
    vni: { type: 'int', min: 1, max: MAX_VNI },
    port: { type: 'int', min: 1, max: 65535 },
    local: { type: 'ip' },
    flood: { type: 'ips', max: MAX_FLOOD },
  },
  kernel: [{ type: 'vxlan', module: 'vxlan', hint: '' }],
  overhead: (link) => overheadOf(link.local),
  // Over a lower device, the kernel clamps a larger MTU silently: refused before.
  maxMtu: (link, deviceMtu) => deviceMtu - overheadOf(link.local),
  cannotCreate: (want, host) =>
    carries(host, want.lower, want.link.local)
      ? null
      : `${want.lower} does not carry ${want.link.local} (this node's underlay); give it that address, or set underlay to one it has`,
  deliversAllMulticast: true,
  createArgs: vxlanCreateArgs,
  compare: vxlanDrift,
  // Cluster-wide (status's network row): each node's own VTEP is its `underlay` field.
  describe: (link) =>
    `vxlan ${link.vni}${link.port === DEFAULT_VXLAN_PORT ? '' : ` port ${link.port}`}`,
  fieldNames: ['vni', 'underlay'],
  fields: (link) => ({ vni: link.vni, underlay: link.local }),
  env: (link) => ({
    CLUSTERNET_VNI: String(link.vni),
    CLUSTERNET_UNDERLAY: link.local,
    CLUSTERNET_VXLAN_PORT: String(link.port),
  }),
  server: {
    title: (link) => `VXLAN ${link.vni}`,
    netdev: (link) => ({
      kind: 'vxlan',
      section: [
        '[VXLAN]',
        `VNI=${link.vni}`,
        `Local=${link.local}`,
        `DestinationPort=${link.port}`,
        'MacLearning=no',
      ],
    }),
    parentKey: 'VXLAN',
    // NetworkManager wants one remote (older versions refuse a VXLAN without): the first
    // node's VTEP; that flood entry is then the kernel's, and appending it again is a no-op.
    nmcli: (s) => ({
      type: 'vxlan',
      settings: [
        'vxlan.parent',
        s.device,
        'vxlan.id',
        String(s.link.vni),
        'vxlan.local',
        s.link.local,
        ...(s.peers[0] ? ['vxlan.remote', s.peers[0].link.local] : []),
        'vxlan.destination-port',
        String(s.link.port),
        'vxlan.learning',
        'no',
      ],
    }),
    after: (s) => forwardingOps(CURRENT_NS, s.interface, s.link, s.peers),
    unsupported: (_s, format) =>
      format === 'nmcli'
        ? {
            why: 'NetworkManager holds no static forwarding entries: run the bridge lines after `nmcli connection up`, and again whenever it re-creates the link',
            printable: true,
          }
        : null,
  },
};
