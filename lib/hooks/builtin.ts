// The hooks clusternet ships, listed explicitly. When `run` meets one of these files (or a
// link to it) it runs the step in-process instead of starting another node.
import { realpathSync } from 'node:fs';
import { join, relative } from 'node:path';
import { DEFAULT_HOOKS_DIR } from '../paths.js';
import type { Phase } from '../plan/ops.js';
import { setBuiltinCheck } from './runparts.js';

/** hooks/<phase>.d/<name> → the phase whose plan it applies. */
export const BUILTIN_HOOKS: Record<string, Phase> = {
  'boot-pre.d/50net': 'boot-pre',
  'boot-post.d/50net': 'boot-post',
  'init-pre.d/10net': 'init-pre',
  'init-post.d/20clusterip': 'init-post',
  'stop.d/50clusternet': 'stop',
};

/**
 * Kerrighed's helper folders (what its boot helpers run with run-parts) → the phase each
 * one is. Its own hooks there read the net.conf beside them, /etc/kerrighed/net.conf.
 */
export const KERRIGHED_HELPERS: Record<string, Phase> = {
  'krgboot_helper-pre.d': 'boot-pre',
  'krgboot_helper-post.d': 'boot-post',
  'krginit_helper-pre.d': 'init-pre',
  'krginit_helper-post.d': 'init-post',
};

/** The phase a built-in hook file applies, or undefined for a site hook. */
export function builtinPhase(path: string): Phase | undefined {
  let real: string;
  try {
    real = realpathSync(path);
  } catch {
    return undefined;
  }
  const rel = relative(realpathSync(DEFAULT_HOOKS_DIR), real);
  return BUILTIN_HOOKS[rel];
}

export const builtinHookPath = (key: string) => join(DEFAULT_HOOKS_DIR, key);

setBuiltinCheck((path) => builtinPhase(path) !== undefined);
