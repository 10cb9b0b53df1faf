import { existsSync } from 'node:fs';
import type { CommandModule } from 'yargs';
import { DEFAULTS_FILE, readDefaults } from '../../install/defaults.js';
import { DriftError, InputError } from '../../errors.js';
import { loadConfig, loadNodeContext } from '../../context.js';
import { findNodeId } from '../../derive/node-id.js';
import { buildStatus, formatStatus, type LocalView } from '../../status/status.js';
import { levelOf, withContainer, withJson, withNode, type GlobalArgs } from '../options.js';

interface StatusArgs extends GlobalArgs {
  node?: string;
  pid?: string;
  netns?: string;
  json: boolean;
  defaults: string;
}

export const statusCommand: CommandModule<GlobalArgs, StatusArgs> = {
  command: 'status',
  describe:
    "the cluster's networks (size, used, free), with --verbose every node and cluster address; this node's interface, cluster-address buckets and whether it matches the plan, in the container's namespace (CONTAINER_NETNS of --defaults unless --pid/--netns); exit 1 when this node is not set up or differs from the plan",
  builder: (y) =>
    withJson(withContainer(withNode(y))).option('defaults', {
      type: 'string',
      default: DEFAULTS_FILE,
      describe:
        'the switches file whose CONTAINER_NETNS is where to look when neither --pid nor --netns is given',
    }) as never,
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
      const ctx = loadNodeContext({
        ...args,
        netns: args.netns ?? containerOf(args),
        level: levelOf(args),
        label: 'status',
      });
      local = { values: ctx.values, container: ctx.container, runner: ctx.runner, log: ctx.log };
    }
    const report = await buildStatus(config, local);
    process.stdout.write(
      args.json
        ? `${JSON.stringify(report, null, 2)}\n`
        : formatStatus(report, Boolean(args.verbose)),
    );
    // As `check`: a node that is not set up, or differs from its plan, is not a success.
    if (report.notSetUp.length > 0)
      throw new DriftError(`node ${report.node}: not set up: ${report.notSetUp.join('; ')}`);
    if (report.plan && !report.plan.ok)
      throw new DriftError(
        `node ${report.node}: ${report.plan.problems.length} item(s) differ from the plan`,
      );
  },
};

/**
 * Where the container is when no --pid, --netns (or CLUSTERNET_PID/NETNS) says: the
 * CONTAINER_NETNS of the installed switches file, as the boot integration uses it. Without
 * that file (or with ISOLATE_NET off), where we run.
 */
function containerOf(args: StatusArgs): string | undefined {
  if (args.pid !== undefined || process.env.CLUSTERNET_PID || process.env.CLUSTERNET_NETNS)
    return undefined;
  if (!existsSync(args.defaults)) return undefined;
  const d = readDefaults(args.defaults);
  return d.isolateNet ? d.netns : undefined;
}
