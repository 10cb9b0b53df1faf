// A namespace's identity: the inode of its nsfs file. The same container seen from inside
// ("this namespace") and from the host (--netns NAME, --pid P) has one identity.
import { statSync } from 'node:fs';
import { ApplyError } from '../errors.js';
import { nsPath, type Ns } from './ns.js';

export function nsIdentity(ns: Ns): string {
  try {
    const st = statSync(nsPath(ns));
    return `${st.dev}-${st.ino}`;
  } catch (error) {
    throw new ApplyError(
      `stat ${nsPath(ns)}`,
      `cannot find the container's network namespace (${(error as NodeJS.ErrnoException).code})`,
    );
  }
}
