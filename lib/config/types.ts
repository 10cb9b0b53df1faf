// The validated configuration: what the rest of clusternet reads. Nothing downstream
// parses text; everything here has been checked.
import type { Cidr } from './values.js';

export type LinkType = 'vlan' | 'macvlan';
export const LINK_TYPES: readonly LinkType[] = ['vlan', 'macvlan'];
export type HashMode = 'sourceip' | 'sourceip-sourceport' | 'sourceip-sourceport-destport';
export const HASH_MODES: readonly HashMode[] = ['sourceip', 'sourceip-sourceport', 'sourceip-sourceport-destport'];
export type Backend = 'auto' | 'clusterip' | 'cluster-match' | 'nft';
export const BACKENDS: readonly Backend[] = ['auto', 'cluster-match', 'nft', 'clusterip'];
/**
 * Who decides which hash buckets a node answers for: `rank`, each node its own bucket (its
 * rank in [cluster] nodes) from boot, moved by hand with takeover/release; `manager`, the
 * cluster manager (Pacemaker, through the resource agent), none until it assigns them.
 */
export type BucketOwner = 'rank' | 'manager';
export const BUCKET_OWNERS: readonly BucketOwner[] = ['rank', 'manager'];

export interface NetSettings {
  enable: boolean;
  link: LinkType;
  device: string;
  interface: string;
  vlan: number | undefined;
  /** The MAC template; a node's MAC is this plus its id. */
  mac: string;
  address: Cidr;
  address6: Cidr | undefined;
  mtu: number | 'auto';
  gateway: string | undefined;
}

export interface ClusterIpSettings {
  /** '' for the plain [clusterip] section, NAME for [clusterip NAME]. */
  name: string;
  enable: boolean;
  address: string;
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
}

export interface Config {
  file: string;
  format: 'native' | 'legacy';
  nodes: number[];
  net: NetSettings;
  clusterIps: ClusterIpSettings[];
  nodeSettings: Map<number, NodeSettings>;
  /** Where each key was written ("net.address" → line and the name as written), for errors. */
  keys: Map<string, { line: number; shown: string }>;
}
