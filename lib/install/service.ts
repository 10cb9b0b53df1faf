// What the systemd unit and the init script run: `clusternet service start|stop|status`.
// It reads /etc/default/clusternet and runs the enabled phases, in boot order, against
// the container's named network namespace (created when missing).
import { existsSync } from 'node:fs';
import { configPath } from '../config/file.js';
import { loadNodeContext, type NodeContext } from '../context.js';
import { runPhaseHooks } from '../hooks/run.js';
import type { Level, Logger } from '../log.js';
import { hooksDir } from '../paths.js';
import { builtinPhase } from '../hooks/builtin.js';
import { listHooks, phaseDir } from '../hooks/runparts.js';
import { type Phase } from '../plan/ops.js';
import { buildPlan } from '../plan/phases.js';
import { describeOp } from '../plan/render.js';
import { runChecked, systemRunner, type Runner } from '../system/runner.js';
import { POLL_MS, lookOnce } from '../status/wait.js';
import { ApplyError } from '../errors.js';
import type { Defaults } from './defaults.js';
import { CURRENT_NS, type Ns } from '../system/ns.js';

export interface ServiceOptions {
  defaults: Defaults;
  level: Level;
  log: Logger;
  runner?: Runner;
  /** Print what start or stop would change; change nothing (not even the namespace). */
  dryRun?: boolean;
}

const netnsExists = (name: string) => existsSync(`/run/netns/${name}`);

const contextFor = (o: ServiceOptions, label: string) =>
  loadNodeContext({
    config: o.defaults.config,
    node: o.defaults.nodeId,
    netns: o.defaults.netns,
    level: o.level,
    label,
  });

export async function serviceStart(o: ServiceOptions): Promise<void> {
  const d = o.defaults;
  if (!d.isolateNet) {
    o.log.info(
      `ISOLATE_NET is off in ${d.file}: the container shares the host's network stack; nothing to do`,
    );
    return;
  }
  // Installed but not configured yet (the Debian package enables the units at once):
  // nothing to do until the administrator has written the config.
  const config = configPath(d.config);
  if (!existsSync(config)) {
    o.log.info(
      `${config} does not exist: nothing to do until it is written (clusternet edit starts from the example)`,
    );
    return;
  }
  // A dry run reads the system phase by phase; once a phase would change something, the
  // later phases cannot be read as they would find it, so their plan is shown instead.
  let changed = false;
  if (!netnsExists(d.netns)) {
    if (o.dryRun) {
      o.log.info(`would run: ip netns add ${d.netns}`);
      changed = true;
    } else {
      await runChecked(o.runner ?? systemRunner, ['ip', 'netns', 'add', d.netns]);
      o.log.info(`created network namespace ${d.netns}`);
    }
  }
  let deviceSeen = false;
  for (const phase of d.phases) {
    const ctx = contextFor(o, phase);
    if (!deviceSeen && (phase === 'boot-pre' || phase === 'boot-post')) {
      await waitForDevice(ctx, d.waitTimeout);
      deviceSeen = true;
    }
    if (o.dryRun && changed) showPlan(o, ctx, phase);
    else
      changed = (await runPhaseHooks(ctx, phase, hooksDir(d.hooksDir), { dryRun: o.dryRun })) > 0;
  }
}

/**
 * The host phases need this node's lower device, which udev may still be bringing up at
 * boot. It is found here, from net.conf and the node id, rather than named in the unit, so
 * a [node N] device or a later `set net.device=…` is followed.
 */
async function waitForDevice(ctx: NodeContext, timeoutSeconds: number): Promise<void> {
  const device = ctx.values.device;
  const started = Date.now();
  for (let said = false; ; said = true) {
    if ((await ctx.runner.run(['ip', 'link', 'show', 'dev', device])).exitCode === 0) return;
    if (Date.now() - started >= timeoutSeconds * 1000) {
      throw new ApplyError(
        `ip link show dev ${device}`,
        `node ${ctx.values.node}'s lower device ${device} (net.device, or device in [node ${ctx.values.node}], of ${ctx.config.file}) did not appear within ${timeoutSeconds} s (WAIT_TIMEOUT)`,
      );
    }
    if (!said) ctx.log.info(`waiting up to ${timeoutSeconds} s for the lower device ${device}`);
    await new Promise((r) => setTimeout(r, POLL_MS));
  }
}

/** A phase after one that would change something: its plan, as `clusternet plan` prints it. */
function showPlan(o: ServiceOptions, ctx: NodeContext, phase: Phase): void {
  const container: Ns = { kind: 'netns', name: o.defaults.netns };
  ctx.log.info(`${phase}: after the changes above, its plan:`);
  for (const op of buildPlan(phase, ctx.values, { host: CURRENT_NS, container }).ops)
    ctx.log.info(`would run: ${describeOp(op)}`);
  for (const hook of listHooks(phaseDir(hooksDir(o.defaults.hooksDir), phase)).filter(
    (h) => !builtinPhase(h.path),
  ))
    ctx.log.info(`would run site hook ${hook.path}`);
}

export async function serviceStop(o: ServiceOptions): Promise<void> {
  const d = o.defaults;
  if (!d.isolateNet || !netnsExists(d.netns)) {
    o.log.info(`network namespace ${d.netns} does not exist: nothing to stop`);
    return;
  }
  const phase: Phase = 'stop';
  await runPhaseHooks(contextFor(o, phase), phase, hooksDir(d.hooksDir), { dryRun: o.dryRun });
}

/** LSB status: 0 when the cluster network is ready, 3 when it is not (with what is missing). */
export async function serviceStatus(
  o: ServiceOptions,
): Promise<{ code: 0 | 3; missing: string[] }> {
  const d = o.defaults;
  if (!d.isolateNet) return { code: 3, missing: [`ISOLATE_NET is off in ${d.file}`] };
  if (!netnsExists(d.netns))
    return { code: 3, missing: [`network namespace ${d.netns} does not exist`] };
  const ctx = contextFor(o, 'status');
  const missing = await lookOnce(ctx.runner, ctx.container, ctx.values);
  return { code: missing.length === 0 ? 0 : 3, missing };
}
