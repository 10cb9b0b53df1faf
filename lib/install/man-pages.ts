// The manual pages, written by hand as roff in man/, with the package's version filled in:
// printed by `clusternet man`, installed by the .deb.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { renderText } from './templates.js';
import { PACKAGE_ROOT, packageVersion } from '../paths.js';

export const MAN_PAGES = { clusternet: 'clusternet.8', 'net.conf': 'net.conf.5' } as const;
export type ManPage = keyof typeof MAN_PAGES;

export const MAN_DIR = join(PACKAGE_ROOT, 'man');

/** The page as roff, ready for `man -l -` or to be installed as man8/clusternet.8. */
export function manPage(page: ManPage): string {
  return renderText(
    readFileSync(join(MAN_DIR, MAN_PAGES[page]), 'utf8'),
    { VERSION: packageVersion() },
    MAN_PAGES[page],
  );
}
