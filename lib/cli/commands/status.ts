import type { CommandModule } from 'yargs';
import { InputError } from '../../errors.js';
import { loadConfig, loadNodeContext } from '../../context.js';
import { findNodeId } from '../../derive/node-id.js';
import { buildStatus, formatStatus, type LocalView } from '../../status/status.js';
import { levelOf, withContainer, withJson, withNode, type GlobalArgs } from '../options.js';

interface StatusArgs extends GlobalArgs {
  node?: string;
  pid?: string;
  netns?: string;
  json: boolean;
}

export const statusCommand: CommandModule<GlobalArgs, StatusArgs> = {
  command: 'status',
  describe: "the cluster's networks (size, used, free), with --verbose every node and cluster address; this node's interface, cluster-address buckets and whether it matches the plan",
  builder: (y) => withJson(withContainer(withNode(y))) as never,
  handler: async (args) => {
    const config = loadConfig(args);
    // Without a node id (a server, a login node) the cluster-wide part is still shown.
    let local: LocalView | undefined;
    let known = true;
    try {
      findNodeId(config, { flag: args.node });
    } catch (error) {
      if (!(error instanceof InputError)) throw error;
      known = false;
    }
    if (known) {
      const ctx = loadNodeContext({ ...args, level: levelOf(args), label: 'status' });
      local = { values: ctx.values, container: ctx.container, runner: ctx.runner, log: ctx.log };
    }
    const report = await buildStatus(config, local);
    process.stdout.write(args.json ? `${JSON.stringify(report, null, 2)}\n` : formatStatus(report, Boolean(args.verbose)));
  },
};
