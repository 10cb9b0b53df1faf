// The run dir (/run/clusternet, or CLUSTERNET_RUN_DIR): the lock, the node records and
// journals, the probe cache, the V8 code cache. What is in it steers what root changes,
// so it is ours alone: made by us with mode 0700 when absent, refused when it is not a
// folder owned by us, is writable by group or others, or sits under a folder that fails
// lib/system/trust.ts's rule. Files in it are never reached through a symlink: read with
// O_NOFOLLOW, written to a fresh temporary name created with O_EXCL (mkstemp-like), then
// renamed over the old one (a rename replaces a planted symlink, never its target).
import { randomBytes } from 'node:crypto';
import {
  closeSync,
  constants,
  fstatSync,
  fsyncSync,
  lstatSync,
  mkdirSync,
  openSync,
  readFileSync,
  renameSync,
  unlinkSync,
  writeSync,
} from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { InputError } from '../errors.js';
import { euid, looseness, trustedRealPath } from './trust.js';

export const runDir = (env: NodeJS.ProcessEnv = process.env): string =>
  resolve(env.CLUSTERNET_RUN_DIR ?? '/run/clusternet');

const checked = new Set<string>();

/** Throws when `dir` (which exists) is not a run dir root may use. */
function checkRunDir(dir: string): void {
  const me = euid();
  const st = lstatSync(dir);
  if (st.isSymbolicLink() || !st.isDirectory())
    throw new InputError({
      file: dir,
      message: 'the run dir is not a folder (a symlink is refused); remove it and run again',
    });
  if (st.uid !== me)
    throw new InputError({
      file: dir,
      message: `the run dir is owned by uid ${st.uid}; it must be ours (uid ${me}); remove it and run again`,
    });
  const why = looseness(st, me);
  if (why) throw new InputError({ file: dir, message: `the run dir ${why}` });
  trustedRealPath(dir, 'the run dir', me);
}

/**
 * The run dir, checked once per process. `create`: made (mode 0700) when absent; without
 * it an absent run dir is undefined (nothing was ever kept).
 */
export function useRunDir(env: NodeJS.ProcessEnv = process.env, create = true): string | undefined {
  const dir = runDir(env);
  if (checked.has(dir)) return dir;
  try {
    lstatSync(dir);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
    if (!create) return undefined;
    mkdirSync(dirname(dir), { recursive: true, mode: 0o755 });
    try {
      mkdirSync(dir, { mode: 0o700 });
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
    }
  }
  checkRunDir(dir);
  checked.add(dir);
  return dir;
}

/** The run dir, made if absent (see useRunDir). */
export const ensureRunDir = (env: NodeJS.ProcessEnv = process.env): string => useRunDir(env, true)!;

const READ_FLAGS = constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK;

/**
 * A file of the run dir, or null when it (or the run dir) does not exist. A symlink or
 * anything but a regular file in its place is an error naming it.
 */
export function readRunFile(env: NodeJS.ProcessEnv, name: string): string | null {
  const dir = useRunDir(env, false);
  if (dir === undefined) return null;
  const path = join(dir, name);
  let fd: number;
  try {
    fd = openSync(path, READ_FLAGS);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') return null;
    if (code === 'ELOOP')
      throw new InputError({
        file: path,
        message: 'is a symlink; nothing in the run dir is followed: remove it',
      });
    throw error;
  }
  try {
    if (!fstatSync(fd).isFile())
      throw new InputError({ file: path, message: 'is not a regular file; remove it' });
    return readFileSync(fd, 'utf8');
  } finally {
    closeSync(fd);
  }
}

/**
 * Writes a file of the run dir whole or not at all: a fresh temporary file (random name,
 * O_EXCL: never an existing file or a symlink), flushed when `sync`, renamed over `name`.
 */
export function writeRunFile(
  env: NodeJS.ProcessEnv,
  name: string,
  text: string | Buffer,
  sync = false,
): void {
  const dir = ensureRunDir(env);
  const tmp = join(dir, `${name}.${randomBytes(6).toString('hex')}.tmp`);
  const fd = openSync(
    tmp,
    constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW,
    0o600,
  );
  try {
    try {
      writeSync(fd, typeof text === 'string' ? Buffer.from(text) : text);
      if (sync) fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    renameSync(tmp, join(dir, name));
  } catch (error) {
    try {
      unlinkSync(tmp);
    } catch {
      /* already renamed or gone */
    }
    throw error;
  }
}

/** Removes a file of the run dir (unlink removes a symlink itself, never its target). */
export function removeRunFile(env: NodeJS.ProcessEnv, name: string): void {
  const dir = useRunDir(env, false);
  if (dir === undefined) return;
  try {
    unlinkSync(join(dir, name));
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
  }
}

/** Opens (creates) a regular file of the run dir to hold a lock on; a symlink is refused. */
export function openRunFile(env: NodeJS.ProcessEnv, name: string): number {
  const path = join(ensureRunDir(env), name);
  let fd: number;
  try {
    fd = openSync(
      path,
      constants.O_RDWR | constants.O_CREAT | constants.O_NOFOLLOW | constants.O_NONBLOCK,
      0o600,
    );
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ELOOP')
      throw new InputError({
        file: path,
        message: 'is a symlink; nothing in the run dir is followed: remove it',
      });
    throw error;
  }
  if (!fstatSync(fd).isFile()) {
    closeSync(fd);
    throw new InputError({ file: path, message: 'is not a regular file; remove it' });
  }
  return fd;
}
