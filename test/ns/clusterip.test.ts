// The cluster-IP issue's proof on this machine's kernel: 4 nodes (link = macvlan) and a
// client holding 32 source addresses. Every source must get exactly one answer, from
// exactly one node, for ICMP echo and TCP; the sources spread over all nodes; after a
// node stops and a survivor takes over, again every source exactly once; after release,
// the original spread. Backends: cluster-match, nft, and a mix of both. Needs root.
import { test, suite } from 'uvu';
import * as assert from 'uvu/assert';
import {
  bootWithCli,
  createSimCluster,
  snapshot,
  writeConfig,
  type SimCluster,
} from '../sim/cluster.js';
import {
  CIP,
  clusterIpConf,
  macToNode,
  probe,
  startClient,
  verdict,
  type ClientSetup,
} from '../sim/clients.js';

const NODES = [1, 2, 3, 4];
const config = (backend: string, extra = '') => clusterIpConf('1-4', backend, extra);

function cases(name: string, conf: () => string, breakRules: string[]) {
  const s = suite(name);
  let sim: SimCluster;
  let setup: ClientSetup;
  let stopListeners: () => void;
  let path: string;
  let firstOwners: Record<string, number>;

  s.before(async () => {
    sim = await createSimCluster({ nodes: NODES, client: true });
    path = writeConfig(conf());
    for (const id of NODES) await bootWithCli(sim, path, id);
    ({ setup, stopListeners } = await startClient(sim, NODES));
  });
  s.after(async () => {
    stopListeners?.();
    await sim?.destroy();
  });

  s('every source gets exactly one answer, from one node, and all nodes share', async () => {
    const v = verdict(setup, await probe(sim, setup, macToNode));
    assert.equal(v.problems, []);
    assert.is(v.answeredOnce, 32);
    assert.equal(
      Object.keys(v.spread).map(Number).sort(),
      NODES,
      `spread ${JSON.stringify(v.spread)}`,
    );
    firstOwners = v.owners;
  });

  s('ARP for the cluster address answers with the cluster MAC', async () => {
    const r = await sim.exec(sim.client, ['ip', '-json', 'neigh', 'show', CIP]);
    assert.match(r.stdout, /"lladdr":"01:00:5e:04:c0:01"/);
  });

  s('a re-run of init-post changes nothing and duplicates no rule', async () => {
    const dump = (id: number) =>
      sim.exec(sim.container(id), [
        'sh',
        '-c',
        'iptables-save -t mangle 2>/dev/null | grep -v "^#"; nft list ruleset 2>/dev/null',
      ]);
    const before = (await dump(1)).stdout;
    const r = await sim.cli(sim.container(1), ['run', 'init-post', '--node', '1', '-c', path]);
    assert.is(r.exitCode, 0, r.stderr);
    assert.match(r.stderr, /nothing to change/);
    assert.is((await dump(1)).stdout, before);
  });

  s('check is clean; a deleted rule is reported and repaired', async () => {
    const ok = await sim.cli(sim.container(2), ['check', '--node', '2', '-c', path]);
    assert.is(ok.exitCode, 0, ok.stdout + ok.stderr);
    await sim.exec(sim.container(2), breakRules);
    const drift = await sim.cli(sim.container(2), ['check', '--node', '2', '-c', path]);
    assert.is(drift.exitCode, 1);
    assert.match(drift.stdout, /PROBLEM\s+init-post\s+.*differs: want main: .*have main: /);
    const repair = await sim.cli(sim.container(2), ['run', 'init-post', '--node', '2', '-c', path]);
    assert.is(repair.exitCode, 0, repair.stderr);
    assert.match(repair.stderr, /correcting/);
    const clean = await sim.cli(sim.container(2), ['check', '--node', '2', '-c', path]);
    assert.is(clean.exitCode, 0, clean.stdout);
  });

  s(
    'node 3 stops; node 1 takes over; every source answered once again; release restores',
    async () => {
      const stop = await sim.cli(sim.container(3), ['run', 'stop', '--node', '3', '-c', path]);
      assert.is(stop.exitCode, 0, stop.stderr);
      const gap = verdict(setup, await probe(sim, setup, macToNode));
      assert.ok(gap.answeredOnce < 32, 'with node 3 gone its sources go unanswered');
      const take = await sim.cli(sim.container(1), ['takeover', '--node', '3', '-c', path], {
        CLUSTERNET_NODE_ID: '1',
      });
      assert.is(take.exitCode, 0, take.stderr);
      const after = verdict(setup, await probe(sim, setup, macToNode));
      assert.equal(after.problems, []);
      assert.is(after.answeredOnce, 32);
      assert.not.ok(after.spread[3]);
      // Release first on the survivor, then the node comes back: no overlap, no duplicates.
      const release = await sim.cli(sim.container(1), ['release', '--node', '3', '-c', path], {
        CLUSTERNET_NODE_ID: '1',
      });
      assert.is(release.exitCode, 0, release.stderr);
      await bootWithCli(sim, path, 3);
      const back = verdict(setup, await probe(sim, setup, macToNode));
      assert.equal(back.problems, []);
      assert.equal(back.owners, firstOwners, 'the original spread returns');
    },
  );

  s('stop removes every rule and the address', async () => {
    const r = await sim.cli(sim.container(4), ['run', 'stop', '--node', '4', '-c', path]);
    assert.is(r.exitCode, 0, r.stderr);
    const rules = await sim.exec(sim.container(4), [
      'sh',
      '-c',
      'iptables-save 2>/dev/null | grep -ci clusternet; nft list ruleset | grep -c clusternet',
    ]);
    assert.equal(rules.stdout.trim().split('\n'), ['0', '0']);
    const addr = await sim.exec(sim.container(4), ['ip', '-o', 'address', 'show']);
    assert.not.match(addr.stdout, /10\.4\.192\.1/);
  });

  s.run();
}

const flushXt = ['iptables', '-w', '-t', 'mangle', '-F', 'CLUSTERNET-main'];
cases('cluster-match backend', () => config('cluster-match'), flushXt);
cases('nft backend', () => config('nft'), [
  'nft',
  'flush',
  'chain',
  'inet',
  'clusternet',
  'c_main',
]);
// A rolling move: nodes 1-2 on the cluster match, 3-4 on nft; they must agree on owners.
cases(
  'mixed cluster-match and nft nodes',
  () => config('cluster-match', '\n[node 3]\nbackend = nft\n\n[node 4]\nbackend = nft\n'),
  flushXt,
);

test('rejections: non-multicast cluster MAC, clusterip where the kernel has none; nothing applied', async () => {
  const sim = await createSimCluster({ nodes: [1] });
  try {
    const bad = writeConfig(
      config('nft').replace('mac = 01:00:5e:04:c0:01', 'mac = 02:00:5e:04:c0:01'),
    );
    const r1 = await sim.cli(sim.host(1), ['validate', '-c', bad]);
    assert.is(r1.exitCode, 2);
    assert.match(
      r1.stderr,
      /net\.conf:\d+: clusterip\.mac: 02:00:5e:04:c0:01 is not a multicast MAC/,
    );
    // A node running the nft backend, then a net.conf that asks for CLUSTERIP on this kernel.
    await bootWithCli(sim, writeConfig(config('nft')), 1);
    const before = await snapshot(sim, sim.container(1));
    const legacy = writeConfig(config('clusterip'));
    const r2 = await sim.cli(sim.container(1), ['run', 'init-post', '--node', '1', '-c', legacy]);
    assert.is(r2.exitCode, 2, r2.stderr);
    assert.is(await snapshot(sim, sim.container(1)), before, 'nothing applied');
    assert.match(
      r2.stderr,
      /clusterip\.backend: node 1: no backend for 10\.4\.192\.1 can run here: clusterip: /,
    );
    const many = writeConfig(config('cluster-match').replace('nodes = 1-4', 'nodes = 1-40'));
    const r3 = await sim.cli(sim.host(1), ['validate', '-c', many]);
    assert.is(r3.exitCode, 2);
    assert.match(
      r3.stderr,
      /clusterip\.backend: cluster-match allows at most 32 nodes and the cluster has 40/,
    );
  } finally {
    await sim.destroy();
  }
});

test.run();
