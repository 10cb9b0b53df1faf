// The one door to external commands: argument arrays only (never a shell), a timeout on
// every call so no hook can block boot forever, and the failing command named.
import { spawn } from 'node:child_process';
import { ApplyError } from '../errors.js';

export interface CommandResult {
  exitCode: number;
  stdout: string;
  stderr: string;
  timedOut: boolean;
}

export interface RunOptions {
  input?: string;
  timeoutMs?: number;
}

export interface Runner {
  run(argv: string[], options?: RunOptions): Promise<CommandResult>;
  /** True when the commands reach the real system (not a test's fake): what may be cached. */
  readonly system?: boolean;
}

export const DEFAULT_TIMEOUT_MS = 15_000;

/**
 * The timeout of a command that sets none: 15 s, or CLUSTERNET_COMMAND_TIMEOUT seconds for
 * a machine known to be slow (an emulated guest, a loaded host). Read when the command
 * starts, so a test or the lab can set it for the processes it starts.
 */
export function commandTimeoutMs(env: NodeJS.ProcessEnv = process.env): number {
  return envSeconds(env, 'CLUSTERNET_COMMAND_TIMEOUT', DEFAULT_TIMEOUT_MS);
}

/** The longest timeout a timer takes (setTimeout turns anything above 2^31-1 ms into 1 ms). */
export const MAX_TIMEOUT_MS = 86_400_000;

/**
 * A timeout in seconds from the environment, in ms: positive and at most a day (a larger
 * one is a day, not the 1 ms a timer would make of it); anything else is `fallbackMs`.
 */
export function envSeconds(env: NodeJS.ProcessEnv, name: string, fallbackMs: number): number {
  const seconds = Number(env[name]);
  return Number.isFinite(seconds) && seconds > 0
    ? Math.min(Math.round(seconds * 1000), MAX_TIMEOUT_MS)
    : fallbackMs;
}

/**
 * Runs commands for real with node:child_process. Not execa: importing execa costs about
 * 150 module files (100+ ms of a hook's cold start) for what is here one spawn, a pipe
 * and a timer. The contract is execa's as it was used: argument arrays (never a shell),
 * stdin fed and closed, stdout/stderr kept whole, LC_ALL=C over the caller's environment,
 * SIGKILL at the timeout, never a rejection for a failing command. A command that cannot
 * be started answers 127, as a shell would, with the reason on stderr.
 */
export const systemRunner: Runner & { readonly system: true } = {
  system: true,
  run(argv, options = {}) {
    const [file, ...args] = argv;
    const timeoutMs = options.timeoutMs ?? commandTimeoutMs();
    const input = options.input ?? '';
    return new Promise<CommandResult>((resolve) => {
      const child = spawn(file!, args, {
        stdio: [input === '' ? 'ignore' : 'pipe', 'pipe', 'pipe'],
        env: { ...process.env, LC_ALL: 'C' },
      });
      const out: Buffer[] = [];
      const err: Buffer[] = [];
      let timedOut = false;
      let startError: NodeJS.ErrnoException | undefined;
      // Past the timeout, a grandchild may still hold the pipes: stop waiting for them.
      const stopReading = () => {
        child.stdout!.destroy();
        child.stderr!.destroy();
      };
      const timer = setTimeout(() => {
        timedOut = true;
        if (child.exitCode !== null || child.signalCode !== null) stopReading();
        else child.kill('SIGKILL');
      }, timeoutMs);
      child.stdout!.on('data', (chunk: Buffer) => out.push(chunk));
      child.stderr!.on('data', (chunk: Buffer) => err.push(chunk));
      child.once('error', (error: NodeJS.ErrnoException) => {
        startError = error;
      });
      if (child.stdin) {
        // A command may exit without reading its input: that is its answer, not our error.
        child.stdin.on('error', () => {});
        child.stdin.end(input);
      }
      child.once('exit', () => {
        if (timedOut) stopReading();
      });
      child.once('close', (code, signal) => {
        clearTimeout(timer);
        let stderr = Buffer.concat(err).toString();
        if (startError)
          stderr = `${stderr}${file}: cannot run it (${startError.code ?? startError.message})`;
        if (timedOut) stderr = `${stderr}\ntimed out after ${timeoutMs} ms and was killed`;
        // Killed from outside: the caller must assume the command may have taken effect.
        else if (signal) stderr = `${stderr}\nkilled by ${signal}`;
        const exitCode = startError ? 127 : (code ?? (timedOut ? 124 : 1));
        resolve({ exitCode, stdout: Buffer.concat(out).toString(), stderr, timedOut });
      });
    });
  },
};

/** A command line as a person would type it, for messages and logs. */
export function showCommand(argv: readonly string[]): string {
  return argv
    .map((a) => (/^[A-Za-z0-9_./:=@%+,-]+$/.test(a) ? a : `'${a.replace(/'/g, `'\\''`)}'`))
    .join(' ');
}

/** Runs and throws ApplyError naming the command when it fails. */
export async function runChecked(
  runner: Runner,
  argv: string[],
  options?: RunOptions,
): Promise<CommandResult> {
  const result = await runner.run(argv, options);
  if (result.exitCode !== 0)
    throw new ApplyError(showCommand(argv), result.stderr || `exit code ${result.exitCode}`);
  return result;
}

/** Wraps a runner to report every command and its duration (`--verbose`). */
export function tracingRunner(inner: Runner, trace: (line: string) => void): Runner {
  return {
    system: inner.system ?? false,
    async run(argv, options) {
      const started = performance.now();
      const result = await inner.run(argv, options);
      const ms = (performance.now() - started).toFixed(1);
      const input = options?.input ? ` <<< ${JSON.stringify(options.input.trimEnd())}` : '';
      trace(`ran ${showCommand(argv)}${input} → exit ${result.exitCode} in ${ms} ms`);
      return result;
    },
  };
}
