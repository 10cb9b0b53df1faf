// Calling a CNI plugin as a runtime does: its config on stdin, the CNI_* variables in its
// environment, its result (or error JSON) on stdout, its stderr ours (the runtime logs it).
// One typed function for the one command; clusternet-cni.sh runs the delegate the same way.
import { spawn } from 'node:child_process';
import { constants } from 'node:os';

export interface PluginOutcome {
  /** As a shell reports it: 128 + the signal's number when a signal ended it. */
  exitCode: number;
  stdout: string;
  /** Why it did not run, when it could not be started. */
  notStarted?: string;
}

/**
 * No deadline of ours: the delegate may wait for host-local's lock behind many concurrent
 * ADDs, and the runtime bounds every plugin call with its own.
 */
export function callPlugin(
  binary: string,
  env: NodeJS.ProcessEnv,
  input: string,
): Promise<PluginOutcome> {
  return new Promise((resolve) => {
    const child = spawn(binary, [], { stdio: ['pipe', 'pipe', 'inherit'], env });
    const out: Buffer[] = [];
    child.stdout.on('data', (c: Buffer) => out.push(c));
    // A plugin that exits before reading its stdin closes the pipe: not our failure.
    child.stdin.on('error', () => undefined);
    child.stdin.end(input);
    let started: Error | undefined;
    child.on('error', (e) => (started = e));
    child.on('close', (code, signal) => {
      const exitCode = code ?? (signal ? 128 + (constants.signals[signal] ?? 0) : 127);
      resolve({
        exitCode,
        stdout: Buffer.concat(out).toString('utf8'),
        ...(started ? { notStarted: started.message } : {}),
      });
    });
  });
}
