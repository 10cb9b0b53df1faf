// Each planned op against what the kernel has: already done, still to do, different from
// the plan, or impossible right now. This one comparison serves `run` (apply only what is
// pending), `check` (report item by item) and `stop` (tolerate what is already gone).
import { TAG, nsLabel, type Ns, type Op } from '../plan/ops.js';
import { isOurRoute, type NsState } from '../system/state.js';

export type Assessment =
  | { state: 'ok' }
  | { state: 'pending' }
  /** Exists with other attributes; `fix` when it can be corrected in place. */
  | { state: 'differs'; want: string; have: string; fix?: Op[] }
  /** Cannot be applied: a precondition is missing, or the object is not ours. */
  | { state: 'blocked'; reason: string }
  /** Something to undo that is not ours: left alone. */
  | { state: 'foreign'; reason: string };

export type StateOf = (ns: Ns) => NsState;

export function assess(op: Op, stateOf: StateOf): Assessment {
  const st = stateOf(op.ns);
  const where = nsLabel(op.ns);
  switch (op.op) {
    case 'require-link-type':
      return { state: 'pending' };
    case 'link-up': {
      const link = st.links.get(op.dev);
      if (!link) return op.shared ? { state: 'blocked', reason: `device ${op.dev} does not exist in ${where}` } : { state: 'blocked', reason: `${op.dev} does not exist in ${where}; run boot-post first` };
      return link.up ? { state: 'ok' } : { state: 'pending' };
    }
    case 'link-create': {
      const target = stateOf(op.target);
      const made = target.links.get(op.name);
      if (made) {
        if (made.alias !== TAG) return { state: 'blocked', reason: `${op.name} already exists in ${nsLabel(op.target)} and was not made by clusternet; remove or rename it` };
        const want = linkSummary(op.type, op.vlan, op.mac, op.mtu);
        const have = linkSummary(made.kind, made.vlan, made.mac, op.mtu > 0 ? made.mtu : 0);
        if (want === have) return { state: 'ok' };
        // MAC and MTU can be corrected on the live link; another type or VLAN id cannot.
        const sameKind = made.kind === op.type && made.vlan === op.vlan;
        const fix: Op[] = [{ op: 'link-set', ns: op.target, dev: op.name, mac: op.mac, mtu: op.mtu, was: { mac: made.mac, mtu: made.mtu } }];
        return sameKind ? { state: 'differs', want, have, fix } : { state: 'differs', want, have };
      }
      // A crash between create and rename leaves the temporary name: the rename finishes it.
      if (target.links.has(op.tmpName)) return { state: 'ok' };
      if (!st.links.has(op.lower)) return { state: 'blocked', reason: `lower device ${op.lower} does not exist in ${where}` };
      return { state: 'pending' };
    }
    case 'link-rename':
      return st.links.has(op.to) ? { state: 'ok' } : { state: 'pending' };
    case 'link-set': {
      const link = st.links.get(op.dev);
      if (!link) return { state: 'blocked', reason: `${op.dev} does not exist in ${where}` };
      return link.mac === op.mac && (op.mtu === 0 || link.mtu === op.mtu) ? { state: 'ok' } : { state: 'pending' };
    }
    case 'addr-add': {
      const link = st.links.get(op.dev);
      if (!link) return { state: 'blocked', reason: `${op.dev} does not exist in ${where}; run boot-post first` };
      return link.addresses.includes(op.address) ? { state: 'ok' } : { state: 'pending' };
    }
    case 'route-add': {
      if (!st.links.has(op.dev)) return { state: 'blocked', reason: `${op.dev} does not exist in ${where}; run boot-post first` };
      const current = st.routes.find((r) => r.dst === 'default');
      if (!current) return { state: 'pending' };
      if (current.gateway === op.via && current.dev === op.dev) return { state: 'ok' };
      const want = `default via ${op.via} dev ${op.dev}`;
      const have = `default via ${current.gateway ?? '-'} dev ${current.dev ?? '-'}`;
      // Ours (protocol 211): replace it. Someone else's: report, never take it over.
      if (!isOurRoute(current) || !current.gateway || !current.dev) return { state: 'differs', want, have };
      return { state: 'differs', want, have, fix: [{ op: 'route-delete', ns: op.ns, dev: current.dev, via: current.gateway }, op] };
    }
    case 'link-delete': {
      const link = st.links.get(op.dev);
      if (!link) return { state: 'ok' };
      return link.alias === TAG || op.owned ? { state: 'pending' } : { state: 'foreign', reason: `${op.dev} in ${where} is not tagged ${TAG}; left alone` };
    }
    case 'addr-delete': {
      const link = st.links.get(op.dev);
      return link?.addresses.includes(op.address) ? { state: 'pending' } : { state: 'ok' };
    }
    case 'route-delete': {
      const found = st.routes.some((r) => r.dst === 'default' && r.gateway === op.via && r.dev === op.dev);
      return found ? { state: 'pending' } : { state: 'ok' };
    }
  }
}

function linkSummary(kind: string | null, vlan: number | null, mac: string, mtu: number): string {
  return [kind, vlan === null ? '' : `id ${vlan}`, `address ${mac}`, mtu > 0 ? `mtu ${mtu}` : ''].filter(Boolean).join(' ');
}
