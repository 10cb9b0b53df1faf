import type { CommandModule } from 'yargs';
import { dryRunOf } from '../../dryrun.js';
import { loadNodeContext } from '../../context.js';
import { runPhaseHooks } from '../../hooks/run.js';
import { hooksDir } from '../../paths.js';
import type { Phase } from '../../plan/ops.js';
import {
  levelOf,
  withContainer,
  withHooksDir,
  withNode,
  withPhase,
  type GlobalArgs,
} from '../options.js';

interface RunArgs extends GlobalArgs {
  phase: Phase;
  node?: string;
  pid?: string;
  netns?: string;
  'dry-run': boolean;
  'hooks-dir'?: string;
}

export const runCommand: CommandModule<GlobalArgs, RunArgs> = {
  command: 'run <phase>',
  describe: 'run every hook of a phase, in order, for this node',
  builder: (y) =>
    withHooksDir(withContainer(withNode(withPhase(y)))).option('dry-run', {
      type: 'boolean',
      default: false,
      describe:
        'read the system and print what would change; change nothing (also CLUSTERNET_DRY_RUN=1)',
    }) as never,
  handler: async (args) => {
    const ctx = loadNodeContext({ ...args, level: levelOf(args), label: args.phase });
    await runPhaseHooks(ctx, args.phase, hooksDir(args['hooks-dir']), {
      dryRun: args['dry-run'] || dryRunOf(),
    });
  },
};
