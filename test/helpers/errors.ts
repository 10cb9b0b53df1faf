// Assertions on clusternet's named errors: an InputError must say `file:line: key: ` so an
// editor can jump to the line, and name the key as the user wrote it.
import * as assert from 'uvu/assert';
import { ApplyError, InputError } from '../../lib/errors.js';

export interface Expected {
  file?: string;
  line?: number;
  key?: string;
  /** Text (or pattern) that the same problem line must contain after the prefix. */
  message?: string | RegExp;
}

/** The `file:line: key: ` prefix of one problem line. */
export function prefixOf(e: Expected): string {
  const where = [e.file, e.line].filter((p) => p !== undefined).join(':');
  return `${[where, e.key].filter((p) => p !== undefined && p !== '').join(': ')}: `;
}

/** Asserts `message` (one problem per line) has a line with the expected prefix and text. */
export function assertProblem(message: string, expected: Expected): string {
  const prefix = prefixOf(expected);
  const lines = message.split('\n').filter((l) => l.startsWith(prefix));
  assert.ok(
    lines.length > 0,
    `expected a problem line starting ${JSON.stringify(prefix)}, got:\n${message}`,
  );
  if (expected.message !== undefined) {
    const m = expected.message;
    const hit = lines.find((l) => (typeof m === 'string' ? l.includes(m) : m.test(l)));
    assert.ok(
      hit !== undefined,
      `expected ${JSON.stringify(prefix)} with ${String(m)}, got:\n${message}`,
    );
    return hit!;
  }
  return lines[0]!;
}

/** Runs `fn`, asserts it throws an InputError with the expected problem; returns the error. */
export function throwsInput(fn: () => unknown, expected: Expected): InputError {
  let caught: unknown;
  assert.throws(
    () => {
      try {
        fn();
      } catch (error) {
        caught = error;
        throw error;
      }
    },
    (error: unknown) => error instanceof InputError,
  );
  const error = caught as InputError;
  assertProblem(error.message, expected);
  return error;
}

/** The async form of throwsInput. */
export async function rejectsInput(
  fn: () => Promise<unknown>,
  expected: Expected,
): Promise<InputError> {
  const error = await rejection(fn);
  assert.instance(error, InputError, `expected an InputError, got ${String(error)}`);
  assertProblem((error as InputError).message, expected);
  return error as InputError;
}

/** Awaits `fn` and returns what it rejected with; fails the test when it resolves. */
export async function rejection(fn: () => Promise<unknown>): Promise<unknown> {
  try {
    await fn();
  } catch (error) {
    return error;
  }
  assert.unreachable('expected a rejection');
  return undefined;
}

export async function rejectsApply(fn: () => Promise<unknown>): Promise<ApplyError> {
  const error = await rejection(fn);
  assert.instance(error, ApplyError, `expected an ApplyError, got ${String(error)}`);
  return error as ApplyError;
}

/** The message of the InputError `fn` throws (whatever its prefix); fails the test otherwise. */
export function inputMessage(fn: () => unknown): string {
  try {
    fn();
  } catch (error) {
    assert.instance(error, InputError, `expected an InputError, got ${String(error)}`);
    return (error as InputError).message;
  }
  assert.unreachable('expected an InputError');
  return '';
}
