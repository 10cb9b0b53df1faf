// Hook folders with Debian run-parts semantics: names of [A-Za-z0-9_-] only (so backups
// like 50net~ or 50net.dpkg-old never run), regular executable files, C-locale order.
// A symlink may only point inside its own folder (or to a built-in hook). Run as root, the
// folder and every folder above it must pass lib/system/trust.ts's rule.
import { lstatSync, readdirSync, realpathSync, constants } from 'node:fs';
import { dirname, join } from 'node:path';
import { InputError } from '../errors.js';
import { checkOwnership } from '../config/file.js';
import type { Phase } from '../plan/ops.js';
import { trustedFolder } from '../system/trust.js';

export const HOOK_NAME = /^[A-Za-z0-9_-]+$/;

export interface HookFile {
  name: string;
  path: string;
}

export const phaseDir = (root: string, phase: Phase) => join(root, `${phase}.d`);

/**
 * The hooks of a phase, in the order they run; skipped entries are reported to `skip`.
 * The folder is resolved once and checked with every folder above it (lib/system/trust.ts);
 * each hook's path is in that real folder, so running it looks nothing up again that
 * another user could change between the check and the run.
 */
export function listHooks(
  dir: string,
  skip: (name: string, why: string) => void = () => {},
): HookFile[] {
  let realDir: string;
  let names: string[];
  try {
    realDir = trustedFolder(dir, 'the hook folder');
    names = readdirSync(realDir);
  } catch (error) {
    if (error instanceof InputError) throw error;
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw new InputError({
      file: dir,
      message: `cannot read the hook folder (${(error as NodeJS.ErrnoException).code})`,
    });
  }
  const hooks: HookFile[] = [];
  // run-parts sorts in the C locale: by bytes, not by the user's collation.
  for (const name of names.sort((a, b) => Buffer.compare(Buffer.from(a), Buffer.from(b)))) {
    if (!HOOK_NAME.test(name)) {
      skip(name, 'name is not [A-Za-z0-9_-]+ (run-parts ignores it)');
      continue;
    }
    let path = join(realDir, name);
    if (lstatSync(path).isSymbolicLink()) {
      let target: string;
      try {
        target = realpathSync(path);
      } catch {
        skip(name, 'dangling symlink');
        continue;
      }
      if (dirname(target) !== realDir && !isBuiltinPath(target)) {
        skip(name, `symlink leads out of the folder (${target})`);
        continue;
      }
      // The link's target is what runs: it passes the rule with its own folders.
      if (dirname(target) !== realDir) trustedFolder(dirname(target), 'the hook folder');
      path = target;
    }
    const st = lstatSync(path);
    if (!st.isFile()) {
      skip(name, 'not a regular file');
      continue;
    }
    if ((st.mode & (constants.S_IXUSR | constants.S_IXGRP | constants.S_IXOTH)) === 0) {
      skip(name, 'not executable');
      continue;
    }
    checkOwnership(path, 'the hook');
    hooks.push({ name, path });
  }
  return hooks;
}

let builtinCheck: (path: string) => boolean = () => false;
/** Lets the built-in registry vouch for links into the package's own hook folder. */
export const setBuiltinCheck = (check: (path: string) => boolean) => {
  builtinCheck = check;
};
const isBuiltinPath = (path: string) => builtinCheck(path);
