// The lock protocol of a run (lib/system/lock.ts), written once for `run` and for record
// amendments (takeover, assign): the record is loaded and the state read before the lock
// is taken, or while it is being asked for; what was read is kept when no other holder came
// in between (lock.previous equals the generation read first), else read again under it.
import { acquireLock, lockGeneration, lockHeldHere } from '../system/lock.js';
import { preparePhase, type PhaseRequest, type Prepared } from './phase.js';
import type { NodeRecord } from './record.js';

export interface LockedRun<T> {
  what: string;
  /** The record the phase runs with: the stored one, or the stored one amended. */
  load(): NodeRecord;
  /** Ask for the lock at once, while the state is read (a run that will change something). */
  earlyLock(record: NodeRecord): boolean;
  /** Read the state first even when no generation could be read (another holder at work). */
  readWithoutGeneration: boolean;
  /** Without an early lock: a finish when there is nothing to do (no lock is taken then). */
  idle?(record: NodeRecord, prepared: Prepared): (() => T) | undefined;
  /** Under the lock; `kept`: what was read before, still valid. */
  apply(kept: { record: NodeRecord; prepared: Prepared } | undefined): Promise<T>;
}

export async function runLocked<T>(req: PhaseRequest, o: LockedRun<T>): Promise<T> {
  const seen = lockHeldHere() ? undefined : lockGeneration();
  const record = seen !== undefined || o.readWithoutGeneration ? o.load() : undefined;
  const early =
    record && seen !== undefined && o.earlyLock(record) ? acquireLock(o.what) : undefined;
  early?.catch(() => {}); // awaited below: a failure meanwhile is not an unhandled one
  let prepared: Prepared | undefined;
  try {
    prepared = record && (await preparePhase(req, record));
  } catch (error) {
    (await early?.catch(() => undefined))?.release();
    throw error;
  }
  if (!early && seen !== undefined && record && prepared && o.idle) {
    const finish = o.idle(record, prepared);
    if (finish && lockGeneration() === seen) return finish();
  }
  const lock = await (early ?? acquireLock(o.what));
  try {
    return await o.apply(
      record && prepared && seen !== undefined && lock.previous === seen
        ? { record, prepared }
        : undefined,
    );
  } finally {
    lock.release();
  }
}
