// Config + node id → the node's container ranges and the reference plugin's network
// config: what clusternet-cni hands its delegate, and what `cni-config` writes for runtimes
// that call the reference plugins themselves. One function, so both say the same.
import { InputError } from '../errors.js';
import type { CniSettings, Config } from '../config/types.js';
import type { Cidr } from '../value/parse.js';
import { deriveNode } from '../derive/node.js';
import { rangeAddress, countBetween, nthSubnet } from './range.js';

/** One family's range of a node, as host-local is given it. */
export interface NodeRange {
  family: 4 | 6;
  /** The cluster's container network of this family (every node's ranges). */
  network: Cidr;
  /** The node's own subnet (node N's = the N-th of the network). */
  subnet: Cidr;
  /** What host-local is told is on-link: the node's subnet (bridge) or the whole network (macvlan). */
  onLink: Cidr;
  /** The bridge's address, the containers' next hop; none for macvlan. */
  gateway: string | undefined;
  rangeStart: string;
  rangeEnd: string;
  /** Addresses host-local may hand out. */
  size: bigint;
}

/** The enabled [cni] section, or a clear error. */
export function cniOf(config: Config): CniSettings {
  const cni = config.cni;
  if (!cni)
    throw new InputError({
      file: config.file,
      key: '[cni]',
      message: "missing section; it gives each node's containers their range (see net.conf(5))",
    });
  if (!cni.enable)
    throw new InputError({
      file: config.file,
      line: config.keys.get('cni.enable')?.line,
      key: 'cni.enable',
      message: 'is false: containers get no clusternet range; set it to true',
    });
  return cni;
}

const cidr = (c: Cidr): string => `${c.address}/${c.prefix}`;

/**
 * The first address host-local hands out, after the subnet's network address (+0) and the
 * bridge's (+1, the gateway); with [net] routing = per-node the node's cluster container
 * has +2 on the same bridge (lib/link/routed.ts), so containers start after it.
 */
const firstOffset = (cni: CniSettings): bigint => (cni.routed ? 3n : 2n);

/**
 * Node `id`'s ranges, IPv4 first. Containers get firstOffset up to the address before the
 * last (never an all-ones host part). macvlan containers share one L2 segment: the
 * whole network is on-link, the node's subnet only bounds what host-local hands out.
 * A routed segment is [net]'s: derive reports a node it has no subnet for.
 */
export function nodeRanges(config: Config, id: number): NodeRange[] {
  const cni = cniOf(config);
  if (cni.routed) deriveNode(config, id);
  const families: [Cidr | undefined, number | undefined][] = [
    [cni.network, cni.nodePrefix],
    [cni.network6, cni.nodePrefix6],
  ];
  return families.flatMap(([network, prefix]) => {
    if (!network || prefix === undefined) return [];
    const subnet = nthSubnet(network, prefix, id);
    const rangeStart = rangeAddress(subnet, firstOffset(cni));
    const rangeEnd = rangeAddress(subnet, -2n);
    const bridged = cni.delegate === 'bridge';
    return [
      {
        family: network.family,
        network,
        subnet,
        onLink: bridged ? subnet : network,
        gateway: bridged ? rangeAddress(subnet, 1n) : undefined,
        rangeStart,
        rangeEnd,
        size: countBetween(rangeStart, rangeEnd),
      },
    ];
  });
}

/** A link's MTU in the namespace we run in (lib/system/link-mtu.ts linkMtu); undefined: no such link. */
export type LinkMtuOf = (dev: string) => number | undefined;

/**
 * The MTU node `id`'s containers are given: [cni] mtu when written. Else, on a routed
 * segment, its bridge's, which they share: clusternet made it with room for the overlay
 * from the lower device's live MTU ([net] mtu = auto: the underlay's less 50, or 70 over
 * IPv6), so it is read from the bridge itself with `linkMtuOf`, where we run. With no such
 * bridge there (boot-post has not made it, or this is not the node) the node's [net] mtu,
 * when written, is what boot-post gives it; else none. Undefined: the delegate's default
 * (the bridge plugin's 1500; macvlan's, its master's).
 */
export function containerMtu(
  config: Config,
  id: number,
  linkMtuOf?: LinkMtuOf,
): number | undefined {
  return mtuFrom(mtuSource(config, id), linkMtuOf);
}

/** The MTU `source` gives, its bridge read with `linkMtuOf` (clusternet-cni.sh reads it the same way). */
export const mtuFrom = (source: MtuSource, linkMtuOf?: LinkMtuOf): number | undefined =>
  'fixed' in source ? source.fixed : (linkMtuOf?.(source.bridge) ?? source.otherwise);

/**
 * containerMtu's rule as data, for whoever reads the bridge itself (clusternet-cni's start
 * path, at every call): a number net.conf gives (or none), or a bridge to read and what to
 * give when it is not there.
 */
export type MtuSource =
  { fixed: number | undefined } | { bridge: string; otherwise: number | undefined };

export function mtuSource(config: Config, id: number): MtuSource {
  const cni = cniOf(config);
  if (cni.mtu !== undefined || !cni.routed) return { fixed: cni.mtu };
  const written = deriveNode(config, id).mtu;
  return { bridge: cni.bridge, otherwise: written === 'auto' ? undefined : written };
}

/**
 * The reference plugin's config for node `id` (without cniVersion and name: the caller's).
 * `linkMtuOf`: how to read the routed bridge's MTU where we run (containerMtu); without it,
 * only what net.conf says.
 */
export function delegateConf(
  config: Config,
  id: number,
  linkMtuOf?: LinkMtuOf,
): Record<string, unknown> {
  return delegateConfWith(config, id, containerMtu(config, id, linkMtuOf));
}

/** The reference plugin's config for node `id` with containers' MTU `given` (none: the delegate's default). */
export function delegateConfWith(
  config: Config,
  id: number,
  given: number | undefined,
): Record<string, unknown> {
  const cni = cniOf(config);
  const ranges = nodeRanges(config, id);
  const ipam = {
    type: 'host-local',
    dataDir: cni.leaseDir,
    ranges: ranges.map((r) => [
      {
        subnet: cidr(r.onLink),
        rangeStart: r.rangeStart,
        rangeEnd: r.rangeEnd,
        ...(r.gateway ? { gateway: r.gateway } : {}),
      },
    ]),
    // Every node's containers through the bridge (the host routes between nodes); on one
    // L2 segment (macvlan) the network is on-link and needs no route.
    // The next hop written out: the bridge plugin's CHECK compares the routes with it.
    routes:
      cni.delegate === 'bridge' ? ranges.map((r) => ({ dst: cidr(r.network), gw: r.gateway })) : [],
  };
  const mtu = given === undefined ? {} : { mtu: given };
  if (cni.delegate === 'bridge')
    return { type: 'bridge', bridge: cni.bridge, isGateway: true, ipMasq: false, ...mtu, ipam };
  const master = cni.master ?? deriveNode(config, id).device;
  return { type: 'macvlan', master, mode: 'bridge', ...mtu, ipam };
}

/** The CNI spec version clusternet-cni and `cni-config` write (Debian's plugins 1.1.1 speak it). */
export const CNI_VERSION = '1.0.0';

/** The node's network configuration list, for a runtime calling the reference plugins directly. */
export function conflist(
  config: Config,
  id: number,
  linkMtuOf?: LinkMtuOf,
): Record<string, unknown> {
  const cni = cniOf(config);
  return {
    cniVersion: CNI_VERSION,
    name: cni.name,
    plugins: [delegateConf(config, id, linkMtuOf)],
  };
}
