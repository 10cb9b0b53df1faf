// One line per change on stderr, with the phase and node in each line so a boot log read
// at 3 a.m. says who did what. --verbose adds every command; --quiet keeps only errors.
export type Level = 'quiet' | 'normal' | 'verbose';

export interface Logger {
  /** A change made, or a decision a person should see. */
  info(message: string): void;
  /** Commands and their durations, which source gave the node id, and such. */
  verbose(message: string): void;
  warn(message: string): void;
  readonly level: Level;
}

export function createLogger(level: Level, context: string, write: (line: string) => void = (l) => process.stderr.write(`${l}\n`)): Logger {
  const line = (message: string) => write(`clusternet${context ? `[${context}]` : ''}: ${message}`);
  return {
    level,
    info: (m) => level !== 'quiet' && line(m),
    verbose: (m) => level === 'verbose' && line(m),
    warn: (m) => level !== 'quiet' && line(`warning: ${m}`),
  };
}

export const silentLogger: Logger = createLogger('quiet', '', () => {});
