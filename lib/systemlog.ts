// The system log side of lib/log.ts: every line a logger prints also goes to journald
// (through `systemd-cat`) or to syslog (through util-linux `logger`), one long-lived child
// per process fed on its standard input, started with an argument array. Each line
// carries its priority as a `<N>` prefix that both tools understand. When neither is
// there, stderr alone has the log.
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, fstatSync } from 'node:fs';

export type Priority = 'err' | 'warning' | 'info' | 'debug';

/** Facility daemon (3), as the priority prefix counts: facility × 8 + severity. */
const PRI: Record<Priority, number> = {
  err: 3 * 8 + 3,
  warning: 3 * 8 + 4,
  info: 3 * 8 + 6,
  debug: 3 * 8 + 7,
};

export const JOURNAL_STREAM = '/run/systemd/journal/stdout';
export const SYSLOG_SOCKET = '/dev/log';

/**
 * CLUSTERNET_SYSLOG picks the sink: auto (default: none when stderr already is the
 * journal, else journald when its socket exists, else syslog when /dev/log does),
 * journald, syslog, none. CLUSTERNET_SYSLOG_SOCKET sends the
 * syslog lines to another socket (tests, chroots).
 */
export function systemLogArgv(
  env: NodeJS.ProcessEnv = process.env,
  exists: (p: string) => boolean = existsSync,
  stderr: string | undefined = stderrId(),
): string[] | null {
  const mode = env.CLUSTERNET_SYSLOG ?? 'auto';
  const socket = env.CLUSTERNET_SYSLOG_SOCKET;
  const journald = ['systemd-cat', '--identifier=clusternet', '--level-prefix=true'];
  const syslog = [
    'logger',
    '--tag',
    'clusternet',
    `--id=${process.pid}`,
    '--prio-prefix',
    ...(socket ? ['--socket', socket] : []),
  ];
  if (mode === 'none') return null;
  if (mode === 'journald') return journald;
  if (mode === 'syslog') return syslog;
  if (socket) return syslog;
  // Started by systemd with stderr connected to the journal (systemd.exec(5): JOURNAL_STREAM
  // is that stream's device:inode): every stderr line is in the journal already, once.
  if (env.JOURNAL_STREAM !== undefined && env.JOURNAL_STREAM === stderr) return null;
  if (exists(JOURNAL_STREAM)) return journald;
  if (exists(SYSLOG_SOCKET)) return syslog;
  return null;
}

/** stderr's device:inode, as systemd writes it in JOURNAL_STREAM. */
export function stderrId(): string | undefined {
  try {
    const st = fstatSync(2);
    return `${st.dev}:${st.ino}`;
  } catch {
    return undefined;
  }
}

let child: ChildProcess | null | undefined;
let enabled = false;

/**
 * Called by the commands that change the system (and by every hook): only their lines and
 * errors belong in the system log, not those of `show` or `validate`.
 */
export function enableSystemLog(): void {
  enabled = true;
}

function sink(): ChildProcess | null {
  if (child !== undefined) return child;
  const argv = systemLogArgv();
  if (!argv) return (child = null);
  const started = spawn(argv[0]!, argv.slice(1), { stdio: ['pipe', 'ignore', 'ignore'] });
  // A missing tool must not fail a hook: stderr still has every line.
  started.on('error', () => {
    child = null;
  });
  started.stdin!.on('error', () => {
    child = null;
  });
  // Never keep the process alive for the log: at exit the pipe closes, and the child
  // logs what it was sent, then ends.
  started.unref();
  (started.stdin as unknown as { unref?: () => void }).unref?.();
  process.once('exit', () => started.stdin?.end());
  return (child = started);
}

/** One line to the system log; nothing when no system log is available. */
export function systemLog(priority: Priority, line: string): void {
  if (!enabled) return;
  const c = sink();
  if (!c || !c.stdin || c.stdin.destroyed) return;
  c.stdin.write(`<${PRI[priority]}>${line.replace(/[\r\n]+/g, ' ')}\n`);
}
