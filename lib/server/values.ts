// What a host that is not a node (a server, a router, a login node) needs to join the
// cluster network: an interface like a node's, with the MAC from the template plus the
// address's offset from the base — Kerrighed's README gave the server 10.4.135.254 the
// MAC f0:00:00:00:07:fe — and the nodes' MTU.
import { InputError } from '../errors.js';
import type { Config } from '../config/types.js';
import type { LinkParams, LinkPeer } from '../link/driver.js';
import { LINK_NODE_KEYS, ownerOf } from '../link/index.js';
import {
  ValueProblem,
  isMulticastMac,
  macToNumber,
  parseIfName,
  parseInteger,
  parseIp,
  parseMac,
} from '../value/parse.js';
import { bigToIp, inSubnet, ipToBig, macAt, subnetOf, withLastByte } from '../value/arith.js';
import { deriveAll } from '../derive/node.js';

export interface ServerOptions {
  address: string;
  interface?: string | undefined;
  device?: string | undefined;
  mac?: string | undefined;
  mtu?: string | number | undefined;
  /** The link kind's per-node keys given as options (--underlay), raw, by key. */
  nodeKeys?: Record<string, string | undefined>;
}

export interface ServerValues {
  link: LinkParams;
  /** Why the host joins with another kind of link than the nodes' (link = bridge: a macvlan), or null. */
  note: string | null;
  device: string;
  interface: string;
  mac: string;
  /** null: the kernel's (the lower device's) MTU. */
  mtu: number | null;
  /** With the cluster network's prefix, e.g. 10.4.135.254/18. */
  address: string;
  /** Every node, for kinds whose link names its peers (vxlan: a forwarding entry per node). */
  peers: LinkPeer[];
}

const bad = (key: string, message: string): never => {
  throw new InputError({ key, message });
};

function option<T>(key: string, parse: () => T): T {
  try {
    return parse();
  } catch (error) {
    if (error instanceof ValueProblem) return bad(key, error.message);
    throw error;
  }
}

const isIpv4 = (ip: string): boolean => {
  try {
    return parseIp(ip, 4) !== '';
  } catch {
    return false;
  }
};

export function serverValues(config: Config, o: ServerOptions): ServerValues {
  const { net } = config;
  if (!net.enable || !net.address)
    return bad(
      '--address',
      'the node network is disabled ([net] enable = false): there is no cluster network to join',
    );
  const base = net.address;
  const [ip, prefix, extra] = o.address.trim().split('/');
  if (
    !ip ||
    !isIpv4(ip) ||
    extra !== undefined ||
    (prefix !== undefined && !/^\d+$/.test(prefix))
  ) {
    bad(
      '--address',
      `"${o.address}" is not an IPv4 address; allowed: like 10.4.135.254 (or with the cluster prefix, /${base.prefix})`,
    );
  }
  if (prefix !== undefined && Number(prefix) !== base.prefix)
    bad('--address', `the cluster network is /${base.prefix}, not /${prefix}`);
  const { cidr: where, first, last } = subnetOf(base.address, base.prefix);
  const [subnet, broadcast] = [bigToIp(first, 4), bigToIp(last, 4)];
  if (!inSubnet(ip!, base.address, base.prefix))
    bad('--address', `${ip} is outside the cluster network ${where}`);
  if (ip === subnet || ip === broadcast)
    bad('--address', `${ip} is the ${ip === subnet ? 'network' : 'broadcast'} address of ${where}`);
  const nodes = deriveAll(config);
  // Each node routes a subnet of its own (routing = per-node): no segment is shared to join.
  const routed = nodes.find((v) => v.routing)?.routing;
  if (routed)
    bad(
      '--address',
      `routed per-node segments have no shared segment to join (node subnets like ${routed.subnet}); route ${base.address}/${base.prefix} via a node instead (its underlay address)`,
    );
  const node = nodes.find((v) => v.address.split('/')[0] === ip);
  if (node)
    bad(
      '--address',
      `${ip} is node ${node.node}'s address; pick one no node gets (nodes: base + id)`,
    );
  if (config.clusterIps.some((c) => c.address === ip))
    bad('--address', `${ip} is a cluster address`);

  let mac: string;
  if (o.mac !== undefined) mac = option('--mac', () => parseMac(o.mac!));
  else {
    const offset = ipToBig(ip!) - ipToBig(base.address);
    // replace: nodes differ from the base in the last byte only; so must a host whose MAC
    // follows from the template that way (else two hosts could get one MAC).
    if (net.template === 'replace' && ipToBig(ip!) >> 8n !== ipToBig(base.address) >> 8n) {
      bad(
        '--address',
        `${ip} differs from the base ${base.address} in more than the last byte, so no MAC follows from the template (template = replace); give --mac`,
      );
    }
    if (net.template === 'add' && offset <= 0n)
      bad(
        '--address',
        `${ip} is not above the base ${base.address}, so no MAC follows from the template; give --mac`,
      );
    const n =
      net.template === 'replace'
        ? withLastByte(macToNumber(net.mac), ipToBig(ip!))
        : macToNumber(net.mac) + offset;
    const unicast = (m: string) =>
      bad('--mac', `${m} has the multicast bit set; a host's MAC must be unicast`);
    mac = macAt(n, (p) =>
      p.why === 'overflow'
        ? bad('--address', `template ${net.mac} + ${offset} overflows 48 bits; give --mac`)
        : unicast(p.mac),
    )!;
  }
  if (isMulticastMac(mac))
    bad('--mac', `${mac} has the multicast bit set; a host's MAC must be unicast`);

  const driver = ownerOf(net.link);
  // A server is no node: id 0, and what a node has in [node N] it gives as options.
  const keys = new Map<string, unknown>();
  for (const [key, raw] of Object.entries(o.nodeKeys ?? {})) {
    const owned = LINK_NODE_KEYS.get(key);
    if (raw === undefined || raw === '' || !owned) continue;
    if (!owned.owners.includes(net.link))
      bad(
        `--${key}`,
        `applies only to link = ${owned.owners.join(' or ')}; this cluster's link is ${net.link}`,
      );
    keys.set(
      key,
      option(`--${key}`, () => owned.spec.parse(raw)),
    );
  }
  const nodeLink = driver.params(net.linkKeys, {
    id: 0,
    keys,
    problem: (key, message) => bad(key, message),
  });
  if (!nodeLink)
    return bad('--address', `the ${net.link} link of [net] is incomplete; run clusternet validate`);
  const join = driver.server.joinWith?.(nodeLink);
  const link = join?.link ?? nodeLink;
  // auto: the nodes take the device's MTU less the kind's overhead; on a 1500 segment that
  // is 1500 less it (a VLAN: 1496). Without overhead, the kernel's own (null).
  const overhead = driver.overhead(nodeLink);
  const mtu =
    o.mtu !== undefined && o.mtu !== ''
      ? option('--mtu', () => parseInteger(String(o.mtu), 68, 65535, 'an MTU'))
      : typeof net.mtu === 'number'
        ? net.mtu
        : overhead > 0
          ? 1500 - overhead
          : null;
  return {
    link,
    note: join?.note ?? null,
    device: option('--device', () => parseIfName(o.device ?? net.device)),
    interface: option('--interface', () => parseIfName(o.interface ?? net.interface)),
    mac,
    mtu,
    address: `${ip}/${net.address.prefix}`,
    peers: driver.needsPeers
      ? nodes.flatMap((v) =>
          v.link
            ? [
                {
                  node: v.node,
                  mac: v.mac,
                  address: v.address,
                  address6: v.address6,
                  link: v.link,
                  routing: v.routing,
                },
              ]
            : [],
        )
      : [],
  };
}
