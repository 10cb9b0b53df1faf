import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { CommandModule } from 'yargs';
import { loadConfigFile } from '../../config/load.js';
import { install } from '../../install/install.js';
import { INIT_SYSTEMS, PATHS, layout, type InitSystem } from '../../install/layout.js';
import { createLogger } from '../../log.js';
import { PACKAGE_ROOT } from '../../paths.js';
import { readConfigText } from '../../config/file.js';
import { readManifest } from '../../install/manifest.js';
import { parseIfName } from '../../value/parse.js';
import { InputError } from '../../errors.js';
import { systemLog } from '../../systemlog.js';
import { levelOf, type GlobalArgs } from '../options.js';

interface InstallArgs extends GlobalArgs {
  prefix: string;
  init?: InitSystem[];
  libdir: string;
  node: string;
  netns: string;
  'container-unit'?: string;
}

/** systemd when this machine runs it, else a sysv init script. */
const defaultInit = (): InitSystem[] =>
  existsSync('/run/systemd/system') ? ['systemd'] : ['sysv'];

export const installHooksCommand: CommandModule<GlobalArgs, InstallArgs> = {
  command: 'install-hooks',
  describe:
    'install the hook folders, /etc/net.conf (the example, or the --config file; never overwritten), /etc/default/clusternet and the init integration',
  builder: (y) =>
    y
      .option('prefix', {
        type: 'string',
        default: '/',
        describe: 'install under this folder as if it were / (for packaging and tests)',
      })
      .option('init', {
        type: 'string',
        array: true,
        choices: INIT_SYSTEMS,
        describe:
          'which init integration: systemd units, a sysv init script, Kerrighed helper folders (repeat for several; those of an earlier install are kept; default: what was installed here before, else systemd if it runs, else sysv)',
      })
      .option('libdir', {
        type: 'string',
        default: PACKAGE_ROOT,
        describe: 'where the clusternet package is when the hooks run (default: this one)',
      })
      .option('node', {
        type: 'string',
        default: process.execPath,
        describe: 'the node binary the units and init script start (default: this one)',
      })
      .option('netns', {
        type: 'string',
        default: 'cluster',
        describe: "the container's network namespace name, written to /etc/default/clusternet",
      })
      .option('container-unit', {
        type: 'string',
        describe:
          'the systemd unit that starts the cluster container (default: systemd-nspawn@NETNS.service)',
      }) as never,
  handler: (args) => {
    const prefix = resolve(args.prefix);
    const netns = checkName(args.netns, '--netns');
    // --config: the file to install as /etc/net.conf (when there is none yet), checked first.
    const given = args.config === undefined ? undefined : loadConfigFile(args.config);
    const config = given === undefined ? undefined : readConfigText(given.file);
    // Without --init: what was installed here before, else what this machine runs.
    const before = readManifest(join(prefix, PATHS.manifest))?.installed.init.filter(
      (i): i is InitSystem => (INIT_SYSTEMS as readonly string[]).includes(i),
    );
    const init =
      args.init && args.init.length > 0
        ? [...new Set(args.init)]
        : before && before.length > 0
          ? before
          : defaultInit();
    const containerUnit = args['container-unit'] ?? `systemd-nspawn@${netns}.service`;
    if (!/^[A-Za-z0-9:_.@\\-]+\.(service|target|scope)$/.test(containerUnit)) {
      throw new InputError({
        key: '--container-unit',
        message: `"${containerUnit}" is not a unit name; allowed: like systemd-nspawn@cluster.service`,
      });
    }
    // The CNI plugin goes where --config's [cni] bin-dir says, else into Debian's folder.
    const cniBinDir = given?.cni?.binDir;
    const items = layout({
      init,
      libdir: resolve(args.libdir),
      node: resolve(args.node),
      netns,
      containerUnit,
      ...(config === undefined ? {} : { config }),
      ...(cniBinDir === undefined ? {} : { cniBinDir }),
    });
    const log = createLogger(levelOf(args), 'install-hooks');
    const result = install(items, prefix, log, init, resolve(args.libdir));
    const kept = result.kept.length > 0 ? `; kept ${result.kept.join(', ')}` : '';
    const summary = `install-hooks: ${init.join(', ')} integration under ${prefix}: ${result.written.length} written, ${items.length - result.written.length - result.kept.length} already in place${kept}`;
    process.stdout.write(`${summary}\n`);
    systemLog('info', `clusternet[${summary.replace(': ', ']: ')}`);
  },
};

function checkName(value: string, key: string): string {
  try {
    return parseIfName(value);
  } catch (error) {
    throw new InputError({ key, message: (error as Error).message });
  }
}
