// The exact input a cluster-IP op feeds its tool, for `plan` and logs.
import type { CipOp } from './types.js';
import { XT_ARP_TABLE, arpTable, nftBuckets, nftInstall } from './nft.js';
import { FLAVOUR, xtBuckets, xtInstall } from './xt.js';

const heredoc = (argv: readonly string[], input: string) => `${argv.join(' ')} <<'EOF'\n${input}EOF`;

export function describeCipOp(op: CipOp): string {
  if (op.op === 'cip-rules') {
    if (op.backend === 'nft') return heredoc(['nft', '-f', '-'], nftInstall(op.specs, op.fresh));
    const rules = heredoc(FLAVOUR[op.backend].restore, xtInstall(op.backend, op.specs, op.addParentJump ?? true));
    if (op.backend === 'clusterip') return `${rules}\n# and /proc/net/ipt_CLUSTERIP/<address>: +N for every bucket answered besides the own`;
    return `${rules}\n${heredoc(['nft', '-f', '-'], arpTable(op.specs, XT_ARP_TABLE, op.fresh))}`;
  }
  if (op.op === 'cip-buckets') {
    const was = op.wasLive ? op.was : undefined;
    if (op.backend === 'nft') return heredoc(['nft', '-f', '-'], nftBuckets(op.specs, was));
    if (op.backend === 'cluster-match') return heredoc(FLAVOUR[op.backend].restore, xtBuckets(op.specs, was));
    return op.specs.map((s) => `# /proc/net/ipt_CLUSTERIP/${s.address}: answer for buckets ${s.buckets.join(',')} (one +N/-N write each)`).join('\n');
  }
  const what = op.specs.map((s) => s.name).join(', ');
  return op.backend === 'nft'
    ? `nft -f -  # delete what table inet/arp clusternet holds for ${what} (both tables when none is left)`
    : `${FLAVOUR[op.backend].restore.join(' ')}  # delete the chains and jumps of ${what} found by ${FLAVOUR[op.backend].save.join(' ')}`;
}
