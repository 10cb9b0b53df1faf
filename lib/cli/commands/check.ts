import type { CommandModule } from 'yargs';
import { loadNodeContext } from '../../context.js';
import { preparePhase } from '../../apply/phase.js';
import { RecordStore } from '../../apply/record.js';
import { summarizeOp } from '../../plan/render.js';
import type { Phase } from '../../plan/ops.js';
import { DriftError } from '../../errors.js';
import { levelOf, withContainer, withJson, withNode, type GlobalArgs } from '../options.js';

interface CheckArgs extends GlobalArgs {
  node?: string;
  pid?: string;
  netns?: string;
  json: boolean;
}

/** The phases whose result lives on after boot and can be compared with the kernel. */
const CHECKED: Phase[] = ['boot-post', 'init-pre', 'init-post'];

export const checkCommand: CommandModule<GlobalArgs, CheckArgs> = {
  command: 'check',
  describe: 'compare the running system with the plan, item by item; exit 0 only when all match',
  builder: (y) => withJson(withContainer(withNode(y))) as never,
  handler: async (args) => {
    const ctx = loadNodeContext({ ...args, level: levelOf(args), label: 'check' });
    const items: { phase: Phase; item: string; status: string }[] = [];
    // The record holds the buckets moved since boot (takeover, or assigned by the cluster
    // manager): the plan's bucket sets come from it, as a re-run of init-post would.
    const record = new RecordStore(ctx.values.node, ctx.container).load();
    for (const phase of CHECKED) {
      if (phase === 'boot-post' && ctx.container.kind === 'current') continue; // the host side is not visible from inside
      const prepared = await preparePhase({ ...ctx, phase }, record);
      for (const stray of prepared.strays)
        items.push({ phase, item: stray.item, status: 'unexpected' });
      for (const { op, assessment: a } of prepared.assessed) {
        if (op.op === 'link-rename') continue; // its result is checked by link-create
        const status =
          a.state === 'ok'
            ? 'ok'
            : a.state === 'pending'
              ? 'missing'
              : a.state === 'differs'
                ? `differs: want ${a.want}, have ${a.have}`
                : `missing: ${a.reason}`;
        items.push({ phase, item: summarizeOp(op), status });
      }
    }
    const bad = items.filter((i) => i.status !== 'ok');
    if (args.json)
      process.stdout.write(
        `${JSON.stringify({ node: ctx.values.node, ok: bad.length === 0, items }, null, 2)}\n`,
      );
    else
      process.stdout.write(
        items
          .map(
            (i) =>
              `${i.status.startsWith('ok') ? 'ok     ' : 'PROBLEM'}  ${i.phase}  ${i.item}${i.status === 'ok' ? '' : `  → ${i.status}`}\n`,
          )
          .join(''),
      );
    if (bad.length > 0)
      throw new DriftError(
        `node ${ctx.values.node}: ${bad.length} of ${items.length} items do not match the plan`,
      );
  },
};
