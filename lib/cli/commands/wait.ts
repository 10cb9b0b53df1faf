import type { CommandModule } from 'yargs';
import { InputError } from '../../errors.js';
import { loadNodeContext } from '../../context.js';
import { readDefaults } from '../../install/defaults.js';
import { waitReady } from '../../status/wait.js';
import { nsLabel } from '../../plan/ops.js';
import { levelOf, withContainer, withNode, type GlobalArgs } from '../options.js';

interface WaitArgs extends GlobalArgs {
  node?: string;
  pid?: string;
  netns?: string;
  timeout?: number;
  defaults?: string;
}

export const waitCommand: CommandModule<GlobalArgs, WaitArgs> = {
  command: 'wait',
  describe: 'return when the cluster interface is up with its address(es) and every enabled cluster address; exit 1 after the timeout',
  builder: (y) =>
    withContainer(withNode(y))
      .option('timeout', { type: 'number', describe: 'seconds to wait (default: WAIT_TIMEOUT of --defaults, else 60)' })
      .option('defaults', { type: 'string', describe: 'take the container (CONTAINER_NETNS), config, node id and timeout from this switches file, e.g. /etc/default/clusternet' }) as never,
  handler: async (args) => {
    const d = args.defaults ? readDefaults(args.defaults) : undefined;
    const ctx = loadNodeContext({
      config: args.config ?? d?.config,
      node: args.node ?? d?.nodeId,
      pid: args.pid,
      netns: args.netns ?? (args.pid ? undefined : d?.netns),
      level: levelOf(args),
      label: 'wait',
    });
    const timeout = args.timeout ?? d?.waitTimeout ?? 60;
    if (!Number.isFinite(timeout) || timeout < 0) throw new InputError({ key: '--timeout', message: `"${args.timeout}" is not a number of seconds; allowed: 0 or more` });
    const { waitedMs } = await waitReady(ctx.runner, ctx.container, ctx.values, timeout);
    ctx.log.info(`the cluster network in ${nsLabel(ctx.container)} is ready (waited ${(waitedMs / 1000).toFixed(1)} s)`);
  },
};
