// Runs the hooks of one phase in order. Built-in hooks run in-process; site hooks get the
// node's values in their environment (and the container, as Kerrighed passed the PID).
// The first failing hook stops the phase and is named. A site hook runs in a process
// group of its own, bounded as a whole (group.ts), inside the phase's lock.
import { ApplyError } from '../errors.js';
import { runPhase, type PhaseResult } from '../apply/phase.js';
import type { NodeContext } from '../context.js';
import type { Phase } from '../plan/ops.js';
import { builtinPhase } from './builtin.js';
import { listHooks, phaseDir, type HookFile } from './runparts.js';
import { withLock } from '../system/lock.js';
import { envSeconds } from '../system/runner.js';
import { runInGroup } from './group.js';
import { ownerOf } from '../link/index.js';

export const HOOK_TIMEOUT_MS = 120_000;

/** A site hook's bound (with its process group): 120 s, or CLUSTERNET_HOOK_TIMEOUT seconds. */
export const hookTimeoutMs = (env: NodeJS.ProcessEnv = process.env): number =>
  envSeconds(env, 'CLUSTERNET_HOOK_TIMEOUT', HOOK_TIMEOUT_MS);

export interface HookRunOptions {
  dryRun?: boolean;
}

/** Runs the phase's hooks; a dry run returns how many changes its built-in steps would make. */
export async function runPhaseHooks(
  ctx: NodeContext,
  phase: Phase,
  hooksRoot: string,
  options: HookRunOptions = {},
): Promise<number> {
  const hooks = listHooks(phaseDir(hooksRoot, phase), (name, why) =>
    ctx.log.verbose(`skipping ${name}: ${why}`),
  );
  if (hooks.length === 0) ctx.log.info(`${phase}: no hooks in ${phaseDir(hooksRoot, phase)}`);
  let wouldChange = 0;
  const all = async () => {
    for (const hook of hooks)
      wouldChange += (await runHook(ctx, phase, hook, options))?.wouldChange ?? 0;
  };
  // The whole phase, site hooks included, holds the lock: two runs never interleave.
  await (options.dryRun ? all() : withLock(`${phase} for node ${ctx.values.node}`, all));
  return wouldChange;
}

export async function runHook(
  ctx: NodeContext,
  phase: Phase,
  hook: HookFile,
  options: HookRunOptions = {},
): Promise<PhaseResult | undefined> {
  const builtin = builtinPhase(hook.path);
  if (builtin) {
    ctx.log.verbose(`hook ${hook.path}: built-in ${builtin} step`);
    return runPhase({ ...ctx, phase: builtin, dryRun: options.dryRun });
  }
  if (options.dryRun) {
    ctx.log.info(`would run site hook ${hook.path}`);
    return undefined;
  }
  const started = performance.now();
  const args = phase === 'boot-post' ? [containerArg(ctx)] : [];
  const timeoutMs = hookTimeoutMs();
  const result = await runInGroup(
    hook.path,
    args,
    { ...process.env, ...hookEnv(ctx, phase) },
    timeoutMs,
  );
  ctx.log.verbose(
    `hook ${hook.path} → exit ${result.exitCode} in ${(performance.now() - started).toFixed(1)} ms`,
  );
  if (result.stderr) process.stderr.write(`${result.stderr}\n`);
  if (result.exitCode !== 0 || result.timedOut || result.interrupted) {
    const why = result.interrupted
      ? `clusternet got ${result.interrupted}: the hook and its process group were killed`
      : result.timedOut
        ? `timed out after ${timeoutMs / 1000} s (with what it started, its process group); killed`
        : result.signal
          ? `killed by ${result.signal}`
          : `exit status ${result.exitCode}`;
    throw new ApplyError(hook.path, `hook failed (${why}); the rest of ${phase} was not run`);
  }
  return undefined;
}

function containerArg(ctx: NodeContext): string {
  const c = ctx.container;
  return c.kind === 'pid' ? String(c.pid) : c.kind === 'netns' ? c.name : '';
}

/** What a site hook learns about this node, as CLUSTERNET_* variables. */
export function hookEnv(ctx: NodeContext, phase: Phase): Record<string, string> {
  const v = ctx.values;
  const env: Record<string, string> = {
    CLUSTERNET_PHASE: phase,
    CLUSTERNET_CONFIG: ctx.config.file,
    CLUSTERNET_NODE_ID: String(v.node),
    CLUSTERNET_LINK: v.kind,
    CLUSTERNET_DEVICE: v.device,
    CLUSTERNET_INTERFACE: v.interface,
    CLUSTERNET_MAC: v.mac,
    CLUSTERNET_ADDRESS: v.address,
  };
  if (v.link) Object.assign(env, ownerOf(v.kind).env(v.link));
  if (v.address6) env.CLUSTERNET_ADDRESS6 = v.address6;
  // A routed segment (routing = per-node): the node's subnets and the host's addresses on its bridge.
  if (v.routing) {
    env.CLUSTERNET_SUBNET = v.routing.subnet;
    env.CLUSTERNET_HOST_ADDRESS = v.routing.hostAddress;
    if (v.routing.subnet6) env.CLUSTERNET_SUBNET6 = v.routing.subnet6;
    if (v.routing.hostAddress6) env.CLUSTERNET_HOST_ADDRESS6 = v.routing.hostAddress6;
  }
  if (ctx.container.kind === 'pid') env.CLUSTERNET_PID = String(ctx.container.pid);
  if (ctx.container.kind === 'netns') env.CLUSTERNET_NETNS = ctx.container.name;
  return env;
}
