// `clusternet man [clusternet|net.conf]`: the manual pages, written by hand as roff in
// man/ (test/install/man.test.ts holds them to the option definitions and the config
// schema), with the package's version filled in.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { CommandModule } from 'yargs';
import { renderText } from '../../install/templates.js';
import { PACKAGE_ROOT, packageVersion } from '../../paths.js';
import type { GlobalArgs } from '../options.js';

export const MAN_PAGES = { clusternet: 'clusternet.8', 'net.conf': 'net.conf.5' } as const;
export type ManPage = keyof typeof MAN_PAGES;

export const MAN_DIR = join(PACKAGE_ROOT, 'man');

/** The page as roff, ready for `man -l -` or to be installed as man8/clusternet.8. */
export function manPage(page: ManPage): string {
  return renderText(readFileSync(join(MAN_DIR, MAN_PAGES[page]), 'utf8'), { VERSION: packageVersion() }, MAN_PAGES[page]);
}

interface ManArgs extends GlobalArgs {
  page: ManPage;
}

export const manCommand: CommandModule<GlobalArgs, ManArgs> = {
  command: 'man [page]',
  describe: 'print a manual page as roff: clusternet(8), or net.conf(5); e.g. clusternet man | man -l -',
  builder: (y) => y.positional('page', { choices: Object.keys(MAN_PAGES) as ManPage[], default: 'clusternet' as ManPage, describe: 'clusternet | net.conf' }) as never,
  handler: (args) => {
    process.stdout.write(manPage(args.page));
  },
};
