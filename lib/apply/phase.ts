// One phase for one node: read what is there (one `ip -json` per namespace), build the
// plan, compare, then apply only the difference — or print it (dry run), or report it
// (check). Nothing is changed until every op has been assessed.
import { DriftError, InputError } from '../errors.js';
import type { Config } from '../config/types.js';
import type { NodeValues } from '../derive/node.js';
import type { Logger } from '../log.js';
import { CURRENT_NS, nsLabel, type Ns, type Op, type Phase, type Plan } from '../plan/ops.js';
import { buildPlan } from '../plan/phases.js';
import { describeOp } from '../plan/render.js';
import type { Runner } from '../system/runner.js';
import { readNsState, type NsState } from '../system/state.js';
import { assess, type Assessment } from './assess.js';
import { execute } from './execute.js';

export interface PhaseRequest {
  config: Config;
  phase: Phase;
  values: NodeValues;
  /** The container's namespace; the current one when we run inside it. */
  container: Ns;
  runner: Runner;
  log: Logger;
}

export interface Assessed {
  op: Op;
  assessment: Assessment;
}

export interface Prepared {
  plan: Plan;
  assessed: Assessed[];
}

/** Which namespaces a phase looks at: the host for the lower device, the container for the rest. */
const needsHost = (phase: Phase) => phase === 'boot-pre' || phase === 'boot-post';

export async function preparePhase(req: PhaseRequest): Promise<Prepared> {
  const { phase, values, container, runner, config } = req;
  const host = CURRENT_NS;
  if (phase === 'boot-post' && container.kind === 'current') {
    throw new InputError({ key: 'boot-post', message: 'needs the container: give --pid PID (its init) or --netns NAME' });
  }
  const states = new Map<string, NsState>();
  const stateOf = (ns: Ns): NsState => {
    const st = states.get(nsLabel(ns));
    if (!st) throw new Error(`no state read for ${nsLabel(ns)}`);
    return st;
  };
  const wanted = needsHost(phase) ? [host, container] : [container];
  for (const ns of wanted) {
    if (!states.has(nsLabel(ns))) states.set(nsLabel(ns), await readNsState(runner, ns));
  }
  const device = needsHost(phase) ? stateOf(host).links.get(values.device) : undefined;
  if (device && typeof values.mtu === 'number') checkMtu(config, values, device.mtu);
  const plan = buildPlan(phase, values, { host, container, deviceMtu: device?.mtu });
  return { plan, assessed: plan.ops.map((op) => ({ op, assessment: assess(op, stateOf) })) };
}

/** A VLAN or macvlan cannot be larger than its lower device. */
function checkMtu(config: Config, values: NodeValues, deviceMtu: number) {
  const mtu = values.mtu as number;
  if (mtu > deviceMtu) {
    const where = config.keys.get(config.nodeSettings.get(values.node)?.mtu !== undefined ? `node.${values.node}.mtu` : 'net.mtu');
    throw new InputError({ file: config.file, line: where?.line, key: where?.shown ?? 'net.mtu', message: `node ${values.node}: ${mtu} is above what ${values.device} allows (its MTU is ${deviceMtu}); allowed: 68 to ${deviceMtu}` });
  }
}

export interface PhaseResult {
  plan: Plan;
  applied: Op[];
}

export async function runPhase(req: PhaseRequest & { dryRun?: boolean }): Promise<PhaseResult> {
  const { plan, assessed } = await preparePhase(req);
  const problems = assessed.flatMap(({ op, assessment: a }) =>
    a.state === 'blocked' ? [`${describeOp(op)}: ${a.reason}`] : a.state === 'differs' ? [`${describeOp(op)}: differs: want ${a.want}, have ${a.have}`] : [],
  );
  if (problems.length > 0) {
    throw new DriftError(`${req.phase} cannot run on node ${req.values.node}; nothing was changed:\n${problems.map((p) => `  ${p}`).join('\n')}`);
  }
  for (const { assessment: a } of assessed) if (a.state === 'foreign') req.log.warn(a.reason);
  const pending = assessed.filter((a) => a.assessment.state === 'pending').map((a) => a.op);
  const changes = pending.filter((op) => op.op !== 'require-link-type');
  if (req.dryRun) {
    for (const op of pending) req.log.info(`would run: ${describeOp(op)}`);
    if (changes.length === 0) req.log.info(`${req.phase}: nothing to change`);
    return { plan, applied: [] };
  }
  const applied: Op[] = [];
  await execute(pending, { runner: req.runner, onApplied: (op) => applied.push(op) });
  for (const op of applied) req.log.info(`changed: ${describeOp(op)}`);
  if (changes.length === 0) req.log.info(`${req.phase}: nothing to change`);
  return { plan, applied };
}
