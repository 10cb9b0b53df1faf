// The few named errors of clusternet, and the one place that maps them to exit codes.
// A user's mistake (bad config, bad usage) gets a short message and exit 2; a failure
// while changing the system gets exit 1 and names the command; anything else is a bug
// and keeps its stack.

/** One problem found in the input, located as `file:line: key:` when we know where. */
export interface InputProblem {
  file?: string;
  line?: number;
  key?: string;
  message: string;
}

/**
 * What a message may show of a value read from a file or the command line: control and
 * invisible characters (a newline would split the message, a zero-width space hide a
 * difference) written as escapes, and at most MAX_SHOWN characters of it.
 */
export const MAX_SHOWN = 300;
const HIDDEN =
  /[\u0000-\u001f\u007f-\u009f\u00ad\u061c\u180e\u200b-\u200f\u2028-\u202e\u2060-\u2069\ufeff]/g;
export function shown(text: string, max = MAX_SHOWN): string {
  // One long word (a 100 KB value) shortened where it stands, so what follows it stays.
  const words = text.replace(/\S{161,}/g, (w) => `${w.slice(0, 80)}… (${w.length} characters)`);
  const cut = words.length > max ? `${words.slice(0, max)}… (${words.length} characters)` : words;
  return cut.replace(HIDDEN, (c) =>
    c === '\n'
      ? '\\n'
      : c === '\t'
        ? '\\t'
        : c === '\r'
          ? '\\r'
          : `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`,
  );
}

export function formatProblem(p: InputProblem): string {
  // Line 0: a value the format implies (a legacy file's 16 nodes), not one written.
  const where = [p.file, p.line && p.line > 0 ? p.line : undefined]
    .filter((part) => part !== undefined)
    .join(':');
  return [
    where === '' ? undefined : shown(where),
    p.key === undefined ? undefined : shown(p.key),
    shown(p.message, 4 * MAX_SHOWN),
  ]
    .filter((part) => part !== undefined && part !== '')
    .join(': ');
}

/** At most this many problems are listed; the rest are counted (a file of a million bad lines). */
export const MAX_PROBLEMS = 50;

/** Bad configuration or bad command-line use: nothing was changed. Exit 2. */
export class InputError extends Error {
  readonly problems: InputProblem[];
  constructor(problems: InputProblem[] | InputProblem) {
    const list = Array.isArray(problems) ? problems : [problems];
    const more = list.length - MAX_PROBLEMS;
    super(
      [
        ...list.slice(0, MAX_PROBLEMS).map(formatProblem),
        ...(more > 0 ? [`… and ${more} more problems`] : []),
      ].join('\n'),
    );
    this.name = 'InputError';
    this.problems = list;
  }
}

/** A command failed while applying a plan. Exit 1. */
export class ApplyError extends Error {
  readonly command: string;
  readonly stderr: string;
  constructor(command: string, stderr: string, options?: { cause?: unknown; detail?: string }) {
    const detail = options?.detail ? `\n${options.detail}` : '';
    super(`command failed: ${command}\n${stderr.trim()}${detail}`, { cause: options?.cause });
    this.name = 'ApplyError';
    this.command = command;
    this.stderr = stderr;
  }
}

/** The running system does not match the plan and we must not fix it silently. Exit 1. */
export class DriftError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'DriftError';
  }
}

export function exitCodeOf(error: unknown): number {
  if (error instanceof InputError) return 2;
  if (error instanceof ApplyError || error instanceof DriftError) return 1;
  return 1;
}

/** What a person sees on stderr: the message for known errors, the stack for bugs. */
export function describeError(error: unknown): string {
  if (error instanceof InputError || error instanceof ApplyError || error instanceof DriftError) {
    return error.message;
  }
  if (error instanceof Error) return `internal error: ${error.stack ?? error.message}`;
  return `internal error: ${String(error)}`;
}
