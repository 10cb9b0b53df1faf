// The exact input a cluster-IP op feeds its tool, for `plan` and logs: its steps
// (steps.ts, the same apply runs) as heredocs, and a comment for what is built from the
// kernel's state when it runs.
import type { CipOp } from './types.js';
import { FLAVOUR } from './xt.js';
import { cipSteps, type CipSteps } from './steps.js';

const heredoc = (argv: readonly string[], input: string) =>
  `${argv.join(' ')} <<'EOF'\n${input}EOF`;

export function describeCipOp(op: CipOp): string {
  const { feeds, fromKernel } = cipSteps(op);
  return [
    ...feeds.map((f) => heredoc(f.argv, f.input)),
    ...(fromKernel ? [builtFromKernel(op, fromKernel)] : []),
  ].join('\n');
}

function builtFromKernel(op: CipOp, what: NonNullable<CipSteps['fromKernel']>): string {
  if (what === 'clusterip-buckets') {
    return op.op === 'cip-rules'
      ? '# and /proc/net/ipt_CLUSTERIP/<address>: +N for every bucket answered besides the own'
      : op.specs
          .map(
            (s) =>
              `# /proc/net/ipt_CLUSTERIP/${s.address}: answer for buckets ${s.buckets.join(',')} (one +N/-N write each)`,
          )
          .join('\n');
  }
  const names = op.specs.map((s) => s.name).join(', ');
  return op.backend === 'nft'
    ? `nft -f -  # delete what table inet/arp clusternet holds for ${names} (both tables when none is left)`
    : `${FLAVOUR[op.backend].restore.join(' ')}  # delete the chains and jumps of ${names} found by ${FLAVOUR[op.backend].save.join(' ')}`;
}
