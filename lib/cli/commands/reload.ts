import type { CommandModule } from 'yargs';
import { loadNodeContext } from '../../context.js';
import { reload } from '../../apply/reload.js';
import { levelOf, withContainer, withNode, type GlobalArgs } from '../options.js';

interface ReloadArgs extends GlobalArgs {
  node?: string;
  pid?: string;
  netns?: string;
}

export const reloadCommand: CommandModule<GlobalArgs, ReloadArgs> = {
  command: 'reload',
  describe: 'apply an edited net.conf to a running node with the smallest change (like ifreload)',
  builder: (y) => withContainer(withNode(y)) as never,
  handler: async (args) => {
    const ctx = loadNodeContext({ ...args, level: levelOf(args), label: 'reload' });
    await reload(ctx);
  },
};
