// Adversarial sizes: a large cluster is validated in linear time (backend limits first),
// one larger than any backend serves is refused at once (never minutes of spinning at
// boot, nor an edit lock held that long), and a phase starts the same number of processes
// whatever the number of distinct cluster MACs (Kerrighed-style configs give each cluster
// address its own). The time bounds are generous sanity bounds; the measured figures are
// in the README (Reliability). Needs root for the namespace case.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { readFileSync } from 'node:fs';
import { parseConfig } from '../../lib/config/load.js';
import { deriveAll } from '../../lib/derive/node.js';
import { buildOnce, cli, show } from '../helpers/cli.js';
import { inputMessage } from '../helpers/errors.js';
import { TempDir } from '../helpers/temp.js';
import {
  createSimCluster,
  runPhase,
  writeConfig,
  BOOT_PHASES,
  type SimCluster,
} from '../sim/cluster.js';

const conf = (nodes: string, backend = 'nft') => `[cluster]
nodes = ${nodes}

[net]
link = macvlan
device = eth0
mac = 02:00:00:00:00:00
address = 10.0.0.0/8

[clusterip]
address = 10.255.255.1
mac = 01:00:5e:04:c0:01
backend = ${backend}
`;

/** Milliseconds `fn` takes, best of `n` (the machine is shared). */
function best(n: number, fn: () => void): number {
  let min = Infinity;
  for (let i = 0; i < n; i++) {
    const t = performance.now();
    fn();
    min = Math.min(min, performance.now() - t);
  }
  return min;
}

const S = suite('scale: validation');

S(
  '1-4096 nodes with a cluster address validate in linear time (sanity bound 2 s; measured ~0.1 s)',
  () => {
    const ms = best(3, () =>
      assert.is(deriveAll(parseConfig(conf('1-4096'), 'net.conf')).length, 4096),
    );
    assert.ok(ms < 2000, `${ms.toFixed(0)} ms`);
    // Linear: four times the nodes, not sixteen times the time (with slack for a shared machine).
    const quarter = best(3, () => deriveAll(parseConfig(conf('1-1024'), 'net.conf')));
    assert.ok(
      ms < quarter * 8 + 30,
      `1024 nodes: ${quarter.toFixed(0)} ms, 4096 nodes: ${ms.toFixed(0)} ms`,
    );
  },
);

S(
  '1-4096 nodes over a vxlan: each peer worked out once, not once per node (sanity bound 10 s; measured ~1.1 s)',
  () => {
    const vxlan = conf('1-4096').replace(
      'link = macvlan',
      'link = vxlan\nvni = 42\nunderlay = 192.168.0.0/16',
    );
    let peers = 0;
    const ms = best(
      1,
      () =>
        (peers = deriveAll(parseConfig(vxlan, 'net.conf')).reduce((n, v) => n + v.peers.length, 0)),
    );
    assert.is(peers, 4096 * 4095);
    assert.ok(ms < 10_000, `${ms.toFixed(0)} ms`);
  },
);

S('1-16384 and 1-65535 are refused at once (sanity bound 1 s), before any node is derived', () => {
  for (const nodes of ['1-16384', '1-65535', '1-4000,5000-9000']) {
    let message = '';
    const ms = best(
      1,
      () => (message = inputMessage(() => deriveAll(parseConfig(conf(nodes), 'net.conf')))),
    );
    assert.match(message, /cluster\.nodes: more than 4096 nodes; allowed: at most 4096/);
    assert.ok(ms < 1000, `${nodes}: ${ms.toFixed(0)} ms`);
  }
});

S(
  'backend limits first: 4096 nodes on the cluster match is one problem, found before the nodes are derived',
  () => {
    let message = '';
    const ms = best(
      1,
      () =>
        (message = inputMessage(() =>
          deriveAll(parseConfig(conf('1-4096', 'cluster-match'), 'net.conf')),
        )),
    );
    assert.is(message.split('\n').length, 1, message);
    assert.match(
      message,
      /clusterip\.backend: cluster-match allows at most 32 nodes and the cluster has 4096/,
    );
    assert.ok(ms < 1000, `${ms.toFixed(0)} ms`);
  },
);

S(
  'set cluster.nodes=1-65535 is refused at once; the file is unchanged and the edit lock let go',
  () => {
    buildOnce();
    const tmp = new TempDir();
    try {
      const path = tmp.write('net.conf', conf('1-16'));
      const started = Date.now();
      const r = cli(['-c', path, 'set', 'cluster.nodes=1-65535']);
      assert.is(r.code, 2, show(r));
      assert.ok(Date.now() - started < 10_000, 'bounded');
      assert.is(readFileSync(path, 'utf8'), conf('1-16'));
      assert.is(cli(['-c', path, 'set', 'cluster.nodes=1-32']).code, 0, 'the lock was let go');
    } finally {
      tmp.remove();
    }
  },
);

/** A config whose node 1 and 2 serve `k` cluster addresses, each with a MAC of its own. */
function distinctMacs(k: number): string {
  const sections = Array.from(
    { length: k },
    (_, i) =>
      `[clusterip a${i}]\naddress = 10.4.192.${i + 1}\nmac = 01:00:5e:04:c1:${(i + 1).toString(16).padStart(2, '0')}\nbackend = nft\nseed = 7\n`,
  );
  return `[cluster]\nnodes = 1-2\n\n[net]\nlink = macvlan\ndevice = eth0\ninterface = krg0\nmac = 02:00:00:00:07:00\naddress = 10.4.135.0/18\n\n${sections.join('\n')}`;
}

const M = suite('scale: one process for every multicast MAC of a phase');
let sim: SimCluster;
M.before(async () => {
  sim = await createSimCluster({ nodes: [1, 2] });
});
M.after(async () => {
  await sim?.destroy();
});

M(
  'init-post joins 1 or 16 distinct MACs with the same number of processes; every MAC is joined, and stop ends cleanly',
  async () => {
    const processes = new Map<number, number>();
    for (const [node, k] of [
      [1, 1],
      [2, 16],
    ] as const) {
      const config = writeConfig(distinctMacs(k));
      for (const phase of BOOT_PHASES.filter((p) => p !== 'init-post'))
        assert.is((await runPhase(sim, config, node, phase)).exitCode, 0, phase);
      const r = await runPhase(sim, config, node, 'init-post', ['--verbose']);
      assert.is(r.exitCode, 0, r.stderr);
      processes.set(k, (r.stderr.match(/ ran /g) ?? []).length);
      assert.match(r.stderr, /ran .*bridge -batch -/);
      const maddr = (await sim.exec(sim.container(node), ['ip', 'maddr', 'show', 'dev', 'krg0']))
        .stdout;
      for (let i = 1; i <= k; i++)
        assert.match(
          maddr,
          new RegExp(`01:00:5e:04:c1:${i.toString(16).padStart(2, '0')}`),
          `MAC ${i} of ${k}`,
        );
      const stop = await runPhase(sim, config, node, 'stop');
      assert.is(stop.exitCode, 0, stop.stderr);
    }
    assert.is(
      processes.get(16),
      processes.get(1),
      `processes at k=1: ${processes.get(1)}, at k=16: ${processes.get(16)}`,
    );
  },
);

M(
  'cluster-match stop leaves no empty table ip mangle behind (iptables-nft made it for our rules)',
  async () => {
    const config = writeConfig(distinctMacs(1).replace('backend = nft', 'backend = cluster-match'));
    for (const phase of BOOT_PHASES)
      assert.is((await runPhase(sim, config, 1, phase)).exitCode, 0, phase);
    assert.match(
      (await sim.exec(sim.container(1), ['nft', 'list', 'tables'])).stdout,
      /table ip mangle/,
    );
    const stop = await runPhase(sim, config, 1, 'stop');
    assert.is(stop.exitCode, 0, stop.stderr);
    assert.is(
      (await sim.exec(sim.container(1), ['nft', 'list', 'tables'])).stdout.trim(),
      '',
      'no table left',
    );
  },
);

S.run();
M.run();
