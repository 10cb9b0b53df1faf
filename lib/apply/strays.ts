// Things of ours that the plan does not have: other addresses on our link (left by hand or
// by an older net.conf), our default route to another gateway, cluster-IP rules for other
// addresses. Found once per prepared phase; `run` (and its dry run) removes what has a
// removal op, `check` and `status` list them all.
import type { NodeValues } from '../derive/node.js';
import type { Op, Plan } from '../plan/ops.js';
import { cipCidr } from '../plan/phases.js';
import { nsLabel, type Ns } from '../system/ns.js';
import { isOurRoute } from '../system/state.js';
import { ROUTE_PROTOCOL, TAG } from '../system/tag.js';
import type { NsView } from './view.js';

export interface Stray {
  /** How check and status name it. */
  item: string;
  /** What removes it in a run; null: reported only (a route or rules another run replaces). */
  remove: Op | null;
}

export function findStrays(plan: Plan, states: ReadonlyMap<string, NsView>, values: NodeValues, container: Ns): Stray[] {
  const out: Stray[] = [];
  const planned = new Set([values.address, values.address6, ...values.clusterIps.map(cipCidr)]);
  const plannedCip = new Set(plan.ops.flatMap((op) => (op.op === 'cip-rules' ? op.specs.map((s) => `${op.backend} ${s.name}`) : [])));
  const containerLabel = nsLabel(container);
  for (const [label, st] of states) {
    if (plan.phase === 'init-pre') {
      const link = st.links.get(values.interface);
      if (link?.alias === TAG) {
        for (const address of link.addresses) {
          if (planned.has(address) || address.startsWith('fe80:')) continue;
          // Only the container's link is init-pre's to correct.
          const remove: Op | null = label === containerLabel ? { op: 'addr-delete', ns: container, dev: values.interface, address } : null;
          out.push({ item: `${label}: address ${address} on ${values.interface}`, remove });
        }
      }
      for (const r of st.routes) if (isOurRoute(r) && r.gateway !== values.gateway) out.push({ item: `${label}: route ${r.dst} via ${r.gateway} (protocol ${ROUTE_PROTOCOL})`, remove: null });
    }
    for (const [backend, live] of st.cip) {
      for (const [name, l] of live.byName) if (!plannedCip.has(`${backend} ${name}`)) out.push({ item: `${label}: ${backend} rules for ${name} (${l.address ?? '?'})`, remove: null });
    }
  }
  return out;
}

/** The removals a run makes for them. */
export const strayRemovals = (strays: readonly Stray[]): Op[] => strays.flatMap((s) => (s.remove ? [s.remove] : []));
