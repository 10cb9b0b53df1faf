// One clusternet at a time on a machine. The lock is a flock(2) on an open file
// description this process holds: `flock -w N 3` takes it on the descriptor we hand it as
// its fd 3 and exits, and the lock stays with the descriptor, which only this process has
// (node opens files close-on-exec, so nothing we start inherits it). If we die, even by
// SIGKILL, the kernel closes it and drops the lock — a stale lock is impossible. One short
// process per run, none left behind. A waiter gives up after a bounded time and names the
// holder from the note the holder leaves beside the lock.
import { spawn } from 'node:child_process';
import { closeSync, mkdirSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
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
  const fd = openSync(lockFile, 'a', 0o644);
  // -E 75: flock's own "could not get the lock in time", distinct from its other failures.
  const acquired = await new Promise<boolean>((resolve, reject) => {
    const child = spawn('flock', ['-w', String(wait), '-E', '75', '3'], { stdio: ['ignore', 'ignore', 'pipe', fd] });
    let stderr = '';
    child.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.once('error', (error) => reject(new ApplyError(`flock ${lockFile}`, error.message)));
    child.once('close', (code) => (code === 0 ? resolve(true) : code === 75 ? resolve(false) : reject(new ApplyError(`flock ${lockFile}`, stderr.trim() || `exit ${code}`))));
  }).catch((error: unknown) => {
    closeSync(fd);
    throw error;
  });
  if (!acquired) {
    closeSync(fd);
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
  let held = true;
  return {
    release() {
      if (!held) return;
      held = false;
      delete env[LOCK_HELD_ENV];
      rmSync(noteFile, { force: true });
      closeSync(fd);
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
