// One phase for one node: read what is there (one `ip -json` per namespace), build the
// plan, compare, then apply only the difference — or print it (dry run), or report it
// (check). Nothing is changed until every op has been assessed. A real run holds the
// machine's clusternet lock and keeps the node's record and journal (record.ts).
import { DriftError, InputError } from '../errors.js';
import type { Config } from '../config/types.js';
import type { NodeValues } from '../derive/node.js';
import type { Logger } from '../log.js';
import type { Op, Phase, Plan } from '../plan/ops.js';
import { backendOf, buildPlan, kernelNeeds, type PlanContext } from '../plan/phases.js';
import { mergeOps } from '../plan/stop.js';
import { bucketOf, cipName } from '../clusterip/rules.js';
import { chooseBackend, describeChoice, probeOnce } from '../clusterip/choose.js';
import { readBackendLive } from '../clusterip/system.js';
import { probeBackendCached, probedOk } from '../clusterip/probe-cache.js';
import { readFdb, readSysctl } from '../system/state.js';
import { describeOp } from '../plan/render.js';
import type { Runner } from '../system/runner.js';
import { lockHeldHere } from '../system/lock.js';
import { runLocked } from './locked.js';
import { readNsState } from '../system/state.js';
import { viewOf, type NsView } from './view.js';
import { findStrays, strayRemovals, type Stray } from './strays.js';
import { assessPlan, type Assessment } from './assess.js';
import { execute } from './execute.js';
import { RecordStore, type NodeRecord } from './record.js';
import { refuseOtherNode } from './own.js';
import { CURRENT_NS, nsLabel, type Ns } from '../system/ns.js';
import type { CipBackend } from '../clusterip/types.js';
import { ownerOf } from '../link/index.js';

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
  /** What was read, by namespace label. */
  states: Map<string, NsView>;
  /** Things of ours the plan lacks (strays.ts): a run removes those it can, check lists all. */
  strays: Stray[];
}

/** Which namespaces a phase looks at: the host for the lower device, the container for the rest. */
const needsHost = (phase: Phase) => phase === 'boot-pre' || phase === 'boot-post';

/**
 * Reads the state and assesses the plan. With a record, `stop` also undoes what the
 * record (or an interrupted journal) says was applied, even if net.conf no longer plans it.
 * Every read is started as soon as it is known to be needed, so the processes that read
 * (ip, iptables-save, nft, a probe) run side by side rather than one after another.
 * A container that is another node's (own.ts) is refused before anything is assessed.
 */
export async function preparePhase(req: PhaseRequest, record?: NodeRecord): Promise<Prepared> {
  const { phase, values, container, runner, config } = req;
  const host = CURRENT_NS;
  if (phase === 'boot-post' && container.kind === 'current') {
    throw new InputError({
      key: 'boot-post',
      message: 'needs the container: give --pid PID (its init) or --netns NAME',
    });
  }
  const reads = new Reads(runner);
  // Known before the plan: the host for the lower device, the container for the rest.
  if (needsHost(phase)) reads.ns(host);
  if (phase !== 'boot-pre') reads.ns(container);
  const device = needsHost(phase) ? (await reads.ns(host)).links.get(values.device) : undefined;
  if (device && typeof values.mtu === 'number') checkMtu(config, values, device.mtu);
  const usesCip = (phase === 'init-post' || phase === 'stop') && values.clusterIps.length > 0;
  // init-post with every backend named outright: its rules are read while the probes run.
  if (phase === 'init-post' && usesCip && values.clusterIps.every((c) => c.wanted !== 'auto')) {
    for (const backend of new Set(values.clusterIps.map((c) => c.wanted as CipBackend))) {
      reads.cip(
        container,
        backend,
        values.clusterIps.filter((c) => c.wanted === backend).map((c) => c.address),
      );
    }
  }
  const ctx: PlanContext = {
    host,
    container,
    deviceMtu: device?.mtu,
    backends: usesCip ? await resolveBackends(req) : undefined,
    takenOver: (record?.takenOver ?? []).map((node) => bucketOf(config, node)).filter((b) => b > 0),
    assigned: record?.assigned ?? {},
  };
  const plan = buildPlan(phase, values, ctx, record);
  for (const op of plan.ops) {
    reads.ns(op.ns);
    if (op.op === 'link-create') reads.ns(op.target);
    if (op.op === 'cip-rules' || op.op === 'cip-rules-delete' || op.op === 'cip-buckets')
      reads.cip(
        op.ns,
        op.backend,
        op.specs.map((s) => s.address),
      );
    if (op.op === 'sysctl') reads.sysctl(op.ns, op.key);
    if (op.op === 'fdb-add' || op.op === 'fdb-delete') reads.fdb(op.ns, op.dev);
    if (op.op === 'require-link-type' && probedOk(runner, op.ns, `link ${op.type}`))
      reads.linkType(op.ns, op.type);
  }
  const states = await reads.all();
  if (phase !== 'boot-pre')
    refuseOtherNode(
      config,
      values,
      container,
      states.get(nsLabel(container)),
      runner.system === true,
    );
  const stateOf = (ns: Ns): NsView => {
    const st = states.get(nsLabel(ns));
    if (!st) throw new Error(`no state read for ${nsLabel(ns)}`);
    return st;
  };
  // With the node network off nothing makes the interface: the cluster address goes on one
  // that is there already (Kerrighed's 20clusterip: `ip addr add $CLUSTERADDR dev $VIRT`).
  if (
    phase === 'init-post' &&
    !values.enable &&
    values.clusterIps.length > 0 &&
    !stateOf(container).links.has(values.interface)
  ) {
    const where = config.keys.get('net.enable');
    throw new InputError({
      file: config.file,
      line: where?.line,
      key: where?.shown ?? 'net.enable',
      message: `node ${values.node}: the node network is off, so the cluster address goes on ${values.interface} as it is ([net] interface), and ${values.interface} does not exist in ${nsLabel(container)}; allowed: an existing interface, or the node network on`,
    });
  }
  const strays = phase === 'stop' ? [] : findStrays(plan, states, values, container);
  return { plan, assessed: assessPlan(plan.ops, stateOf), states, strays };
}

/**
 * The reads of one preparePhase, each started once, at once. A read started for nothing
 * (the phase then stops on bad input) must not end the process as an unhandled rejection:
 * each gets a handler at its start, and all() waits for every one and throws the first
 * error, in the order the reads were asked for.
 */
class Reads {
  private readonly nsReads = new Map<string, { ns: Ns; state: Promise<NsView> }>();
  private readonly extra: { label: string; apply: Promise<(st: NsView) => void> }[] = [];
  /** Extra reads already asked for (cluster-IP rules, fdb), so each runs once. */
  private readonly cipKeys = new Set<string>();

  constructor(private readonly runner: Runner) {}

  ns(ns: Ns): Promise<NsView> {
    const label = nsLabel(ns);
    let read = this.nsReads.get(label);
    if (!read) {
      read = { ns, state: handled(readNsState(this.runner, ns).then(viewOf)) };
      this.nsReads.set(label, read);
    }
    return read.state;
  }

  cip(ns: Ns, backend: CipBackend, addresses: string[]): void {
    const key = `${nsLabel(ns)} ${backend}`;
    if (this.cipKeys.has(key)) return;
    this.cipKeys.add(key);
    this.ns(ns);
    const live = readBackendLive(this.runner, ns, backend, addresses);
    this.extra.push({
      label: nsLabel(ns),
      apply: handled(live.then((l) => (st: NsView) => void st.cip.set(backend, l))),
    });
  }

  sysctl(ns: Ns, key: string): void {
    this.ns(ns);
    const value = readSysctl(this.runner, ns, key);
    this.extra.push({
      label: nsLabel(ns),
      apply: handled(value.then((v) => (st: NsView) => void st.sysctls.set(key, v))),
    });
  }

  /** A device's forwarding entries: only plans with fdb ops pay for a `bridge` process. */
  fdb(ns: Ns, dev: string): void {
    const key = `${nsLabel(ns)} fdb ${dev}`;
    if (this.cipKeys.has(key)) return;
    this.cipKeys.add(key);
    this.ns(ns);
    const entries = readFdb(this.runner, ns, dev);
    this.extra.push({
      label: nsLabel(ns),
      apply: handled(entries.then((e) => (st: NsView) => void st.fdb.set(dev, e))),
    });
  }

  linkType(ns: Ns, type: string): void {
    this.ns(ns);
    this.extra.push({
      label: nsLabel(ns),
      apply: Promise.resolve((st: NsView) => void st.linkTypes.add(type)),
    });
  }

  async all(): Promise<Map<string, NsView>> {
    const states = new Map<string, NsView>();
    for (const [label, read] of this.nsReads) states.set(label, await read.state);
    for (const { label, apply } of this.extra) (await apply)(states.get(label)!);
    return states;
  }
}

/** The same promise, marked handled: awaited later, it still throws. */
function handled<T>(p: Promise<T>): Promise<T> {
  p.catch(() => {});
  return p;
}

/**
 * The backend of each cluster address on this node (clusterip/choose.ts). Probed once per
 * backend; a backend that cannot run is bad input.
 */
async function resolveBackends(req: PhaseRequest): Promise<Map<string, CipBackend>> {
  const { config, values, runner, container, log } = req;
  const probe = probeOnce((b) => probeBackendCached(runner, container, b));
  const out = new Map<string, CipBackend>();
  for (const cip of values.clusterIps) {
    const key = cip.name ? `clusterip.${cip.name}.backend` : 'clusterip.backend';
    const where = config.keys.get(
      config.nodeSettings.get(values.node)?.backend ? `node.${values.node}.backend` : key,
    );
    const choice = await chooseBackend(cip, probe);
    if (!choice.backend) {
      throw new InputError({
        file: config.file,
        line: where?.line,
        key: where?.shown ?? key,
        message: `node ${values.node}: no backend for ${cip.address} can run here: ${choice.refusals.join('; ')}`,
      });
    }
    out.set(cipName(cip), choice.backend);
    log.verbose(`cluster address ${cip.address}: backend ${describeChoice(cip, choice)}`);
  }
  return out;
}

/** A link cannot be larger than its kind allows over the lower device (a vlan or macvlan: the device's MTU). */
function checkMtu(config: Config, values: NodeValues, deviceMtu: number) {
  const mtu = values.mtu as number;
  const max = values.link
    ? ownerOf(values.kind).maxMtu(values.link, deviceMtu, values.routing)
    : deviceMtu;
  if (mtu > max) {
    const where = config.keys.get(
      config.nodeSettings.get(values.node)?.mtu !== undefined
        ? `node.${values.node}.mtu`
        : 'net.mtu',
    );
    throw new InputError({
      file: config.file,
      line: where?.line,
      key: where?.shown ?? 'net.mtu',
      message: `node ${values.node}: ${mtu} is above what ${values.device} allows (its MTU is ${deviceMtu}${max < deviceMtu ? `, less ${deviceMtu - max} for ${values.kind}` : ''}); allowed: 68 to ${max}`,
    });
  }
}

export interface PhaseResult {
  plan: Plan;
  applied: Op[];
  /** A dry run: how many changes it would have made. */
  wouldChange?: number;
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
    a.state === 'blocked'
      ? [`${describeOp(op)}: ${a.reason}`]
      : a.state === 'differs' && !a.fix
        ? [
            `${describeOp(op)}: differs: want ${a.want}, have ${a.have}; cannot be corrected in place (run stop, then the phases again)`,
          ]
        : [],
  );
}

export async function runPhase(req: PhaseRequest & { dryRun?: boolean }): Promise<PhaseResult> {
  if (req.dryRun) {
    const store = new RecordStore(req.values.node, req.container);
    const { plan, assessed, strays } = await preparePhase(req, store.load());
    const problems = refusals(assessed);
    if (problems.length > 0) throw refused(req, problems);
    const pending = [...pendingOps(assessed, req.log), ...strayRemovals(strays)];
    for (const op of pending) req.log.info(`would run: ${describeOp(op)}`);
    if (countChanges(pending) === 0) req.log.info(`${req.phase}: nothing to change`);
    return { plan, applied: [], wouldChange: countChanges(pending) };
  }
  // Inside a run that holds the lock already (`run`, takeover, reload): straight on.
  if (lockHeldHere()) return applyPhase(req);
  // First without the lock (locked.ts): a run that finds nothing to change, with no holder
  // at work meanwhile, is done — a boot after boot then starts no process but its reads.
  // A boot's first run of the phase will change something: its lock is asked for at once,
  // while the state is read, rather than after.
  const store = new RecordStore(req.values.node, req.container);
  return runLocked<PhaseResult>(req, {
    what: `${req.phase} for node ${req.values.node}`,
    load: () => store.load(),
    earlyLock: (record) => firstRunThisBoot(req, record),
    readWithoutGeneration: true,
    idle: (record, prepared) => {
      const said: ['info' | 'warn', string][] = [];
      if (!settled(req, store, record, prepared, said)) return undefined;
      return () => {
        for (const [level, line] of said) req.log[level](line);
        req.log.info(`${req.phase}: nothing to change`);
        return { plan: prepared.plan, applied: [] };
      };
    },
    apply: (kept) => applyPhase(req, kept),
  });
}

/** Whether this looks like the phase's first run since boot: one that changes something. */
function firstRunThisBoot(req: PhaseRequest, record: NodeRecord): boolean {
  if (req.phase === 'stop' || !req.values.enable) return false;
  // boot-pre keeps no record (nothing of it to undo), but its link-type probe is remembered.
  if (req.phase === 'boot-pre')
    return !kernelNeeds(req.values).every((need) =>
      probedOk(req.runner, CURRENT_NS, `link ${need.type}`),
    );
  return !record.phases[req.phase];
}

/**
 * Nothing to do: nothing refused, pending or stray, no interrupted journal, and the record
 * already as the phase would leave it. What pendingOps would say (warnings about things
 * not ours) is collected in `said`, for the caller to print if it stops here.
 */
function settled(
  req: PhaseRequest,
  store: RecordStore,
  record: NodeRecord,
  prepared: Prepared,
  said: ['info' | 'warn', string][],
): boolean {
  if (record.journal || refusals(prepared.assessed).length > 0) return false;
  const collect: Logger = {
    level: req.log.level,
    info: (m) => said.push(['info', m]),
    warn: (m) => said.push(['warn', m]),
    verbose: (m) => req.log.verbose(m),
  };
  if (
    pendingOps(prepared.assessed, collect).length > 0 ||
    strayRemovals(prepared.strays).length > 0
  )
    return false;
  return store.unchangedBy(
    record,
    req.phase === 'stop'
      ? null
      : { ...record, phases: { ...record.phases, [req.phase]: prepared.plan.ops } },
  );
}

/**
 * Applies a phase; the caller holds the lock. `kept`: the record and the state read before
 * the lock was taken, still valid (no holder since: lock.previous equals the generation
 * read before them); without it both are read here.
 */
export async function applyPhase(
  req: PhaseRequest,
  kept?: { record: NodeRecord; prepared: Prepared },
): Promise<PhaseResult> {
  const store = new RecordStore(req.values.node, req.container);
  const record = kept?.record ?? store.load();
  // Under the lock no other run is in progress: a journal left behind was interrupted.
  const interrupted = record.journal;
  if (interrupted) {
    req.log.warn(
      `an interrupted ${interrupted.phase} (pid ${interrupted.pid}, started ${interrupted.started}) left a journal; ${req.phase === 'stop' ? 'undoing' : 'completing'} its work`,
    );
  }
  const prepared = kept?.prepared ?? (await preparePhase(req, record));
  const { plan, assessed } = prepared;
  const problems = refusals(assessed);
  if (problems.length > 0) throw refused(req, problems);
  const pending = [...pendingOps(assessed, req.log), ...strayRemovals(prepared.strays)];
  const applied: Op[] = [];
  const journal = {
    pid: process.pid,
    phase: req.phase,
    started: new Date().toISOString(),
    intents: [] as Op[],
  };
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
    if (interrupted && req.phase !== 'stop')
      record.phases[interrupted.phase] = mergeOps(
        record.phases[interrupted.phase],
        interrupted.intents,
      );
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

const countChanges = (ops: readonly Op[]) =>
  ops.filter((op) => op.op !== 'require-link-type').length;

const refused = (req: PhaseRequest, problems: string[]) =>
  new DriftError(
    `${req.phase} cannot run on node ${req.values.node}; nothing was changed:\n${problems.map((p) => `  ${p}`).join('\n')}`,
  );
