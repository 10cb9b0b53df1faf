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
import { withContainer, withHooksDir, withJson, withNode, withPhase, type GlobalArgs } from '../options.js';
import { CURRENT_NS } from '../../system/ns.js';

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
  describe: 'print the commands a phase would run for a node (nothing is read from or done to the system)',
  builder: (y) => withHooksDir(withJson(withContainer(withNode(withPhase(y))))) as never,
  handler: (args) => {
    const config = loadConfig(args);
    const { id } = resolveNodeId(config, { flag: args.node });
    const values = deriveNode(config, id);
    const container = containerNs(args);
    const shown = container.kind === 'current' && args.phase === 'boot-post' ? { kind: 'netns' as const, name: 'CONTAINER' } : container;
    const plan = buildPlan(args.phase, values, { host: CURRENT_NS, container: shown });
    const hooks = listHooks(phaseDir(hooksDir(args['hooks-dir']), args.phase));
    const siteHooks = hooks.filter((h) => !builtinPhase(h.path)).map((h) => h.path);
    if (args.json) {
      process.stdout.write(`${JSON.stringify({ ...plan, siteHooks }, null, 2)}\n`);
      return;
    }
    const out = [`# ${args.phase} for node ${id}${plan.ops.length === 0 ? ': nothing to do' : ''}`, ...plan.ops.map(describeOp)];
    for (const hook of siteHooks) out.push(`# then site hook ${hook} (not clusternet's; runs as is)`);
    process.stdout.write(`${out.join('\n')}\n`);
  },
};
