// Calling a CNI plugin as a runtime does: its config on stdin, the CNI_* variables in its
// environment, its result (or error JSON) on stdout. One typed function for the one command.
import { spawn } from 'node:child_process';

export interface PluginOutcome {
  exitCode: number;
  stdout: string;
  stderr: string;
}

/** The delegate may wait for host-local's lock behind many concurrent ADDs: a generous bound. */
export const PLUGIN_TIMEOUT_MS = 120_000;

export function callPlugin(binary: string, env: NodeJS.ProcessEnv, input: string, timeoutMs = PLUGIN_TIMEOUT_MS): Promise<PluginOutcome> {
  return new Promise((resolve) => {
    const child = spawn(binary, [], { stdio: ['pipe', 'pipe', 'pipe'], env });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.stdout.on('data', (c: Buffer) => out.push(c));
    child.stderr.on('data', (c: Buffer) => err.push(c));
    // A plugin that exits before reading its stdin closes the pipe: not our failure.
    child.stdin.on('error', () => undefined);
    child.stdin.end(input);
    let started: Error | undefined;
    child.on('error', (e) => (started = e));
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      const stderr = Buffer.concat(err).toString('utf8') + (started ? `${started.message}\n` : '') + (signal ? `killed by ${signal}\n` : '');
      resolve({ exitCode: code ?? 127, stdout: Buffer.concat(out).toString('utf8'), stderr });
    });
  });
}
