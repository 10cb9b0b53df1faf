// `clusternet man`: the clusternet(8) manual page, made from the yargs definitions
// themselves (each command's --help), so the page and --help can never disagree.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Argv, CommandModule } from 'yargs';
import { PACKAGE_ROOT } from '../../paths.js';
import type { GlobalArgs } from '../options.js';

/** The --help text of `args` (e.g. ['run', '--help']), captured instead of printed. */
export function helpOf(build: (argv: string[]) => Argv, args: string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    void build(args)
      .exitProcess(false)
      .parse(args, {}, (error, _argv, output) => (error ? reject(error) : resolve(output)));
  });
}

/** The command names listed in the top-level help ("  clusternet run <phase>  …"). */
export function commandNames(topHelp: string): string[] {
  return [...topHelp.matchAll(/^ {2}clusternet ([a-z][a-z-]*)/gm)].map((m) => m[1]!);
}

const roff = (text: string) =>
  text
    .replace(/\\/g, '\\e')
    .replace(/-/g, '\\-')
    // groff reads ASCII: other characters as their code point, e.g. … as \[u2026].
    .replace(/[^\x00-\x7f]/gu, (c) => `\\[u${c.codePointAt(0)!.toString(16).toUpperCase().padStart(4, '0')}]`)
    .split('\n')
    .map((line) => (/^[.']/.test(line) ? `\\&${line}` : line))
    .join('\n');

export async function manPage(build: (argv: string[]) => Argv): Promise<string> {
  const version = (JSON.parse(readFileSync(join(PACKAGE_ROOT, 'package.json'), 'utf8')) as { version: string }).version;
  const top = await helpOf(build, ['--help']);
  const out = [
    `.TH CLUSTERNET 8 "" "clusternet ${version}" "System Administration"`,
    '.SH NAME',
    'clusternet \\- the cluster network of every node, from one net.conf',
    '.SH SYNOPSIS',
    '.B clusternet',
    '\\fIcommand\\fR [\\fIoptions\\fR]',
    '.SH DESCRIPTION',
    '.nf',
    roff(top.trimEnd()),
    '.fi',
    '.SH COMMANDS',
  ];
  for (const name of commandNames(top)) {
    if (name === 'man' || name === 'completion') continue;
    out.push(`.SS ${name}`, '.nf', roff((await helpOf(build, [name, '--help'])).trimEnd()), '.fi');
  }
  out.push(
    '.SH FILES',
    '.TP', '.I /etc/net.conf', 'the cluster network of every node (see the comments of the shipped example)',
    '.TP', '.I /etc/default/clusternet', 'the boot integration switches: ISOLATE_NET, CONTAINER_NETNS, PHASES, WAIT_TIMEOUT',
    '.TP', '.I /etc/clusternet/hooks/<phase>.d/', 'the hooks of each phase, run in C order (run\\-parts names)',
    '.SH "EXIT STATUS"',
    '0 success; 1 a failure while applying (what the phase applied was undone first); 2 bad input or usage (nothing was changed).',
    '.SH "SEE ALSO"',
    '.BR ip (8),',
    '.BR systemd.unit (5),',
    '.BR run\\-parts (8)',
    '',
  );
  return out.join('\n');
}

export const manCommand = (build: (argv: string[]) => Argv): CommandModule<GlobalArgs, GlobalArgs> => ({
  command: 'man',
  describe: 'print the clusternet(8) manual page (roff), generated from the same definitions as --help',
  handler: async () => {
    process.stdout.write(await manPage(build));
  },
});
