// One editor of a net.conf at a time (visudo locks sudoers the same way): a lock file
// beside it, made with O_EXCL, naming the editing process. A lock whose process is gone
// is stale and taken over.
import { closeSync, openSync, readFileSync, rmSync, writeSync } from 'node:fs';
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

export function lockConfig(path: string): () => void {
  const lock = join(dirname(path), `.${basename(path)}.clusternet-lock`);
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      const fd = openSync(lock, 'wx', 0o600);
      writeSync(fd, `${process.pid}\n`);
      closeSync(fd);
      return () => rmSync(lock, { force: true });
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      const holder = Number(readFileSync(lock, 'utf8').trim());
      if (Number.isInteger(holder) && holder > 0 && alive(holder)) {
        throw new InputError({ file: path, message: `is being edited by process ${holder} (lock ${lock}); try again when it is done` });
      }
      rmSync(lock, { force: true });
    }
  }
  throw new InputError({ file: path, message: `cannot take the edit lock ${lock}` });
}
