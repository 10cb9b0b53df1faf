import { basename } from 'node:path';
import type { CommandModule } from 'yargs';
import { dryRunOf } from '../../dryrun.js';
import { loadNodeContext } from '../../context.js';
import { kerrighedConfig, phaseOfHook } from '../../hooks/entry.js';
import { runHook } from '../../hooks/run.js';
import { levelOf, withContainer, withNode, type GlobalArgs } from '../options.js';

interface HookArgs extends GlobalArgs {
  path: string;
  node?: string;
  pid?: string;
  netns?: string;
  'dry-run': boolean;
}

export const hookCommand: CommandModule<GlobalArgs, HookArgs> = {
  command: 'hook <path>',
  describe: 'run one hook by hand (its phase is the name of its <phase>.d folder)',
  builder: (y) =>
    withContainer(withNode(y))
      .positional('path', {
        type: 'string',
        demandOption: true,
        describe: 'the hook file, e.g. hooks/init-pre.d/10net',
      })
      .option('dry-run', {
        type: 'boolean',
        default: false,
        describe: 'print what would change; change nothing (also CLUSTERNET_DRY_RUN=1)',
      }) as never,
  handler: async (args) => {
    // As the hook file itself would: its folder (one of Kerrighed's too) names the phase.
    const phase = phaseOfHook(args.path);
    const ctx = loadNodeContext({
      ...args,
      config: args.config ?? kerrighedConfig(args.path),
      level: levelOf(args),
      label: `${phase} ${basename(args.path)}`,
    });
    await runHook(
      ctx,
      phase,
      { name: basename(args.path), path: args.path },
      { dryRun: args['dry-run'] || dryRunOf() },
    );
  },
};
