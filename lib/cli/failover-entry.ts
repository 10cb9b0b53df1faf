// `clusternet takeover|release|assign|unassign|assigned` on the plain command lines
// failover-args.ts recognises:
// the same handler as through yargs (commands/failover.ts), with the same arguments,
// system log and exit codes, without loading the option parser or the other commands.
// Bundled into one file at build time (scripts/bundle.mjs); imported only by main.ts.
import { refuseDryRun } from '../dryrun.js';
import { describeError, exitCodeOf } from '../errors.js';
import { enableSystemLog, systemLog } from '../systemlog.js';
import { releaseCommand, takeoverCommand } from './commands/failover.js';
import { BUCKET_COMMANDS } from './commands/bucket.js';
import type { FailoverRequest } from './failover-args.js';

export async function runFailover(request: FailoverRequest): Promise<void> {
  const { verb, ...options } = request;
  // `assigned` is the monitor, every few seconds: it changes nothing, so it logs nothing.
  if (verb !== 'assigned') enableSystemLog();
  try {
    // `assigned` only reads; every other verb changes the system and has no dry run.
    if (verb !== 'assigned') refuseDryRun(verb);
    const argv = { _: [verb], $0: 'clusternet', ...options };
    if (verb === 'takeover' || verb === 'release') {
      const command = verb === 'takeover' ? takeoverCommand : releaseCommand;
      await command.handler(argv as Parameters<typeof command.handler>[0]);
    } else {
      const command = BUCKET_COMMANDS[verb];
      await command.handler({ clusterip: 'main', ...argv } as Parameters<
        typeof command.handler
      >[0]);
    }
  } catch (error) {
    process.stderr.write(`clusternet: ${describeError(error)}\n`);
    systemLog('err', `clusternet: ${describeError(error)}`);
    process.exitCode = exitCodeOf(error);
  }
}
