// takeover / release: run inside a survivor's container (by a cluster manager such as
// Pacemaker). The survivor's own id comes from the usual sources, never from --node:
// --node names the dead (or returning) node. One atomic bucket change per backend.
import type { CommandModule } from 'yargs';
import { InputError } from '../../errors.js';
import { loadNodeContext } from '../../context.js';
import { amendRecord } from '../../apply/amend.js';
import { formatNodeList } from '../../value/parse.js';
import { levelOf, withContainer, type GlobalArgs } from '../options.js';

interface FailoverArgs extends GlobalArgs {
  node: string;
  pid?: string;
  netns?: string;
}

function failoverCommand(verb: 'takeover' | 'release'): CommandModule<GlobalArgs, FailoverArgs> {
  return {
    command: verb,
    describe:
      verb === 'takeover'
        ? "answer for a dead node's share of every cluster address (run on a survivor)"
        : 'stop answering for a node that is back (run on the survivor that took it over)',
    builder: (y) =>
      withContainer(y).option('node', {
        type: 'string',
        demandOption: true,
        describe: verb === 'takeover' ? 'the dead node' : 'the node that is back',
      }) as never,
    handler: async (args) => {
      // This node's id: never --node here (that is the other node).
      const ctx = loadNodeContext({ ...args, node: undefined, level: levelOf(args), label: verb });
      const other = Number(args.node);
      if (!/^\d+$/.test(args.node) || !ctx.config.nodes.includes(other)) {
        throw new InputError({
          key: '--node',
          message: `"${args.node}" is not a node of the cluster; allowed: ${formatNodeList(ctx.config.nodes)}`,
        });
      }
      if (other === ctx.values.node)
        throw new InputError({ key: '--node', message: `node ${other} is this node` });
      if (ctx.values.clusterIps.length === 0)
        throw new InputError({
          file: ctx.config.file,
          key: 'clusterip',
          message: 'no cluster address is enabled',
        });
      // Buckets the cluster manager assigns are its alone: a hand-made move would fight it.
      const manager = ctx.values.clusterIps.find((c) => c.buckets === 'manager');
      if (manager && ctx.values.clusterIps.every((c) => c.buckets === 'manager')) {
        const key = manager.name ? `clusterip.${manager.name}.buckets` : 'clusterip.buckets';
        const where = ctx.config.keys.get(key);
        throw new InputError({
          file: ctx.config.file,
          line: where?.line,
          key: where?.shown ?? key,
          message: `${verb} moves buckets by rank, and here the cluster manager assigns them (buckets = manager; its resource agent calls clusternet assign/unassign); allowed: rank, to move buckets by hand`,
        });
      }
      const record = await amendRecord(
        ctx,
        `${verb} of node ${other} by node ${ctx.values.node}`,
        (r) => {
          const before = r.takenOver ?? [];
          const after =
            verb === 'takeover'
              ? [...new Set([...before, other])].sort((a, b) => a - b)
              : before.filter((n) => n !== other);
          return { ...r, takenOver: after };
        },
      );
      const after = record.takenOver ?? [];
      ctx.log.info(
        `node ${ctx.values.node} answers for ${after.length ? `node(s) ${after.join(',')} besides itself` : 'itself only'}`,
      );
    },
  };
}

export const takeoverCommand = failoverCommand('takeover');
export const releaseCommand = failoverCommand('release');
