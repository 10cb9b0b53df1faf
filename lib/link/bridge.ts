// link = bridge (OpenSVC's bridge network, Ignite's default network, Kerrighed's "bridged
// veth, left as an exercise"): a veth pair per node, its container end created inside the
// container under a temporary name and renamed, its host end enslaved to a bridge on the
// host — ours (cnbr0, made and tagged, with the lower device as its port onto the segment)
// or one the site already has, named by `bridge =` and used as it is.
import { ipFamily, parseIfName, ValueProblem } from '../value/parse.js';
import type { KindParams, LinkAt, LinkDriver, LinkNode, LinkParams } from './driver.js';
import { addArgs, tmpLinkName, type KernelOp } from './ops.js';
import { vxlanDriver } from './vxlan.js';
import {
  isPerNode,
  routedBridgeMac,
  routedOps,
  routedProblems,
  routingOf,
  ROUTED_NET_KEYS,
  ROUTED_NODE_KEYS,
} from './routed.js';

type Bridge = KindParams<'bridge'>;
type Veth = Extract<LinkParams, { kind: 'veth' }>;

const KERNEL = [
  { type: 'bridge', module: 'bridge', hint: '' },
  { type: 'veth', module: 'veth', hint: '' },
];

/** The bridge clusternet makes on the host when net.conf names none. */
export const OUR_BRIDGE = 'cnbr0';

/**
 * The routed per-node segment's layout from [net]'s parsed kind keys, as [cni] takes it:
 * the node prefixes and the host bridge every node's subnet lives on. Undefined with one
 * shared segment (routing is this kind's key: config/load.ts refuses it with another).
 */
export function perNodeSegment(
  values: ReadonlyMap<string, unknown>,
): { nodePrefix: number | undefined; nodePrefix6: number | undefined; bridge: string } | undefined {
  if (!isPerNode(values)) return undefined;
  return {
    nodePrefix: values.get('node-prefix') as number | undefined,
    nodePrefix6: values.get('node-prefix6') as number | undefined,
    bridge: OUR_BRIDGE,
  };
}
/** The host end of node N's veth (≤ 15 bytes for every node id). */
export const hostEnd = (node: number): string => `cnh${node}`;
/** Our bridge's temporary name: a half-made bridge never has the real one. */
const tmpBridgeName = (node: number): string => `cnb${node}`;

const bridgeName = (raw: string): string => {
  const name = parseIfName(raw);
  if (name === OUR_BRIDGE)
    throw new ValueProblem(
      `${OUR_BRIDGE} is the bridge clusternet makes when bridge is not set; allowed: an existing bridge's name, or no bridge key`,
    );
  return name;
};

/** The node's link as derive made it: link = bridge's is always the veth. */
const vethOf = (link: Bridge): Veth => {
  if (link.kind !== 'veth')
    throw new Error(`link = bridge: a node's link is its veth, not ${link.kind}`);
  return link;
};

/**
 * The host's side: our bridge (made under a temporary name, renamed, the lower device as
 * its port — with routing = per-node it has none: the host routes — up) unless net.conf
 * names one; then the veth, its host end on the bridge, up; then a routed segment's
 * addresses and routes (routed.ts). The host end goes with the veth when stop deletes it:
 * it is not taken down on its own.
 */
function bootOps(n: LinkNode<Bridge>, at: LinkAt): KernelOp[] {
  const veth = vethOf(n.link);
  const ops: KernelOp[] = [];
  if (veth.bridge === OUR_BRIDGE) {
    const tmpName = tmpBridgeName(n.node);
    ops.push(
      {
        op: 'link-create',
        ns: at.host,
        target: at.host,
        lower: null,
        tmpName,
        name: OUR_BRIDGE,
        link: { kind: 'bridge' },
        mac: n.routing ? routedBridgeMac(n.mac) : null,
        mtu: at.mtu,
      },
      { op: 'link-rename', ns: at.host, from: tmpName, to: OUR_BRIDGE },
      ...(n.routing
        ? []
        : [{ op: 'link-master', ns: at.host, dev: n.device, master: OUR_BRIDGE } as KernelOp]),
      { op: 'link-up', ns: at.host, dev: OUR_BRIDGE, shared: false },
    );
  }
  const tmpName = tmpLinkName(n.node);
  ops.push(
    {
      op: 'link-create',
      ns: at.host,
      target: at.container,
      lower: null,
      tmpName,
      name: n.interface,
      link: veth,
      mac: n.mac,
      mtu: at.mtu,
    },
    { op: 'link-rename', ns: at.container, from: tmpName, to: n.interface },
    { op: 'link-master', ns: at.host, dev: veth.peer, master: veth.bridge },
    { op: 'link-up', ns: at.host, dev: veth.peer, shared: true },
  );
  return n.routing ? [...ops, ...routedOps(n, at, n.routing)] : ops;
}

export const bridgeDriver: LinkDriver<Bridge> = {
  kind: 'bridge',
  makes: { veth: { peer: { type: 'ifname' }, bridge: { type: 'ifname' } } },
  alsoMakes: (link) => (link.kind === 'veth' ? [link.peer] : []),
  netKeys: {
    bridge: { parse: bridgeName, what: 'an existing bridge on the host' },
    ...ROUTED_NET_KEYS,
  },
  check: (values, written, nodes) =>
    routedProblems(values, written, nodes, values.get('bridge') as string | undefined),
  params: (values, node) => ({
    kind: 'veth',
    peer: hostEnd(node.id),
    bridge: (values.get('bridge') as string | undefined) ?? OUR_BRIDGE,
  }),
  nodeKeys: ROUTED_NODE_KEYS,
  routing: (values, node, net) =>
    routingOf(values, node, net, (values.get('bridge') as string | undefined) ?? OUR_BRIDGE),
  needsPeers: false,
  ops: (n, at) => ({ boot: bootOps(n, at), init: [] }),
  recordFields: {},
  kernel: KERNEL,
  // A routed segment with an overlay makes the hosts' VXLAN too.
  kernelFor: (routing) => (routing?.overlay ? [...KERNEL, ...vxlanDriver.kernel] : KERNEL),
  // A routed segment with an overlay leaves room for its encapsulation (vxlan.ts: 50, 70 over IPv6).
  overhead: (_link, routing) =>
    routing?.overlay ? (ipFamily(routing.underlay.split('/')[0]!) === 6 ? 70 : 50) : 0,
  // Our bridge has the lower device as a port, a routed segment leaves through it: no
  // larger than it. A bridge of the site's own may reach the segment some other way.
  maxMtu: (link, deviceMtu, routing) =>
    routing
      ? deviceMtu - bridgeDriver.overhead(link, routing)
      : link.kind === 'veth' && link.bridge !== OUR_BRIDGE
        ? 65535
        : deviceMtu,
  createArgs: (c) =>
    c.link.kind === 'bridge'
      ? addArgs(c, ['type', 'bridge'])
      : addArgs(c, [
          'type',
          'veth',
          'peer',
          'name',
          c.link.peer,
          ...(c.mtu > 0 ? ['mtu', String(c.mtu)] : []),
        ]),
  compare: (want, live, host) => {
    if (want.link.kind !== 'veth' || live.parent === null) return [];
    // The container's read names its peer by ifindex in the host: it must be our host end.
    const peer = host.links.get(want.link.peer);
    if (peer !== undefined && peer.index === live.parent.index) return [];
    const other = [...host.links.values()].find((l) => l.index === live.parent!.index)?.name ?? '?';
    return [
      {
        attribute: 'peer',
        want: `peer ${want.link.peer}${peer ? ` (ifindex ${peer.index})` : ''}`,
        have: `peer ${other} (ifindex ${live.parent.index ?? '?'})`,
        inPlace: false,
      },
    ];
  },
  describe: (link) => (link.kind === 'veth' ? `bridge ${link.bridge}` : 'bridge'),
  fieldNames: ['bridge'],
  fields: (link): Record<string, string> => (link.kind === 'veth' ? { bridge: link.bridge } : {}),
  env: (link): Record<string, string> =>
    link.kind === 'veth' ? { CLUSTERNET_BRIDGE: link.bridge } : {},
  server: {
    title: (link) => (link.kind === 'veth' ? `bridge ${link.bridge}` : 'bridge'),
    netdev: () => ({ kind: 'bridge', section: [] }),
    parentKey: 'Bridge',
    nmcli: () => ({ type: 'bridge', settings: [] }),
    joinWith: () => ({
      link: { kind: 'macvlan' },
      note: 'the nodes reach the segment through a bridge of their own; a host on the segment needs none: a macvlan on its NIC joins it',
    }),
  },
};
