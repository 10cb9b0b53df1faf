// link = bridge on this machine's kernel: 3 nodes on one segment, each host's eth0 a port
// of our bridge cnbr0 and each container's krg0 a veth whose host end (cnh<N>) is another;
// all pairs reach each other (IPv4 and IPv6), a second boot changes nothing, drift is
// found by check and repaired by run, the cluster address answers 32 sources exactly
// once, and stop leaves nothing. Then a bridge of the site's own (bridge = br0): refused
// while absent, used as it is (never made, deleted or given ports by us). Needs root.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import {
  bringUp,
  createSimCluster,
  links,
  onNode,
  reaches,
  runPhase,
  snapshot,
  writeConfig,
  type SimCluster,
} from '../sim/cluster.js';
import { stableSnapshot } from '../sim/stable.js';
import { CIP, macToNode, probe, startClient, verdict } from '../sim/clients.js';

const NODES = [1, 2, 3];
const CONFIG = `
[cluster]
nodes = 1-3

[net]
link = bridge
device = eth0
mac = 02:00:00:00:07:00
address = 10.4.135.0/18
address6 = fd00:4:135::/64

[clusterip]
address = ${CIP}
mac = 01:00:5e:04:c0:01
backend = cluster-match
`;

/** Reaches `to` within a few seconds (IPv6 neighbour discovery and DAD take a moment). */
async function reachesSoon(sim: SimCluster, from: string, to: string): Promise<boolean> {
  for (let i = 0; i < 12; i++) {
    if (await reaches(sim, from, to)) return true;
    await new Promise((r) => setTimeout(r, 250));
  }
  return false;
}

const names = async (sim: SimCluster, ns: string) =>
  (await links(sim, ns)).map((l) => l.ifname).sort();

const ours = suite('link = bridge: our cnbr0');
let sim: SimCluster;
let config: string;
const check = (id: number) => onNode(sim, config, id, ['check']);

ours.before(async () => {
  sim = await createSimCluster({ nodes: NODES, client: true });
  config = writeConfig(CONFIG);
});
ours.after(async () => {
  await sim?.destroy();
});

ours(
  'boot: a veth per node on cnbr0 with eth0; every container reaches every other, IPv4 and IPv6',
  async () => {
    const runs = await bringUp(sim, config, NODES);
    assert.equal(
      runs.filter((r) => r.exitCode !== 0).map((r) => `${r.node} ${r.phase}: ${r.stderr}`),
      [],
    );
    for (const id of NODES) {
      const host = await links(sim, sim.host(id));
      assert.equal(host.map((l) => l.ifname).sort(), ['cnbr0', `cnh${id}`, 'eth0', 'lo']);
      assert.is(host.find((l) => l.ifname === 'cnbr0')?.ifalias, 'clusternet');
      const krg0 = (await links(sim, sim.container(id))).find((l) => l.ifname === 'krg0');
      assert.is(krg0?.linkinfo?.info_kind, 'veth');
      assert.is(krg0?.address, `02:00:00:00:07:0${id}`);
      const ports = await sim.exec(sim.host(id), ['ip', '-o', 'link', 'show', 'master', 'cnbr0']);
      assert.equal(
        ports.stdout
          .trim()
          .split('\n')
          .map((l) => l.split(':')[1]!.trim().split('@')[0])
          .sort(),
        [`cnh${id}`, 'eth0'],
      );
    }
    const failed: string[] = [];
    for (const from of NODES) {
      for (const to of NODES) {
        if (from === to) continue;
        for (const address of [`10.4.135.${to}`, `fd00:4:135::${to}`])
          if (!(await reachesSoon(sim, sim.container(from), address)))
            failed.push(`${from} → ${address}`);
      }
    }
    assert.equal(failed, []);
  },
);

ours('a second boot changes nothing', async () => {
  const before = await Promise.all(
    NODES.flatMap((id) => [
      stableSnapshot(sim, sim.host(id)),
      stableSnapshot(sim, sim.container(id)),
    ]),
  );
  for (const phase of ['boot-pre', 'boot-post', 'init-pre', 'init-post'] as const) {
    const again = await runPhase(sim, config, 2, phase);
    assert.is(again.exitCode, 0, again.stderr);
    assert.match(again.stderr + again.stdout, new RegExp(`${phase}: nothing to change`));
  }
  const after = await Promise.all(
    NODES.flatMap((id) => [
      stableSnapshot(sim, sim.host(id)),
      stableSnapshot(sim, sim.container(id)),
    ]),
  );
  assert.equal(after, before);
});

ours(
  'the host end released from the bridge: check finds link-master missing, run puts it back',
  async () => {
    assert.is((await check(1)).exitCode, 0);
    assert.is(
      (await sim.exec(sim.host(1), ['ip', 'link', 'set', 'dev', 'cnh1', 'nomaster'])).exitCode,
      0,
    );
    const drift = await check(1);
    assert.is(drift.exitCode, 1, drift.stdout + drift.stderr);
    assert.match(drift.stdout, /PROBLEM\s+boot-post\s+.*link set dev cnh1 master cnbr0.*missing/);
    const fix = await runPhase(sim, config, 1, 'boot-post');
    assert.is(fix.exitCode, 0, fix.stderr);
    assert.match(fix.stderr + fix.stdout, /changed: .*link set dev cnh1 master cnbr0/);
    const again = await check(1);
    assert.is(again.exitCode, 0, again.stdout + again.stderr);
    assert.ok(await reachesSoon(sim, sim.container(1), '10.4.135.2'));
  },
);

ours('the MTU changed by hand: check finds it, run corrects it in place', async () => {
  assert.is(
    (await sim.exec(sim.container(3), ['ip', 'link', 'set', 'dev', 'krg0', 'mtu', '1300']))
      .exitCode,
    0,
  );
  const drift = await check(3);
  assert.is(drift.exitCode, 1, drift.stdout + drift.stderr);
  assert.match(
    drift.stdout,
    /PROBLEM\s+boot-post\s+.*type veth.*differs.*want mtu 1500.*have mtu 1300/,
  );
  const fix = await runPhase(sim, config, 3, 'boot-post');
  assert.is(fix.exitCode, 0, fix.stderr);
  assert.match(
    fix.stderr + fix.stdout,
    /changed: .*link set dev krg0 address 02:00:00:00:07:03 mtu 1500/,
  );
  assert.is((await check(3)).exitCode, 0);
  assert.is((await links(sim, sim.container(3))).find((l) => l.ifname === 'krg0')?.mtu, 1500);
});

ours('the cluster address over the bridges: 32 sources, each answered exactly once', async () => {
  const { setup, stopListeners } = await startClient(sim, NODES);
  try {
    const v = verdict(setup, await probe(sim, setup, macToNode));
    assert.equal(v.problems, []);
    assert.is(v.answeredOnce, 32);
    assert.equal(Object.keys(v.spread).sort(), ['1', '2', '3']);
  } finally {
    stopListeners();
  }
});

ours(
  'stop leaves nothing: no cnbr0, no host end, lo only in the containers; a second stop has nothing to change',
  async () => {
    for (const id of NODES) {
      const stop = await runPhase(sim, config, id, 'stop');
      assert.is(stop.exitCode, 0, stop.stderr);
      assert.equal(await names(sim, sim.host(id)), ['eth0', 'lo']);
      assert.equal(await names(sim, sim.container(id)), ['lo']);
      const eth0 = (await links(sim, sim.host(id))).find((l) => l.ifname === 'eth0');
      assert.ok(eth0?.flags.includes('UP'), 'eth0 stays up (shared)');
      const again = await runPhase(sim, config, id, 'stop');
      assert.is(again.exitCode, 0, again.stderr);
      assert.match(again.stderr + again.stdout, /stop: nothing to change/);
    }
  },
);

const site = suite("link = bridge: a bridge of the site's own (bridge = br0)");
let two: SimCluster;
let siteConfig: string;

site.before(async () => {
  two = await createSimCluster({ nodes: [1, 2] });
  siteConfig = writeConfig(
    CONFIG.replace('link = bridge', 'link = bridge\nbridge = br0')
      .replace(/\[clusterip\][^]*$/, '')
      .replace('nodes = 1-3', 'nodes = 1-2'),
  );
});
site.after(async () => {
  await two?.destroy();
});

site('refused while br0 is absent, nothing changed', async () => {
  assert.is((await runPhase(two, siteConfig, 1, 'boot-pre')).exitCode, 0);
  const before = await snapshot(two, two.host(1));
  const r = await runPhase(two, siteConfig, 1, 'boot-post');
  assert.is(r.exitCode, 1, r.stdout + r.stderr);
  assert.match(r.stderr, /bridge br0 does not exist/);
  assert.is(await snapshot(two, two.host(1)), before);
  assert.equal(await names(two, two.container(1)), ['lo']);
});

site('used as it is: the host end joins br0, which stop leaves with its port', async () => {
  for (const id of [1, 2]) {
    for (const cmd of [
      ['ip', 'link', 'add', 'br0', 'type', 'bridge'],
      ['ip', 'link', 'set', 'eth0', 'master', 'br0'],
      ['ip', 'link', 'set', 'br0', 'up'],
    ]) {
      assert.is((await two.exec(two.host(id), cmd)).exitCode, 0);
    }
  }
  const runs = await bringUp(two, siteConfig, [1, 2]);
  assert.equal(
    runs.filter((r) => r.exitCode !== 0).map((r) => `${r.node} ${r.phase}: ${r.stderr}`),
    [],
  );
  assert.equal(await names(two, two.host(1)), ['br0', 'cnh1', 'eth0', 'lo']);
  assert.ok(await reachesSoon(two, two.container(1), '10.4.135.2'));
  assert.ok(await reachesSoon(two, two.container(2), 'fd00:4:135::1'));
  for (const id of [1, 2]) assert.is((await runPhase(two, siteConfig, id, 'stop')).exitCode, 0);
  assert.equal(await names(two, two.host(1)), ['br0', 'eth0', 'lo']);
  const ports = await two.exec(two.host(1), ['ip', '-o', 'link', 'show', 'master', 'br0']);
  assert.match(ports.stdout, /eth0/);
  assert.ok((await links(two, two.host(1))).find((l) => l.ifname === 'br0')?.flags.includes('UP'));
});

ours.run();
site.run();
