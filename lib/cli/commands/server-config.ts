import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { pathState } from '../../install/fsutil.js';
import type { CommandModule } from 'yargs';
import { loadConfig } from '../../context.js';
import { InputError } from '../../errors.js';
import { FORMATS, refuseUnsayable, render, type Format } from '../../server/formats.js';
import { LINK_NODE_KEYS } from '../../link/index.js';
import { placeNetworkdFiles } from '../../server/networkd.js';
import type { ServerValues } from '../../server/values.js';
import { serverValues } from '../../server/values.js';
import type { GlobalArgs } from '../options.js';

interface ServerArgs extends GlobalArgs {
  address: string;
  format: Format;
  interface?: string;
  device?: string;
  mac?: string;
  mtu?: string;
  'output-dir'?: string;
  force: boolean;
  /** The link kinds' per-node keys, as options (--underlay). */
  [nodeKey: string]: unknown;
}

export const serverConfigCommand: CommandModule<GlobalArgs, ServerArgs> = {
  command: 'server-config',
  describe:
    'what a server, router or login node on the same segment needs to join the cluster network, ready to paste',
  builder: (y) =>
    [...LINK_NODE_KEYS]
      .reduce(
        (yy, [key, { spec, owners }]) =>
          yy.option(key, {
            type: 'string',
            describe: `link = ${owners.join(' or ')}: this host's ${spec.what ?? key}, as [node N] ${key} gives a node's`,
          }),
        y,
      )
      .option('address', {
        alias: 'a',
        type: 'string',
        demandOption: true,
        describe: "the host's address in the cluster network, e.g. 10.4.135.254",
      })
      .option('format', {
        alias: 'f',
        choices: FORMATS,
        default: 'ip' as Format,
        describe:
          'ip commands, an /etc/network/interfaces stanza, systemd-networkd files, or nmcli commands',
      })
      .option('interface', {
        type: 'string',
        describe: "the interface's name (default: net.interface)",
      })
      .option('device', {
        type: 'string',
        describe: "the host's lower device (default: net.device)",
      })
      .option('mac', {
        type: 'string',
        describe: 'the MAC (default: the template + the address minus the base)',
      })
      .option('mtu', {
        type: 'string',
        describe:
          "the MTU (default: net.mtu; auto: on a 1500 segment, 1500 less what the link kind takes, e.g. 1496 for a VLAN tag; the device's when it takes nothing)",
      })
      .option('output-dir', {
        type: 'string',
        describe:
          "networkd: write the files into this folder instead of printing them; when a .network file there (or, for /etc/systemd/network, in any of networkd's folders) already matches the device, a drop-in extends it instead",
      })
      .option('force', {
        type: 'boolean',
        default: false,
        describe:
          "networkd --output-dir: replace files of ours that differ (never the administrator's)",
      }) as never,
  handler: (args) => {
    const nodeKeys = Object.fromEntries(
      [...LINK_NODE_KEYS.keys()].map((key) => [key, args[key] as string | undefined]),
    );
    const values = serverValues(loadConfig(args), { ...args, nodeKeys });
    refuseUnsayable(args.format, values);
    if (args['output-dir'] && args.format !== 'networkd')
      throw new InputError({
        key: '--output-dir',
        message: 'only the networkd format is a set of files; the others print',
      });
    if (args['output-dir']) {
      writeNetworkd(values, args['output-dir'], args.force);
      return;
    }
    process.stdout.write(render(args.format, values));
  },
};

/** Every file decided first (new, the same, or in the way), then written; nothing is overwritten without --force. */
function writeNetworkd(values: ServerValues, outDir: string, force: boolean): void {
  const placed = placeNetworkdFiles(values, outDir);
  const decided = placed.files.map((file) => {
    const path = join(outDir, file.path);
    const state = pathState(path);
    if (state.kind === 'none') return { path, file, action: 'write' as const };
    if (state.kind === 'file' && readFileSync(path, 'utf8') === file.content)
      return { path, file, action: 'same' as const };
    if (state.kind === 'file' && force) return { path, file, action: 'write' as const };
    return {
      path,
      file,
      action: state.kind === 'file' ? ('differs' as const) : ('blocked' as const),
    };
  });
  const refused = decided.filter((d) => d.action === 'differs' || d.action === 'blocked');
  if (refused.length > 0) {
    throw new InputError(
      refused.map((d) => ({
        file: d.path,
        message:
          d.action === 'differs'
            ? 'exists with other content; nothing was written (--force replaces it)'
            : 'exists and is not a plain file; nothing was written',
      })),
    );
  }
  if (placed.extends)
    process.stdout.write(
      `${placed.extends} already configures ${values.device}: extending it with a drop-in\n`,
    );
  for (const d of decided) {
    if (d.action === 'same') {
      process.stdout.write(`unchanged ${d.path}\n`);
      continue;
    }
    mkdirSync(dirname(d.path), { recursive: true });
    writeFileSync(d.path, d.file.content, { mode: 0o644 });
    process.stdout.write(`wrote ${d.path}\n`);
  }
}
