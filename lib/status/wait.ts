// `clusternet wait`: return as soon as the cluster network is ready, or fail after the
// timeout naming what is still missing. Polls the kernel (one `ip -json` per look): simple,
// and right even when the network came up before we started waiting.
import { DriftError } from '../errors.js';
import type { NodeValues } from '../derive/node.js';
import type { Runner } from '../system/runner.js';
import { readNsState } from '../system/state.js';
import { missingItems } from './ready.js';
import { nsLabel, type Ns } from '../system/ns.js';

export const POLL_MS = 200;

/** What is missing now; a namespace that does not exist (yet) counts as missing too. */
export async function lookOnce(runner: Runner, ns: Ns, values: NodeValues): Promise<string[]> {
  try {
    return missingItems(values, await readNsState(runner, ns));
  } catch (error) {
    return [
      `cannot read ${nsLabel(ns)}: ${(error as Error).message.split('\n').slice(1).join(' ').trim() || (error as Error).message}`,
    ];
  }
}

export async function waitReady(
  runner: Runner,
  ns: Ns,
  values: NodeValues,
  timeoutSeconds: number,
  pollMs = POLL_MS,
): Promise<{ waitedMs: number }> {
  const started = Date.now();
  for (;;) {
    const missing = await lookOnce(runner, ns, values);
    const waitedMs = Date.now() - started;
    if (missing.length === 0) return { waitedMs };
    if (waitedMs >= timeoutSeconds * 1000) {
      throw new DriftError(
        `node ${values.node}: the cluster network in ${nsLabel(ns)} is not ready after ${timeoutSeconds} s: ${missing.join('; ')}`,
      );
    }
    await new Promise((r) =>
      setTimeout(r, Math.min(pollMs, Math.max(0, timeoutSeconds * 1000 - waitedMs))),
    );
  }
}
