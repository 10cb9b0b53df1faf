import type { CommandModule } from 'yargs';
import { configPath } from '../../config/file.js';
import { editKeys, parseAssignment } from '../../edit/keys.js';
import { systemLog } from '../../systemlog.js';
import type { GlobalArgs } from '../options.js';

interface SetArgs extends GlobalArgs {
  assignments: string[];
}

export const setCommand: CommandModule<GlobalArgs, SetArgs> = {
  command: 'set <assignments..>',
  describe:
    'set keys in net.conf in place (KEY=VALUE…), keeping every other line byte for byte; the result is validated before it is written',
  builder: (y) =>
    y.positional('assignments', {
      type: 'string',
      array: true,
      demandOption: true,
      default: undefined,
      describe: 'KEY=VALUE, e.g. net.mtu=1400 node.4.device=eth1',
    }) as never,
  handler: (args) => {
    const path = configPath(args.config);
    const result = editKeys(path, args.assignments.map(parseAssignment), []);
    report('set', path, result);
  },
};

/** What changed, on stdout for the person and, when it did change, in the system log for the record. */
export function report(
  command: string,
  path: string,
  result: { changed: boolean; meaning: string[] },
): void {
  process.stdout.write(
    result.changed
      ? `${path}: written\n${result.meaning.map((l) => `  ${l}\n`).join('')}`
      : `${path}: no change\n`,
  );
  if (result.changed)
    systemLog('info', `clusternet[${command}]: ${path} written: ${result.meaning.join('; ')}`);
}
