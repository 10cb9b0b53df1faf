// One function per phase: node values + where things live → the ops of that phase.
// Pure: what the kernel already has is looked at later (converge), not here.
import type { NodeValues } from '../derive/node.js';
import { CURRENT_NS, PHASES, undoAll, type Ns, type Op, type Phase, type Plan } from './ops.js';

export interface PlanContext {
  /** Where the lower device lives: the host's namespace (where boot hooks run). */
  host: Ns;
  /** The cluster container's namespace (`--pid`/`--netns`; the current one inside it). */
  container: Ns;
  /** The lower device's MTU, when known; needed to resolve mtu = auto. */
  deviceMtu?: number | undefined;
}

const builders: Record<Exclude<Phase, 'stop'>, (v: NodeValues, ctx: PlanContext) => Op[]> = {
  'boot-pre': (v, { host }) => [
    { op: 'require-link-type', ns: host, type: v.link },
    // A VLAN cannot come up while its lower device is down (Kerrighed's old trap).
    { op: 'link-up', ns: host, dev: v.device, shared: true },
  ],
  'boot-post': (v, ctx) => {
    const tmpName = `cnt${v.node}`;
    return [
      {
        op: 'link-create',
        ns: ctx.host,
        target: ctx.container,
        lower: v.device,
        tmpName,
        name: v.interface,
        type: v.link,
        vlan: v.vlan,
        mac: v.mac,
        mtu: resolveMtu(v, ctx.deviceMtu),
      },
      { op: 'link-rename', ns: ctx.container, from: tmpName, to: v.interface },
    ];
  },
  'init-pre': (v, { container }) => {
    const ops: Op[] = [
      { op: 'link-up', ns: container, dev: 'lo', shared: true },
      { op: 'addr-add', ns: container, dev: v.interface, address: v.address },
    ];
    if (v.address6) ops.push({ op: 'addr-add', ns: container, dev: v.interface, address: v.address6 });
    ops.push({ op: 'link-up', ns: container, dev: v.interface, shared: false });
    if (v.gateway) ops.push({ op: 'route-add', ns: container, dev: v.interface, via: v.gateway });
    return ops;
  },
  // The cluster address is installed by the cluster-IP layer; the core phase is empty.
  'init-post': () => [],
};

/** The MTU to create the link with: explicit, or the lower device's (− 4 for a VLAN tag). */
export function resolveMtu(v: NodeValues, deviceMtu: number | undefined): number {
  if (v.mtu !== 'auto') return v.mtu;
  if (deviceMtu === undefined) return 0; // unknown: the plan printer shows "auto"
  return v.link === 'vlan' ? deviceMtu - 4 : deviceMtu;
}

export function buildPlan(phase: Phase, values: NodeValues, ctx: PlanContext): Plan {
  if (!values.enable) return { phase, node: values.node, ops: [] };
  if (phase !== 'stop') return { phase, node: values.node, ops: builders[phase](values, ctx) };
  // stop undoes every phase, latest first, each phase's ops in reverse.
  return { phase, node: values.node, ops: undoAll(forwardOps(values, ctx)) };
}

/** Every op of every phase, in the order the phases run. */
export function forwardOps(values: NodeValues, ctx: PlanContext): Op[] {
  return PHASES.filter((p): p is Exclude<Phase, 'stop'> => p !== 'stop').flatMap((p) => builders[p](values, ctx));
}

export const defaultContext = (container: Ns = CURRENT_NS): PlanContext => ({ host: CURRENT_NS, container });
