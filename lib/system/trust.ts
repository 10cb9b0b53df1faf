// The one rule for everything root reads or runs (net.conf, hook folders and hooks, the
// run dir), sshd's StrictModes carried up to `/`: the file and every folder above it are
// owned by root (or by the user running us) and not writable by group or others. Who can
// write a folder can rename what is in it, so one loose folder anywhere above hands the
// file to its writer. Symlinks are resolved first and the rule applies to the target and
// its folders, and to the folders of the path as given (where the link itself lives).
//
// A sticky folder writable by all (/tmp, mode 1777) passes only for an entry in it owned
// by root or us: the sticky bit keeps everyone else from renaming or removing that entry,
// so what lies below it is as safe as in a root-owned 0755 folder. Anything else in such
// a folder (an entry another user made) is refused.
//
// The file itself is checked on the descriptor it is then read from (open, fstat, read):
// no second lookup another user could answer differently.
import {
  closeSync,
  constants,
  fstatSync,
  lstatSync,
  openSync,
  readSync,
  realpathSync,
  statSync,
  type Stats,
} from 'node:fs';
import { isAbsolute, resolve, sep } from 'node:path';
import { InputError } from '../errors.js';

/** The user we run as: whose files, besides root's, we may trust. */
export const euid = (): number => process.geteuid?.() ?? -1;

const trustedOwner = (uid: number, me: number) => uid === 0 || uid === me;
const modeOf = (st: Stats) => (st.mode & 0o7777).toString(8).padStart(4, '0');
/** S_ISVTX, the sticky bit (not in node:fs constants). */
const STICKY = 0o1000;

/** Why `st` (of `what`) is not safe to act on as root; undefined when it is. */
export function looseness(st: Stats, me: number): string | undefined {
  if (!trustedOwner(st.uid, me))
    return `is owned by uid ${st.uid}; hooks run as root and need it owned by root`;
  if ((st.mode & 0o022) !== 0) {
    const fix = st.isDirectory() ? 'chmod go-w' : 'chmod 0644';
    return `has mode ${modeOf(st)}: it is writable by group or others; allowed: not group/world-writable (e.g. ${fix})`;
  }
  return undefined;
}

/** `/a/b/c` → [`/`, `/a`, `/a/b`, `/a/b/c`]. */
function prefixes(path: string): string[] {
  const parts = path.split(sep).filter(Boolean);
  return ['/', ...parts.map((_, i) => `/${parts.slice(0, i + 1).join('/')}`)];
}

/**
 * Checks every folder from `/` down to the one holding `entry` (an absolute path; each
 * folder lstat'ed when `follow` is false, the path being real, else stat'ed). The entry
 * below a sticky folder is what the sticky-folder rule looks at. Throws InputError naming
 * the first folder that fails, as `file: <folder>`.
 */
function checkFolders(entry: string, what: string, me: number, follow: boolean): void {
  const chain = prefixes(entry);
  for (let i = 0; i < chain.length - 1; i++) {
    const folder = chain[i]!;
    const st = follow ? statSync(folder) : lstatSync(folder);
    const label = `a folder holding ${what}`;
    if (!st.isDirectory())
      throw new InputError({ file: folder, message: `${label} is not a folder` });
    if (!trustedOwner(st.uid, me))
      throw new InputError({
        file: folder,
        message: `${label} is owned by uid ${st.uid}; every folder up to / must be owned by root`,
      });
    if ((st.mode & 0o022) === 0) continue;
    // A sticky folder open to all: fine for an entry in it that is root's or ours.
    if ((st.mode & STICKY) !== 0) {
      const next = chain[i + 1]!;
      // The entry itself (a symlink too): its owner is who may rename it there.
      const child = lstatSync(next);
      if (trustedOwner(child.uid, me)) continue;
    }
    throw new InputError({
      file: folder,
      message: `${label} has mode ${modeOf(st)}: it is writable by group or others; allowed: every folder up to / not group/world-writable (chmod go-w), or sticky (like /tmp) with our entry in it`,
    });
  }
}

/**
 * The real path of `path` after the folders above it (as given, and as resolved) passed
 * the rule; the entry itself is for the caller to check on its descriptor. Errors from the
 * file system (ENOENT…) are thrown as they are.
 */
export function trustedRealPath(path: string, what: string, me = euid()): string {
  const given = isAbsolute(path) ? path : resolve(path);
  const real = realpathSync(given);
  if (me !== 0) return real;
  checkFolders(given, what, me, true);
  if (real !== given) checkFolders(real, what, me, false);
  return real;
}

/** A folder root may act on: it and every folder above it pass the rule. Returns its real path. */
export function trustedFolder(path: string, what: string, me = euid()): string {
  const real = trustedRealPath(path, what, me);
  if (me === 0) {
    const st = lstatSync(real);
    if (!st.isDirectory()) throw new InputError({ file: path, message: `${what} is not a folder` });
    const why = looseness(st, me);
    if (why) throw new InputError({ file: path, message: `${what} ${why}` });
  }
  return real;
}

export interface TrustedFile {
  /** The real path that was opened. */
  real: string;
  bytes: Buffer;
}

/**
 * Reads a regular file of at most `limit.bytes` that root may trust: folders checked, then
 * the file opened once (no symlink followed at the last step) and checked on that
 * descriptor (fstat), then read from it.
 */
export function readTrusted(
  path: string,
  what: string,
  limit: { bytes: number; noun: string },
  me = euid(),
): TrustedFile {
  const maxBytes = limit.bytes;
  const real = trustedRealPath(path, what, me);
  // O_NONBLOCK: a FIFO planted in place of the file must not hang the open.
  const fd = openSync(real, constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK);
  try {
    const st = fstatSync(fd);
    if (!st.isFile()) throw new InputError({ file: path, message: 'is not a regular file' });
    if (st.size > maxBytes)
      throw new InputError({
        file: path,
        message: `is ${st.size} bytes; ${limit.noun} is at most ${maxBytes} bytes`,
      });
    if (me === 0) {
      const why = looseness(st, me);
      if (why) throw new InputError({ file: path, message: `${what} ${why}` });
    }
    // Read what is there, at most one byte past the limit (a file growing meanwhile).
    const buffer = Buffer.alloc(Math.min(st.size, maxBytes) + 1);
    let length = 0;
    for (;;) {
      const n = readSync(fd, buffer, length, buffer.length - length, null);
      if (n === 0) break;
      length += n;
      if (length === buffer.length) break;
    }
    if (length > maxBytes)
      throw new InputError({
        file: path,
        message: `is more than ${maxBytes} bytes; ${limit.noun} is at most ${maxBytes} bytes`,
      });
    return { real, bytes: buffer.subarray(0, length) };
  } finally {
    closeSync(fd);
  }
}
