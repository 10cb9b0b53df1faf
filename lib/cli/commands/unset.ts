import type { CommandModule } from 'yargs';
import { configPath } from '../../config/file.js';
import { editKeys } from '../../edit/keys.js';
import type { GlobalArgs } from '../options.js';
import { report } from './set.js';

interface UnsetArgs extends GlobalArgs {
  keys: string[];
}

export const unsetCommand: CommandModule<GlobalArgs, UnsetArgs> = {
  command: 'unset <keys..>',
  describe:
    'comment keys out of net.conf (their defaults apply again; an emptied [node N] section goes); the result is validated before it is written',
  builder: (y) =>
    y.positional('keys', {
      type: 'string',
      array: true,
      demandOption: true,
      default: undefined,
      describe: 'e.g. net.gateway',
    }) as never,
  handler: (args) => {
    const path = configPath(args.config);
    report('unset', path, editKeys(path, [], args.keys));
  },
};
