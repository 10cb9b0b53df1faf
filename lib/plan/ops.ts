// The plan: a list of typed operations, plain data. The same list is printed (`plan`),
// executed in batches (`run`), compared with the kernel (`check`) and undone (`stop`).
import { nsLabel, sameNs, type Ns } from '../system/ns.js';
import type { CipOp } from '../clusterip/types.js';
import type { KernelOp } from '../link/ops.js';

export type Op = KernelOp | CipOp;

export type OpName = Op['op'];

export interface Plan {
  phase: Phase;
  node: number;
  ops: Op[];
}

export const PHASES = ['boot-pre', 'boot-post', 'init-pre', 'init-post', 'stop'] as const;
export type Phase = (typeof PHASES)[number];

/** What undoes an op, or null when there is nothing of ours to undo. */
export function undoOf(op: Op): Op | null {
  switch (op.op) {
    case 'link-create':
      return {
        op: 'link-delete',
        ns: op.target,
        dev: op.tmpName,
        ...(op.owned ? { owned: true } : {}),
      };
    case 'link-rename':
      return { op: 'link-delete', ns: op.ns, dev: op.to };
    case 'addr-add':
      return { op: 'addr-delete', ns: op.ns, dev: op.dev, address: op.address };
    case 'route-add':
      return { ...op, op: 'route-delete' };
    case 'neigh-add':
      return { ...op, op: 'neigh-delete' };
    case 'fdb-add':
      return { ...op, op: 'fdb-delete' };
    case 'link-master':
      return { op: 'link-nomaster', ns: op.ns, dev: op.dev };
    case 'link-set':
      return { ...op, mac: op.was.mac, mtu: op.was.mtu, was: { mac: op.mac, mtu: op.mtu } };
    case 'maddr-add':
      return { ...op, op: 'maddr-delete' };
    case 'sysctl':
      // Forwarding stays on at stop: other things on a host may rely on it.
      return op.undo === null ? null : { ...op, value: op.undo, undo: op.value };
    case 'cip-rules':
      return { op: 'cip-rules-delete', ns: op.ns, backend: op.backend, specs: op.specs };
    case 'cip-buckets': {
      const { wasLive: _, ...rest } = op;
      return {
        ...rest,
        specs: op.specs.map((s, i) => ({ ...s, buckets: op.was[i] ?? [s.bucket] })),
        was: op.specs.map((s) => s.buckets),
      };
    }
    // Shared links (the lower device, lo) stay up: others may need them.
    case 'link-up':
      return op.shared ? null : { op: 'link-down', ns: op.ns, dev: op.dev };
    case 'link-down':
    case 'require-link-type':
    case 'link-delete':
    case 'addr-delete':
    case 'route-delete':
    case 'neigh-delete':
    case 'fdb-delete':
    case 'link-nomaster':
    case 'maddr-delete':
    case 'cip-rules-delete':
      return null;
  }
}

/**
 * The kernel object an op manages, so two plans can be compared object by object
 * (`reload`): the same key with other attributes is a change, a missing key a removal.
 */
export function objectKey(op: Op): string {
  switch (op.op) {
    case 'link-create':
      return `link ${nsLabel(op.target)} ${op.name}`;
    case 'link-rename':
    case 'link-set':
      return `link ${nsLabel(op.ns)} ${op.op === 'link-rename' ? op.to : op.dev}`;
    case 'addr-add':
    case 'addr-delete':
      return `address ${nsLabel(op.ns)} ${op.dev} ${op.address}`;
    case 'route-add':
    case 'route-delete':
      return `route ${nsLabel(op.ns)} ${routeFamily(op)} ${op.dst}`;
    case 'neigh-add':
    case 'neigh-delete':
      return `neigh ${nsLabel(op.ns)} ${op.dev} ${op.address}`;
    case 'fdb-add':
    case 'fdb-delete':
      return `fdb ${nsLabel(op.ns)} ${op.dev} ${op.mac} ${op.dst}`;
    case 'link-master':
    case 'link-nomaster':
      return `master ${nsLabel(op.ns)} ${op.dev}`;
    case 'link-up':
    case 'link-down':
    case 'link-delete':
      return `link ${nsLabel(op.ns)} ${op.dev}${op.op === 'link-delete' ? '' : ' state'}`;
    case 'require-link-type':
      return `kernel ${op.type}`;
    case 'maddr-add':
    case 'maddr-delete':
      return `maddr ${nsLabel(op.ns)} ${op.dev} ${op.mac}`;
    case 'sysctl':
      return `sysctl ${nsLabel(op.ns)} ${op.key}`;
    case 'cip-rules':
    case 'cip-buckets':
    case 'cip-rules-delete':
      return `rules ${nsLabel(op.ns)} ${op.backend} ${op.specs.map((s) => s.name).join(',')}`;
  }
}

/** A route's family: that of its next hop (the kernel refuses a v6 route via a v4 one). */
export const routeFamily = (op: { via: string }): 4 | 6 => (op.via.includes(':') ? 6 : 4);

/** Undo a list of applied ops: latest first, each once (the journal's `owned` variant
 * wins), nothing for what needs no undo. */
export function undoAll(applied: readonly Op[]): Op[] {
  const byKey = new Map<string, Op>();
  for (const op of [...applied].reverse()) {
    const undo = undoOf(op);
    if (!undo) continue;
    const key = JSON.stringify({ ...undo, owned: undefined });
    const seen = byKey.get(key);
    if (!seen) byKey.set(key, undo);
    else if (undo.op === 'link-delete' && undo.owned) Object.assign(seen, { owned: true });
  }
  const undo = [...byKey.values()];
  // A port leaves its bridge before the bridge is deleted (deleting the bridge would
  // release it anyway, but the release must not then run against a device already gone).
  const nomasters = undo.filter(
    (op): op is Extract<Op, { op: 'link-nomaster' }> => op.op === 'link-nomaster',
  );
  for (const release of nomasters) {
    const masterOf = applied.find(
      (op): op is Extract<Op, { op: 'link-master' }> =>
        op.op === 'link-master' && op.dev === release.dev && sameNs(op.ns, release.ns),
    );
    const at = undo.findIndex(
      (op) => op.op === 'link-delete' && op.dev === masterOf?.master && sameNs(op.ns, release.ns),
    );
    if (at >= 0 && at < undo.indexOf(release)) {
      undo.splice(undo.indexOf(release), 1);
      undo.splice(at, 0, release);
    }
  }
  // A link goes down only once its addresses and routes are gone (the kernel drops IPv6
  // addresses itself when a link goes down) and before the link itself is deleted.
  const downs = undo.filter((op): op is Extract<Op, { op: 'link-down' }> => op.op === 'link-down');
  const rest: Op[] = undo.filter((op) => op.op !== 'link-down');
  for (const down of downs) {
    const at = rest.findIndex(
      (op) => op.op === 'link-delete' && op.dev === down.dev && sameNs(op.ns, down.ns),
    );
    rest.splice(at < 0 ? rest.length : at, 0, down);
  }
  return rest;
}
