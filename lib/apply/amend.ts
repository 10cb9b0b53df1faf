// A change of the node's record that the kernel must follow at once: takeover/release (a
// dead node's bucket, buckets = rank) and assign/unassign (a bucket the cluster manager
// gives or takes, buckets = manager). The record is changed and init-post applied under one
// hold of the lock, so the kernel sees one atomic bucket change per backend (assess turns
// the difference into a cip-buckets op); when applying fails, the record goes back.
import type { NodeContext } from '../context.js';
import { applyPhase } from './phase.js';
import { runLocked } from './locked.js';
import { RecordStore, type NodeRecord } from './record.js';

/** Applies `change` to the record and init-post to the kernel; returns the new record. */
export async function amendRecord(
  ctx: NodeContext,
  what: string,
  change: (record: NodeRecord) => NodeRecord,
): Promise<NodeRecord> {
  const req = { ...ctx, phase: 'init-post' as const };
  const store = new RecordStore(ctx.values.node, ctx.container);
  const amend = (record: NodeRecord) => ({ before: record, record: change(record) });
  // The state is read while the lock is being taken (lib/system/lock.ts: kept when no
  // other holder came in between), so a change waits for one of them, not both.
  let early: { before: NodeRecord; record: NodeRecord } | undefined;
  return runLocked(req, {
    what,
    load: () => (early = amend(store.load())).record,
    earlyLock: () => true,
    readWithoutGeneration: false,
    apply: async (kept) => {
      const { before, record } = kept && early ? early : amend(store.load());
      store.save(record);
      try {
        await applyPhase(req, kept);
      } catch (error) {
        // The bucket change was rolled back: so is the record.
        store.save({
          ...store.load(),
          takenOver: before.takenOver ?? [],
          assigned: before.assigned ?? {},
        });
        throw error;
      }
      return record;
    },
  });
}
