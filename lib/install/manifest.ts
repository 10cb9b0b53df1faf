// The record of an installation, so `uninstall-hooks` removes exactly what was
// installed: every file with its checksum, every link with its target, and the folders
// that did not exist before.
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { InputError } from '../errors.js';

export interface ManifestEntry {
  path: string;
  type: 'file' | 'link' | 'dir';
  sha256?: string;
  target?: string;
  config?: boolean;
}

export interface Manifest {
  /** The options it was installed with, shown by uninstall. */
  installed: { init: string[]; libdir: string; date: string };
  entries: ManifestEntry[];
}

export const sha256 = (data: string | Buffer): string =>
  createHash('sha256').update(data).digest('hex');

export function readManifest(file: string): Manifest | undefined {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw new InputError({
      file,
      message: `cannot read the install manifest (${(error as NodeJS.ErrnoException).code})`,
    });
  }
  try {
    const manifest = JSON.parse(text) as Manifest;
    if (!Array.isArray(manifest.entries)) throw new Error('no entries');
    return manifest;
  } catch {
    throw new InputError({
      file,
      message:
        'the install manifest is damaged (not the JSON install-hooks writes); remove the installed files by hand',
    });
  }
}
