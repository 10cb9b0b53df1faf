import type { CommandModule } from 'yargs';
import { completionScript } from '../completion.js';
import type { GlobalArgs } from '../options.js';

export const completionCommand = (
  commands: readonly CommandModule<never, never>[],
): CommandModule<GlobalArgs, GlobalArgs> => ({
  command: 'completion',
  describe:
    'print the bash completion script: clusternet completion > /etc/bash_completion.d/clusternet',
  handler: () => {
    process.stdout.write(completionScript(commands, ['man', 'completion']));
  },
});
