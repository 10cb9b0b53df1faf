// The one door to external commands: argument arrays only (never a shell), a timeout on
// every call so no hook can block boot forever, and the failing command named.
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
}

export const DEFAULT_TIMEOUT_MS = 15_000;

/** Runs commands for real with execa (loaded on first use: a no-change run may not need it). */
export const systemRunner: Runner = {
  async run(argv, options = {}) {
    const { execa } = await import('execa');
    const [file, ...args] = argv;
    const result = await execa(file!, args, {
      input: options.input ?? '',
      timeout: options.timeoutMs ?? DEFAULT_TIMEOUT_MS,
      killSignal: 'SIGKILL',
      reject: false,
      stripFinalNewline: false,
      env: { LC_ALL: 'C' },
    });
    const timedOut = result.timedOut ?? false;
    const stderr = timedOut ? `${result.stderr ?? ''}\ntimed out after ${options.timeoutMs ?? DEFAULT_TIMEOUT_MS} ms and was killed` : (result.stderr ?? '');
    return { exitCode: result.exitCode ?? (timedOut ? 124 : 1), stdout: String(result.stdout ?? ''), stderr: String(stderr), timedOut };
  },
};

/** A command line as a person would type it, for messages and logs. */
export function showCommand(argv: readonly string[]): string {
  return argv.map((a) => (/^[A-Za-z0-9_./:=@%+,-]+$/.test(a) ? a : `'${a.replace(/'/g, `'\\''`)}'`)).join(' ');
}

/** Runs and throws ApplyError naming the command when it fails. */
export async function runChecked(runner: Runner, argv: string[], options?: RunOptions): Promise<CommandResult> {
  const result = await runner.run(argv, options);
  if (result.exitCode !== 0) throw new ApplyError(showCommand(argv), result.stderr || `exit code ${result.exitCode}`);
  return result;
}

/** Wraps a runner to report every command and its duration (`--verbose`). */
export function tracingRunner(inner: Runner, trace: (line: string) => void): Runner {
  return {
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
