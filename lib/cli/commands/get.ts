import type { CommandModule } from 'yargs';
import { configPath } from '../../config/file.js';
import { loadDocument } from '../../edit/keys.js';
import type { GlobalArgs } from '../options.js';

interface GetArgs extends GlobalArgs {
  key: string;
}

export const getCommand: CommandModule<GlobalArgs, GetArgs> = {
  command: 'get <key>',
  describe:
    'print one key as written in net.conf (e.g. net.address, clusterip.seed, node.4.device); exit 1 when it is not set',
  builder: (y) =>
    y.positional('key', {
      type: 'string',
      demandOption: true,
      describe: 'SECTION.KEY, clusterip.NAME.KEY or node.N.KEY',
    }) as never,
  handler: (args) => {
    const path = configPath(args.config);
    const value = loadDocument(path).get(args.key);
    if (value === undefined) {
      // Like `git config --get`: not set is a plain "no", not bad input.
      process.stderr.write(
        `clusternet: ${path}: ${args.key}: not set (the default applies; see clusternet show)\n`,
      );
      process.exitCode = 1;
      return;
    }
    process.stdout.write(`${value}\n`);
  },
};
