import type { CommandModule } from 'yargs';
import { containerNs, loadConfig } from '../../context.js';
import { resolveNodeId } from '../../derive/node-id.js';
import { deriveNode } from '../../derive/node.js';
import { builtinPhase } from '../../hooks/builtin.js';
import { listHooks, phaseDir } from '../../hooks/runparts.js';
import { hooksDir } from '../../paths.js';
import { type Phase } from '../../plan/ops.js';
import { buildPlan } from '../../plan/phases.js';
import { describeOp } from '../../plan/render.js';
import {
  withContainer,
  withHooksDir,
  withJson,
  withNode,
  withPhase,
  type GlobalArgs,
} from '../options.js';
import { CURRENT_NS, nsLabel, type Ns } from '../../system/ns.js';
import { RecordStore, type NodeRecord } from '../../apply/record.js';
import { ApplyError } from '../../errors.js';

/** The node's record there, or undefined when there is none (no file, no such namespace). */
function recordOf(node: number, container: Ns): NodeRecord | undefined {
  let store: RecordStore;
  try {
    store = new RecordStore(node, container);
  } catch (error) {
    if (error instanceof ApplyError) return undefined; // the namespace is not there
    throw error;
  }
  const record = store.load();
  return Object.keys(record.phases).length > 0 || record.journal ? record : undefined;
}

interface PlanArgs extends GlobalArgs {
  phase: Phase;
  node?: string;
  pid?: string;
  netns?: string;
  json: boolean;
  'hooks-dir'?: string;
}

export const planCommand: CommandModule<GlobalArgs, PlanArgs> = {
  command: 'plan <phase>',
  describe:
    'print the commands a phase would run for a node (nothing is read from or done to the system)',
  builder: (y) => withHooksDir(withJson(withContainer(withNode(withPhase(y))))) as never,
  handler: (args) => {
    const config = loadConfig(args);
    const { id } = resolveNodeId(config, { flag: args.node });
    const values = deriveNode(config, id);
    const container = containerNs(args);
    const shown =
      container.kind === 'current' && args.phase === 'boot-post'
        ? { kind: 'netns' as const, name: 'CONTAINER' }
        : container;
    // stop undoes what the node's record says was made, as the real stop does; the record
    // is only read (a namespace that is not there has none).
    const record = args.phase === 'stop' ? recordOf(id, container) : undefined;
    const plan = buildPlan(args.phase, values, { host: CURRENT_NS, container: shown }, record);
    const hooks = listHooks(phaseDir(hooksDir(args['hooks-dir']), args.phase));
    const siteHooks = hooks.filter((h) => !builtinPhase(h.path)).map((h) => h.path);
    if (args.json) {
      process.stdout.write(`${JSON.stringify({ ...plan, siteHooks }, null, 2)}\n`);
      return;
    }
    const out = [`# ${args.phase} for node ${id}${plan.ops.length === 0 ? ': nothing to do' : ''}`];
    if (args.phase === 'stop')
      out.push(
        record
          ? `# from the record of node ${id} in ${nsLabel(container)}, and what net.conf plans`
          : `# no record of node ${id} in ${nsLabel(container)}: what net.conf would make`,
      );
    out.push(...plan.ops.map(describeOp));
    for (const hook of siteHooks)
      out.push(`# then site hook ${hook} (not clusternet's; runs as is)`);
    process.stdout.write(`${out.join('\n')}\n`);
  },
};
