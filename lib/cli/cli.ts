// The clusternet command line (every command but the plain failover path, see main.ts).
// Each command lives in its own module; this file wires them and is the one place where
// errors become exit codes (0 ok, 1 failed while applying, 2 bad input or usage).
import yargs from 'yargs';
import { hideBin } from 'yargs/helpers';
import { refuseDryRun } from '../dryrun.js';
import { describeError, exitCodeOf } from '../errors.js';
import { packageVersion } from '../paths.js';
import { enableSystemLog, systemLog } from '../systemlog.js';
import { checkCommand } from './commands/check.js';
import { cniConfigCommand } from './commands/cni-config.js';
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
import { completionCommand } from './commands/completion.js';
import { serverConfigCommand } from './commands/server-config.js';
import { serviceCommand } from './commands/service.js';
import { setCommand } from './commands/set.js';
import { statusCommand } from './commands/status.js';
import { uninstallHooksCommand } from './commands/uninstall-hooks.js';
import { unsetCommand } from './commands/unset.js';
import { waitCommand } from './commands/wait.js';

/** The commands that change the system and have no dry run: CLUSTERNET_DRY_RUN stops them. */
const NO_DRY_RUN = new Set([
  'reload',
  'install-hooks',
  'uninstall-hooks',
  'edit',
  'set',
  'unset',
  'takeover',
  'release',
  'assign',
  'unassign',
]);

/**
 * The commands that change the system: their log lines and errors go to the system log
 * too. Those with a dry run, and every one without.
 */
const LOGGED = new Set(['run', 'hook', 'service', 'wait', ...NO_DRY_RUN]);

const COMMANDS = [
  validateCommand,
  showCommand,
  planCommand,
  runCommand,
  hookCommand,
  checkCommand,
  convertCommand,
  reloadCommand,
  takeoverCommand,
  releaseCommand,
  assignCommand,
  unassignCommand,
  assignedCommand,
  statusCommand,
  waitCommand,
  serviceCommand,
  installHooksCommand,
  uninstallHooksCommand,
  editCommand,
  getCommand,
  setCommand,
  unsetCommand,
  serverConfigCommand,
  cniConfigCommand,
];

/** The first word of `argv` that names a command, so a usage error points at that command's help. */
export function commandIn(argv: readonly string[], names: readonly string[]): string | undefined {
  return argv.find((a) => names.includes(a));
}

/** A usage error as one line plus where to read more; a mistyped command gets its likely name. */
export function usageMessage(
  message: string,
  argv: readonly string[],
  names: readonly string[],
): string {
  const typo = /^Did you mean (.+)\?$/.exec(message);
  const unknown = argv.find(
    (a, i) => !a.startsWith('-') && !['-c', '--config'].includes(argv[i - 1] ?? ''),
  );
  const text = typo ? `unknown command "${unknown}"; did you mean ${typo[1]}?` : message;
  const command = typo ? undefined : commandIn(argv, names);
  return `clusternet: ${text}\n(see clusternet ${command ? `${command} ` : ''}--help)\n`;
}

export function buildCli(argv: string[]) {
  const names = [...COMMANDS.map((c) => String(c.command).split(' ')[0]!), 'man', 'completion'];
  let y = yargs(argv)
    .scriptName('clusternet')
    .usage('$0 <command> [options]\n\nThe cluster network of every node, from one net.conf.')
    .option('config', {
      alias: 'c',
      type: 'string',
      describe: 'the config file (default: CLUSTERNET_CONFIG or /etc/net.conf)',
    })
    .option('verbose', {
      alias: 'v',
      type: 'boolean',
      describe: 'also log every command run, with its duration',
    })
    .option('quiet', { alias: 'q', type: 'boolean', describe: 'log only errors' })
    .conflicts('verbose', 'quiet');
  for (const command of COMMANDS) y = y.command(command as never);
  return y
    .command(manCommand)
    .command(completionCommand(COMMANDS as never))
    .middleware((args) => {
      const command = String(args._[0]);
      if (LOGGED.has(command)) enableSystemLog();
      if (NO_DRY_RUN.has(command)) refuseDryRun(command);
    })
    .demandCommand(1, 'give a command; see --help')
    .recommendCommands()
    .strict()
    .help()
    .version(packageVersion())
    .wrap(Math.min(100, process.stdout.columns ?? 100))
    .fail((message, error) => {
      if (error) throw error;
      process.stderr.write(usageMessage(message, argv, names));
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
