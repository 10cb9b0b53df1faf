// What a hook file runs when the init system (or a person) executes it directly:
// `hooks/<phase>.d/<name> [PID|NETNS]`. No option parser here, for a fast cold start;
// CLUSTERNET_CONFIG, CLUSTERNET_NODE_ID, CLUSTERNET_DRY_RUN, CLUSTERNET_VERBOSE and
// CLUSTERNET_LINK_TIMEOUT steer it.
import { existsSync, realpathSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { dryRunOf } from '../dryrun.js';
import { describeError, exitCodeOf, InputError } from '../errors.js';
import { loadNodeContext } from '../context.js';
import { PHASES, type Phase } from '../plan/ops.js';
import { parseIfName } from '../value/parse.js';
import { enableSystemLog, systemLog } from '../systemlog.js';
import { waitForLink } from '../system/wait-link.js';
import { KERRIGHED_HELPERS } from './builtin.js';
import { runHook } from './run.js';

/** How long init-pre waits for boot-post's link unless CLUSTERNET_LINK_TIMEOUT says. */
export const LINK_TIMEOUT_S = 60;

/**
 * The container an argument names: a PID (Kerrighed's boot-post got its container's) or a
 * network namespace in /run/netns. Anything else is a run-parts `--arg` meant for other
 * hooks (Kerrighed's krginit_helper passes its own conf file to every init hook) and is
 * ignored for what it is.
 */
export function containerOfArg(arg: string | undefined): {
  pid?: string;
  netns?: string;
  ignored?: string;
} {
  if (arg === undefined || arg === '') return {};
  if (/^\d+$/.test(arg)) return { pid: arg };
  try {
    if (existsSync(`/run/netns/${parseIfName(arg)}`)) return { netns: arg };
  } catch {
    /* not a name a namespace can have */
  }
  return { ignored: arg };
}

/**
 * Which phase the hook file is: Kerrighed's helper folder it was run from, else its own
 * <phase>.d folder, else (a link from elsewhere) the folder of the file it leads to.
 */
export function phaseOfHook(path: string): Phase {
  const folder = basename(dirname(path));
  const kerrighed = KERRIGHED_HELPERS[folder];
  if (kerrighed) return kerrighed;
  const phaseOf = (p: string) => basename(dirname(p)).replace(/\.d$/, '') as Phase;
  if (PHASES.includes(phaseOf(path))) return phaseOf(path);
  let real: string | undefined;
  try {
    real = realpathSync(path);
  } catch {
    real = undefined;
  }
  if (real && PHASES.includes(phaseOf(real))) return phaseOf(real);
  throw new InputError({
    file: path,
    message: `is not in a <phase>.d folder (nor one of Kerrighed's helper folders, nor a link to a hook in one); phases: ${PHASES.join(', ')}`,
  });
}

/**
 * Run from one of Kerrighed's helper folders, a hook reads the net.conf beside them
 * (/etc/kerrighed/net.conf), as Kerrighed's own hooks did; CLUSTERNET_CONFIG still wins.
 */
export function kerrighedConfig(
  path: string,
  env: NodeJS.ProcessEnv = process.env,
): string | undefined {
  if (env.CLUSTERNET_CONFIG || !KERRIGHED_HELPERS[basename(dirname(path))]) return undefined;
  return join(dirname(dirname(path)), 'net.conf');
}

function linkTimeoutMs(env: NodeJS.ProcessEnv): number {
  const raw = env.CLUSTERNET_LINK_TIMEOUT;
  if (raw === undefined || raw === '') return LINK_TIMEOUT_S * 1000;
  if (!/^\d+$/.test(raw))
    throw new InputError({
      key: 'CLUSTERNET_LINK_TIMEOUT',
      message: `"${raw}" is not a number of seconds; allowed: 0 (do not wait) or more`,
    });
  return Number(raw) * 1000;
}

export async function main(hookUrl: string, args: string[]): Promise<void> {
  const path = hookUrl.startsWith('file:') ? fileURLToPath(hookUrl) : hookUrl;
  enableSystemLog();
  try {
    const phase = phaseOfHook(path);
    const env = process.env;
    const dryRun = dryRunOf(env);
    const timeoutMs = linkTimeoutMs(env);
    const { pid, netns, ignored } = containerOfArg(args[0]);
    if (phase === 'boot-post' && ignored !== undefined) {
      throw new InputError({
        key: basename(path),
        message: `"${ignored}" is neither a process id nor a network namespace in /run/netns; boot-post needs the container (its init's PID, as Kerrighed gave it, or a netns name)`,
      });
    }
    const ctx = loadNodeContext({
      config: kerrighedConfig(path, env),
      pid,
      netns,
      level: env.CLUSTERNET_VERBOSE ? 'verbose' : env.CLUSTERNET_QUIET ? 'quiet' : 'normal',
      label: `${phase} ${basename(path)}`,
    });
    if (ignored !== undefined)
      ctx.log.verbose(
        `argument ${ignored} ignored: not a PID or a namespace (a run-parts --arg for other hooks)`,
      );
    // Under Kerrighed, boot-post runs in the background while the container boots: the
    // link may not be there yet. Wait for it, bounded, before looking at anything.
    const { values } = ctx;
    if (phase === 'init-pre' && values.enable && timeoutMs > 0 && !dryRun) {
      await waitForLink(ctx.runner, ctx.container, values.interface, timeoutMs, () =>
        ctx.log.info(
          `waiting up to ${timeoutMs / 1000} s for ${values.interface}, which boot-post makes`,
        ),
      );
    }
    await runHook(ctx, phase, { name: basename(path), path }, { dryRun });
  } catch (error) {
    process.stderr.write(`${basename(path)}: ${describeError(error)}\n`);
    systemLog('err', `${basename(path)}: ${describeError(error)}`);
    process.exitCode = exitCodeOf(error);
  }
}
