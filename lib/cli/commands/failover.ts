// takeover / release: run inside a survivor's container (by a cluster manager such as
// Pacemaker). The survivor's own id comes from the usual sources, never from --node:
// --node names the dead (or returning) node. One atomic bucket change per backend.
import type { CommandModule } from 'yargs';
import { InputError } from '../../errors.js';
import { loadNodeContext } from '../../context.js';
import { applyPhase, preparePhase, type Prepared } from '../../apply/phase.js';
import { RecordStore, type NodeRecord } from '../../apply/record.js';
import { acquireLock, lockGeneration, lockHeldHere } from '../../system/lock.js';
import { formatNodeList } from '../../config/values.js';
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
        throw new InputError({ key: '--node', message: `"${args.node}" is not a node of the cluster; allowed: ${formatNodeList(ctx.config.nodes)}` });
      }
      if (other === ctx.values.node) throw new InputError({ key: '--node', message: `node ${other} is this node` });
      if (ctx.values.clusterIps.length === 0) throw new InputError({ file: ctx.config.file, key: 'clusterip', message: 'no cluster address is enabled' });
      const req = { ...ctx, phase: 'init-post' as const };
      const store = new RecordStore(ctx.values.node, ctx.container);
      const amend = (record: NodeRecord) => {
        const before = record.takenOver ?? [];
        const after = verb === 'takeover' ? [...new Set([...before, other])].sort((a, b) => a - b) : before.filter((n) => n !== other);
        return { before, record: { ...record, takenOver: after } };
      };
      // The state is read while the lock is being taken (lib/system/lock.ts: kept when no
      // other holder came in between), so a failover waits for one of them, not both.
      const seen = lockHeldHere() ? undefined : lockGeneration();
      const early = seen === undefined ? undefined : amend(store.load());
      const locking = acquireLock(`${verb} of node ${other} by node ${ctx.values.node}`);
      locking.catch(() => {}); // awaited below: a failure meanwhile is not an unhandled one
      let prepared: Prepared | undefined;
      try {
        prepared = early && (await preparePhase(req, early.record));
      } catch (error) {
        (await locking.catch(() => undefined))?.release();
        throw error;
      }
      const lock = await locking;
      try {
        const kept = early && prepared && lock.previous === seen ? { record: early.record, prepared } : undefined;
        const { before, record } = kept ? early! : amend(store.load());
        store.save(record);
        try {
          await applyPhase(req, kept);
        } catch (error) {
          // The bucket change was rolled back: so is the record.
          store.save({ ...store.load(), takenOver: before });
          throw error;
        }
        const after = record.takenOver ?? [];
        ctx.log.info(`node ${ctx.values.node} answers for ${after.length ? `node(s) ${after.join(',')} besides itself` : 'itself only'}`);
      } finally {
        lock.release();
      }
    },
  };
}

export const takeoverCommand = failoverCommand('takeover');
export const releaseCommand = failoverCommand('release');
