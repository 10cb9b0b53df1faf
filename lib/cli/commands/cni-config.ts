// `clusternet cni-config`: this node's CNI network configuration list, for a runtime that
// calls the reference plugins itself (the node's range written in), or with --meta one
// that calls clusternet-cni (which reads net.conf at every call). Printed, or written into
// a runtime's configuration folder with --output-dir. On a routed segment the containers'
// MTU is the node's bridge's, read where it runs, as clusternet-cni does (containerMtu).
import { mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { CommandModule } from 'yargs';
import { loadConfig } from '../../context.js';
import { InputError } from '../../errors.js';
import { cniOf, CNI_VERSION, conflist, containerMtu } from '../../cni/conf.js';
import { resolveNodeId } from '../../derive/node-id.js';
import { deriveAll } from '../../derive/node.js';
import { pathState, writeAtomic } from '../../install/fsutil.js';
import { linkMtu } from '../../system/link-mtu.js';
import { withNode, type GlobalArgs } from '../options.js';

interface CniConfigArgs extends GlobalArgs {
  node?: string;
  meta: boolean;
  'output-dir'?: string;
  force: boolean;
}

export const cniConfigCommand: CommandModule<GlobalArgs, CniConfigArgs> = {
  command: 'cni-config',
  describe:
    "this node's CNI network configuration list ([cni]): the reference bridge (or macvlan) plugin with host-local and the node's range",
  builder: (y) =>
    withNode(y)
      .option('meta', {
        type: 'boolean',
        default: false,
        describe:
          'a list that calls clusternet-cni instead, which works the range out from net.conf at every call (with --node, for that node only)',
      })
      .option('output-dir', {
        type: 'string',
        describe:
          'write NAME.conflist (NAME: cni.name) into this folder, e.g. /etc/cni/net.d, instead of printing it',
      })
      .option('force', {
        type: 'boolean',
        default: false,
        describe: '--output-dir: replace a NAME.conflist that differs',
      }) as never,
  handler: (args) => {
    const config = loadConfig(args);
    // The file is one for the whole cluster: refuse it if any node's values are wrong.
    deriveAll(config);
    const { id } = resolveNodeId(config, { flag: args.node });
    const cni = cniOf(config);
    // --meta with --node: the node written in, for a runtime that calls plugins with an
    // environment of its own (podman's cleanup) on a machine no other source names.
    const meta = {
      type: 'clusternet-cni',
      config: config.file,
      ...(args.node === undefined ? {} : { node: id }),
    };
    const list = args.meta
      ? { cniVersion: CNI_VERSION, name: cni.name, plugins: [meta] }
      : conflist(config, id, linkMtu);
    if (!args.meta && cni.routed && containerMtu(config, id, linkMtu) === undefined) {
      process.stderr.write(
        `clusternet: warning: ${cni.bridge} is not here, so the list gives node ${id}'s containers no MTU (the bridge plugin's 1500, above the bridge's with an overlay): run cni-config on node ${id} once boot-post has made ${cni.bridge}, or write [cni] mtu\n`,
      );
    }
    const text = `${JSON.stringify(list, null, 2)}\n`;
    const dir = args['output-dir'];
    if (!dir) {
      process.stdout.write(text);
      return;
    }
    const path = join(dir, `${cni.name}.conflist`);
    const state = pathState(path);
    if (state.kind === 'file' && readFileSync(path, 'utf8') === text) {
      process.stdout.write(`unchanged ${path}\n`);
      return;
    }
    if (state.kind !== 'none' && !(state.kind === 'file' && args.force)) {
      throw new InputError({
        file: path,
        message:
          state.kind === 'file'
            ? 'exists with other content; nothing was written (--force replaces it)'
            : 'exists and is not a plain file; nothing was written',
      });
    }
    mkdirSync(dir, { recursive: true, mode: 0o755 });
    writeAtomic(path, text, { mode: 0o644 });
    process.stdout.write(`wrote ${path}\n`);
  },
};
