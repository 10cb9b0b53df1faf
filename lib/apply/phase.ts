// One phase for one node: read what is there (one `ip -json` per namespace), build the
// plan, compare, then apply only the difference — or print it (dry run), or report it
// (check). Nothing is changed until every op has been assessed. A real run holds the
// machine's clusternet lock and keeps the node's record and journal (record.ts).
import { DriftError, InputError } from '../errors.js';
import type { Config } from '../config/types.js';
import type { NodeValues } from '../derive/node.js';
import type { Logger } from '../log.js';
import { CURRENT_NS, PHASES, ROUTE_PROTOCOL, TAG, nsLabel, undoAll, type CipBackend, type Ns, type Op, type Phase, type Plan } from '../plan/ops.js';
import { backendOf, buildPlan, cipName, type PlanContext } from '../plan/phases.js';
import { bucketOf } from '../clusterip/rules.js';
import { chooseBackend, describeChoice } from '../clusterip/choose.js';
import { readBackendLive } from '../clusterip/system.js';
import { probeBackendCached } from '../clusterip/probe-cache.js';
import { readSysctl } from '../system/state.js';
import { describeOp } from '../plan/render.js';
import type { Runner } from '../system/runner.js';
import { withLock } from '../system/lock.js';
import { isOurRoute, readNsState, type NsState } from '../system/state.js';
import { assess, type Assessment } from './assess.js';
import { execute } from './execute.js';
import { RecordStore, type NodeRecord } from './record.js';

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
  /** What was read, by namespace label: `check` looks there for what the plan lacks. */
  states: Map<string, NsState>;
}

/** Which namespaces a phase looks at: the host for the lower device, the container for the rest. */
const needsHost = (phase: Phase) => phase === 'boot-pre' || phase === 'boot-post';

/**
 * Reads the state and assesses the plan. With a record, `stop` also undoes what the
 * record (or an interrupted journal) says was applied, even if net.conf no longer plans it.
 */
export async function preparePhase(req: PhaseRequest, record?: NodeRecord): Promise<Prepared> {
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
  const device = needsHost(phase) ? await readState(states, runner, host).then((s) => s.links.get(values.device)) : undefined;
  if (device && typeof values.mtu === 'number') checkMtu(config, values, device.mtu);
  const usesCip = (phase === 'init-post' || phase === 'stop') && values.clusterIps.length > 0;
  const ctx: PlanContext = {
    host,
    container,
    deviceMtu: device?.mtu,
    backends: usesCip ? await resolveBackends(req) : undefined,
    takenOver: (record?.takenOver ?? []).map((node) => bucketOf(config, node)).filter((b) => b > 0),
  };
  const plan = buildPlan(phase, values, ctx);
  if (phase === 'stop' && record) plan.ops = undoAll(madeOps(record, values, ctx));
  for (const op of plan.ops) {
    const st = await readState(states, runner, op.ns);
    if (op.op === 'link-create') await readState(states, runner, op.target);
    if ((op.op === 'cip-rules' || op.op === 'cip-rules-delete' || op.op === 'cip-buckets') && !st.cip.has(op.backend)) {
      st.cip.set(op.backend, await readBackendLive(runner, op.ns, op.backend, op.specs.map((s) => s.address)));
    }
    if (op.op === 'sysctl' && !st.sysctls.has(op.key)) st.sysctls.set(op.key, await readSysctl(runner, op.ns, op.key));
  }
  return { plan, assessed: plan.ops.map((op) => ({ op, assessment: assess(op, stateOf) })), states };
}

/**
 * Things of ours that the plan does not have (`check`'s "unexpected"): other addresses on
 * our link, our default route to another gateway, cluster-IP rules for other addresses.
 */
export function unexpected(prepared: Prepared, values: NodeValues): string[] {
  const out: string[] = [];
  const planned = new Set([values.address, values.address6, ...values.clusterIps.map((c) => `${c.address}/32`)]);
  const plannedCip = new Set(prepared.plan.ops.flatMap((op) => (op.op === 'cip-rules' ? op.specs.map((s) => `${op.backend} ${s.name}`) : [])));
  for (const [label, st] of prepared.states) {
    if (prepared.plan.phase === 'init-pre') {
      const link = st.links.get(values.interface);
      if (link?.alias === TAG) {
        for (const a of link.addresses) if (!planned.has(a) && !a.startsWith('fe80:')) out.push(`${label}: address ${a} on ${values.interface}`);
      }
      for (const r of st.routes) if (isOurRoute(r) && r.gateway !== values.gateway) out.push(`${label}: route ${r.dst} via ${r.gateway} (protocol ${ROUTE_PROTOCOL})`);
    }
    for (const [backend, live] of st.cip) {
      for (const [name, l] of live.byName) if (!plannedCip.has(`${backend} ${name}`)) out.push(`${label}: ${backend} rules for ${name} (${l.address ?? '?'})`);
    }
  }
  return out;
}

/**
 * The backend of each cluster address on this node (clusterip/choose.ts). Probed once per
 * backend; a backend that cannot run is bad input.
 */
async function resolveBackends(req: PhaseRequest): Promise<Map<string, CipBackend>> {
  const { config, values, runner, container, log } = req;
  const probes = new Map<CipBackend, Promise<string | undefined>>();
  const probe = (b: CipBackend) => {
    if (!probes.has(b)) probes.set(b, probeBackendCached(runner, container, b));
    return probes.get(b)!;
  };
  const out = new Map<string, CipBackend>();
  for (const cip of values.clusterIps) {
    const key = cip.name ? `clusterip.${cip.name}.backend` : 'clusterip.backend';
    const where = config.keys.get(config.nodeSettings.get(values.node)?.backend ? `node.${values.node}.backend` : key);
    const choice = await chooseBackend(cip, probe);
    if (!choice.backend) {
      throw new InputError({ file: config.file, line: where?.line, key: where?.shown ?? key, message: `node ${values.node}: no backend for ${cip.address} can run here: ${choice.refusals.join('; ')}` });
    }
    out.set(cipName(cip), choice.backend);
    log.verbose(`cluster address ${cip.address}: backend ${describeChoice(cip, choice)}`);
  }
  return out;
}

async function readState(states: Map<string, NsState>, runner: Runner, ns: Ns): Promise<NsState> {
  const key = nsLabel(ns);
  if (!states.has(key)) states.set(key, await readNsState(runner, ns));
  return states.get(key)!;
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

/** The ops to apply: pending ones, and the in-place fixes of those that differ. */
export function pendingOps(assessed: readonly Assessed[], log: Logger): Op[] {
  const pending: Op[] = [];
  for (const { op, assessment: a } of assessed) {
    if (a.state === 'pending') pending.push(a.as ?? op);
    else if (a.state === 'differs' && a.fix) {
      log.info(`correcting ${describeOp(op)}: want ${a.want}, have ${a.have}`);
      pending.push(...a.fix);
    } else if (a.state === 'foreign') log.warn(a.reason);
  }
  return pending;
}

/** Ops that cannot be applied or corrected: the run must stop before changing anything. */
export function refusals(assessed: readonly Assessed[]): string[] {
  return assessed.flatMap(({ op, assessment: a }) =>
    a.state === 'blocked' ? [`${describeOp(op)}: ${a.reason}`] : a.state === 'differs' && !a.fix ? [`${describeOp(op)}: differs: want ${a.want}, have ${a.have}; cannot be corrected in place (run stop, then the phases again)`] : [],
  );
}

export async function runPhase(req: PhaseRequest & { dryRun?: boolean }): Promise<PhaseResult> {
  if (req.dryRun) {
    const store = new RecordStore(req.values.node, req.container);
    const { plan, assessed } = await preparePhase(req, store.load());
    const problems = refusals(assessed);
    if (problems.length > 0) throw refused(req, problems);
    const pending = pendingOps(assessed, req.log);
    for (const op of pending) req.log.info(`would run: ${describeOp(op)}`);
    if (countChanges(pending) === 0) req.log.info(`${req.phase}: nothing to change`);
    return { plan, applied: [] };
  }
  return withLock(`${req.phase} for node ${req.values.node}`, () => applyPhase(req));
}

async function applyPhase(req: PhaseRequest): Promise<PhaseResult> {
  const store = new RecordStore(req.values.node, req.container);
  const record = store.load();
  // Under the lock no other run is in progress: a journal left behind was interrupted.
  const interrupted = record.journal;
  if (interrupted) {
    req.log.warn(`an interrupted ${interrupted.phase} (pid ${interrupted.pid}, started ${interrupted.started}) left a journal; ${req.phase === 'stop' ? 'undoing' : 'completing'} its work`);
  }
  const prepared = await preparePhase(req, record);
  const { plan, assessed } = prepared;
  const problems = refusals(assessed);
  if (problems.length > 0) throw refused(req, problems);
  const pending = [...pendingOps(assessed, req.log), ...strayAddresses(prepared, req)];
  const applied: Op[] = [];
  const journal = { pid: process.pid, phase: req.phase, started: new Date().toISOString(), intents: [] as Op[] };
  try {
    await execute(pending, {
      runner: req.runner,
      beforeStep: (ops) => {
        journal.intents = [...(interrupted?.intents ?? []), ...ops];
        store.save({ ...record, journal });
      },
      onApplied: (op) => {
        applied.push(op);
        req.log.info(`changed: ${describeOp(op)}`);
      },
    });
  } finally {
    // Success, or a failure already rolled back by execute: either way no work is half done.
    // A record from an interrupted journal is folded in so `stop` still knows it.
    if (interrupted && req.phase !== 'stop') record.phases[interrupted.phase] = mergeOps(record.phases[interrupted.phase], interrupted.intents);
    record.journal = undefined;
    if (req.phase !== 'stop' || pending.length === 0) store.save(record);
  }
  if (req.phase === 'stop') store.remove();
  else {
    record.phases[req.phase] = plan.ops;
    store.save(record);
  }
  if (countChanges(pending) === 0) req.log.info(`${req.phase}: nothing to change`);
  return { plan, applied };
}

/**
 * Addresses on our own (tagged) link that net.conf does not give it — left by hand or by
 * an older net.conf: init-pre removes them, so the link carries exactly the plan.
 */
function strayAddresses(prepared: Prepared, req: PhaseRequest): Op[] {
  if (req.phase !== 'init-pre') return [];
  const v = req.values;
  const planned = new Set([v.address, v.address6, ...v.clusterIps.map((c) => `${c.address}/32`)]);
  const link = prepared.states.get(nsLabel(req.container))?.links.get(v.interface);
  if (link?.alias !== TAG) return [];
  return link.addresses.filter((a) => !planned.has(a) && !a.startsWith('fe80:')).map((address) => ({ op: 'addr-delete', ns: req.container, dev: v.interface, address }) as Op);
}

/**
 * Everything that may have been made, in the order it was made: per phase what the record
 * says and what net.conf plans, then an interrupted run's intents (its links are ours).
 */
function madeOps(record: NodeRecord, values: NodeValues, ctx: PlanContext): Op[] {
  const byPhase = PHASES.filter((p) => p !== 'stop').flatMap((p) => mergeOps(record.phases[p], buildPlan(p, values, ctx).ops));
  const journal = (record.journal?.intents ?? []).map((op) => (op.op === 'link-create' ? { ...op, owned: true } : op));
  return [...byPhase, ...journal];
}

function mergeOps(a: Op[] = [], b: Op[]): Op[] {
  const seen = new Set(a.map((op) => JSON.stringify(op)));
  return [...a, ...b.filter((op) => !seen.has(JSON.stringify(op)))];
}

const countChanges = (ops: readonly Op[]) => ops.filter((op) => op.op !== 'require-link-type').length;

const refused = (req: PhaseRequest, problems: string[]) =>
  new DriftError(`${req.phase} cannot run on node ${req.values.node}; nothing was changed:\n${problems.map((p) => `  ${p}`).join('\n')}`);
