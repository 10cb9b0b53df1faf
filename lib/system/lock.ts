// One clusternet at a time on a machine. The lock is a flock(2) on an open file
// description this process holds: `flock -w N 3` takes it on the descriptor we hand it as
// its fd 3 and exits, and the lock stays with the descriptor, which only this process has
// (node opens files close-on-exec, so nothing we start inherits it). If we die, even by
// SIGKILL, the kernel closes it and drops the lock — a stale lock is impossible. One short
// process per run, none left behind. A waiter gives up after a bounded time and names the
// holder from the note the holder leaves beside the lock.
//
// Beside it, a generation number that every holder makes odd as soon as it has the lock
// (before it changes anything) and even again just before it lets go (after its last
// change): a seqlock. A run that reads the generation, then the system, then the
// generation again, and finds the same even number both times knows no holder was at work
// meanwhile: what it read is what a holder of the lock would have read. That lets a run
// that finds nothing to change finish without the lock (no process for it), and lets a
// run that does take the lock keep what it read before (lockGeneration, Lock.previous).
// A holder killed mid-run leaves the number odd: until the next holder lets go, every
// run takes the lock, as before.
import { spawn } from 'node:child_process';
import { closeSync } from 'node:fs';
import { join } from 'node:path';
import { ApplyError, InputError } from '../errors.js';
import { openRunFile, readRunFile, removeRunFile, runDir, writeRunFile } from './rundir.js';

export { runDir };
export const LOCK_WAIT_SECONDS = 30;

export interface Lock {
  release(): void;
  /**
   * The generation just before this holder took the lock (undefined when taken inside a
   * run that already holds it): equal to what lockGeneration() said earlier, no other
   * holder has been at work since.
   */
  readonly previous: string | undefined;
}

/** Set in the environment of everything we start, so a site hook calling clusternet does not deadlock. */
export const LOCK_HELD_ENV = 'CLUSTERNET_LOCK_HELD';

/** True inside a run that holds the lock (a site hook calling clusternet, takeover's phase). */
export const lockHeldHere = (env: NodeJS.ProcessEnv = process.env): boolean =>
  Boolean(env[LOCK_HELD_ENV]);

const GENERATION = 'lock.generation';
const NOTE = 'lock.holder';

/** The generation number; 0 before any holder; NaN when it cannot be read (a reader then takes the lock). */
function readGeneration(env: NodeJS.ProcessEnv): number {
  let text: string | null;
  try {
    text = readRunFile(env, GENERATION);
  } catch {
    return NaN;
  }
  if (text === null) return 0;
  return /^\d+\n?$/.test(text) ? Number(text) : NaN;
}

/** Written whole or not at all (a reader never sees half a number). */
function writeGeneration(env: NodeJS.ProcessEnv, n: number): void {
  writeRunFile(env, GENERATION, `${n}\n`);
}

/**
 * The lock's generation when no holder is at work, undefined when one is (or was killed
 * at work). Read it before and after reading the system: the same string both times
 * means nobody changed the system meanwhile (by clusternet's own runs).
 */
export function lockGeneration(env: NodeJS.ProcessEnv = process.env): string | undefined {
  const n = readGeneration(env);
  return n % 2 === 0 ? String(n) : undefined; // NaN % 2 is NaN: undefined
}

/**
 * CLUSTERNET_LOCK_WAIT: seconds, 0 to 3600, with at most three decimals (a value flock
 * cannot take would fail as "cannot set up timer"); anything else is refused.
 */
export function lockWaitSeconds(env: NodeJS.ProcessEnv = process.env): number {
  const raw = env.CLUSTERNET_LOCK_WAIT;
  if (raw === undefined || raw === '') return LOCK_WAIT_SECONDS;
  if (!/^\d{1,4}(\.\d{1,3})?$/.test(raw) || Number(raw) > 3600) {
    throw new InputError({
      key: 'CLUSTERNET_LOCK_WAIT',
      message: `"${raw}" is not a wait; allowed: seconds from 0 to 3600, like 30 or 0.5`,
    });
  }
  return Number(raw);
}

export async function acquireLock(
  what: string,
  env: NodeJS.ProcessEnv = process.env,
): Promise<Lock> {
  if (env[LOCK_HELD_ENV]) return { release: () => {}, previous: undefined };
  const wait = lockWaitSeconds(env);
  const fd = openRunFile(env, 'lock');
  const lockFile = join(runDir(env), 'lock');
  // -E 75: flock's own "could not get the lock in time", distinct from its other failures.
  const acquired = await new Promise<boolean>((resolve, reject) => {
    const child = spawn('flock', ['-w', String(wait), '-E', '75', '3'], {
      stdio: ['ignore', 'ignore', 'pipe', fd],
    });
    let stderr = '';
    child.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.once('error', (error) => reject(new ApplyError(`flock ${lockFile}`, error.message)));
    child.once('close', (code) =>
      code === 0
        ? resolve(true)
        : code === 75
          ? resolve(false)
          : reject(new ApplyError(`flock ${lockFile}`, stderr.trim() || `exit ${code}`)),
    );
  }).catch((error: unknown) => {
    closeSync(fd);
    throw error;
  });
  if (!acquired) {
    closeSync(fd);
    let holder = 'unknown';
    try {
      holder = readRunFile(env, NOTE)?.trim() || holder;
    } catch {
      /* the holder left no usable note */
    }
    throw new ApplyError(
      `flock ${lockFile}`,
      `another clusternet holds the lock (${holder}); gave up after ${wait} s`,
    );
  }
  let generation: number;
  try {
    writeRunFile(env, NOTE, `pid ${process.pid}: ${what}, since ${new Date().toISOString()}\n`);
    generation = readGeneration(env);
    // Odd from now on, and never a number a reader saw before (not a killed holder's odd
    // one either); an unreadable number starts again above anything a reader could hold.
    writeGeneration(
      env,
      Number.isNaN(generation) ? Date.now() * 2 + 1 : generation + (generation % 2 === 0 ? 1 : 2),
    );
  } catch (error) {
    closeSync(fd);
    throw error;
  }
  env[LOCK_HELD_ENV] = '1';
  let held = true;
  return {
    previous: generation % 2 === 0 ? String(generation) : undefined, // NaN: undefined
    release() {
      if (!held) return;
      held = false;
      delete env[LOCK_HELD_ENV];
      try {
        const now = readGeneration(env);
        // Not odd any more (someone removed or rewrote it): a new even number above any
        // a reader may have seen, so none mistakes this run for no run.
        writeGeneration(env, now % 2 === 1 ? now + 1 : Date.now() * 2);
      } catch {
        /* the run dir went away: left odd, readers take the lock */
      }
      try {
        removeRunFile(env, NOTE);
      } catch {
        /* already gone */
      }
      closeSync(fd);
    },
  };
}

export async function withLock<T>(what: string, body: (lock: Lock) => Promise<T>): Promise<T> {
  const lock = await acquireLock(what);
  try {
    return await body(lock);
  } finally {
    lock.release();
  }
}
