import { mkdirSync, writeFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import type { CommandModule } from 'yargs';
import { loadConfig } from '../../context.js';
import { InputError } from '../../errors.js';
import { FORMATS, networkdFiles, render, type Format } from '../../server/formats.js';
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
}

export const serverConfigCommand: CommandModule<GlobalArgs, ServerArgs> = {
  command: 'server-config',
  describe: 'what a server, router or login node on the same segment needs to join the cluster network, ready to paste',
  builder: (y) =>
    y
      .option('address', { alias: 'a', type: 'string', demandOption: true, describe: "the host's address in the cluster network, e.g. 10.4.135.254" })
      .option('format', { alias: 'f', choices: FORMATS, default: 'ip' as Format, describe: 'ip commands, an /etc/network/interfaces stanza, systemd-networkd files, or nmcli commands' })
      .option('interface', { type: 'string', describe: "the interface's name (default: net.interface)" })
      .option('device', { type: 'string', describe: "the host's lower device (default: net.device)" })
      .option('mac', { type: 'string', describe: 'the MAC (default: the template + the address minus the base)' })
      .option('mtu', { type: 'string', describe: 'the MTU (default: net.mtu; auto: 1496 for a VLAN on a 1500 segment, the device\'s for macvlan)' })
      .option('output-dir', { type: 'string', describe: 'networkd: write the files into this folder instead of printing them' }) as never,
  handler: (args) => {
    const values = serverValues(loadConfig(args), args);
    if (args['output-dir'] && args.format !== 'networkd') throw new InputError({ key: '--output-dir', message: 'only the networkd format is a set of files; the others print' });
    if (args['output-dir']) {
      mkdirSync(args['output-dir'], { recursive: true });
      for (const file of networkdFiles(values)) {
        writeFileSync(join(args['output-dir'], basename(file.path)), file.content, { mode: 0o644 });
        process.stdout.write(`wrote ${join(args['output-dir'], basename(file.path))}\n`);
      }
      return;
    }
    process.stdout.write(render(args.format, values));
  },
};
