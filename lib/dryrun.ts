// CLUSTERNET_DRY_RUN, which the hook files advertise: every entry point either honours it
// (run, hook, service and the hook files print what they would change and change nothing)
// or refuses to run at all. A value that is not a clear switch is refused too: "0" must
// never be read as "yes".
import { InputError } from './errors.js';

export const DRY_RUN_VAR = 'CLUSTERNET_DRY_RUN';

export function dryRunOf(env: NodeJS.ProcessEnv = process.env): boolean {
  const value = env[DRY_RUN_VAR];
  if (value === undefined || value === '') return false;
  if (/^(1|true|yes|on)$/i.test(value)) return true;
  if (/^(0|false|no|off)$/i.test(value)) return false;
  throw new InputError({
    key: DRY_RUN_VAR,
    message: `"${value}" is not a switch; allowed: 1, true, yes, on (a dry run) or 0, false, no, off`,
  });
}

/** For the commands that have no dry run: with CLUSTERNET_DRY_RUN on they do nothing, loudly. */
export function refuseDryRun(command: string, env: NodeJS.ProcessEnv = process.env): void {
  if (dryRunOf(env))
    throw new InputError({
      key: DRY_RUN_VAR,
      message: `${command} has no dry run, so it did nothing; unset ${DRY_RUN_VAR} to run it`,
    });
}
