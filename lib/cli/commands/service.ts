import type { CommandModule } from 'yargs';
import { dryRunOf } from '../../dryrun.js';
import { DEFAULTS_FILE, readDefaults } from '../../install/defaults.js';
import { serviceStart, serviceStatus, serviceStop } from '../../install/service.js';
import { createLogger } from '../../log.js';
import { levelOf, type GlobalArgs } from '../options.js';

interface ServiceArgs extends GlobalArgs {
  action: 'start' | 'stop' | 'status';
  defaults: string;
  'dry-run': boolean;
}

export const serviceCommand: CommandModule<GlobalArgs, ServiceArgs> = {
  command: 'service <action>',
  describe:
    'what the systemd unit and init script run: the phases enabled in /etc/default/clusternet (start), the stop phase (stop), or readiness (status: exit 0 ready, 3 not)',
  builder: (y) =>
    y
      .positional('action', {
        choices: ['start', 'stop', 'status'] as const,
        demandOption: true,
        describe: 'start | stop | status',
      })
      .option('defaults', {
        type: 'string',
        default: DEFAULTS_FILE,
        describe: 'the switches file (ISOLATE_NET, CONTAINER_NETNS, PHASES…)',
      })
      .option('dry-run', {
        type: 'boolean',
        default: false,
        describe:
          'start, stop: print what would change; change nothing, not even the namespace (also CLUSTERNET_DRY_RUN=1)',
      }) as never,
  handler: async (args) => {
    const defaults = readDefaults(args.defaults);
    const level = levelOf(args);
    const options = {
      defaults,
      level,
      log: createLogger(level, `service ${args.action}`),
      dryRun: args['dry-run'] || dryRunOf(),
    };
    if (args.action === 'start') await serviceStart(options);
    else if (args.action === 'stop') await serviceStop(options);
    else {
      const { code, missing } = await serviceStatus(options);
      process.stdout.write(
        code === 0
          ? `clusternet: the cluster network in netns ${defaults.netns} is ready\n`
          : `clusternet: not ready: ${missing.join('; ')}\n`,
      );
      process.exitCode = code;
    }
  },
};
