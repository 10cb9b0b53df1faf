// One function per phase: node values + where things live → the ops of that phase.
// Pure: what the kernel already has is looked at later (converge), not here.
import type { NodeValues } from '../derive/node.js';
import type { Op, Phase, Plan } from './ops.js';
import type { NodeClusterIp, CipBackend, CipSpec } from '../clusterip/types.js';
import { CURRENT_NS, type Ns } from '../system/ns.js';
import { stopOps, type RecordView } from './stop.js';
import { cipName } from '../clusterip/rules.js';
import { ownerOf } from '../link/index.js';
import type { KernelNeed, LinkParams } from '../link/driver.js';

export interface PlanContext {
  /** Where the lower device lives: the host's namespace (where boot hooks run). */
  host: Ns;
  /** The cluster container's namespace (`--pid`/`--netns`; the current one inside it). */
  container: Ns;
  /** The lower device's MTU, when known; needed to resolve mtu = auto. */
  deviceMtu?: number | undefined;
  /** The backend each cluster address resolved to (probed); `auto` shows as cluster-match. */
  backends?: Map<string, CipBackend>;
  /** Buckets this node answers for besides its own: those of dead nodes it took over. */
  takenOver?: number[];
  /** With buckets = manager: the buckets the cluster manager assigned, by address name. */
  assigned?: Record<string, number[]>;
}

/** A cluster address as installed on the interface: with its prefix (/32 unless written). */
export const cipCidr = (cip: { address: string; prefix: number }) => `${cip.address}/${cip.prefix}`;

export function backendOf(cip: NodeClusterIp, ctx: PlanContext): CipBackend {
  return ctx.backends?.get(cipName(cip)) ?? (cip.wanted === 'auto' ? 'cluster-match' : cip.wanted);
}

/**
 * The buckets a node answers for: by rank, its own and those it took over; with buckets =
 * manager, only those the manager assigned (none at boot).
 */
function answered(cip: NodeClusterIp, ctx: PlanContext): number[] {
  const wanted =
    cip.buckets === 'manager'
      ? (ctx.assigned?.[cipName(cip)] ?? [])
      : [cip.bucket, ...(ctx.takenOver ?? [])];
  return [...new Set(wanted)].filter((b) => b >= 1 && b <= cip.total).sort((a, b) => a - b);
}

/**
 * The cluster addresses: every backend's rules first (one op per backend, all addresses),
 * conntrack strictness, the addresses and the multicast MAC (one ip batch) last — so a node
 * never answers for an address before its filter is in place.
 */
function clusterIpOps(v: NodeValues, ctx: PlanContext): Op[] {
  if (v.clusterIps.length === 0) return [];
  const ns = ctx.container;
  const spec = (cip: NodeClusterIp): CipSpec => ({
    name: cipName(cip),
    address: cip.address,
    mac: cip.mac,
    dev: v.interface,
    hash: cip.hash,
    seed: cip.seed,
    total: cip.total,
    bucket: cip.bucket,
    buckets: answered(cip, ctx),
  });
  const byBackend = new Map<CipBackend, CipSpec[]>();
  for (const cip of v.clusterIps) {
    const backend = backendOf(cip, ctx);
    byBackend.set(backend, [...(byBackend.get(backend) ?? []), spec(cip)]);
  }
  const ops: Op[] = [...byBackend].map(([backend, specs]) => ({
    op: 'cip-rules',
    ns,
    backend,
    specs,
  }));
  // A node must not pick up the middle of a TCP flow another node owns.
  ops.push({
    op: 'sysctl',
    ns,
    key: 'net.netfilter.nf_conntrack_tcp_loose',
    value: '0',
    undo: '1',
  });
  for (const cip of v.clusterIps)
    ops.push({ op: 'addr-add', ns, dev: v.interface, address: cipCidr(cip) });
  // CLUSTERIP joins the multicast MAC itself; the others must, or a NIC filters it out.
  // After the addresses, all together: one `bridge -batch` joins every MAC
  // (lib/plan/render.ts bridgeArgs), however many there are.
  // A link that filters no multicast (a VXLAN: software, and `fdb add` of a group MAC is refused there) needs none.
  const filters = !ownerOf(v.kind).deliversAllMulticast;
  const macs = new Set(
    v.clusterIps.filter((c) => filters && backendOf(c, ctx) !== 'clusterip').map((c) => c.mac),
  );
  for (const mac of macs) ops.push({ op: 'maddr-add', ns, dev: v.interface, mac });
  return ops;
}

const builders: Record<Exclude<Phase, 'stop'>, (v: NodeValues, ctx: PlanContext) => Op[]> = {
  'boot-pre': (v, { host }) => [
    ...kernelNeeds(v).map((need): Op => ({ op: 'require-link-type', ns: host, ...need })),
    // A VLAN cannot come up while its lower device is down (Kerrighed's old trap).
    { op: 'link-up', ns: host, dev: v.device, shared: true },
  ],
  'boot-post': (v, ctx) => linkOps(v, ctx).boot,
  'init-pre': (v, ctx) => {
    const { container } = ctx;
    const ops: Op[] = [
      // The kind's own first (forwarding entries, neighbours): in place before the link
      // comes up, and before `lo up`, which is never undone: a failed step here leaves the
      // container as it was.
      ...linkOps(v, ctx).init,
      { op: 'link-up', ns: container, dev: 'lo', shared: true },
      { op: 'addr-add', ns: container, dev: v.interface, address: v.address },
    ];
    if (v.address6)
      ops.push({ op: 'addr-add', ns: container, dev: v.interface, address: v.address6 });
    ops.push({ op: 'link-up', ns: container, dev: v.interface, shared: false });
    if (v.gateway)
      ops.push({
        op: 'route-add',
        ns: container,
        dst: 'default',
        via: v.gateway,
        dev: v.interface,
      });
    if (v.gateway6)
      ops.push({
        op: 'route-add',
        ns: container,
        dst: 'default',
        via: v.gateway6,
        dev: v.interface,
      });
    return ops;
  },
  'init-post': clusterIpOps,
};

/** The MTU to create the link with: explicit, or the lower device's less the kind's overhead (a VLAN tag: 4). */
export function resolveMtu(v: NodeValues, deviceMtu: number | undefined): number {
  if (v.mtu !== 'auto') return v.mtu;
  if (deviceMtu === undefined) return 0; // unknown: the plan printer shows "auto"
  return deviceMtu - ownerOf(v.kind).overhead(linkOf(v), v.routing);
}

/** The kernel link types this node's link needs, probed in boot-pre (routed adds the overlay's vxlan). */
export function kernelNeeds(v: NodeValues): readonly KernelNeed[] {
  const driver = ownerOf(v.kind);
  return driver.kernelFor?.(v.routing) ?? driver.kernel;
}

/** The link kind's kernel ops for this node (boot-post's, and init-pre's before the addresses). */
function linkOps(v: NodeValues, ctx: PlanContext): { boot: Op[]; init: Op[] } {
  const link = linkOf(v);
  const node = {
    node: v.node,
    device: v.device,
    interface: v.interface,
    mac: v.mac,
    address: v.address,
    address6: v.address6,
    link,
    peers: v.peers,
    routing: v.routing,
  };
  return ownerOf(v.kind).ops(node, {
    host: ctx.host,
    container: ctx.container,
    mtu: resolveMtu(v, ctx.deviceMtu),
  });
}

/** The link's parameters; config/load.ts refuses an enabled node network without them. */
export function linkOf(v: NodeValues): LinkParams {
  if (!v.link)
    throw new Error(`node ${v.node}: no ${v.kind} parameters although the node network is on`);
  return v.link;
}

/**
 * The phases' builders as net.conf enables them: with the node network off, only the
 * cluster addresses remain (on an interface that is already there, as Kerrighed's
 * 20clusterip put CLUSTERADDR on $VIRT whatever NETCONF_ENABLE said).
 */
const build = (phase: Exclude<Phase, 'stop'>, values: NodeValues, ctx: PlanContext): Op[] =>
  values.enable || phase === 'init-post' ? builders[phase](values, ctx) : [];

/** With a record, stop undoes what it says was made too (stop.ts); without, what net.conf plans. */
export function buildPlan(
  phase: Phase,
  values: NodeValues,
  ctx: PlanContext,
  record?: RecordView,
): Plan {
  if (phase !== 'stop') return { phase, node: values.node, ops: build(phase, values, ctx) };
  // stop undoes every phase, latest first, each phase's ops in reverse.
  return { phase, node: values.node, ops: stopOps(record, (p) => build(p, values, ctx)) };
}

export const defaultContext = (container: Ns = CURRENT_NS): PlanContext => ({
  host: CURRENT_NS,
  container,
});
