// Which backend a cluster address gets on this node: the one asked for, after checking it
// can run here; for `auto` the first of cluster-match, nft, clusterip that can serve the
// address and runs here. One decision, used by a phase (which then installs it) and by
// `show` (which only says it), so the two never disagree.
import { AUTO_ORDER, cannotServe } from './rules.js';
import type { CipBackend, NodeClusterIp } from './types.js';

export interface BackendChoice {
  /** The backend chosen, or undefined when none can run here. */
  backend?: CipBackend;
  /** Each backend tried before it (or all of them, when none can), with why it cannot. */
  refusals: string[];
}

/** A probe that runs at most once per backend, however many addresses ask. */
export function probeOnce(
  probe: (b: CipBackend) => Promise<string | undefined>,
): (b: CipBackend) => Promise<string | undefined> {
  const probes = new Map<CipBackend, Promise<string | undefined>>();
  return (b) => {
    if (!probes.has(b)) probes.set(b, probe(b));
    return probes.get(b)!;
  };
}

/** `probe(b)` says why `b` cannot run here, or undefined when it can. */
export async function chooseBackend(
  cip: NodeClusterIp,
  probe: (b: CipBackend) => Promise<string | undefined>,
): Promise<BackendChoice> {
  const candidates =
    cip.wanted === 'auto'
      ? AUTO_ORDER.filter((b) => !cannotServe(b, cip, cip.total))
      : [cip.wanted];
  const refusals: string[] = [];
  for (const backend of candidates) {
    const why = await probe(backend);
    if (!why) return { backend, refusals };
    refusals.push(`${backend}: ${why}`);
  }
  return { refusals };
}

/** "cluster-match (auto; the first choice)", "nft (auto; not cluster-match: …)", "clusterip". */
export function describeChoice(cip: NodeClusterIp, choice: BackendChoice): string {
  if (!choice.backend) return `none can run here (${choice.refusals.join('; ')})`;
  if (cip.wanted !== 'auto') return choice.backend;
  return `${choice.backend} (auto; ${choice.refusals.length ? `not ${choice.refusals.join('; not ')}` : 'the first choice'})`;
}
