// The checkout the tests run, and whether a place that mounts folders afresh (a lab guest,
// a Pacemaker node's mount namespace) can still see it there.
import { resolve } from 'node:path';

/** The repository this file belongs to. */
export const PROJECT_ROOT = resolve(import.meta.dirname, '..', '..');

/** The folder of `fresh` (each mounted anew) that hides `root`, if any. */
export const hiddenBy = (
  fresh: readonly string[],
  root: string = PROJECT_ROOT,
): string | undefined => fresh.find((dir) => root === dir || root.startsWith(`${dir}/`));
