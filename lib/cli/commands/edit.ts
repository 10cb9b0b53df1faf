import type { CommandModule } from 'yargs';
import { configPath } from '../../config/file.js';
import { editConfig } from '../../edit/edit.js';
import { systemLog } from '../../systemlog.js';
import type { GlobalArgs } from '../options.js';

interface EditArgs extends GlobalArgs {
  yes: boolean;
}

export const editCommand: CommandModule<GlobalArgs, EditArgs> = {
  command: 'edit',
  describe:
    'edit net.conf safely, like visudo: $VISUAL/$EDITOR on a copy, validated, its meaning shown, installed atomically after you agree',
  builder: (y) =>
    y.option('yes', {
      alias: 'y',
      type: 'boolean',
      default: false,
      describe: 'install a valid result without asking (an invalid one is never installed)',
    }) as never,
  handler: (args) => {
    const path = configPath(args.config);
    if (editConfig({ path, yes: args.yes }) === 'installed')
      systemLog('info', `clusternet[edit]: installed a new ${path}`);
  },
};
