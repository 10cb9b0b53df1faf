// One editor of a net.conf at a time (visudo locks sudoers the same way): a lock file
// beside it naming the editing process. The lock appears whole: the pid is written to a
// file of our own first, then hard-linked into place (link fails if the lock exists), so
// another editor never reads an empty or half-made lock, and a lock that goes away while
// we look is simply tried again. A lock whose process is gone is stale and taken over.
// A net.conf that is a symlink is edited where it leads (editTarget), never replaced.
import { randomBytes } from 'node:crypto';
import {
  closeSync,
  linkSync,
  lstatSync,
  openSync,
  readFileSync,
  realpathSync,
  renameSync,
  rmSync,
  writeSync,
} from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { InputError } from '../errors.js';

const alive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
};

/** How long an editor waits for another `set` to finish (they take milliseconds). */
const WAIT_MS = 10_000;

const sleep = (ms: number) => Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);

/**
 * The file an edit of `path` changes: `path` itself, or where its symlinks lead (so the
 * link stays a link and its target gets the edit). A dangling link is refused.
 */
export function editTarget(path: string): string {
  let link: boolean;
  try {
    link = lstatSync(path).isSymbolicLink();
  } catch {
    return path; // absent: made where it is named
  }
  if (!link) return path;
  try {
    return realpathSync(path);
  } catch (error) {
    throw new InputError({
      file: path,
      message: `is a symlink that leads nowhere (${(error as NodeJS.ErrnoException).code}); make its target first, or remove the link`,
    });
  }
}

function holderOf(lock: string): number | null | undefined {
  try {
    const pid = Number(readFileSync(lock, 'utf8').trim());
    return Number.isInteger(pid) && pid > 0 ? pid : null;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
}

export function lockConfig(path: string): () => void {
  const lock = join(dirname(path), `.${basename(path)}.clusternet-lock`);
  const mine = `${lock}.${process.pid}.${randomBytes(4).toString('hex')}`;
  const fd = openSync(mine, 'wx', 0o600);
  try {
    writeSync(fd, `${process.pid}\n`);
  } finally {
    closeSync(fd);
  }
  const deadline = Date.now() + WAIT_MS;
  try {
    for (;;) {
      try {
        linkSync(mine, lock);
        return () => rmSync(lock, { force: true });
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      }
      const holder = holderOf(lock);
      if (holder === undefined) continue; // let go meanwhile: try again
      if (holder !== null && alive(holder)) {
        if (Date.now() < deadline) {
          sleep(20);
          continue;
        }
        throw new InputError({
          file: path,
          message: `is being edited by process ${holder} (lock ${lock}); try again when it is done`,
        });
      }
      // Stale: moved aside under a name of our own, then checked — a lock another editor
      // took meanwhile (not the dead one we read) is put back.
      const aside = `${mine}.stale`;
      try {
        renameSync(lock, aside);
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
        continue;
      }
      const moved = holderOf(aside);
      if (moved !== holder) {
        try {
          linkSync(aside, lock);
        } catch {
          /* a third editor has it now: it wins */
        }
      }
      rmSync(aside, { force: true });
    }
  } finally {
    rmSync(mine, { force: true });
  }
}
