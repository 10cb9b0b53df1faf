// `clusternet takeover|release` on the plain command lines failover-args.ts recognises:
// the same handler as through yargs (commands/failover.ts), with the same arguments,
// system log and exit codes, without loading the option parser or the other commands.
// Bundled into one file at build time (scripts/bundle.mjs); imported only by main.ts.
import { refuseDryRun } from '../dryrun.js';
import { describeError, exitCodeOf } from '../errors.js';
import { enableSystemLog, systemLog } from '../systemlog.js';
import { releaseCommand, takeoverCommand } from './commands/failover.js';
import type { FailoverRequest } from './failover-args.js';

export async function runFailover(request: FailoverRequest): Promise<void> {
  const { verb, ...options } = request;
  const command = verb === 'takeover' ? takeoverCommand : releaseCommand;
  enableSystemLog();
  try {
    refuseDryRun(verb);
    await command.handler({ _: [verb], $0: 'clusternet', ...options } as Parameters<
      typeof command.handler
    >[0]);
  } catch (error) {
    process.stderr.write(`clusternet: ${describeError(error)}\n`);
    systemLog('err', `clusternet: ${describeError(error)}`);
    process.exitCode = exitCodeOf(error);
  }
}
