// `clusternet man [clusternet|net.conf]`: the manual pages, written by hand as roff in
// man/ (test/install/man.test.ts holds them to the option definitions and the config
// schema), with the package's version filled in.
import type { CommandModule } from 'yargs';
import { MAN_PAGES, manPage, type ManPage } from '../../install/man-pages.js';
import type { GlobalArgs } from '../options.js';

interface ManArgs extends GlobalArgs {
  page: ManPage;
}

export const manCommand: CommandModule<GlobalArgs, ManArgs> = {
  command: 'man [page]',
  describe:
    'print a manual page as roff: clusternet(8), or net.conf(5); e.g. clusternet man | man -l -',
  builder: (y) =>
    y.positional('page', {
      choices: Object.keys(MAN_PAGES) as ManPage[],
      default: 'clusternet' as ManPage,
      describe: 'clusternet | net.conf',
    }) as never,
  handler: (args) => {
    process.stdout.write(manPage(args.page));
  },
};
