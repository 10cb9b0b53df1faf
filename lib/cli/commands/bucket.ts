// assign / unassign / assigned: the cluster manager's hold on one hash bucket of a cluster
// address whose net.conf section says `buckets = manager` (the OCF resource agent
// ocf:clusternet:clusterip calls them: start, stop, monitor). This node's id comes from
// --node or the usual sources. assign and unassign are one atomic bucket change each, kept
// in the node's record so a re-run of init-post keeps it; assigned reads the kernel: exit 0
// when this node answers for the bucket, 3 when it does not (as LSB `status` says "not
// running"), 1 when it was assigned and the kernel no longer answers for it.
import type { CommandModule } from 'yargs';
import { existsSync } from 'node:fs';
import { loadNodeContext } from '../../context.js';
import { amendRecord } from '../../apply/amend.js';
import { RecordStore } from '../../apply/record.js';
import { managedBucket } from '../../derive/manager.js';
import { DriftError } from '../../errors.js';
import { answeredBuckets } from '../../status/buckets.js';
import { levelOf, withContainer, withNode, type GlobalArgs } from '../options.js';
import { nsPath } from '../../system/ns.js';

export type BucketVerb = 'assign' | 'unassign' | 'assigned';

export interface BucketArgs extends GlobalArgs {
  bucket: string;
  clusterip?: string;
  node?: string;
  pid?: string;
  netns?: string;
  /** Check net.conf, the section and the bucket only; touch nothing (validate-all). */
  'validate-only'?: boolean;
}

/** The exit code of `assigned` when this node does not answer for the bucket. */
export const NOT_ANSWERED = 3;

const DESCRIBE: Record<BucketVerb, string> = {
  assign:
    "answer for one bucket of a cluster address (buckets = manager; the cluster manager's start)",
  unassign:
    "stop answering for one bucket of a cluster address (buckets = manager; the cluster manager's stop)",
  assigned:
    'exit 0 if this node answers for the bucket, 3 if not, 1 if assigned but not answered (monitor)',
};

function bucketCommand(verb: BucketVerb): CommandModule<GlobalArgs, BucketArgs> {
  return {
    command: verb,
    describe: DESCRIBE[verb],
    builder: (y) =>
      withContainer(withNode(y))
        .option('bucket', {
          type: 'string',
          demandOption: true,
          describe: 'the bucket, 1 to the number of nodes in [cluster] nodes',
        })
        .option('clusterip', {
          type: 'string',
          default: 'main',
          describe: 'the [clusterip NAME] section; main for the plain [clusterip]',
        })
        .option('validate-only', {
          type: 'boolean',
          describe: 'check net.conf, the section and the bucket; change and read nothing else',
        }) as never,
    handler: async (args) => {
      const ctx = loadNodeContext({
        ...args,
        level: levelOf(args),
        label: `${verb} bucket ${args.bucket}`,
      });
      const { cip, name, bucket } = managedBucket(
        ctx.config,
        ctx.values,
        args.clusterip ?? 'main',
        args.bucket,
      );
      if (args['validate-only']) return;
      const what = `bucket ${bucket} of ${cip.address}`;
      if (verb === 'assigned') {
        // A container that is not there answers for nothing (its node is down or rebooting).
        if (!existsSync(nsPath(ctx.container))) {
          ctx.log.info(`${what}: not answered here (no container at ${nsPath(ctx.container)})`);
          process.exitCode = NOT_ANSWERED;
          return;
        }
        const record = new RecordStore(ctx.values.node, ctx.container).load();
        const answered = await answeredBuckets(ctx.runner, ctx.container, cip.address, record);
        if (answered.includes(bucket)) return ctx.log.info(`${what}: answered here`);
        if ((record.assigned?.[name] ?? []).includes(bucket))
          throw new DriftError(
            `${what}: assigned to node ${ctx.values.node}, but the kernel answers for ${answered.length ? `buckets ${answered.join(',')}` : 'no bucket'}`,
          );
        ctx.log.info(`${what}: not answered here`);
        process.exitCode = NOT_ANSWERED;
        return;
      }
      const record = await amendRecord(
        ctx,
        `${verb} of ${what} on node ${ctx.values.node}`,
        (r) => {
          const before = r.assigned?.[name] ?? [];
          const after =
            verb === 'assign'
              ? [...new Set([...before, bucket])].sort((a, b) => a - b)
              : before.filter((b) => b !== bucket);
          return { ...r, assigned: { ...r.assigned, [name]: after } };
        },
      );
      const now = record.assigned?.[name] ?? [];
      ctx.log.info(
        `node ${ctx.values.node} answers for ${now.length ? `buckets ${now.join(',')}` : 'no bucket'} of ${cip.address}`,
      );
    },
  };
}

export const assignCommand = bucketCommand('assign');
export const unassignCommand = bucketCommand('unassign');
export const assignedCommand = bucketCommand('assigned');
export const BUCKET_COMMANDS: Record<BucketVerb, CommandModule<GlobalArgs, BucketArgs>> = {
  assign: assignCommand,
  unassign: unassignCommand,
  assigned: assignedCommand,
};
