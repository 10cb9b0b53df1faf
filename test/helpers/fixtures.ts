// Config texts shared by the unit and CLI suites. Line numbers in assertions are found
// with lineOf(), so the texts can change without breaking every test.
import type { NodeLinkInput, NodesKeys } from '../../lib/link/driver.js';

/** A complete native net.conf: every [net] key, a cluster address and a [node N] override. */
export const NATIVE_CONF = `# clusternet test config
[cluster]
nodes = 1-16

[net]
enable = true
link = vlan
device = eth0
interface = krg0
vlan = 7
mac = f0:00:00:00:07:00
address = 10.4.135.0/18
address6 = fd00:4:135::/64
mtu = auto
gateway = 10.4.135.254

[clusterip]
enable = true
address = 10.4.192.1
mac = 01:00:5e:04:c0:01
hash = sourceip
backend = auto
seed = 0x4b52470c

[node 16]
hostname = n16
device = eth1
mtu = 1400
`;

/** Kerrighed's own flat file, as its documentation shows it. */
export const LEGACY_CONF = `# /etc/kerrighed/net.conf
NETCONF_ENABLE=true
PHYS=eth0
VIRT=krg0
VLANID=7
VIRTMAC=f0:00:00:00:07:00
VIRTPREFIX=10.4.135.0/18

# The cluster IP (CLUSTERIP target)
CLUSTERADDR_ENABLE=true
CLUSTERADDR=10.4.192.1
CLUSTERMAC=01:00:5E:00:00:20
`;

/** The same legacy file written the way shell users do: quotes, export, comments. */
export const LEGACY_CONF_QUOTED = `#!/bin/sh
# Kerrighed network configuration
NETCONF_ENABLE="true"
PHYS='eth0'
VIRT="krg0"
VLANID=7
  # an indented comment
VIRTMAC="f0:00:00:00:07:00"
VIRTPREFIX='10.4.135.0/18'
CLUSTERADDR_ENABLE=true
export CLUSTERADDR=10.4.192.1/18
CLUSTERMAC="01:00:5E:00:00:20"
`;

/**
 * What LEGACY_CONF means, written natively (its implicit nodes = 1-16, link = vlan and
 * template = replace made explicit).
 */
export const LEGACY_AS_NATIVE = `[cluster]
nodes = 1-16

[net]
enable = true
template = replace
link = vlan
device = eth0
interface = krg0
vlan = 7
mac = f0:00:00:00:07:00
address = 10.4.135.0/18

[clusterip]
enable = true
address = 10.4.192.1
mac = 01:00:5e:00:00:20
`;

export interface ConfParts {
  /** The value of cluster.nodes (default 1-16). */
  nodes?: string;
  /** Keys of [net] to set; `undefined` removes a default key. */
  net?: Record<string, string | undefined>;
  /** Text appended after [net] (more sections). */
  extra?: string;
}

const NET_DEFAULTS: Record<string, string> = {
  link: 'vlan',
  device: 'eth0',
  interface: 'krg0',
  vlan: '7',
  mac: 'f0:00:00:00:07:00',
  address: '10.4.135.0/18',
};

/** A small native config, one `key = value` per line, for tests that vary one key. */
export function conf(parts: ConfParts = {}): string {
  const net = { ...NET_DEFAULTS, ...parts.net };
  const lines = ['[cluster]', `nodes = ${parts.nodes ?? '1-16'}`, '', '[net]'];
  for (const [key, value] of Object.entries(net))
    if (value !== undefined) lines.push(`${key} = ${value}`);
  return `${lines.join('\n')}\n${parts.extra ? `\n${parts.extra.replace(/\n?$/, '\n')}` : ''}`;
}

/** The 1-based line of the first line containing `needle` (throws when absent). */
export function lineOf(text: string, needle: string, from = 1): number {
  const lines = text.split('\n');
  for (let i = from - 1; i < lines.length; i++) if (lines[i]!.includes(needle)) return i + 1;
  throw new Error(`fixture has no line containing ${JSON.stringify(needle)}`);
}

/** The listed fields of an object: for asserting the keys a test is about while the types grow. */
export function pick<T extends object, K extends keyof T>(
  object: T,
  keys: readonly K[],
): Pick<T, K> {
  const out = {} as Pick<T, K>;
  for (const key of keys) out[key] = object[key];
  return out;
}

export const CLUSTERIP_KEYS = [
  'name',
  'enable',
  'address',
  'mac',
  'hash',
  'backend',
  'seed',
] as const;
export const NODE_SETTING_KEYS = ['id', 'hostname', 'device', 'mtu'] as const;

/** A running simulated node's net.conf (macvlan, one nft cluster address): the safety suites'. */
export const SIM_CONF = `[cluster]
nodes = 1-16

[net]
link = macvlan
device = eth0
interface = krg0
mac = 02:00:00:00:07:00
address = 10.4.135.0/18
mtu = auto

[clusterip]
address = 10.4.192.1
mac = 01:00:5e:04:c0:01
backend = nft
seed = 7
`;

/**
 * link = vxlan on the sim's two segments: nodes' VTEPs 192.168.10.N (the base), node 3's
 * behind the router (192.168.20.3), the client's 192.168.10.100 flooded to as well.
 * `net`: more [net] lines; `rest`: the sections after [net] ([clusterip], [node 3]'s own).
 */
export const vxlanConf = (
  o: { nodes?: string; net?: string; rest?: string } = {},
): string => `[cluster]
nodes = ${o.nodes ?? '1-3'}

[net]
link = vxlan
device = eth0
vni = 42
underlay = 192.168.10.0/24
vxlan-peers = 192.168.10.100
mac = 02:00:00:00:07:00
address = 10.4.135.0/18
${o.net ?? ''}
${o.rest ?? '[node 3]\nunderlay = 192.168.20.3/24\n'}`;

/**
 * routing = per-node (link = bridge) on the two-segment sim: node N's subnet 10.5.N.0/24
 * and fd05:0:0:N::/64, underlays from the sim's segment a base, the overlay's VNI 77.
 * `node3`: node 3's own underlay across the router (192.168.20.3), as the sim gives it.
 */
export const routedConf = (o: { nodes?: string; node3?: boolean } = {}): string => `[cluster]
nodes = ${o.nodes ?? '1-3'}

[net]
link = bridge
routing = per-node
device = eth0
mac = 02:00:00:00:05:00
address = 10.5.0.0/16
node-prefix = 24
address6 = fd05::/48
node-prefix6 = 64
underlay = 192.168.10.0/24
vni = 77
${o.node3 === false ? '' : '\n[node 3]\nunderlay = 192.168.20.3/24\n'}`;

/** A cluster whose [node N] sections hold no kind keys: a driver's cross-node rules see none. */
export const NO_NODE_KEYS: NodesKeys = { ids: [1], keys: () => new Map(), written: () => false };

/** Node `id`'s input to a driver's params, no [node N] keys; a problem reported fails the test. */
export const nodeInput = (id = 1): NodeLinkInput => ({
  id,
  keys: new Map(),
  problem: (key, message) => {
    throw new Error(`unexpected problem: ${key}: ${message}`);
  },
});
