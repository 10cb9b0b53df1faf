// The steps a cluster-IP op runs, worked out once for both of its uses: `plan` prints
// them (describe.ts) and apply feeds them (system.ts), so the two cannot tell different
// stories. What cannot be known before reading the kernel (a removal's input, CLUSTERIP's
// /proc writes) is named here and built by apply from what is there.
import { XT_ARP_TABLE, arpTable, nftBuckets, nftInstall } from './nft.js';
import { FLAVOUR, xtBuckets, xtInstall } from './xt.js';
import type { CipOp } from './types.js';

/** One tool fed one script on stdin. */
export interface CipFeed {
  argv: readonly string[];
  input: string;
}

/**
 * `feeds` run side by side (the filter and the ARP table are independent); then
 * `fromKernel`: CLUSTERIP's buckets (one /proc write per change from what is live), or the
 * removal (built from what the tables hold, tolerant of anything already gone).
 */
export interface CipSteps {
  feeds: CipFeed[];
  fromKernel: 'clusterip-buckets' | 'removal' | null;
}

const nft = (input: string): CipFeed => ({ argv: ['nft', '-f', '-'], input });

export function cipSteps(op: CipOp): CipSteps {
  const { backend } = op;
  if (op.op === 'cip-rules') {
    if (backend === 'nft')
      return { feeds: [nft(nftInstall(op.specs, op.fresh))], fromKernel: null };
    const rules = {
      argv: FLAVOUR[backend].restore,
      input: xtInstall(backend, op.specs, op.addParentJump ?? true),
    };
    if (backend === 'cluster-match')
      return { feeds: [rules, nft(arpTable(op.specs, XT_ARP_TABLE, op.fresh))], fromKernel: null };
    return { feeds: [rules], fromKernel: 'clusterip-buckets' };
  }
  if (op.op === 'cip-buckets') {
    const was = op.wasLive ? op.was : undefined;
    if (backend === 'nft') return { feeds: [nft(nftBuckets(op.specs, was))], fromKernel: null };
    if (backend === 'cluster-match')
      return {
        feeds: [{ argv: FLAVOUR[backend].restore, input: xtBuckets(op.specs, was) }],
        fromKernel: null,
      };
    return { feeds: [], fromKernel: 'clusterip-buckets' };
  }
  return { feeds: [], fromKernel: 'removal' };
}
