// Routed per-node segments (routing = per-node with link = bridge; OpenSVC's routed_bridge,
// xcluster-cni, flannel's vxlan with DirectRouting): node N's containers live in the N-th
// subnet of `address` on the node's own bridge, the host routes between them. A peer on
// the same underlay subnet is reached by a route via its underlay address; one across a
// router (or of the other family) through a VXLAN of the hosts' own, cnvx0: a forwarding
// entry, a permanent neighbour and an on-link route per peer. Every route and neighbour
// carries our protocol (211): only ours are ever replaced or removed.
import { ipFamily, parseChoice, parseInteger, type Cidr } from '../value/parse.js';
import { bigToIp, eui64LinkLocal, inSubnet, ipToBig, nthSubnet } from '../value/arith.js';
import type { KeySpec } from '../value/spec.js';
import type {
  KeyProblem,
  LinkAt,
  LinkNode,
  LinkParams,
  LinkPeer,
  NodeLinkInput,
  NodesKeys,
  Routing,
} from './driver.js';
import {
  DEFAULT_VXLAN_PORT,
  OVERLAY_NET_KEYS,
  OVERLAY_NODE_KEYS,
  underlayProblems,
  vtepOf,
} from './vxlan.js';
import type { KernelOp } from './ops.js';

export const ROUTINGS = ['shared', 'per-node'] as const;

/** The hosts' VXLAN between node subnets, and its temporary name. */
export const OVERLAY_DEV = 'cnvx0';
const tmpOverlayName = (node: number): string => `cnx${node}`;

/** The keys of routing = per-node (link = bridge owns them, with the overlay's from vxlan.ts). */
export const ROUTED_NET_KEYS: Record<string, KeySpec> = {
  // No default: a default would put the key in every config, of every kind (shared when unset).
  routing: { parse: (raw) => parseChoice(raw, ROUTINGS), what: 'routing' },
  'node-prefix': {
    parse: (raw) => parseInteger(raw, 1, 30, 'an IPv4 prefix length'),
    what: 'a node prefix',
  },
  'node-prefix6': {
    parse: (raw) => parseInteger(raw, 1, 126, 'an IPv6 prefix length'),
    what: 'an IPv6 node prefix',
  },
  ...OVERLAY_NET_KEYS,
};
export const ROUTED_NODE_KEYS: Record<string, KeySpec> = OVERLAY_NODE_KEYS;

/** The keys that mean something only with routing = per-node. */
const PER_NODE_ONLY = ['node-prefix', 'node-prefix6', ...Object.keys(OVERLAY_NET_KEYS)];

export const isPerNode = (values: ReadonlyMap<string, unknown>): boolean =>
  values.get('routing') === 'per-node';

/** A node's underlay (ADDR/PREFIX) from [node N] underlay or the [net] base + N. */
function underlayOf(
  values: ReadonlyMap<string, unknown>,
  id: number,
  keys: ReadonlyMap<string, unknown>,
  fail: (key: string, message: string) => void,
): string | undefined {
  const vtep = vtepOf(values, id, keys, fail);
  if (!vtep) return undefined;
  const prefix = ((keys.get('underlay') ?? values.get('underlay')) as Cidr).prefix;
  return `${vtep.address}/${prefix}`;
}

const bare = (cidr: string): string => cidr.split('/')[0]!;

/** Two underlays on one subnet, as each sees it: a route via the other needs no router. */
const onLink = (a: string, b: string): boolean => {
  const [ap, bp] = [Number(a.split('/')[1]), Number(b.split('/')[1])];
  return inSubnet(bare(b), bare(a), ap) && inSubnet(bare(a), bare(b), bp);
};

/** A peer reached directly in `family`: on-link and with an underlay of that family (a route's next hop is of its own family). */
const direct = (mine: Routing, peer: Routing, family: 4 | 6): boolean =>
  ipFamily(bare(mine.underlay)) === family && onLink(mine.underlay, peer.underlay);

/**
 * Rules across the keys and nodes (config/load.ts reports them): the overlay's and prefix
 * keys only with routing = per-node; a node prefix; a vni when some pair of nodes needs
 * the overlay (underlays not on one subnet, or IPv6 node subnets over an IPv4 underlay or
 * the other way round).
 */
export function routedProblems(
  values: ReadonlyMap<string, unknown>,
  written: (key: string) => boolean,
  nodes: NodesKeys,
  bridge: string | undefined,
): KeyProblem[] {
  const problems: KeyProblem[] = [];
  if (!isPerNode(values)) {
    for (const key of PER_NODE_ONLY)
      if (values.has(key))
        problems.push({
          key: `net.${key}`,
          message: `applies only to routing = per-node (link = bridge); remove it or set routing = per-node`,
        });
    return problems;
  }
  if (bridge !== undefined)
    problems.push({
      key: 'net.bridge',
      message:
        "routing = per-node puts each node's subnet on a bridge of clusternet's own (cnbr0); remove bridge",
    });
  if (!values.has('node-prefix') && !written('node-prefix'))
    problems.push({
      key: 'net.node-prefix',
      message:
        "missing; routing = per-node needs the prefix length of each node's subnet, e.g. node-prefix = 24",
    });
  // Every node an underlay, none shared, one family: the overlay's own rules (vxlan.ts).
  problems.push(...underlayProblems(values, written, nodes));
  const underlays = nodes.ids.flatMap((id) => {
    const underlay = underlayOf(values, id, nodes.keys(id), () => {});
    return underlay ? [{ id, underlay }] : [];
  });
  if (!values.has('vni') && !written('vni')) {
    const first = underlays[0];
    const apart = first && underlays.find((u) => !onLink(first.underlay, u.underlay));
    const family = first ? ipFamily(bare(first.underlay)) : 4;
    if (first && apart) {
      problems.push({
        key: 'net.vni',
        message: `missing; node ${first.id} (${first.underlay}) and node ${apart.id} (${apart.underlay}) are not on one underlay subnet, so their subnets are joined by an overlay: set vni`,
      });
    } else if (first && (family === 6 || values.has('node-prefix6'))) {
      problems.push({
        key: 'net.vni',
        message: `missing; a route cannot have a next hop of another family, so the IPv${family === 4 ? 6 : 4} node subnets go through an overlay over the IPv${family} underlay: set vni`,
      });
    }
  }
  return problems;
}

/** The subnet, host and container addresses of one family: subnet, +1, +2. */
function segment(
  base: Cidr,
  nodePrefix: number,
  id: number,
  key: string,
  fail: (key: string, message: string) => void,
): { subnet: string; host: string; container: string } | undefined {
  if (nodePrefix <= base.prefix) {
    fail(
      key,
      `/${nodePrefix} is not longer than the node network's /${base.prefix}; allowed: ${base.prefix + 1} to ${base.family === 4 ? 30 : 126}`,
    );
    return undefined;
  }
  const subnet = nthSubnet(base, nodePrefix, id);
  if (subnet === undefined) {
    fail(
      key,
      `node ${id} does not fit: ${base.address}/${base.prefix} holds ${2 ** (nodePrefix - base.prefix)} subnets of /${nodePrefix} (ids 0 to ${2 ** (nodePrefix - base.prefix) - 1}); allowed: a shorter node prefix or a larger network`,
    );
    return undefined;
  }
  const first = ipToBig(bare(subnet));
  const at = (n: bigint) => `${bigToIp(first + n, base.family)}/${nodePrefix}`;
  return { subnet, host: at(1n), container: at(2n) };
}

/** Node `node.id`'s routed segment, or null with routing = shared (problems through node.problem). */
export function routingOf(
  values: ReadonlyMap<string, unknown>,
  node: NodeLinkInput,
  net: { address: Cidr | undefined; address6: Cidr | undefined },
  bridge: string,
): Routing | null {
  if (!isPerNode(values) || !net.address) return null;
  const prefix = values.get('node-prefix') as number | undefined;
  const prefix6 = values.get('node-prefix6') as number | undefined;
  if (prefix === undefined) return null; // reported by routedProblems
  if (net.address6 && prefix6 === undefined) {
    node.problem(
      'net.node-prefix6',
      "missing; with address6, routing = per-node needs the prefix length of each node's IPv6 subnet, e.g. node-prefix6 = 64",
    );
    return null;
  }
  if (!net.address6 && prefix6 !== undefined) {
    node.problem(
      'net.node-prefix6',
      'an IPv6 node prefix needs IPv6 node addresses; set address6 too, or remove node-prefix6',
    );
    return null;
  }
  const v4 = segment(net.address, prefix, node.id, 'net.node-prefix', node.problem);
  const v6 =
    net.address6 && prefix6 !== undefined
      ? segment(net.address6, prefix6, node.id, 'net.node-prefix6', node.problem)
      : null;
  const underlay = underlayOf(values, node.id, node.keys, node.problem);
  if (!v4 || v6 === undefined || !underlay) return null;
  const vni = values.get('vni') as number | undefined;
  return {
    subnet: v4.subnet,
    subnet6: v6?.subnet ?? null,
    hostAddress: v4.host,
    hostAddress6: v6?.host ?? null,
    address: v4.container,
    address6: v6?.container ?? null,
    bridge,
    underlay,
    overlay:
      vni === undefined
        ? null
        : { vni, port: (values.get('vxlan-port') as number | undefined) ?? DEFAULT_VXLAN_PORT },
  };
}

/**
 * The MAC of a routed node's own bridge, set when it is made: a bridge whose MAC the kernel
 * chose takes its lowest port's and changes as containers come and go, and the bridge
 * CNI plugin's CHECK compares the bridge's MAC with the one its ADD reported. The node's
 * MAC with 0x04 flipped in the first byte (still unicast, still locally administered):
 * the node's own MAC is its cluster container's, on this same bridge.
 */
export const routedBridgeMac = (nodeMac: string): string => {
  const [first, ...rest] = nodeMac.split(':');
  return [(parseInt(first!, 16) ^ 0x04).toString(16).padStart(2, '0'), ...rest].join(':');
};

/** The peers with a routed segment, for ops: each with its own. */
const routedPeers = (peers: readonly LinkPeer[]): (LinkPeer & { routing: Routing })[] =>
  peers.filter((p): p is LinkPeer & { routing: Routing } => p.routing !== null);

/** Whether a node sends anything through the overlay (then it has cnvx0, and MTU room for it). */
export function needsOverlay(mine: Routing, peers: readonly LinkPeer[]): boolean {
  return routedPeers(peers).some(
    (p) =>
      !direct(mine, p.routing, 4) ||
      (mine.subnet6 !== null && p.routing.subnet6 !== null && !direct(mine, p.routing, 6)),
  );
}

/**
 * The host's routed side, after the bridge and the veth: the bridge's addresses (the
 * containers' gateways), forwarding on (left on by stop: other things on a host rely on
 * it), a route per peer subnet — via its underlay address when on-link, else through
 * cnvx0 (its forwarding entry, a permanent neighbour for its bridge address, IPv6 via its
 * EUI-64 link-local since a route's next hop is of its own family).
 */
export function routedOps(n: LinkNode, at: LinkAt, mine: Routing): KernelOp[] {
  const host = at.host;
  const ops: KernelOp[] = [
    { op: 'addr-add', ns: host, dev: mine.bridge, address: mine.hostAddress },
    ...(mine.hostAddress6
      ? [{ op: 'addr-add', ns: host, dev: mine.bridge, address: mine.hostAddress6 } as KernelOp]
      : []),
    { op: 'sysctl', ns: host, key: 'net.ipv4.ip_forward', value: '1', undo: null },
    ...(mine.subnet6
      ? [
          {
            op: 'sysctl',
            ns: host,
            key: 'net.ipv6.conf.all.forwarding',
            value: '1',
            undo: null,
          } as KernelOp,
        ]
      : []),
  ];
  const peers = routedPeers(n.peers);
  if (needsOverlay(mine, n.peers)) {
    if (!mine.overlay)
      throw new Error(
        `node ${n.node}: an overlay is needed but no vni is set (config/load.ts refuses that)`,
      );
    const tmpName = tmpOverlayName(n.node);
    const link: LinkParams = {
      kind: 'vxlan',
      vni: mine.overlay.vni,
      port: mine.overlay.port,
      local: bare(mine.underlay),
      flood: [],
    };
    ops.push(
      // The node's MAC: its peers' neighbour entries name it (and it is on no L2 segment where the container's is).
      {
        op: 'link-create',
        ns: host,
        target: host,
        lower: n.device,
        tmpName,
        name: OVERLAY_DEV,
        link,
        mac: n.mac,
        mtu: 0,
      },
      { op: 'link-rename', ns: host, from: tmpName, to: OVERLAY_DEV },
      { op: 'link-up', ns: host, dev: OVERLAY_DEV, shared: false },
    );
  }
  for (const p of peers) {
    const via = p.routing;
    const dual = mine.subnet6 !== null && via.subnet6 !== null;
    const direct4 = direct(mine, via, 4);
    const direct6 = dual && direct(mine, via, 6);
    if (!direct4 || (dual && !direct6))
      ops.push({ op: 'fdb-add', ns: host, dev: OVERLAY_DEV, mac: p.mac, dst: bare(via.underlay) });
    if (direct4)
      ops.push({
        op: 'route-add',
        ns: host,
        dst: via.subnet,
        via: bare(via.underlay),
        dev: n.device,
      });
    else {
      ops.push(
        {
          op: 'neigh-add',
          ns: host,
          dev: OVERLAY_DEV,
          address: bare(via.hostAddress),
          lladdr: p.mac,
        },
        {
          op: 'route-add',
          ns: host,
          dst: via.subnet,
          via: bare(via.hostAddress),
          dev: OVERLAY_DEV,
          onlink: true,
        },
      );
    }
    if (!dual) continue;
    if (direct6)
      ops.push({
        op: 'route-add',
        ns: host,
        dst: via.subnet6!,
        via: bare(via.underlay),
        dev: n.device,
      });
    else {
      const linkLocal = eui64LinkLocal(p.mac);
      ops.push(
        { op: 'neigh-add', ns: host, dev: OVERLAY_DEV, address: linkLocal, lladdr: p.mac },
        { op: 'route-add', ns: host, dst: via.subnet6!, via: linkLocal, dev: OVERLAY_DEV },
      );
    }
  }
  return ops;
}
