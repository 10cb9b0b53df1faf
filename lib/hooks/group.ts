// A site hook runs in a process group of its own (a new session: setsid), so that what it
// starts is bounded with it. The bound covers the whole group: the hook, and whatever it
// left behind — a child holding its stderr open, or one that closed everything (`sleep
// infinity &`) — are waited for until the hook's timeout, then the group is killed and
// waited for. A signal to clusternet meanwhile (SIGTERM, SIGINT, SIGHUP) kills the group
// too; the caller releases the lock only after this returns, so no second run can start
// while anything of the hook still runs. A hook that must leave a daemon starts it in a
// session of its own (setsid, systemd-run).
import { spawn } from 'node:child_process';

export interface GroupResult {
  exitCode: number | null;
  signal: NodeJS.Signals | null;
  /** Past the timeout: the group was killed. */
  timedOut: boolean;
  /** The signal clusternet received meanwhile (the group was killed for it). */
  interrupted: NodeJS.Signals | null;
  /** Without its final newline. */
  stderr: string;
}

const SIGNALS: NodeJS.Signals[] = ['SIGTERM', 'SIGINT', 'SIGHUP'];
/** After SIGKILL, how long to wait for the group's last processes to be reaped. */
const REAP_MS = 5000;

const alive = (group: number): boolean => {
  try {
    process.kill(-group, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
};

const killGroup = (group: number | undefined): void => {
  if (group === undefined) return;
  try {
    process.kill(-group, 'SIGKILL');
  } catch {
    /* gone already */
  }
};

/**
 * Runs `file` with `args` in its own process group: stdout inherited, stderr kept. Ends
 * when the group is gone. A file that cannot be started answers 127.
 */
export function runInGroup(
  file: string,
  args: string[],
  env: NodeJS.ProcessEnv,
  timeoutMs: number,
): Promise<GroupResult> {
  return new Promise((resolve) => {
    const child = spawn(file, args, { env, stdio: ['ignore', 'inherit', 'pipe'], detached: true });
    const group = child.pid;
    const err: Buffer[] = [];
    let timedOut = false;
    let interrupted: NodeJS.Signals | null = null;
    let startError: NodeJS.ErrnoException | undefined;
    const deadline = Date.now() + timeoutMs;
    const timer = setTimeout(() => {
      timedOut = true;
      killGroup(group);
    }, timeoutMs);
    const onSignal = (signal: NodeJS.Signals) => {
      interrupted = signal;
      killGroup(group);
    };
    for (const s of SIGNALS) process.on(s, onSignal);
    child.stderr!.on('data', (chunk: Buffer) => err.push(chunk));
    child.once('error', (error: NodeJS.ErrnoException) => {
      startError = error;
    });
    child.once('close', (code, signal) => {
      // The hook and everything holding its stderr are done; others of its group may not be.
      const finish = () => {
        clearTimeout(timer);
        for (const s of SIGNALS) process.off(s, onSignal);
        let stderr = Buffer.concat(err)
          .toString()
          .replace(/\r?\n$/, '');
        if (startError)
          stderr = `${stderr}${stderr ? '\n' : ''}${file}: cannot run it (${startError.code ?? startError.message})`;
        resolve({ exitCode: startError ? 127 : code, signal, timedOut, interrupted, stderr });
      };
      if (group === undefined) return finish();
      let killedAt: number | undefined;
      const poll = () => {
        if (!alive(group)) return finish();
        const now = Date.now();
        if (killedAt === undefined && (now >= deadline || interrupted || timedOut)) {
          if (now >= deadline) timedOut = true;
          killGroup(group);
          killedAt = now;
        }
        // A group that will not go (not reaped: no init in a bare PID namespace) ends the wait.
        if (killedAt !== undefined && now - killedAt > REAP_MS) return finish();
        setTimeout(poll, 20);
      };
      poll();
    });
  });
}
