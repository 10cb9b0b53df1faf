// What a hook file runs when the init system (or a person) executes it directly:
// `hooks/<phase>.d/<name> [PID|NETNS]`. No option parser here, for a fast cold start;
// CLUSTERNET_CONFIG, CLUSTERNET_NODE_ID, CLUSTERNET_DRY_RUN, CLUSTERNET_VERBOSE steer it.
import { realpathSync } from 'node:fs';
import { basename, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { dryRunOf } from '../dryrun.js';
import { describeError, exitCodeOf, InputError } from '../errors.js';
import { loadNodeContext } from '../context.js';
import { PHASES, type Phase } from '../plan/ops.js';
import { enableSystemLog, systemLog } from '../systemlog.js';
import { runHook } from './run.js';

export async function main(hookUrl: string, args: string[]): Promise<void> {
  const path = hookUrl.startsWith('file:') ? fileURLToPath(hookUrl) : hookUrl;
  enableSystemLog();
  try {
    // The folder names the phase; a link from elsewhere (e.g. Kerrighed's helper folders)
    // is followed to the file it names.
    const phaseOf = (p: string) => basename(dirname(p)).replace(/\.d$/, '') as Phase;
    const phase = PHASES.includes(phaseOf(path)) ? phaseOf(path) : phaseOf(realpathSync(path));
    if (!PHASES.includes(phase)) throw new InputError({ file: path, message: `is not in a <phase>.d folder; phases: ${PHASES.join(', ')}` });
    const [arg] = args;
    // Kerrighed gave its init-pre helpers the config file's path: a path is the config.
    const config = arg?.includes('/') ? arg : undefined;
    const target = config ? undefined : arg;
    const env = process.env;
    const dryRun = dryRunOf(env);
    const ctx = loadNodeContext({
      config,
      pid: target && /^\d+$/.test(target) ? target : undefined,
      netns: target && !/^\d+$/.test(target) ? target : undefined,
      level: env.CLUSTERNET_VERBOSE ? 'verbose' : env.CLUSTERNET_QUIET ? 'quiet' : 'normal',
      label: `${phase} ${basename(path)}`,
    });
    await runHook(ctx, phase, { name: basename(path), path }, { dryRun });
  } catch (error) {
    process.stderr.write(`${basename(path)}: ${describeError(error)}\n`);
    systemLog('err', `${basename(path)}: ${describeError(error)}`);
    process.exitCode = exitCodeOf(error);
  }
}
