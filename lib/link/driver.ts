// The seam between clusternet and one kind of kernel link (vlan, macvlan, …): everything
// that differs from kind to kind lives behind this interface, in one file per kind.
// Plan, apply, check, show, status, hooks and server-config ask the driver; none of them
// names a kind. Adding a kind is one new file here, listed in index.ts, plus its tests.
import type { KeySpec } from '../value/spec.js';
import type { Cidr } from '../value/parse.js';
import type { LinkState, NsState } from '../system/state.js';
import type { Ns } from '../system/ns.js';
import type { KernelOp } from './ops.js';

/** The kinds net.conf's `link =` accepts (index.ts LINK_KINDS lists them in order). */
export type LinkKind = 'vlan' | 'macvlan' | 'bridge' | 'vxlan';

/**
 * One kernel link we create, as plain data: it is stored in /run records and checked there.
 * Its `kind` is the kernel's (`ip -d link` info_kind): a kind of net.conf may make more
 * than one (link = bridge: the node's veth, and a bridge of ours on the host).
 */
export type LinkParams =
  | { kind: 'vlan'; id: number }
  | { kind: 'macvlan' }
  /** `local`: this host's VTEP (v4 or v6, no prefix); `flood`: VTEPs that are no node (net.vxlan-peers) it sends broadcasts to too. */
  | { kind: 'vxlan'; vni: number; port: number; local: string; flood: string[] }
  /** link = bridge: the node's veth; `peer` its end on the host, enslaved to `bridge` there. */
  | { kind: 'veth'; peer: string; bridge: string }
  /** link = bridge: the bridge clusternet makes on the host (cnbr0). */
  | { kind: 'bridge' };

/** The links a kind of net.conf makes (link = bridge: the veth and our bridge). */
export type KindParams<K extends LinkKind> = K extends 'bridge'
  ? Extract<LinkParams, { kind: 'veth' | 'bridge' }>
  : Extract<LinkParams, { kind: K }>;

/** A link to create: `lower` its lower device (null: none), `netns` where it goes (null: here). */
export interface LinkCreate<P extends LinkParams = LinkParams> {
  lower: string | null;
  name: string;
  netns: string | null;
  /** null: the kernel's choice (a bridge's: its ports'). */
  mac: string | null;
  /** 0: the kernel's default (the lower device's MTU for a vlan or macvlan). */
  mtu: number;
  link: P;
}

/** What a driver gets to work out one node's params: its id and its [node N] kind keys. */
export interface NodeLinkInput {
  /** 0: a host that is no node (server-config), whose per-node keys come from its options (--underlay). */
  id: number;
  /** This node's [node N] keys that some kind owns (nodeKeys), as parsed. */
  keys: ReadonlyMap<string, unknown>;
  /** Report a problem of this node's values (`key` a dotted path); params then returns null. */
  problem(key: string, message: string): void;
}

/** Another node of the cluster as this node's link needs it (only for kinds with needsPeers). */
export interface LinkPeer<P extends LinkParams = LinkParams> {
  node: number;
  mac: string;
  /** ADDR/PREFIX, as the node's own. */
  address: string;
  address6: string | null;
  link: P;
  /** The peer's routed segment (routing = per-node), else null. */
  routing: Routing | null;
}

/**
 * A node's own routed segment (link = bridge, routing = per-node; OpenSVC's routed_bridge,
 * xcluster-cni): plain values, read by clusternet's plan and by other tools that put
 * containers on the node's bridge in its subnet (the CNI plugin). Addresses are
 * ADDR/PREFIX with the node prefix, subnets CIDRs; the *6 fields are null without address6.
 */
export interface Routing {
  /** Node N's subnet: the N-th subnet of net.address at net.node-prefix (10.5.3.0/24). */
  subnet: string;
  subnet6: string | null;
  /** The host's address on the node's bridge: subnet + 1 (10.5.3.1/24), the containers' gateway. */
  hostAddress: string;
  hostAddress6: string | null;
  /** The cluster container's address: subnet + 2 (10.5.3.2/24). */
  address: string;
  address6: string | null;
  /** The bridge the subnet lives on, in the host (cnbr0). */
  bridge: string;
  /** The node's underlay address (ADDR/PREFIX, on its device): the peers' next hop to its subnet, its VTEP. */
  underlay: string;
  /** The overlay towards peers not reachable directly (net.vni, net.vxlan-port); null without vni. */
  overlay: { vni: number; port: number } | null;
}

/** One node's link as derive made it: what a driver's ops() turns into kernel ops. */
export interface LinkNode<P extends LinkParams = LinkParams> {
  node: number;
  device: string;
  interface: string;
  mac: string;
  address: string;
  address6: string | null;
  link: P;
  /** The other nodes (empty unless the driver sets needsPeers, or the node has a routed segment). */
  peers: LinkPeer<P>[];
  /** The node's routed segment (routing = per-node), else null. */
  routing: Routing | null;
}

/** Where the ops go: the host (boot hooks, the lower device) and the cluster container; the MTU resolved (0: kernel default). */
export interface LinkAt {
  host: Ns;
  container: Ns;
  mtu: number;
}

/** A problem of the kind's keys: `key` a dotted path (net.vlan), as in every message. */
export interface KeyProblem {
  key: string;
  message: string;
}

/** A link type the kernel must know, the module that brings it, and what to do without it. */
export interface KernelNeed {
  type: string;
  module: string;
  hint: string;
}

/**
 * One attribute of a live link that is not what the plan wants. `inPlace`: `ip link set`
 * can correct it; otherwise the link must be rebuilt (stop, then the phases again).
 */
export interface Drift {
  attribute: string;
  want: string;
  have: string;
  inPlace: boolean;
}

/** How a field of a stored LinkParams is checked when a record is read (record-schema.ts). */
export type ParamField =
  | { type: 'int'; min: number; max: number }
  | { type: 'ifname' }
  | { type: 'ip' }
  | { type: 'ips'; max: number };

/** The nodes' [node N] kind keys, for rules across nodes (two nodes, one underlay). */
export interface NodesKeys {
  ids: readonly number[];
  keys(id: number): ReadonlyMap<string, unknown>;
  /** Whether [node id] has the key, even with a value that did not parse. */
  written(id: number, key: string): boolean;
}

/** server-config's output formats (server/formats.ts). */
export type ServerFormat = 'ip' | 'ifupdown' | 'networkd' | 'nmcli';

/** The server side of a kind, in server-config's four formats (server/formats.ts frames them). */
export interface ServerLink<P extends LinkParams = LinkParams> {
  link: P;
  /** Every node, as a peer of the server (the kinds that name peers: vxlan's forwarding entries). */
  peers: LinkPeer<P>[];
  device: string;
  interface: string;
  mac: string;
  /** null: the kernel's (the lower device's) MTU. */
  mtu: number | null;
  address: string;
}

export interface ServerFragments<P extends LinkParams = LinkParams> {
  /** How the header names the link: "VLAN 7", "macvlan". */
  title(link: P): string;
  /** networkd's [NetDev] Kind= and the kind's own section lines ([VLAN] Id=7). */
  netdev(link: P): { kind: string; section: string[] };
  /** The key the lower device's .network names the link with (VLAN=, MACVLAN=). */
  parentKey: string;
  /** nmcli: connection.type and the kind's own settings. */
  nmcli(s: ServerLink<P>): { type: string; settings: string[] };
  /**
   * A host that is no node joins with another kind of link (link = bridge: a host on the
   * segment needs no bridge, a macvlan on its NIC does): that link, and why, for the header.
   */
  joinWith?(link: P): { link: LinkParams; note: string };
  /**
   * Kernel ops to run once the link exists, in the host's own namespace (vxlan: a
   * forwarding entry per node). `ip` prints them as commands, ifupdown as post-up lines,
   * networkd as sections of the link's .network ([BridgeFDB]), nmcli as commands after its own.
   */
  after?(s: ServerLink<P>): KernelOp[];
  /**
   * What `format` cannot say of this link, printed there as a comment; `printable: false`
   * when it can say nothing useful at all (server-config then exits 2 with `why`).
   */
  unsupported?(s: ServerLink<P>, format: ServerFormat): { why: string; printable: boolean } | null;
}

export interface LinkDriver<P extends LinkParams = LinkParams> {
  kind: LinkKind;
  /**
   * The links this kind makes besides the one of its own name (link = bridge: `veth`), each
   * with how its stored fields are checked; `recordFields` is for the link of its own name.
   */
  makes?: Partial<Record<LinkParams['kind'], Record<string, ParamField>>>;
  /** Devices a link-create of this kind also makes in the creating namespace (a veth's host end). */
  alsoMakes?(link: P): string[];
  /** The [net] keys this kind owns; config/load.ts merges them into its schema. */
  netKeys: Record<string, KeySpec>;
  /**
   * Rules between this kind's keys when `link` is this kind and the node network is on
   * (another kind's keys are refused generically by config/load.ts). `written`: whether
   * the key was in the file, even with a value that did not parse; `nodes`: every node's [node N] kind keys (rules across nodes).
   */
  check(
    values: ReadonlyMap<string, unknown>,
    written: (key: string) => boolean,
    nodes: NodesKeys,
  ): KeyProblem[];
  /** The [node N] keys this kind owns (per-node values, e.g. an underlay address). */
  nodeKeys: Record<string, KeySpec>;
  /**
   * One node's link parameters from the kind's parsed [net] keys and its [node N] keys;
   * null when they are incomplete (config/load.ts has then reported it, or `node.problem` was called).
   */
  params(values: ReadonlyMap<string, unknown>, node: NodeLinkInput): P | null;
  /**
   * The node's own routed segment when the kind's keys ask for one (routing = per-node),
   * else null; problems (a node id that does not fit, …) through `node.problem`.
   */
  routing?(
    values: ReadonlyMap<string, unknown>,
    node: NodeLinkInput,
    net: { address: Cidr | undefined; address6: Cidr | undefined },
  ): Routing | null;
  /** Whether ops() needs the other nodes (derive then works out each peer's values). */
  needsPeers: boolean;
  /** Hosts that are no node which the link names too (vxlan-peers), for edit's explanations. */
  extraPeers?(link: P): string[];
  /**
   * The kind's kernel ops: `boot` runs in boot-post (the host's namespace is there: links
   * made and moved, host-side devices, routes), `init` in init-pre before the addresses
   * (inside the container: forwarding entries, neighbours).
   */
  ops(n: LinkNode<P>, at: LinkAt): { boot: KernelOp[]; init: KernelOp[] };
  /** How a stored LinkParams's fields are checked (besides `kind`). */
  recordFields: Record<string, ParamField>;
  /** The link types a node with this routed segment needs probed (else `kernel`): a routed overlay's vxlan too. */
  kernelFor?(routing: Routing | null): readonly KernelNeed[];
  /** Link types probed in boot-pre, in order. */
  kernel: readonly KernelNeed[];
  /** Bytes the link takes from its lower device's MTU (a VLAN tag: 4). */
  overhead(link: P, routing?: Routing | null): number;
  /** The largest MTU the link may be given over a lower device of `deviceMtu`. */
  maxMtu(link: P, deviceMtu: number, routing?: Routing | null): number;
  /**
   * Why the link cannot be made from `host` as it is now (vxlan: the lower device lacks
   * the VTEP address), or null; assess then blocks the link-create.
   */
  cannotCreate?(want: { lower: string | null; link: P }, host: NsState): string | null;
  /**
   * The link hands up every multicast frame it carries, so a cluster MAC needs no join
   * (maddr-add): a VXLAN, whose frames come out of a UDP socket, not through a NIC's filter.
   */
  deliversAllMulticast?: true;
  /** `ip` arguments (no leading `ip`) that create the link. */
  createArgs(c: LinkCreate<P>): string[];
  /**
   * The kind's attributes and the lower device, planned against the live link (`host`:
   * the namespace state the link was created from, where its lower device lives).
   */
  compare(want: { lower: string | null; link: P }, live: LinkState, host: NsState): Drift[];
  /** One phrase: "vlan 7", "macvlan" (status, plan). */
  describe(link: P): string;
  /** Per-kind columns of `show` and `edit`'s explanations (every kind's names are listed; '-' where not this kind's). */
  fieldNames: readonly string[];
  fields(link: P): Record<string, string | number>;
  /** The CLUSTERNET_* variables site hooks get for this kind. */
  env(link: P): Record<string, string>;
  server: ServerFragments<P>;
}
