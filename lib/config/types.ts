// The validated configuration: what the rest of clusternet reads. Nothing downstream
// parses text; everything here has been checked.
import type { Cidr } from '../value/parse.js';
import type { LinkKind } from '../link/driver.js';

export type HashMode = 'sourceip' | 'sourceip-sourceport' | 'sourceip-sourceport-destport';
export const HASH_MODES: readonly HashMode[] = [
  'sourceip',
  'sourceip-sourceport',
  'sourceip-sourceport-destport',
];
export type Backend = 'auto' | 'clusterip' | 'cluster-match' | 'nft';
export const BACKENDS: readonly Backend[] = ['auto', 'cluster-match', 'nft', 'clusterip'];
/**
 * How a node's MAC and addresses come from the templates: `add` the node id to them, or
 * `replace` their last byte with it (Kerrighed's way: `${VIRTPREFIX%.*}.$node_id`).
 */
export type TemplateMode = 'add' | 'replace';
export const TEMPLATE_MODES: readonly TemplateMode[] = ['add', 'replace'];
/**
 * Who decides which hash buckets a node answers for: `rank`, each node its own bucket (its
 * rank in [cluster] nodes) from boot, moved by hand with takeover/release; `manager`, the
 * cluster manager (Pacemaker, through the resource agent), none until it assigns them.
 */
export type BucketOwner = 'rank' | 'manager';
export const BUCKET_OWNERS: readonly BucketOwner[] = ['rank', 'manager'];

/**
 * With `enable = false` no other key is required: the keys not written are then '' (the
 * address undefined), and no phase reads them.
 */
export interface NetSettings {
  enable: boolean;
  template: TemplateMode;
  link: LinkKind;
  device: string;
  interface: string;
  /** The link kinds' own keys as parsed (`vlan = 7` → vlan → 7): only their driver reads them. */
  linkKeys: ReadonlyMap<string, unknown>;
  /** The MAC template; a node's MAC is this plus its id, or with its last byte replaced. */
  mac: string;
  /** Undefined only when the section is disabled and the key not written. */
  address: Cidr | undefined;
  address6: Cidr | undefined;
  mtu: number | 'auto';
  gateway: string | undefined;
  /** The IPv6 default route's next hop, inside address6's subnet. */
  gateway6: string | undefined;
}

export interface ClusterIpSettings {
  /** '' for the plain [clusterip] section, NAME for [clusterip NAME]. */
  name: string;
  enable: boolean;
  /** The bare address (rules match it alone); '' when disabled and not written. */
  address: string;
  /** The prefix length it is installed with: as written, else 32 (IPv4) or 128 (IPv6). */
  prefix: number;
  mac: string;
  hash: HashMode;
  backend: Backend;
  seed: number;
  buckets: BucketOwner;
}

/** A [node N] section: what differs for one node. */
export interface NodeSettings {
  id: number;
  hostname: string | undefined;
  device: string | undefined;
  mtu: number | 'auto' | undefined;
  backend: Backend | undefined;
  /** The link kinds' own [node N] keys as parsed (underlay = …): only their driver reads them. */
  linkKeys: ReadonlyMap<string, unknown>;
}

/**
 * The reference plugin that makes a container's link: `bridge`, a veth on the node's own
 * bridge (the host routes between nodes); `macvlan`, the container straight on the node's
 * device, every node's containers on one L2 segment (no routes needed). The `vlan` plugin
 * is not offered: it makes one VLAN link per container on the same device and id, which
 * the kernel allows once per device, so one container per node. Nor `ipvlan` (macvlan's
 * shape, one MAC): this machine's kernel has no ipvlan, so it could not be proven here.
 */
export type CniDelegate = 'bridge' | 'macvlan';
export const CNI_DELEGATES: readonly CniDelegate[] = ['bridge', 'macvlan'];

/** [cni]: each node's containers get addresses from the node's own range (lib/cni/). */
export interface CniSettings {
  enable: boolean;
  /** The CNI network name: the conflist's, and host-local's lease folder under lease-dir. */
  name: string;
  /**
   * [net] routing = per-node: the containers share the node's routed segment (network,
   * prefixes and bridge are its; subnet + 1 is the host's bridge, + 2 the cluster container).
   */
  routed: boolean;
  network: Cidr | undefined;
  nodePrefix: number | undefined;
  network6: Cidr | undefined;
  nodePrefix6: number | undefined;
  bridge: string;
  delegate: CniDelegate;
  /** macvlan: the device the containers sit on; undefined = the node's [net] device. */
  master: string | undefined;
  mtu: number | undefined;
  binDir: string;
  leaseDir: string;
}

export interface Config {
  file: string;
  format: 'native' | 'legacy';
  nodes: number[];
  net: NetSettings;
  clusterIps: ClusterIpSettings[];
  nodeSettings: Map<number, NodeSettings>;
  /** Undefined when net.conf has no [cni] section. */
  cni: CniSettings | undefined;
  /** Where each key was written ("net.address" → line and the name as written), for errors. */
  keys: Map<string, { line: number; shown: string }>;
}
