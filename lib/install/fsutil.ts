// Small file operations install and edit share: an atomic write (a reader never sees half a
// file, a crash leaves the old one) and the state of a path without following links.
import {
  closeSync,
  fchmodSync,
  fchownSync,
  fsyncSync,
  lstatSync,
  openSync,
  readlinkSync,
  renameSync,
  rmSync,
  writeSync,
  type Stats,
} from 'node:fs';
import { basename, dirname, join } from 'node:path';

export interface Owner {
  uid: number;
  gid: number;
  mode: number;
}

/** Write to a temporary file beside `path`, fsync, set owner and mode, rename, fsync the folder. */
export function writeAtomic(
  path: string,
  data: string | Buffer,
  owner: Partial<Owner> & { mode: number },
): void {
  const tmp = join(dirname(path), `.${basename(path)}.clusternet-${process.pid}`);
  const fd = openSync(tmp, 'wx', 0o600);
  try {
    writeSync(fd, typeof data === 'string' ? Buffer.from(data) : data);
    if (owner.uid !== undefined && owner.gid !== undefined) fchownSync(fd, owner.uid, owner.gid);
    fchmodSync(fd, owner.mode);
    fsyncSync(fd);
  } catch (error) {
    closeSync(fd);
    rmSync(tmp, { force: true });
    throw error;
  }
  closeSync(fd);
  try {
    renameSync(tmp, path);
  } catch (error) {
    rmSync(tmp, { force: true });
    throw error;
  }
  const dir = openSync(dirname(path), 'r');
  try {
    fsyncSync(dir);
  } finally {
    closeSync(dir);
  }
}

export type PathState =
  | { kind: 'none' }
  | { kind: 'file'; stats: Stats }
  | { kind: 'link'; target: string }
  | { kind: 'dir' }
  | { kind: 'other' };

export function pathState(path: string): PathState {
  let st: Stats;
  try {
    st = lstatSync(path);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return { kind: 'none' };
    throw error;
  }
  if (st.isSymbolicLink()) return { kind: 'link', target: readlinkSync(path) };
  if (st.isFile()) return { kind: 'file', stats: st };
  if (st.isDirectory()) return { kind: 'dir' };
  return { kind: 'other' };
}
