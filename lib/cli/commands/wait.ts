import type { CommandModule } from 'yargs';
import { InputError } from '../../errors.js';
import { loadNodeContext } from '../../context.js';
import { readDefaults } from '../../install/defaults.js';
import { waitReady } from '../../status/wait.js';
import { levelOf, withContainer, withNode, type GlobalArgs } from '../options.js';
import { nsLabel } from '../../system/ns.js';

interface WaitArgs extends GlobalArgs {
  node?: string;
  pid?: string;
  netns?: string;
  timeout?: string;
  defaults?: string;
}

export const waitCommand: CommandModule<GlobalArgs, WaitArgs> = {
  command: 'wait',
  describe:
    'return when the cluster interface is up with its address(es) and every enabled cluster address; exit 1 after the timeout',
  builder: (y) =>
    withContainer(withNode(y))
      .option('timeout', {
        type: 'string',
        describe: 'seconds to wait (default: WAIT_TIMEOUT of --defaults, else 60)',
      })
      .option('defaults', {
        type: 'string',
        describe:
          'take the container (CONTAINER_NETNS), config, node id and timeout from this switches file, e.g. /etc/default/clusternet',
      }) as never,
  handler: async (args) => {
    // Read as text: yargs would turn "abc" into NaN, and the error would quote "NaN".
    const flag = args.timeout === undefined ? undefined : seconds(args.timeout);
    const d = args.defaults ? readDefaults(args.defaults) : undefined;
    const ctx = loadNodeContext({
      config: args.config ?? d?.config,
      node: args.node ?? d?.nodeId,
      pid: args.pid,
      netns: args.netns ?? (args.pid ? undefined : d?.netns),
      level: levelOf(args),
      label: 'wait',
    });
    const timeout = flag ?? d?.waitTimeout ?? 60;
    const { waitedMs } = await waitReady(ctx.runner, ctx.container, ctx.values, timeout);
    ctx.log.info(
      `the cluster network in ${nsLabel(ctx.container)} is ready (waited ${(waitedMs / 1000).toFixed(1)} s)`,
    );
  },
};

function seconds(raw: string): number {
  const n = Number(raw);
  if (raw.trim() === '' || !Number.isFinite(n) || n < 0)
    throw new InputError({
      key: '--timeout',
      message: `"${raw}" is not a number of seconds; allowed: 0 or more, e.g. 30 or 2.5`,
    });
  return n;
}
