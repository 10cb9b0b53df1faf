// The client's clock for failover: from the client namespace, a round of TCP connections
// to the cluster address every 250 ms, one from each source address, each given 600 ms:
// less than TCP's first SYN retransmission (1 s), so a source counts as answered only when
// its first SYN was, and a round tells the state of the cluster when it started.
// A round is whole when every source got an answer ("node<i>"). The time to recover from
// an event is from the event to the start of the first whole round after which every
// round is whole. Only TCP, and only to time: who answers exactly once is the full probe
// of test/sim/clients.ts, run once the cluster has settled.
import { spawn, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';
import { PORT, type ClientSetup } from '../sim/clients.js';
import type { SimCluster } from '../sim/cluster.js';

export interface Round {
  /** When the round started (Date.now() of this machine). */
  at: number;
  /** Sources that got an answer, and from which node. */
  answered: Record<string, string>;
}

export interface Watch {
  rounds: Round[];
  /** Ms from `since` to the first whole round after which all are whole; undefined if none. */
  recoveredAfter: (since: number, sources: number) => number | undefined;
  /**
   * For `sources` (those `from` answered before `since`): the last time `from` answered
   * one of them and the first time another node did (ms after `since`). The second after
   * the first: a gap, no overlap seen (at the rounds' 250 ms grain).
   */
  handover: (
    since: number,
    from: string,
    sources: string[],
  ) => { lastFrom: number; firstOther: number } | undefined;
  stop: () => void;
}

export function watchAnswers(sim: SimCluster, setup: ClientSetup): Watch {
  const script = `
    const net = require('net'); const sources = ${JSON.stringify(setup.sources)};
    function round() {
      const at = Date.now(); const answered = {}; let left = sources.length;
      for (const src of sources) {
        let data = ''; let done = false;
        const s = net.connect({ host: '${setup.clusterIp}', port: ${PORT}, localAddress: src, timeout: 600 });
        const end = () => { if (done) return; done = true; const d = data.trim(); if (/^node\\d+$/.test(d)) answered[src] = d; s.destroy(); if (--left === 0) console.log(JSON.stringify({ at, answered })); };
        s.on('data', (d) => (data += d)); s.on('end', end); s.on('timeout', end); s.on('error', end); s.on('close', end);
      }
    }
    setInterval(round, 250); round();`;
  const child: ChildProcess = spawn(
    'ip',
    ['netns', 'exec', sim.client, process.execPath, '-e', script],
    { stdio: ['ignore', 'pipe', 'ignore'] },
  );
  const rounds: Round[] = [];
  createInterface({ input: child.stdout! }).on('line', (line) => {
    try {
      rounds.push(JSON.parse(line) as Round);
    } catch {
      // a partial line at the end
    }
  });
  return {
    rounds,
    recoveredAfter: (since, sources) => {
      const after = rounds.filter((r) => r.at >= since).sort((a, b) => a.at - b.at);
      let first: number | undefined;
      for (const r of after) {
        const whole = Object.keys(r.answered).length === sources;
        if (whole && first === undefined) first = r.at;
        if (!whole) first = undefined;
      }
      return first === undefined ? undefined : first - since;
    },
    handover: (since, from, moved) => {
      const after = rounds.filter((r) => r.at >= since);
      const lastFrom = Math.max(
        since,
        ...after.filter((r) => moved.some((src) => r.answered[src] === from)).map((r) => r.at),
      );
      const others = after
        .filter((r) =>
          moved.some((src) => r.answered[src] !== undefined && r.answered[src] !== from),
        )
        .map((r) => r.at);
      return others.length === 0
        ? undefined
        : { lastFrom: lastFrom - since, firstOther: Math.min(...others) - since };
    },
    stop: () => void child.kill('SIGKILL'),
  };
}
