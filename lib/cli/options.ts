// Option groups shared by the commands, defined once so --help, completion and the man
// page all come from the same definitions.
import type { Argv } from 'yargs';
import type { Level } from '../log.js';
import { PHASES } from '../plan/ops.js';

export interface GlobalArgs {
  config?: string;
  verbose?: boolean;
  quiet?: boolean;
}

export const levelOf = (args: GlobalArgs): Level =>
  args.verbose ? 'verbose' : args.quiet ? 'quiet' : 'normal';

export const withNode = <T>(y: Argv<T>) =>
  y.option('node', {
    alias: 'n',
    type: 'string',
    describe:
      'node id (default: CLUSTERNET_NODE_ID, /sys/kerrighed/node_id, clusternet.node= on the kernel command line, or the host name)',
  });

export const withContainer = <T>(y: Argv<T>) =>
  y
    .option('pid', {
      type: 'string',
      describe: "the container's init PID: its network namespace is the container's",
    })
    .option('netns', {
      type: 'string',
      describe: 'the container as a named network namespace (/run/netns/NAME)',
    })
    .conflicts('pid', 'netns');

export const withPhase = <T>(y: Argv<T>) =>
  y.positional('phase', {
    choices: PHASES,
    demandOption: true,
    describe: 'boot-pre | boot-post | init-pre | init-post | stop',
  });

export const withJson = <T>(y: Argv<T>) =>
  y.option('json', { type: 'boolean', default: false, describe: 'print JSON' });

export const withHooksDir = <T>(y: Argv<T>) =>
  y.option('hooks-dir', {
    type: 'string',
    describe:
      "the folder holding <phase>.d hook folders (default: CLUSTERNET_HOOKS_DIR or the package's hooks/)",
  });
