// The clusternet command line (every command but the plain failover path, see main.ts).
// Each command lives in its own module; this file wires them and is the one place where
// errors become exit codes (0 ok, 1 failed while applying, 2 bad input or usage).
import yargs from 'yargs';
import { hideBin } from 'yargs/helpers';
import { describeError, exitCodeOf } from '../errors.js';
import { enableSystemLog, systemLog } from '../systemlog.js';
import { checkCommand } from './commands/check.js';
import { convertCommand } from './commands/convert.js';
import { releaseCommand, takeoverCommand } from './commands/failover.js';
import { assignCommand, assignedCommand, unassignCommand } from './commands/bucket.js';
import { reloadCommand } from './commands/reload.js';
import { hookCommand } from './commands/hook.js';
import { planCommand } from './commands/plan.js';
import { runCommand } from './commands/run.js';
import { showCommand } from './commands/show.js';
import { validateCommand } from './commands/validate.js';
import { editCommand } from './commands/edit.js';
import { getCommand } from './commands/get.js';
import { installHooksCommand } from './commands/install-hooks.js';
import { manCommand } from './commands/man.js';
import { serverConfigCommand } from './commands/server-config.js';
import { serviceCommand } from './commands/service.js';
import { setCommand } from './commands/set.js';
import { statusCommand } from './commands/status.js';
import { uninstallHooksCommand } from './commands/uninstall-hooks.js';
import { unsetCommand } from './commands/unset.js';
import { waitCommand } from './commands/wait.js';

/** The commands that change the system: their log lines and errors go to the system log too. */
const LOGGED = new Set(['run', 'hook', 'service', 'wait', 'install-hooks', 'uninstall-hooks', 'edit', 'set', 'unset', 'takeover', 'release', 'assign', 'unassign']);

export function buildCli(argv: string[]) {
  return yargs(argv)
    .scriptName('clusternet')
    .usage('$0 <command> [options]\n\nThe cluster network of every node, from one net.conf.')
    .option('config', { alias: 'c', type: 'string', describe: 'the config file (default: CLUSTERNET_CONFIG or /etc/net.conf)' })
    .option('verbose', { alias: 'v', type: 'boolean', describe: 'also log every command run, with its duration' })
    .option('quiet', { alias: 'q', type: 'boolean', describe: 'log only errors' })
    .conflicts('verbose', 'quiet')
    .command(validateCommand)
    .command(showCommand)
    .command(planCommand)
    .command(runCommand)
    .command(hookCommand)
    .command(checkCommand)
    .command(convertCommand)
    .command(reloadCommand)
    .command(takeoverCommand)
    .command(releaseCommand)
    .command(assignCommand)
    .command(unassignCommand)
    .command(assignedCommand)
    .command(statusCommand)
    .command(waitCommand)
    .command(serviceCommand)
    .command(installHooksCommand)
    .command(uninstallHooksCommand)
    .command(editCommand)
    .command(getCommand)
    .command(setCommand)
    .command(unsetCommand)
    .command(serverConfigCommand)
    .command(manCommand(buildCli))
    .completion('completion', 'print a bash/zsh completion script: clusternet completion >> ~/.bashrc')
    .middleware((args) => {
      if (LOGGED.has(String(args._[0]))) enableSystemLog();
    })
    .demandCommand(1, 'give a command; see --help')
    .strict()
    .help()
    .version(false)
    .wrap(Math.min(100, process.stdout.columns ?? 100))
    .fail((message, error) => {
      if (error) throw error;
      process.stderr.write(`clusternet: ${message}\n(see clusternet --help)\n`);
      process.exit(2);
    });
}

export async function runCli(): Promise<void> {
  try {
    await buildCli(hideBin(process.argv)).parseAsync();
  } catch (error) {
    process.stderr.write(`clusternet: ${describeError(error)}\n`);
    systemLog('err', `clusternet: ${describeError(error)}`);
    process.exitCode = exitCodeOf(error);
  }
}
