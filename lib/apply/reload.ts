// `reload` after net.conf was edited, like ifreload: objects the new plan still has are
// left alone or corrected in place (converge), objects it no longer has are undone, new
// ones are made. Compared object by object with the node's record of what it applied.
import type { NodeContext } from '../context.js';
import { describeOp } from '../plan/render.js';
import { objectKey, undoAll, type Op, type Phase } from '../plan/ops.js';
import { withLock } from '../system/lock.js';
import { DriftError } from '../errors.js';
import { execute } from './execute.js';
import { preparePhase, refusals, runPhase } from './phase.js';
import { RecordStore } from './record.js';
import { refuseOtherNode } from './own.js';
import { assess } from './assess.js';
import { readNsState } from '../system/state.js';
import { readBackendLive } from '../clusterip/system.js';
import { viewOf, type NsView } from './view.js';
import { CURRENT_NS, nsLabel, type Ns } from '../system/ns.js';

/** A cluster-IP op holds several addresses: compare them one by one. */
function perObject(op: Op): Op[] {
  return op.op === 'cip-rules' ? op.specs.map((s) => ({ ...op, specs: [s] })) : [op];
}

const keyOf = (op: Op) =>
  op.op === 'cip-rules' ? `${objectKey(op)} ${op.specs[0]?.name}` : objectKey(op);

/** The phases a reload can act on from where it runs: the link itself needs the host. */
const reloadable = (container: Ns): Phase[] =>
  container.kind === 'current' ? ['init-pre', 'init-post'] : ['boot-post', 'init-pre', 'init-post'];

export async function reload(ctx: NodeContext): Promise<{ removed: Op[] }> {
  return withLock(`reload for node ${ctx.values.node}`, async () => {
    // Another node's container is refused even when this node has nothing recorded here.
    refuseOtherNode(ctx.config, ctx.values, ctx.container, undefined, ctx.runner.system === true);
    const store = new RecordStore(ctx.values.node, ctx.container);
    const record = store.load();
    const phases = reloadable(ctx.container).filter((p) => record.phases[p] !== undefined);
    if (phases.length === 0) {
      ctx.log.info(
        'nothing recorded for this node here: run the phases first (reload changes a running node)',
      );
      return { removed: [] };
    }
    // What the new net.conf plans, object by object, for the phases that ran.
    const wanted = new Set<string>();
    for (const phase of phases) {
      const { plan } = await preparePhase({ ...ctx, phase });
      plan.ops.flatMap(perObject).forEach((op) => wanted.add(keyOf(op)));
    }
    const gone = phases
      .flatMap((p) => record.phases[p] ?? [])
      .flatMap(perObject)
      .filter((op) => !wanted.has(keyOf(op)));
    const undo = undoAll(gone);
    const removed = await applyUndo(ctx, undo);
    for (const op of removed) ctx.log.info(`removed: ${describeOp(op)}`);
    // Then every phase converges on the new plan: unchanged objects untouched, changed ones
    // corrected in place where the kernel allows, new ones made.
    // Each run records its new plan, so the record then describes net.conf as edited.
    for (const phase of phases) await runPhase({ ...ctx, phase });
    return { removed };
  });
}

/** Applies undo ops that still have something to undo; what is already gone is fine. */
async function applyUndo(ctx: NodeContext, undo: Op[]): Promise<Op[]> {
  const states = new Map<string, NsView>();
  for (const op of undo) {
    const key = nsLabel(op.ns);
    if (!states.has(key)) states.set(key, viewOf(await readNsState(ctx.runner, op.ns)));
    const st = states.get(key)!;
    if (op.op === 'cip-rules-delete' && !st.cip.has(op.backend))
      st.cip.set(
        op.backend,
        await readBackendLive(
          ctx.runner,
          op.ns,
          op.backend,
          op.specs.map((s) => s.address),
        ),
      );
  }
  const assessed = undo.map((op) => ({
    op,
    assessment: assess(op, (ns) => states.get(nsLabel(ns)) ?? states.get(nsLabel(CURRENT_NS))!),
  }));
  const problems = refusals(assessed);
  if (problems.length > 0)
    throw new DriftError(
      `reload cannot remove what net.conf no longer has; nothing was changed:\n${problems.map((p) => `  ${p}`).join('\n')}`,
    );
  const pending = assessed.filter((a) => a.assessment.state === 'pending').map((a) => a.op);
  const applied: Op[] = [];
  await execute(pending, { runner: ctx.runner, onApplied: (op) => applied.push(op) });
  return applied;
}
