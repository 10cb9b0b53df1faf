// What clusternet made on this node, kept under /run (gone at reboot, like the network
// state it describes): per phase, the applied ops that have an undo, and a journal of the
// phase in progress. `stop` undoes what the record says even after net.conf was edited;
// `reload` compares the record with the new plan; a run killed mid-phase leaves its
// journal, from which the next run or stop completes or undoes the work.
// Records are keyed by the container's namespace identity, and store the container as a
// placeholder, so the same record serves a run from inside and one from the host.
import { closeSync, fsyncSync, mkdirSync, openSync, readFileSync, renameSync, unlinkSync, writeSync } from 'node:fs';
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
  return ops.map((op) => (op.op === 'link-create' ? { ...op, target: swap(op.target) } : { ...op, ns: swap(op.ns) }) as Op);
}

/**
 * The assigned buckets as read back from the file: names as a [clusterip NAME] allows,
 * bucket numbers as positive integers; anything else is dropped, since the numbers reach
 * an iptables-restore or nft script.
 */
function validAssigned(stored: unknown): Record<string, number[]> {
  if (typeof stored !== 'object' || stored === null) return {};
  const out: Record<string, number[]> = {};
  for (const [name, buckets] of Object.entries(stored)) {
    if (!/^[A-Za-z0-9_-]{1,16}$/.test(name) || !Array.isArray(buckets)) continue;
    out[name] = buckets.filter((b): b is number => Number.isInteger(b) && b >= 1 && b <= 4096);
  }
  return out;
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
    return { phases, journal, takenOver: stored.takenOver ?? [], assigned: validAssigned(stored.assigned) };
  }

  /** What save() writes for a record: null when there is nothing to keep (no file). */
  private serialize(record: NodeRecord): string | null {
    const phases: NodeRecord['phases'] = {};
    for (const [phase, ops] of Object.entries(record.phases)) {
      phases[phase as Phase] = rebase(ops.filter((op) => undoOf(op) !== null), this.container, PLACEHOLDER);
    }
    const journal = record.journal && { ...record.journal, intents: rebase(record.journal.intents, this.container, PLACEHOLDER) };
    // A record of nothing is no record. boot-pre makes nothing to undo, and run from its
    // hook it gets no container (Kerrighed's way), so its record would be keyed by the
    // host's own namespace, where no `stop` ever looks: it would stay behind forever.
    const assigned = Object.fromEntries(Object.entries(record.assigned ?? {}).filter(([, b]) => b.length > 0));
    if (Object.values(phases).every((ops) => ops.length === 0) && !journal && (record.takenOver ?? []).length === 0 && Object.keys(assigned).length === 0) return null;
    return JSON.stringify({ phases, journal, takenOver: record.takenOver ?? [], ...(Object.keys(assigned).length > 0 ? { assigned } : {}) });
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
    try {
      return readFileSync(this.path, 'utf8');
    } catch {
      return null;
    }
  }

  /** Written to a temporary file, flushed, then renamed: never half a record. Unchanged: not written. */
  save(record: NodeRecord): void {
    const text = this.serialize(record);
    if (text === null) return this.remove();
    if (text === this.stored()) return;
    mkdirSync(join(this.path, '..'), { recursive: true, mode: 0o755 });
    const tmp = `${this.path}.tmp`;
    const fd = openSync(tmp, 'w', 0o644);
    try {
      writeSync(fd, text);
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    renameSync(tmp, this.path);
  }

  remove(): void {
    try {
      unlinkSync(this.path);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
    }
  }
}
