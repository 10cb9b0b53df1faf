// What `stop` undoes: what the node's record says was made (and an interrupted run's
// intents), merged with what net.conf plans, so a link made under an older net.conf is
// still removed. One function for the real stop and for `plan stop`.
import { PHASES, undoAll, type Op, type Phase } from './ops.js';

/** The data part of a node's record (apply/record.ts) that stop reads. */
export interface RecordView {
  phases: Partial<Record<Phase, Op[]>>;
  journal?: { intents: Op[] } | undefined;
}

/**
 * Everything that may have been made, in the order it was made: per phase what the record
 * says and what net.conf plans (`forward`), then an interrupted run's intents (its links
 * are ours); undone latest first.
 */
export function stopOps(
  record: RecordView | undefined,
  forward: (phase: Exclude<Phase, 'stop'>) => Op[],
): Op[] {
  const phases = PHASES.filter((p): p is Exclude<Phase, 'stop'> => p !== 'stop');
  if (!record) return undoAll(phases.flatMap(forward));
  const byPhase = phases.flatMap((p) => mergeOps(record.phases[p], forward(p)));
  const journal = (record.journal?.intents ?? []).map((op) =>
    op.op === 'link-create' ? { ...op, owned: true } : op,
  );
  return undoAll([...byPhase, ...journal]);
}

/** `a`, then what of `b` is not in it. */
export function mergeOps(a: Op[] = [], b: Op[]): Op[] {
  const seen = new Set(a.map((op) => JSON.stringify(op)));
  return [...a, ...b.filter((op) => !seen.has(JSON.stringify(op)))];
}
