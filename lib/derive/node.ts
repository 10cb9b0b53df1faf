// Node id → this node's values: MAC from the template, addresses from the base, the
// link's settings with any [node N] overrides. Arithmetic on numbers, never string surgery,
// and every result checked (Kerrighed gave node 0 the template itself and .255 addresses).
import { InputError, type InputProblem } from '../errors.js';
import type { Backend, ClusterIpSettings, Config, TemplateMode } from '../config/types.js';
import type { LinkKind, LinkParams, LinkPeer, Routing } from '../link/driver.js';
import { ownerOf } from '../link/index.js';
import type { NodeClusterIp } from '../clusterip/types.js';
import { bucketOf, clusterIpProblems, wantedBackend } from '../clusterip/rules.js';
import { macToNumber, type Cidr } from '../value/parse.js';
import {
  addressAt,
  ipToBig,
  macAt,
  offsetAddress,
  withLastByte,
  type MacProblem,
} from '../value/arith.js';

export interface NodeValues {
  node: number;
  enable: boolean;
  kind: LinkKind;
  /** The link to create (its kind's parameters); null only with the node network off and its keys unset. */
  link: LinkParams | null;
  /** The other nodes' link values, for kinds whose ops name them (vxlan's forwarding entries); else empty. */
  peers: LinkPeer[];
  device: string;
  interface: string;
  mac: string;
  /** With its prefix length, e.g. 10.4.135.4/18. */
  address: string;
  address6: string | null;
  /** 'auto' until the device's MTU is known (its MTU less the link kind's overhead). */
  mtu: number | 'auto';
  gateway: string | null;
  gateway6: string | null;
  /**
   * The node's own routed segment (link = bridge, routing = per-node): its subnets, the
   * host's and the container's addresses, the bridge, the underlay (link/driver.ts Routing).
   * Other tools read it (the CNI plugin puts containers on `bridge` in `subnet`). null otherwise.
   */
  routing: Routing | null;
  clusterIps: NodeClusterIp[];
}

/** Problems of node `id`'s values, named by the key that made them, into `problems`. */
function problemsOf(
  config: Config,
  id: number,
  problems: InputProblem[],
): (path: string, message: string) => void {
  return (path, message) => {
    const k = config.keys.get(path);
    problems.push({
      file: config.file,
      line: k?.line,
      key: k?.shown ?? path,
      message: `node ${id}: ${message}`,
    });
  };
}

/**
 * A node's MAC, addresses (ADDR/PREFIX) and link params: what it has on the cluster
 * network, for itself and for the peers a link kind names. A disabled node network makes
 * no link and no address: only a cluster address may still go on the interface
 * (Kerrighed's 20clusterip ran whatever NETCONF_ENABLE said).
 */
function linkValues(
  config: Config,
  id: number,
  problem: (path: string, message: string) => void,
): {
  mac: string;
  address: string;
  address6: string | null;
  link: LinkParams | null;
  routing: Routing | null;
} {
  const net = config.net;
  const keys = config.nodeSettings.get(id)?.linkKeys ?? new Map<string, unknown>();
  const driver = ownerOf(net.link);
  const link = driver.params(net.linkKeys, { id, keys, problem });
  if (!net.enable || !net.address)
    return { mac: '', address: '', address6: null, link, routing: null };
  const mac = nodeMac(net.mac, net.template, id, (m) => problem('net.mac', m)) ?? '';
  // A routed segment of its own (routing = per-node): the node's address is its subnet's.
  const routing =
    driver.routing?.(
      net.linkKeys,
      { id, keys, problem },
      { address: net.address, address6: net.address6 },
    ) ?? null;
  if (routing) return { mac, address: routing.address, address6: routing.address6, link, routing };
  const address = nodeAddress(net.address, net.template, id, (m) => problem('net.address', m));
  const address6 = net.address6
    ? nodeAddress(net.address6, net.template, id, (m) => problem('net.address6', m))
    : undefined;
  return {
    mac,
    address: address ? `${address}/${net.address.prefix}` : '',
    address6: address6 && net.address6 ? `${address6}/${net.address6.prefix}` : null,
    link,
    routing: null,
  };
}

export function deriveNode(config: Config, id: number): NodeValues {
  return deriveOne(config, id, true);
}

/**
 * `cipCheck`: check the cluster addresses here (deriveAll checks them once, first).
 * `known`: every node as a peer, worked out once by deriveAll (else each node would work
 * out every other: quadratic in nodes).
 */
function deriveOne(
  config: Config,
  id: number,
  cipCheck: boolean,
  known?: ReadonlyMap<number, LinkPeer>,
): NodeValues {
  const problems: InputProblem[] = [];
  const problem = problemsOf(config, id, problems);
  const net = config.net;
  const own = config.nodeSettings.get(id);
  const { mac, address, address6, link, routing } = linkValues(config, id, problem);
  if (routing) {
    // The node's bridge is its containers' gateway; a cluster address answers on one L2 segment, which routed nodes have not.
    if (net.gateway)
      problem(
        'net.gateway',
        "with routing = per-node the node's bridge is the gateway (its subnet + 1); remove gateway",
      );
    if (net.gateway6)
      problem(
        'net.gateway6',
        "with routing = per-node the node's bridge is the gateway (its subnet + 1); remove gateway6",
      );
    for (const cip of config.clusterIps.filter((c) => c.enable)) {
      problem(
        cip.name ? `clusterip.${cip.name}.address` : 'clusterip.address',
        'a cluster address needs every node on one L2 segment, and routing = per-node gives each its own; set enable = false in this section, or routing = shared',
      );
    }
  }
  if (address && net.gateway === address.split('/')[0])
    problem(
      'net.gateway',
      `${net.gateway} is node ${id}'s own address; the gateway must be another host`,
    );
  if (address6 && net.gateway6 === address6.split('/')[0])
    problem(
      'net.gateway6',
      `${net.gateway6} is node ${id}'s own address; the gateway must be another host`,
    );
  const driver = ownerOf(net.link);
  const peers: LinkPeer[] = [];
  if ((driver.needsPeers || routing) && net.enable) {
    for (const peer of config.nodes) {
      if (peer === id) continue;
      const found = known
        ? known.get(peer)
        : asPeer(peer, linkValues(config, peer, problemsOf(config, peer, problems)));
      if (found) peers.push(found);
    }
  }
  const clusterIps = config.clusterIps
    .filter((c) => c.enable)
    .map((c) => ({
      ...c,
      bucket: bucketOf(config, id),
      total: config.nodes.length,
      wanted: wantedBackend(config, id, c),
    }));
  if (cipCheck) {
    for (const cip of clusterIps)
      for (const p of clusterIpProblems(config, cip)) problem(p.key, p.message);
  }
  const bare = (a: string | null) => a?.split('/')[0];
  for (const cip of config.clusterIps) {
    if (cip.address && (cip.address === bare(address) || cip.address === bare(address6))) {
      problem(
        cip.name ? `clusterip.${cip.name}.address` : 'clusterip.address',
        `${cip.address} is also node ${id}'s own address; the cluster address must differ from every node's`,
      );
    }
  }
  if (problems.length > 0) throw new InputError(problems);

  return {
    node: id,
    enable: net.enable,
    kind: net.link,
    link,
    peers,
    device: own?.device ?? net.device,
    interface: net.interface,
    mac,
    address,
    address6,
    mtu: own?.mtu ?? net.mtu,
    gateway: routing ? routing.hostAddress.split('/')[0]! : (net.gateway ?? null),
    gateway6: routing?.hostAddress6 ? routing.hostAddress6.split('/')[0]! : (net.gateway6 ?? null),
    routing,
    clusterIps,
  };
}

/** Every node's values; all problems of all nodes reported together. */
export function deriveAll(config: Config): NodeValues[] {
  // The cluster-wide rules first, once (backend limits: a cluster too large for its
  // backend is refused before any node is derived); then each node: linear in nodes.
  const cluster = config.clusterIps
    .filter((c) => c.enable)
    .flatMap((c) => clusterIpProblems(config, c));
  if (cluster.length > 0) {
    throw new InputError(
      cluster.map((p) => ({
        file: config.file,
        line: config.keys.get(p.key)?.line,
        key: config.keys.get(p.key)?.shown ?? p.key,
        message: p.message,
      })),
    );
  }
  const problems: InputProblem[] = [];
  const values: NodeValues[] = [];
  // Every node as a peer, once, for kinds whose links name their peers (or that may route to them).
  let known: Map<number, LinkPeer> | undefined;
  const driver = ownerOf(config.net.link);
  if ((driver.needsPeers || driver.routing) && config.net.enable) {
    known = new Map();
    for (const id of config.nodes) {
      const peer = asPeer(id, linkValues(config, id, problemsOf(config, id, problems)));
      if (peer) known.set(id, peer);
    }
  }
  for (const id of config.nodes) {
    try {
      values.push(deriveOne(config, id, false, known));
    } catch (error) {
      if (!(error instanceof InputError)) throw error;
      problems.push(...error.problems);
    }
  }
  // A cluster-wide problem is found once per node: report it once, without the node.
  const byProblem = new Map<string, InputProblem[]>();
  for (const p of problems) {
    const key = `${p.line}:${p.key}:${p.message.replace(/^node \d+: /, '')}`;
    byProblem.set(key, [...(byProblem.get(key) ?? []), p]);
  }
  const unique = [...byProblem.values()].map((same) =>
    same.length > 1
      ? { ...same[0]!, message: same[0]!.message.replace(/^node \d+: /, '') }
      : same[0]!,
  );
  if (unique.length > 0) throw new InputError(unique);
  return values;
}

/** A node's link values as another node's peer; undefined while incomplete (its problems are reported). */
const asPeer = (node: number, v: ReturnType<typeof linkValues>): LinkPeer | undefined =>
  v.link
    ? {
        node,
        mac: v.mac,
        address: v.address,
        address6: v.address6,
        link: v.link,
        routing: v.routing,
      }
    : undefined;

/**
 * The id in a template's last byte, as Kerrighed's hooks put it there: a MAC's
 * (`${VIRTMAC%:*}:$(printf %02x $node_id)`) and an IPv4 address's last octet
 * (`${VIRTPREFIX%.*}.$node_id`). A byte holds ids up to 255; past that Kerrighed wrote
 * a 7-byte MAC and a 5-part address.
 */
function replaceLastByte(
  template: bigint,
  id: number,
  what: string,
  fail: (message: string) => void,
): bigint | undefined {
  if (id > 255) {
    fail(
      `template = replace puts the node id in the last byte of the ${what}, which holds 1 to 255; use template = add`,
    );
    return undefined;
  }
  return withLastByte(template, BigInt(id));
}

/** The node's MAC: template + id, or the template with its last byte replaced by the id. */
function nodeMac(
  template: string,
  mode: TemplateMode,
  id: number,
  fail: (message: string) => void,
): string | undefined {
  const value =
    mode === 'replace'
      ? replaceLastByte(macToNumber(template), id, 'MAC', fail)
      : macToNumber(template) + BigInt(id);
  if (value === undefined) return undefined;
  return macAt(value, (p: MacProblem) =>
    fail(
      p.why === 'overflow'
        ? `template ${template} + ${id} overflows 48 bits; use a lower template`
        : `${p.mac} has the multicast bit set (the id carried into the first byte); use a lower template`,
    ),
  );
}

/**
 * The node's address (add: base + id; replace: the base's last byte replaced by the id),
 * inside base/prefix, and neither the network nor (IPv4) the broadcast address.
 */
function nodeAddress(
  cidr: Cidr,
  mode: TemplateMode,
  id: number,
  fail: (message: string) => void,
): string | undefined {
  if (mode === 'add') return offsetAddress(cidr, BigInt(id), fail);
  const value = replaceLastByte(ipToBig(cidr.address), id, 'address', fail);
  return value === undefined
    ? undefined
    : addressAt(
        cidr,
        value,
        fail,
        ' (the id replaces the last byte; the prefix leaves it fewer bits)',
      );
}
