// One line per change on stderr, with the phase and node in each line so a boot log read
// at 3 a.m. says who did what. --verbose adds every command; --quiet keeps only errors.
import { systemLog, type Priority } from './systemlog.js';

export type Level = 'quiet' | 'normal' | 'verbose';

export interface Logger {
  /** A change made, or a decision a person should see. */
  info(message: string): void;
  /** Commands and their durations, which source gave the node id, and such. */
  verbose(message: string): void;
  warn(message: string): void;
  readonly level: Level;
}

const stderr = (l: string) => process.stderr.write(`${l}\n`);

export function createLogger(
  level: Level,
  context: string,
  write: (line: string) => void = stderr,
): Logger {
  const line = (message: string, priority: Priority) => {
    const text = `clusternet${context ? `[${context}]` : ''}: ${message}`;
    write(text);
    // What goes to stderr also goes to the system log (lib/systemlog.ts); a logger that
    // writes elsewhere (a test's) does not.
    if (write === stderr) systemLog(priority, text);
  };
  return {
    level,
    info: (m) => level !== 'quiet' && line(m, 'info'),
    verbose: (m) => level === 'verbose' && line(m, 'debug'),
    warn: (m) => level !== 'quiet' && line(`warning: ${m}`, 'warning'),
  };
}

export const silentLogger: Logger = createLogger('quiet', '', () => {});
