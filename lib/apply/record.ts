// What clusternet made on this node, kept under /run (gone at reboot, like the network
// state it describes): per phase, the applied ops that have an undo, and a journal of the
// phase in progress. `stop` undoes what the record says even after net.conf was edited;
// `reload` compares the record with the new plan; a run killed mid-phase leaves its
// journal, from which the next run or stop completes or undoes the work.
// Records are keyed by the container's namespace identity, and store the container as a
// placeholder, so the same record serves a run from inside and one from the host.
// A record is input like net.conf: checked whole before use (record-schema.ts).
import { join } from 'node:path';
import { undoOf, type Op, type Phase } from '../plan/ops.js';
import { readRunFile, removeRunFile, runDir, writeRunFile } from '../system/rundir.js';
import { nsIdentity } from '../system/netns.js';
import { parseRecord } from './record-schema.js';
import { sameNs, type Ns } from '../system/ns.js';

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
  /** With buckets = manager: per cluster address name, the buckets assigned to this node. */
  assigned?: Record<string, number[]>;
}

const PLACEHOLDER: Ns = { kind: 'netns', name: '@container' };

/**
 * Replaces every reference to `from` by `to`, in the op's namespace fields. Not the `ns`
 * of a link-create: that is always the host, where boot-post runs; seen from inside the
 * container, where the host too is "this namespace", it would be taken for the container,
 * and the record would read differently from the host and from inside.
 */
function rebase(ops: readonly Op[], from: Ns, to: Ns): Op[] {
  const swap = (ns: Ns) => (sameNs(ns, from) ? to : ns);
  return ops.map(
    (op) =>
      (op.op === 'link-create'
        ? { ...op, target: swap(op.target) }
        : { ...op, ns: swap(op.ns) }) as Op,
  );
}

export class RecordStore {
  readonly path: string;
  private readonly name: string;
  private readonly container: Ns;
  private readonly env: NodeJS.ProcessEnv;
  private readonly node: number;

  constructor(node: number, container: Ns, env: NodeJS.ProcessEnv = process.env) {
    this.container = container;
    this.node = node;
    this.env = env;
    this.name = `node-${node}-netns-${nsIdentity(container)}.json`;
    this.path = join(runDir(env), this.name);
  }

  load(): NodeRecord {
    const text = this.stored();
    if (text === null) return { phases: {} };
    const stored = parseRecord(text, this.path, this.node);
    const phases: NodeRecord['phases'] = {};
    for (const [phase, ops] of Object.entries(stored.phases))
      phases[phase as Phase] = rebase(ops, PLACEHOLDER, this.container);
    const journal = stored.journal && {
      ...stored.journal,
      intents: rebase(stored.journal.intents, PLACEHOLDER, this.container),
    };
    return { phases, journal, takenOver: stored.takenOver ?? [], assigned: stored.assigned ?? {} };
  }

  /** What save() writes for a record: null when there is nothing to keep (no file). */
  private serialize(record: NodeRecord): string | null {
    const phases: NodeRecord['phases'] = {};
    for (const [phase, ops] of Object.entries(record.phases)) {
      phases[phase as Phase] = rebase(
        ops.filter((op) => undoOf(op) !== null),
        this.container,
        PLACEHOLDER,
      );
    }
    const journal = record.journal && {
      ...record.journal,
      intents: rebase(record.journal.intents, this.container, PLACEHOLDER),
    };
    // A record of nothing is no record. boot-pre makes nothing to undo, and run from its
    // hook it gets no container (Kerrighed's way), so its record would be keyed by the
    // host's own namespace, where no `stop` ever looks: it would stay behind forever.
    const assigned = Object.fromEntries(
      Object.entries(record.assigned ?? {}).filter(([, b]) => b.length > 0),
    );
    if (
      Object.values(phases).every((ops) => ops.length === 0) &&
      !journal &&
      (record.takenOver ?? []).length === 0 &&
      Object.keys(assigned).length === 0
    )
      return null;
    return JSON.stringify({
      phases,
      journal,
      takenOver: record.takenOver ?? [],
      ...(Object.keys(assigned).length > 0 ? { assigned } : {}),
    });
  }

  /**
   * True when saving `next` (null: removing the record) over `loaded`, what load() gave,
   * would change nothing that matters: the same ops per phase, journal and takeovers. Not
   * byte for byte: a record written from inside the container and one written from the
   * host show the host's own ops differently, and either is right.
   */
  unchangedBy(loaded: NodeRecord, next: NodeRecord | null): boolean {
    const want = next && this.serialize(next);
    if (want === null) return this.stored() === null;
    return this.stored() !== null && this.serialize(loaded) === want;
  }

  private stored(): string | null {
    return readRunFile(this.env, this.name);
  }

  /** Written to a temporary file, flushed, then renamed: never half a record. Unchanged: not written. */
  save(record: NodeRecord): void {
    const text = this.serialize(record);
    if (text === null) return this.remove();
    if (text === this.stored()) return;
    writeRunFile(this.env, this.name, text, true);
  }

  remove(): void {
    removeRunFile(this.env, this.name);
  }
}
