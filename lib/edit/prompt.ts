// Answers read from standard input one byte at a time, synchronously: nothing is read
// ahead, so an editor started between two questions gets the terminal (or the rest of a
// piped input) untouched. End of input answers the default.
import { readSync } from 'node:fs';

function readLine(fd = 0): string | undefined {
  const bytes: number[] = [];
  const one = Buffer.alloc(1);
  for (;;) {
    let n: number;
    try {
      n = readSync(fd, one, 0, 1, null);
    } catch (error) {
      // A non-blocking stdin with nothing yet: wait a little and read again.
      if ((error as NodeJS.ErrnoException).code === 'EAGAIN') {
        Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 20);
        continue;
      }
      if ((error as NodeJS.ErrnoException).code === 'EOF') n = 0;
      else throw error;
    }
    if (n === 0) return bytes.length > 0 ? Buffer.from(bytes).toString('utf8') : undefined;
    if (one[0] === 0x0a) return Buffer.from(bytes).toString('utf8').replace(/\r$/, '');
    bytes.push(one[0]!);
  }
}

/**
 * Asks until one of `keys` is typed (a key letter, or a word starting with it). An empty
 * answer is `fallback`; end of input is `atEnd`, so a script that stops answering can
 * never loop.
 */
export function ask<T>(
  question: string,
  keys: Record<string, T>,
  fallback: T,
  atEnd: T,
  write: (s: string) => void = (s) => process.stderr.write(s),
): T {
  for (;;) {
    write(question);
    const line = readLine();
    if (line === undefined) {
      write('\n');
      return atEnd;
    }
    const answer = line.trim().toLowerCase();
    if (answer === '') return fallback;
    const key = Object.keys(keys).find((k) => answer === k || answer.startsWith(k));
    if (key !== undefined) return keys[key]!;
    write(`please answer ${Object.keys(keys).join(', ')}\n`);
  }
}
