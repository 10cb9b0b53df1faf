// One clusternet at a time on a machine. The lock is a flock(2) held by a child
// `flock … cat` whose stdin is our pipe: if we die, even by SIGKILL, the pipe closes, cat
// exits and the kernel drops the lock — a stale lock is impossible. A waiter gives up after
// a bounded time and names the holder from the note the holder leaves beside the lock.
import { spawn } from 'node:child_process';
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ApplyError } from '../errors.js';

export const runDir = (env: NodeJS.ProcessEnv = process.env) => env.CLUSTERNET_RUN_DIR ?? '/run/clusternet';
export const LOCK_WAIT_SECONDS = 30;

export interface Lock {
  release(): void;
}

/** Set in the environment of everything we start, so a site hook calling clusternet does not deadlock. */
export const LOCK_HELD_ENV = 'CLUSTERNET_LOCK_HELD';

export async function acquireLock(what: string, env: NodeJS.ProcessEnv = process.env): Promise<Lock> {
  if (env[LOCK_HELD_ENV]) return { release: () => {} };
  const dir = runDir(env);
  mkdirSync(dir, { recursive: true, mode: 0o755 });
  const lockFile = join(dir, 'lock');
  const noteFile = join(dir, 'lock.holder');
  const wait = Number(env.CLUSTERNET_LOCK_WAIT ?? LOCK_WAIT_SECONDS);
  // -E 75: flock's own "could not get the lock in time", distinct from cat's codes.
  const child = spawn('flock', ['-w', String(wait), '-E', '75', lockFile, 'cat'], { stdio: ['pipe', 'pipe', 'pipe'] });
  const acquired = await new Promise<boolean>((resolve, reject) => {
    child.stdout.once('data', () => resolve(true));
    child.once('exit', (code) => (code === 75 ? resolve(false) : reject(new ApplyError(`flock ${lockFile}`, `exit ${code}`))));
    child.once('error', (error) => reject(new ApplyError(`flock ${lockFile}`, error.message)));
    // cat echoes this byte only once flock holds the lock.
    child.stdin.write('.');
  });
  if (!acquired) {
    let holder = 'unknown';
    try {
      holder = readFileSync(noteFile, 'utf8').trim();
    } catch {
      /* the holder left no note */
    }
    throw new ApplyError(`flock ${lockFile}`, `another clusternet holds the lock (${holder}); gave up after ${wait} s`);
  }
  writeFileSync(noteFile, `pid ${process.pid}: ${what}, since ${new Date().toISOString()}\n`);
  env[LOCK_HELD_ENV] = '1';
  child.unref();
  (child.stdout as NodeJS.ReadableStream & { unref?: () => void }).unref?.();
  return {
    release() {
      delete env[LOCK_HELD_ENV];
      rmSync(noteFile, { force: true });
      child.stdin.end();
    },
  };
}

export async function withLock<T>(what: string, body: () => Promise<T>): Promise<T> {
  const lock = await acquireLock(what);
  try {
    return await body();
  } finally {
    lock.release();
  }
}
