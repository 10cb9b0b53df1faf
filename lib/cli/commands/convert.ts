import type { CommandModule } from 'yargs';
import { loadConfig } from '../../context.js';
import { toNative } from '../../config/convert.js';
import type { GlobalArgs } from '../options.js';

export const convertCommand: CommandModule<GlobalArgs, GlobalArgs> = {
  command: 'convert',
  describe: 'print net.conf (a legacy Kerrighed file too) in the native format',
  handler: (args) => {
    process.stdout.write(toNative(loadConfig(args)));
  },
};
