// Carries out pending ops: consecutive `ip` ops of one namespace go to ONE `ip -batch`,
// consecutive multicast MACs to ONE `bridge -batch` (lib/plan/render.ts bridgeArgs): the
// processes of a phase do not grow with the number of cluster addresses or MACs.
// All or nothing: when a step fails, what this run applied is undone in reverse before
// the error is reported, so a failed phase leaves the node as it found it.
import { ApplyError } from '../errors.js';
import { undoAll, type Op } from '../plan/ops.js';
import { batchLine } from '../plan/render.js';
import { probeArgs } from '../link/ops.js';
import { showCommand, type Runner } from '../system/runner.js';
import { writeSysctl } from '../system/state.js';
import { applyCipOp } from '../clusterip/system.js';
import { rememberProbe } from '../clusterip/probe-cache.js';
import { nsLabel, sameNs, type Ns, inNs } from '../system/ns.js';

interface Step {
  ns: Ns;
  ops: Op[];
}

/** Consecutive ops of one batch tool (ip, bridge) in the same namespace share a step; other ops stand alone. */
export function batchSteps(ops: readonly Op[]): Step[] {
  const steps: Step[] = [];
  for (const op of ops) {
    const last = steps.at(-1);
    const tool = batchLine(op)?.tool;
    if (
      last &&
      tool !== undefined &&
      batchLine(last.ops[0]!)?.tool === tool &&
      sameNs(last.ns, op.ns)
    )
      last.ops.push(op);
    else steps.push({ ns: op.ns, ops: [op] });
  }
  return steps;
}

/** A batch step's tool and its input, one line per op. */
function batchOf(step: Step): { tool: 'ip' | 'bridge'; input: string } {
  const lines = step.ops.map((op) => batchLine(op)!);
  return { tool: lines[0]!.tool, input: `${lines.map((l) => l.args.join(' ')).join('\n')}\n` };
}

export interface ExecuteOptions {
  runner: Runner;
  /** Called before each step with the ops it is about to apply (the journal's intents). */
  beforeStep?: (ops: readonly Op[]) => void;
  /** Called after every op that took effect (the journal records it). */
  onApplied?: (op: Op) => void;
}

export async function execute(ops: readonly Op[], options: ExecuteOptions): Promise<void> {
  const applied: Op[] = [];
  const record = (op: Op) => {
    applied.push(op);
    options.onApplied?.(op);
  };
  for (const step of batchSteps(ops)) {
    options.beforeStep?.(step.ops);
    try {
      await runStep(step, options.runner, record);
    } catch (error) {
      const undoErrors = await rollback(applied, options.runner);
      if (error instanceof ApplyError && undoErrors.length > 0) {
        throw new ApplyError(error.command, error.stderr, {
          cause: error,
          detail: `rollback also failed:\n${undoErrors.join('\n')}`,
        });
      }
      throw error;
    }
  }
}

async function runStep(step: Step, runner: Runner, record: (op: Op) => void): Promise<void> {
  const first = step.ops[0]!;
  if (first.op === 'require-link-type') return requireLinkType(first, runner);
  // A command killed or timed out may have taken effect before it died: count its op as
  // applied, so rollback undoes it (every undo tolerates what is not there).
  // A cluster-IP op is several commands: when a later one fails, the earlier ones applied.
  const maybeApplied = async (body: () => Promise<void>, partial: boolean) => {
    try {
      await body();
    } catch (error) {
      if (partial || (error instanceof ApplyError && killed(error.stderr))) record(first);
      throw error;
    }
    record(first);
  };
  if (first.op === 'sysctl')
    return maybeApplied(() => writeSysctl(runner, first.ns, first.key, first.value), false);
  if (first.op === 'cip-rules' || first.op === 'cip-buckets' || first.op === 'cip-rules-delete')
    return maybeApplied(() => applyCipOp(first, runner), true);
  const { tool, input } = batchOf(step);
  const result = await runner.run(inNs(step.ns, [tool, '-batch', '-']), { input });
  if (result.exitCode === 0) {
    step.ops.forEach(record);
    return;
  }
  // ip and bridge stop at the first failing line and say which: "Command failed -:N". Without that
  // line it died (killed, timed out) and any line may have taken effect.
  const said = /Command failed -:(\d+)/.exec(result.stderr);
  const failedLine = Number(said?.[1] ?? 1);
  if (said) step.ops.slice(0, failedLine - 1).forEach(record);
  else step.ops.forEach(record);
  const failed = step.ops[failedLine - 1] ?? first;
  const shown = showCommand(inNs(step.ns, [tool, ...batchLine(failed)!.args]));
  const stderr = result.stderr.replace(/\n?Command failed -:\d+\s*$/, '');
  throw new ApplyError(shown, stderr || `exit code ${result.exitCode}`);
}

/** Undo what this run applied, latest first; each undo tolerates an object already gone. */
export async function rollback(applied: readonly Op[], runner: Runner): Promise<string[]> {
  const undo = undoAll(applied);
  const errors: string[] = [];
  for (const step of batchSteps(undo)) {
    if (batchLine(step.ops[0]!) === null) {
      // Cluster-IP removals read what is there first, so they tolerate what is gone.
      await runStep(step, runner, () => {}).catch((error: unknown) =>
        errors.push(
          `${nsLabel(step.ns)}: ${error instanceof Error ? error.message : String(error)}`,
        ),
      );
      continue;
    }
    const { tool, input } = batchOf(step);
    // -force: try every line even if one fails (something may already be gone).
    const result = await runner.run(inNs(step.ns, [tool, '-force', '-batch', '-']), { input });
    const real = result.stderr
      .split('\n')
      .filter(
        (l) =>
          l.trim() &&
          !/Cannot find device|No such|Cannot assign|[Aa]ddress not found|FIB table does not exist|Command failed|ioctl/.test(
            l,
          ),
      );
    if (result.exitCode !== 0 && real.length > 0)
      errors.push(`${nsLabel(step.ns)}: ${real.join('; ')}`);
  }
  return errors;
}

async function requireLinkType(
  op: Extract<Op, { op: 'require-link-type' }>,
  runner: Runner,
): Promise<void> {
  const probe = inNs(op.ns, ['ip', ...probeArgs(op.type)]);
  const known = async () => {
    const result = await runner.run(probe);
    // Should a kernel ever accept the probe, do not leave the link behind.
    if (result.exitCode === 0) await runner.run(inNs(op.ns, ['ip', 'link', 'del', 'cnprobe']));
    const ok = !/Unknown device type/i.test(result.stderr);
    // For the rest of the boot: a re-run of boot-pre then has nothing to probe.
    if (ok) rememberProbe(runner, op.ns, `link ${op.type}`);
    return ok;
  };
  if (await known()) return;
  // The kernel loads the module itself when it can; try once more by hand before refusing.
  const modprobe = await runner.run(['modprobe', op.module]);
  if (modprobe.exitCode === 0 && (await known())) return;
  throw new ApplyError(
    showCommand(['modprobe', op.module]),
    `this kernel cannot create ${op.type} links: it answers "Unknown device type" and module ${op.module} could not be loaded (${modprobe.stderr.trim() || `exit ${modprobe.exitCode}`}).` +
      (op.hint ? ` ${op.hint}` : ''),
  );
}

/** What a runner reports for a command that did not finish on its own. */
function killed(stderr: string): boolean {
  return /timed out after|killed by|signal/i.test(stderr);
}
