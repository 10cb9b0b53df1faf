// The [cni] section's rules that involve more than one key, or another section: each node's
// container range must exist for every node id, and must not overlap the networks the
// node already routes (its own cluster network, the cluster addresses). With [net]
// routing = per-node the containers share the node's routed segment instead: its subnet,
// on its bridge, is theirs too.
import {
  CNI_DELEGATES,
  type ClusterIpSettings,
  type CniSettings,
  type NetSettings,
} from './types.js';
import { inSubnet } from '../value/arith.js';
import { perNodeSegment } from '../link/bridge.js';
import {
  parseBool,
  parseChoice,
  parseCidr,
  parseIfName,
  parseInteger,
  ValueProblem,
  type Cidr,
} from '../value/parse.js';

type Problem = (path: string, message: string, fallbackLine?: number) => void;

/** A CNI network name: a file name under the lease folder, and a name runtimes accept. */
function cniName(raw: string): string {
  if (!/^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/.test(raw))
    throw new ValueProblem(
      `"${raw}" is not a CNI network name; allowed: 1 to 64 of A-Z a-z 0-9 _ . -, starting with a letter or digit`,
    );
  return raw;
}

/** A folder root uses: absolute, no '.' or '..' part, nothing a JSON reader or a shell could misread. */
function absolutePath(raw: string): string {
  if (
    !/^(\/[A-Za-z0-9_.+-]+)+\/?$/.test(raw) ||
    raw.split('/').some((p) => p === '.' || p === '..')
  ) {
    throw new ValueProblem(
      `"${raw}" is not an absolute folder path; allowed: /like/this, of A-Z a-z 0-9 _ . + - without '.' or '..' parts`,
    );
  }
  return raw.replace(/\/$/, '');
}

/** The [cni] keys and how each is read (load.ts's schema holds them with the other sections'). */
export const CNI_KEYS: Record<
  string,
  { parse: (raw: string) => unknown; required?: boolean; default?: unknown }
> = {
  enable: { parse: parseBool, default: true },
  name: { parse: cniName, default: 'clusternet' },
  // Required unless [net] routing = per-node gives them (cniProblems says so).
  network: { parse: (raw) => parseCidr(raw, 4) },
  'node-prefix': { parse: (raw) => parseInteger(raw, 2, 30, 'a prefix length') },
  network6: { parse: (raw) => parseCidr(raw, 6) },
  'node-prefix6': { parse: (raw) => parseInteger(raw, 2, 126, 'a prefix length') },
  // cni0, or the routed segment's bridge (readCni).
  bridge: { parse: parseIfName },
  delegate: { parse: (raw) => parseChoice(raw, CNI_DELEGATES), default: 'bridge' },
  master: { parse: parseIfName },
  mtu: { parse: (raw) => parseInteger(raw, 68, 65535, 'an MTU') },
  'bin-dir': { parse: absolutePath, default: '/usr/lib/cni' },
  'lease-dir': { parse: absolutePath, default: '/var/lib/cni/networks' },
};

type SegmentKey = 'network' | 'node-prefix' | 'network6' | 'node-prefix6' | 'bridge';

/**
 * The node's routed segment as [cni] would say it ([net] routing = per-node, link = bridge):
 * node N's subnet is the N-th of net.address at net.node-prefix (lib/link/routed.ts), on
 * clusternet's own bridge. Undefined with one shared segment.
 */
function routedSegment(
  net: NetSettings,
): Record<SegmentKey, Cidr | number | string | undefined> | undefined {
  const segment = net.enable ? perNodeSegment(net.linkKeys) : undefined;
  if (!segment) return undefined;
  return {
    network: net.address,
    'node-prefix': segment.nodePrefix,
    network6: net.address6,
    'node-prefix6': segment.nodePrefix6,
    bridge: segment.bridge,
  };
}

const shown = (v: unknown): string =>
  typeof v === 'object' && v !== null ? `${(v as Cidr).address}/${(v as Cidr).prefix}` : String(v);

/**
 * The section's keys as read (dashed names) → the typed settings. With [net] routing =
 * per-node the network keys and the bridge default to the routed segment's; a value
 * written that differs is refused: the host routes the node subnets and nothing else, so a
 * second container network would reach no other node.
 */
export function readCni(
  values: Record<string, unknown>,
  net: NetSettings,
  problem: Problem,
): CniSettings {
  const segment = values.enable === false ? undefined : routedSegment(net);
  const pick = (key: SegmentKey): unknown => {
    if (!segment) return values[key];
    const theirs = segment[key];
    if (values[key] !== undefined && shown(values[key]) !== shown(theirs)) {
      const from =
        key === 'bridge'
          ? "the node's bridge"
          : key.startsWith('network')
            ? `net.${key === 'network' ? 'address' : 'address6'}`
            : `net.${key}`;
      problem(
        `cni.${key}`,
        `${shown(values[key])} differs from the routed segment's ${theirs === undefined ? '(none)' : shown(theirs)}: with [net] routing = per-node containers get addresses in the node's own subnet, on its bridge (${from}); allowed: remove ${key} (it defaults to that), or set routing = shared`,
      );
    }
    return theirs;
  };
  return {
    enable: values.enable as boolean,
    name: values.name as string,
    routed: segment !== undefined,
    network: pick('network') as Cidr | undefined,
    nodePrefix: pick('node-prefix') as number | undefined,
    network6: pick('network6') as Cidr | undefined,
    nodePrefix6: pick('node-prefix6') as number | undefined,
    bridge: (pick('bridge') as string | undefined) ?? 'cni0',
    delegate: values.delegate as CniSettings['delegate'],
    master: values.master as string | undefined,
    mtu: values.mtu as number | undefined,
    binDir: values['bin-dir'] as string,
    leaseDir: values['lease-dir'] as string,
  };
}

/**
 * Node N's range is the N-th subnet of the network at the node prefix (lib/cni/range.ts):
 * the network holds 2^(node prefix − prefix) of them, numbered from 0, so the largest node
 * id must be below that. Distinct ids give distinct, disjoint subnets.
 */
function rangeProblem(
  network: Cidr,
  nodePrefix: number,
  nodes: readonly number[],
  key: string,
  problem: Problem,
): void {
  const name = `cni.${key}`;
  if (nodePrefix <= network.prefix) {
    problem(
      name,
      `/${nodePrefix} is not longer than the network's /${network.prefix}, so it leaves one range for every node; allowed: /${network.prefix + 1} to /${network.family === 4 ? 30 : 126}`,
    );
    return;
  }
  const count = 1n << BigInt(nodePrefix - network.prefix);
  const highest = nodes.length > 0 ? Math.max(...nodes) : 0;
  if (BigInt(highest) >= count) {
    const needed = network.prefix + BigInt(highest).toString(2).length;
    problem(
      name,
      `${network.address}/${network.prefix} at /${nodePrefix} holds ${count} node ranges (0 to ${count - 1n}); node ${highest} has none; allowed: a node prefix of at least /${needed}, or a larger network`,
    );
  }
}

const overlap = (a: Cidr, b: { address: string; prefix: number }) =>
  inSubnet(a.address, b.address, Math.min(a.prefix, b.prefix));

export function cniProblems(
  cni: CniSettings,
  net: NetSettings,
  nodes: readonly number[],
  clusterIps: readonly ClusterIpSettings[],
  problem: Problem,
  headerLine: number | undefined,
): void {
  if (!cni.enable) return;
  if (cni.routed) {
    // The segment's own rules (node fit, prefixes) are [net]'s, reported by derive.
    if (cni.delegate !== 'bridge')
      problem(
        'cni.delegate',
        `${cni.delegate} puts containers beside the node's device, and with [net] routing = per-node the node's subnet lives on its bridge; allowed: bridge`,
      );
    return;
  }
  if (!cni.network)
    problem(
      'cni.network',
      'missing; this key is required in [cni] (unless [net] routing = per-node gives each node a subnet)',
      headerLine,
    );
  else if (cni.nodePrefix === undefined)
    problem(
      'cni.node-prefix',
      'missing; this key is required in [cni] (unless [net] routing = per-node gives each node a subnet)',
      headerLine,
    );
  if (cni.network && cni.nodePrefix !== undefined)
    rangeProblem(cni.network, cni.nodePrefix, nodes, 'node-prefix', problem);
  if (cni.network6 && cni.nodePrefix6 === undefined)
    problem(
      'cni.node-prefix6',
      'missing; network6 needs the per-node IPv6 prefix length, e.g. node-prefix6 = 80',
      headerLine,
    );
  if (!cni.network6 && cni.nodePrefix6 !== undefined)
    problem('cni.node-prefix6', 'applies only with network6; add network6 or remove it');
  if (cni.network6 && cni.nodePrefix6 !== undefined)
    rangeProblem(cni.network6, cni.nodePrefix6, nodes, 'node-prefix6', problem);
  for (const [mine, theirs, key] of [
    [cni.network, net.address, 'network'],
    [cni.network6, net.address6, 'network6'],
  ] as const) {
    if (mine && theirs && overlap(mine, theirs)) {
      problem(
        `cni.${key}`,
        `${mine.address}/${mine.prefix} overlaps the node network ${theirs.address}/${theirs.prefix}; allowed: a network of its own, so each destination has one route`,
      );
    }
    for (const cip of clusterIps) {
      if (mine && cip.address && inSubnet(cip.address, mine.address, mine.prefix)) {
        problem(
          `cni.${key}`,
          `${mine.address}/${mine.prefix} holds the cluster address ${cip.address}; allowed: a network without it`,
        );
      }
    }
  }
  if (cni.delegate === 'bridge' && cni.master !== undefined)
    problem(
      'cni.master',
      'applies only to delegate = macvlan (the bridge delegate puts containers on cni.bridge)',
    );
  if (cni.delegate !== 'bridge' && !cni.master && !net.device)
    problem(
      'cni.master',
      `missing; delegate = ${cni.delegate} puts containers on a device: name it here or in net.device`,
      headerLine,
    );
  if (cni.delegate === 'bridge' && (cni.bridge === net.interface || cni.bridge === net.device)) {
    problem(
      'cni.bridge',
      `${cni.bridge} is also the cluster's ${cni.bridge === net.interface ? 'net.interface' : 'net.device'}; allowed: a bridge of its own, e.g. cni0`,
    );
  }
}
