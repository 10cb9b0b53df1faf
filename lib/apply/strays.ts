// Things of ours that the plan does not have: other addresses on our link (left by hand or
// by an older net.conf), our routes and permanent neighbours (protocol 211) and forwarding
// entries it does not plan, cluster-IP rules for other addresses. Found once per prepared phase; `run` (and its dry run) removes what has a
// removal op, `check` and `status` list them all.
import type { NodeValues } from '../derive/node.js';
import { routeFamily, type Op, type Plan } from '../plan/ops.js';
import { ZERO_MAC } from '../link/ops.js';
import { cipCidr } from '../plan/phases.js';
import { CURRENT_NS, nsLabel, type Ns } from '../system/ns.js';
import { isOurRoute, type FdbEntry } from '../system/state.js';
import { ROUTE_PROTOCOL, TAG } from '../system/tag.js';
import type { NsView } from './view.js';

export interface Stray {
  /** How check and status name it. */
  item: string;
  /** What removes it in a run; null: reported only (a route or rules another run replaces). */
  remove: Op | null;
}

export function findStrays(
  plan: Plan,
  states: ReadonlyMap<string, NsView>,
  values: NodeValues,
  container: Ns,
): Stray[] {
  const out: Stray[] = [];
  const planned = new Set([values.address, values.address6, ...values.clusterIps.map(cipCidr)]);
  const plannedCip = new Set(
    plan.ops.flatMap((op) =>
      op.op === 'cip-rules' ? op.specs.map((s) => `${op.backend} ${s.name}`) : [],
    ),
  );
  const containerLabel = nsLabel(container);
  for (const [label, st] of states) {
    if (plan.phase === 'init-pre') {
      const link = st.links.get(values.interface);
      if (link?.alias === TAG) {
        for (const address of link.addresses) {
          if (planned.has(address) || address.startsWith('fe80:')) continue;
          // Only the container's link is init-pre's to correct.
          const remove: Op | null =
            label === containerLabel
              ? { op: 'addr-delete', ns: container, dev: values.interface, address }
              : null;
          out.push({ item: `${label}: address ${address} on ${values.interface}`, remove });
        }
      }
    }
    // Routes and neighbours are judged by the phase that makes them in that namespace:
    // init-pre in the container, boot-post on the host.
    const judged =
      plan.phase === 'init-pre'
        ? label === containerLabel
        : plan.phase === 'boot-post' && label !== containerLabel;
    const ns = nsOf(plan, label, container);
    if (judged) out.push(...kernelStrays(plan, st, label, ns));
    for (const [dev, entries] of st.fdb) out.push(...fdbStrays(plan, dev, entries, label, ns));
    for (const [backend, live] of st.cip) {
      for (const [name, l] of live.byName)
        if (!plannedCip.has(`${backend} ${name}`))
          out.push({
            item: `${label}: ${backend} rules for ${name} (${l.address ?? '?'})`,
            remove: null,
          });
    }
  }
  return out;
}

/** The namespace a state was read from, as the plan names it. */
function nsOf(plan: Plan, label: string, container: Ns): Ns {
  if (label === nsLabel(container)) return container;
  return plan.ops.map((op) => op.ns).find((ns) => nsLabel(ns) === label) ?? CURRENT_NS;
}

/**
 * Our routes and permanent neighbours (protocol 211) that the plan lacks. One the plan
 * has under the same destination but with another next hop or MAC is not listed: its
 * op's assessment reports and replaces it.
 */
function kernelStrays(plan: Plan, st: NsView, label: string, ns: Ns): Stray[] {
  const out: Stray[] = [];
  const routes = new Set(
    plan.ops.flatMap((op) =>
      op.op === 'route-add' && nsLabel(op.ns) === label ? [`${routeFamily(op)} ${op.dst}`] : [],
    ),
  );
  const neighbors = new Set(
    plan.ops.flatMap((op) =>
      op.op === 'neigh-add' && nsLabel(op.ns) === label ? [`${op.dev} ${op.address}`] : [],
    ),
  );
  for (const r of st.routes) {
    if (!isOurRoute(r) || routes.has(`${r.family} ${r.dst}`)) continue;
    const remove: Op | null =
      r.gateway && r.dev
        ? { op: 'route-delete', ns, dst: r.dst, via: r.gateway, dev: r.dev }
        : null;
    out.push({
      item: `${label}: route ${r.dst} via ${r.gateway ?? '-'}${r.dev ? ` dev ${r.dev}` : ''} (protocol ${ROUTE_PROTOCOL})`,
      remove,
    });
  }
  for (const n of st.neighbors) {
    if (!isOurRoute(n) || neighbors.has(`${n.dev} ${n.address}`)) continue;
    const remove: Op | null = n.lladdr
      ? { op: 'neigh-delete', ns, dev: n.dev, address: n.address, lladdr: n.lladdr }
      : null;
    out.push({
      item: `${label}: neighbour ${n.address} lladdr ${n.lladdr ?? '-'} dev ${n.dev} (protocol ${ROUTE_PROTOCOL})`,
      remove,
    });
  }
  return out;
}

/**
 * Permanent forwarding entries with a destination on a device the plan gives entries
 * (read only then): those it does not plan. A unicast MAC planned with another
 * destination is its fdb-add's to move.
 */
function fdbStrays(
  plan: Plan,
  dev: string,
  entries: readonly FdbEntry[],
  label: string,
  ns: Ns,
): Stray[] {
  const mine = plan.ops.filter(
    (op): op is Extract<Op, { op: 'fdb-add' }> =>
      op.op === 'fdb-add' && op.dev === dev && nsLabel(op.ns) === label,
  );
  const planned = (e: FdbEntry) =>
    mine.some((op) => op.mac === e.mac && (op.mac !== ZERO_MAC || op.dst === e.dst));
  return entries
    .filter((e) => e.permanent && e.dst !== null && !planned(e))
    .map((e) => ({
      item: `${label}: forwarding entry ${e.mac} dst ${e.dst} on ${dev}`,
      remove: { op: 'fdb-delete', ns, dev, mac: e.mac, dst: e.dst! },
    }));
}

/** The removals a run makes for them. */
export const strayRemovals = (strays: readonly Stray[]): Op[] =>
  strays.flatMap((s) => (s.remove ? [s.remove] : []));
