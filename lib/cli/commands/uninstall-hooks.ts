import { resolve } from 'node:path';
import type { CommandModule } from 'yargs';
import { uninstall } from '../../install/install.js';
import { createLogger } from '../../log.js';
import { systemLog } from '../../systemlog.js';
import { levelOf, type GlobalArgs } from '../options.js';

interface UninstallArgs extends GlobalArgs {
  prefix: string;
}

export const uninstallHooksCommand: CommandModule<GlobalArgs, UninstallArgs> = {
  command: 'uninstall-hooks',
  describe: 'remove exactly what install-hooks installed (files changed since are kept and named)',
  builder: (y) =>
    y.option('prefix', {
      type: 'string',
      default: '/',
      describe: 'the folder install-hooks installed under',
    }) as never,
  handler: (args) => {
    const prefix = resolve(args.prefix);
    const result = uninstall(prefix, createLogger(levelOf(args), 'uninstall-hooks'));
    const kept = result.kept.length > 0 ? `; kept ${result.kept.join(', ')}` : '';
    process.stdout.write(
      `uninstall-hooks: removed ${result.removed.length} items under ${prefix}${kept}\n`,
    );
    systemLog(
      'info',
      `clusternet[uninstall-hooks]: removed ${result.removed.length} items under ${prefix}${kept}`,
    );
  },
};
