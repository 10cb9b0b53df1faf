// link = vxlan on this machine's kernel: 3 nodes in two L3 subnets joined by a router
// namespace (nodes 1 and 2 on segment a, node 3 on segment b), brought up by the hooks;
// every container reaches every other over the overlay (IPv4 and IPv6 inside), a re-run
// changes nothing, drift is found and repaired (or refused), reload lets a peer leave and
// come back without rebuilding the link, the cluster address answers a client that joined
// with server-config, stop leaves nothing; then the same over an IPv6 underlay. Root.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import {
  bringUp,
  createSimCluster,
  joinAsServer,
  links,
  onNode,
  reaches,
  runPhase,
  snapshot,
  writeConfig,
  type SimCluster,
} from '../sim/cluster.js';
import { CIP, macToNode, probe, setupClient, startListeners, verdict } from '../sim/clients.js';
import { vxlanConf } from '../helpers/fixtures.js';

const NODES = [1, 2, 3];
const CLUSTER_IP = `
[clusterip]
address = ${CIP}
mac = 01:00:5e:04:c0:01
seed = 0xdeadbeef
`;
const conf = (
  o: { nodes?: string; underlay?: string; node3?: string | null; extra?: string } = {},
) =>
  vxlanConf({
    nodes: o.nodes,
    net: `address6 = fd00:4:135::/64\n${o.extra ?? ''}`,
    rest: `${CLUSTER_IP}\n${o.node3 === null ? '' : `[node 3]\nunderlay = ${o.node3 ?? '192.168.20.3/24'}\n`}`,
  }).replace('underlay = 192.168.10.0/24', `underlay = ${o.underlay ?? '192.168.10.0/24'}`);

/** Reaches `to` within a few seconds (IPv6 neighbour discovery takes a moment). */
async function reachesSoon(sim: SimCluster, from: string, to: string): Promise<boolean> {
  for (let i = 0; i < 8; i++) {
    if (await reaches(sim, from, to)) return true;
    await new Promise((r) => setTimeout(r, 250));
  }
  return false;
}

/** Every container pinging every other, IPv4 and IPv6: the pairs that failed. */
async function allPairs(sim: SimCluster): Promise<string[]> {
  const failed: string[] = [];
  await Promise.all(
    NODES.flatMap((from) =>
      NODES.filter((to) => to !== from).flatMap((to) =>
        [`10.4.135.${to}`, `fd00:4:135::${to}`].map(async (address) => {
          if (!(await reachesSoon(sim, sim.container(from), address)))
            failed.push(`${from} → ${address}`);
        }),
      ),
    ),
  );
  return failed.sort();
}

const fdbOf = async (sim: SimCluster, id: number): Promise<string[]> => {
  const r = await sim.exec(sim.container(id), ['bridge', '-json', 'fdb', 'show', 'dev', 'krg0']);
  return (JSON.parse(r.stdout || '[]') as { mac: string; dst?: string; state?: string }[])
    .filter((e) => e.dst !== undefined && e.state === 'permanent')
    .map((e) => `${e.mac} ${e.dst}`)
    .sort();
};
const krg0 = async (sim: SimCluster, id: number) =>
  (await links(sim, sim.container(id))).find((l) => l.ifname === 'krg0');
const check = (sim: SimCluster, config: string, id: number) => onNode(sim, config, id, ['check']);

/** What a stopped node leaves: lo in the container; eth0 and lo on the host, none of our routes or neighbours. */
async function leftovers(sim: SimCluster, id: number): Promise<string[]> {
  const out: string[] = [];
  const inside = (await links(sim, sim.container(id))).map((l) => l.ifname);
  if (inside.join() !== 'lo') out.push(`container ${id}: ${inside.join(',')}`);
  const host = (await links(sim, sim.host(id))).map((l) => l.ifname).sort();
  if (host.join() !== 'eth0,lo') out.push(`host ${id}: ${host.join(',')}`);
  for (const what of [
    ['route', 'show', 'table', 'all', 'proto', '211'],
    ['neigh', 'show', 'proto', '211'],
  ]) {
    const r = await sim.exec(sim.host(id), ['ip', ...what]);
    if (r.stdout.trim() !== '') out.push(`host ${id} ${what[0]}: ${r.stdout.trim()}`);
  }
  return out;
}

const v4 = suite('vxlan over an IPv4 underlay, across a router');
let sim: SimCluster;
let config: string;

v4.before(async () => {
  sim = await createSimCluster({ nodes: NODES, segments: { 3: 'b' }, router: true, client: true });
  config = writeConfig(conf());
});
v4.after(async () => {
  await sim?.destroy();
});

v4(
  'an explicit MTU above the device less 50 is refused before anything is made; so is a device without the VTEP',
  async () => {
    const big = writeConfig(conf({ extra: 'mtu = 1460' }));
    const r = await runPhase(sim, big, 1, 'boot-post');
    assert.is(r.exitCode, 2, r.stderr);
    assert.match(
      r.stderr,
      /net\.mtu: node 1: 1460 is above what eth0 allows \(its MTU is 1500, less 50 for vxlan\); allowed: 68 to 1450/,
    );
    const elsewhere = writeConfig(
      conf({ extra: '' }).replace('[node 3]', '[node 1]\nunderlay = 192.168.10.77/24\n\n[node 3]'),
    );
    const blocked = await runPhase(sim, elsewhere, 1, 'boot-post');
    assert.is(blocked.exitCode, 1, blocked.stderr);
    assert.match(blocked.stderr, /eth0 does not carry 192\.168\.10\.77 \(this node's underlay\)/);
    assert.equal(
      (await links(sim, sim.container(1))).map((l) => l.ifname),
      ['lo'],
    );
  },
);

v4(
  'the hooks bring up every node; every container reaches every other over the overlay, IPv4 and IPv6',
  async () => {
    const runs = await bringUp(sim, config, NODES);
    assert.equal(
      runs.filter((r) => r.exitCode !== 0).map((r) => `${r.node} ${r.phase}: ${r.stderr}`),
      [],
    );
    for (const id of NODES) {
      const link = await krg0(sim, id);
      assert.is(link?.linkinfo?.info_kind, 'vxlan');
      assert.is(link?.mtu, 1450, 'auto: 1500 less 50');
      assert.is(link?.ifalias, 'clusternet');
    }
    assert.equal(await fdbOf(sim, 3), [
      '00:00:00:00:00:00 192.168.10.1',
      '00:00:00:00:00:00 192.168.10.100',
      '00:00:00:00:00:00 192.168.10.2',
      '02:00:00:00:07:01 192.168.10.1',
      '02:00:00:00:07:02 192.168.10.2',
    ]);
    // The UDP socket stays in the host: nothing of the overlay's in the host's links.
    assert.equal((await links(sim, sim.host(1))).map((l) => l.ifname).sort(), ['eth0', 'lo']);
    assert.equal(await allPairs(sim), []);
  },
);

v4('a second run of every phase changes nothing', async () => {
  const before = await Promise.all([snapshot(sim, sim.container(1)), snapshot(sim, sim.host(1))]);
  for (const phase of ['boot-post', 'init-pre', 'init-post'] as const) {
    const again = await runPhase(sim, config, 1, phase);
    assert.is(again.exitCode, 0, again.stderr);
    assert.match(again.stderr + again.stdout, new RegExp(`${phase}: nothing to change`));
  }
  assert.equal(
    await Promise.all([snapshot(sim, sim.container(1)), snapshot(sim, sim.host(1))]),
    before,
  );
  const ok = await check(sim, config, 1);
  assert.is(ok.exitCode, 0, ok.stdout + ok.stderr);
  const status = await onNode(sim, config, 1, ['status']);
  assert.is(status.exitCode, 0, status.stdout + status.stderr);
  assert.match(status.stdout, /vxlan 42/);
});

v4(
  'a deleted peer entry is missing, a hand-made one unexpected: check says so, run repairs both',
  async () => {
    const del = await sim.exec(sim.container(1), [
      'bridge',
      'fdb',
      'del',
      '00:00:00:00:00:00',
      'dev',
      'krg0',
      'dst',
      '192.168.20.3',
      'self',
    ]);
    assert.is(del.exitCode, 0, del.stderr);
    const add = await sim.exec(sim.container(1), [
      'bridge',
      'fdb',
      'append',
      '00:00:00:00:00:00',
      'dev',
      'krg0',
      'dst',
      '192.168.10.99',
      'self',
      'permanent',
    ]);
    assert.is(add.exitCode, 0, add.stderr);
    const drift = await check(sim, config, 1);
    assert.is(drift.exitCode, 1, drift.stdout + drift.stderr);
    assert.match(
      drift.stdout,
      /PROBLEM\s+init-pre\s+.*bridge fdb append 00:00:00:00:00:00 dev krg0 dst 192\.168\.20\.3 self permanent\s+→ missing/,
    );
    assert.match(
      drift.stdout,
      /PROBLEM\s+init-pre\s+.*forwarding entry 00:00:00:00:00:00 dst 192\.168\.10\.99 on krg0\s+→ unexpected/,
    );
    const fix = await runPhase(sim, config, 1, 'init-pre');
    assert.is(fix.exitCode, 0, fix.stderr);
    const again = await check(sim, config, 1);
    assert.is(again.exitCode, 0, again.stdout + again.stderr);
    assert.ok((await fdbOf(sim, 1)).includes('00:00:00:00:00:00 192.168.20.3'));
    assert.not.ok((await fdbOf(sim, 1)).some((e) => e.endsWith('192.168.10.99')));
  },
);

v4(
  'an MTU changed by hand differs and is set back in place by boot-post, the link kept',
  async () => {
    const index = (await krg0(sim, 1))?.ifindex;
    assert.is(
      (await sim.exec(sim.container(1), ['ip', 'link', 'set', 'dev', 'krg0', 'mtu', '1300']))
        .exitCode,
      0,
    );
    const drift = await check(sim, config, 1);
    assert.is(drift.exitCode, 1, drift.stdout);
    assert.match(
      drift.stdout,
      /PROBLEM\s+boot-post\s+.*type vxlan id 42 .*differs: want mtu 1450, have mtu 1300/,
    );
    const fix = await runPhase(sim, config, 1, 'boot-post');
    assert.is(fix.exitCode, 0, fix.stderr);
    const link = await krg0(sim, 1);
    assert.equal([link?.mtu, link?.ifindex], [1450, index]);
    assert.is((await check(sim, config, 1)).exitCode, 0);
  },
);

v4(
  'a VXLAN remade by hand with another id differs and is refused, nothing changed; stop and the phases again mend it',
  async () => {
    const c2 = sim.container(2);
    for (const argv of [
      ['ip', '-n', c2, 'link', 'del', 'krg0'],
      [
        'ip',
        'link',
        'add',
        'name',
        'cnx2',
        'netns',
        c2,
        'address',
        '02:00:00:00:07:02',
        'type',
        'vxlan',
        'id',
        '43',
        'dev',
        'eth0',
        'local',
        '192.168.10.2',
        'dstport',
        '4789',
        'nolearning',
      ],
      ['ip', '-n', c2, 'link', 'set', 'dev', 'cnx2', 'name', 'krg0', 'alias', 'clusternet'],
    ]) {
      const r = await sim.exec(sim.host(2), argv);
      assert.is(r.exitCode, 0, `${argv.join(' ')}: ${r.stderr}`);
    }
    const drift = await check(sim, config, 2);
    assert.is(drift.exitCode, 1, drift.stdout);
    assert.match(
      drift.stdout,
      /PROBLEM\s+boot-post\s+.*type vxlan id 42 .*differs: want id 42, have id 43/,
    );
    const before = await snapshot(sim, c2);
    const refused = await runPhase(sim, config, 2, 'boot-post');
    assert.is(refused.exitCode, 1, refused.stderr);
    assert.match(
      refused.stderr,
      /cannot be corrected in place \(run stop, then the phases again\)/,
    );
    assert.is(await snapshot(sim, c2), before);
    for (const phase of ['stop', 'boot-pre', 'boot-post', 'init-pre', 'init-post'] as const) {
      const r = await runPhase(sim, config, 2, phase);
      assert.is(r.exitCode, 0, `${phase}: ${r.stderr}`);
    }
    assert.is((await check(sim, config, 2)).exitCode, 0);
  },
);

v4('reload: node 3 leaves (its entries go, the link stays), then comes back', async () => {
  const index = (await krg0(sim, 1))?.ifindex;
  const edited = writeConfig(conf({ nodes: '1-2', node3: null }));
  const reload = (path: string) => onNode(sim, path, 1, ['reload']);
  const gone = await reload(edited);
  assert.is(gone.exitCode, 0, gone.stderr);
  assert.equal(await fdbOf(sim, 1), [
    '00:00:00:00:00:00 192.168.10.100',
    '00:00:00:00:00:00 192.168.10.2',
    '02:00:00:00:07:02 192.168.10.2',
  ]);
  assert.is((await krg0(sim, 1))?.ifindex, index, 'the link was not rebuilt');
  const back = await reload(config);
  assert.is(back.exitCode, 0, back.stderr);
  assert.ok((await fdbOf(sim, 1)).includes('02:00:00:00:07:03 192.168.20.3'));
  assert.is((await krg0(sim, 1))?.ifindex, index);
  assert.is((await check(sim, config, 1)).exitCode, 0);
  assert.ok(await reachesSoon(sim, sim.container(1), '10.4.135.3'));
});

v4(
  'the cluster address over the overlay: a client joined with server-config --underlay, 32 sources answered exactly once',
  async () => {
    const joined = await joinAsServer(sim, sim.client, config, '10.4.135.254', [
      '--underlay',
      '192.168.10.100',
    ]);
    assert.is(joined.result.exitCode, 0, joined.commands + joined.result.stderr);
    assert.match(
      joined.commands,
      /bridge fdb append 00:00:00:00:00:00 dev krg0 dst 192\.168\.20\.3 self permanent/,
    );
    const setup = await setupClient(sim, CIP, 32, 'krg0');
    const stop = startListeners(sim, NODES);
    try {
      await new Promise((r) => setTimeout(r, 500));
      const v = verdict(setup, await probe(sim, setup, macToNode));
      assert.equal(v.problems, []);
      assert.is(v.answeredOnce, 32);
      assert.equal(Object.keys(v.spread).sort(), ['1', '2', '3'], 'every node answers some');
    } finally {
      stop();
    }
  },
);

v4('stop leaves nothing; a second stop has nothing to change', async () => {
  for (const id of NODES) {
    const r = await runPhase(sim, config, id, 'stop');
    assert.is(r.exitCode, 0, r.stderr);
  }
  assert.equal((await Promise.all(NODES.map((id) => leftovers(sim, id)))).flat(), []);
  const again = await runPhase(sim, config, 1, 'stop');
  assert.is(again.exitCode, 0, again.stderr);
  assert.match(again.stderr + again.stdout, /stop: nothing to change/);
});

v4(
  'over an IPv6 underlay: MTU 1430, every container reaches every other, stop leaves nothing',
  async () => {
    const v6 = writeConfig(
      conf({ underlay: 'fd10:a::/64', node3: 'fd10:b::3/64' }).replace(
        'vxlan-peers = 192.168.10.100',
        '',
      ),
    );
    const runs = await bringUp(sim, v6, NODES);
    assert.equal(
      runs.filter((r) => r.exitCode !== 0).map((r) => `${r.node} ${r.phase}: ${r.stderr}`),
      [],
    );
    const link = await krg0(sim, 3);
    assert.is(link?.mtu, 1430);
    assert.is(
      (link?.linkinfo?.info_data as Record<string, unknown> | undefined)?.local6,
      'fd10:b::3',
    );
    assert.equal(await allPairs(sim), []);
    assert.is((await check(sim, v6, 3)).exitCode, 0);
    for (const id of NODES) assert.is((await runPhase(sim, v6, id, 'stop')).exitCode, 0);
    assert.equal((await Promise.all(NODES.map((id) => leftovers(sim, id)))).flat(), []);
  },
);

v4.run();
