// What clusternet made on this node, kept under /run (gone at reboot, like the network
// state it describes): per phase, the applied ops that have an undo, and a journal of the
// phase in progress. `stop` undoes what the record says even after net.conf was edited;
// `reload` compares the record with the new plan; a run killed mid-phase leaves its
// journal, from which the next run or stop completes or undoes the work.
// Records are keyed by the container's namespace identity, and store the container as a
// placeholder, so the same record serves a run from inside and one from the host.
import { closeSync, fsyncSync, mkdirSync, openSync, readFileSync, renameSync, rmSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { sameNs, undoOf, type Ns, type Op, type Phase } from '../plan/ops.js';
import { runDir } from '../system/lock.js';
import { nsIdentity } from '../system/netns.js';

export interface Journal {
  pid: number;
  phase: Phase;
  started: string;
  /** Ops about to be applied (written before the batch that applies them). */
  intents: Op[];
}

export interface NodeRecord {
  phases: Partial<Record<Phase, Op[]>>;
  journal?: Journal | undefined;
  /** Dead nodes whose cluster-IP buckets this node answers for (takeover/release). */
  takenOver?: number[];
}

const PLACEHOLDER: Ns = { kind: 'netns', name: '@container' };

/** Replaces every reference to `from` by `to`, in the op's namespace fields. */
function rebase(ops: readonly Op[], from: Ns, to: Ns): Op[] {
  const swap = (ns: Ns) => (sameNs(ns, from) ? to : ns);
  return ops.map((op) => ({ ...op, ns: swap(op.ns), ...(op.op === 'link-create' ? { target: swap(op.target) } : {}) }) as Op);
}

export class RecordStore {
  readonly path: string;
  private readonly container: Ns;

  constructor(node: number, container: Ns, env: NodeJS.ProcessEnv = process.env) {
    this.container = container;
    this.path = join(runDir(env), `node-${node}-netns-${nsIdentity(container)}.json`);
  }

  load(): NodeRecord {
    let stored: NodeRecord;
    try {
      stored = JSON.parse(readFileSync(this.path, 'utf8')) as NodeRecord;
    } catch {
      return { phases: {} };
    }
    const phases: NodeRecord['phases'] = {};
    for (const [phase, ops] of Object.entries(stored.phases)) phases[phase as Phase] = rebase(ops, PLACEHOLDER, this.container);
    const journal = stored.journal && { ...stored.journal, intents: rebase(stored.journal.intents, PLACEHOLDER, this.container) };
    return { phases, journal, takenOver: stored.takenOver ?? [] };
  }

  /** Written to a temporary file, flushed, then renamed: never half a record. */
  save(record: NodeRecord): void {
    const phases: NodeRecord['phases'] = {};
    for (const [phase, ops] of Object.entries(record.phases)) {
      phases[phase as Phase] = rebase(ops.filter((op) => undoOf(op) !== null), this.container, PLACEHOLDER);
    }
    const journal = record.journal && { ...record.journal, intents: rebase(record.journal.intents, this.container, PLACEHOLDER) };
    // A record of nothing is no record. boot-pre makes nothing to undo, and run from its
    // hook it gets no container (Kerrighed's way), so its record would be keyed by the
    // host's own namespace, where no `stop` ever looks: it would stay behind forever.
    if (Object.values(phases).every((ops) => ops.length === 0) && !journal && (record.takenOver ?? []).length === 0) return this.remove();
    mkdirSync(join(this.path, '..'), { recursive: true, mode: 0o755 });
    const tmp = `${this.path}.tmp`;
    const fd = openSync(tmp, 'w', 0o644);
    try {
      writeSync(fd, JSON.stringify({ phases, journal, takenOver: record.takenOver ?? [] }));
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    renameSync(tmp, this.path);
  }

  remove(): void {
    rmSync(this.path, { force: true });
  }
}
