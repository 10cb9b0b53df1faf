// Routed per-node segments (link = bridge, routing = per-node) on the two-segment sim with
// the router: nodes 1 and 2 share segment a, node 3 is on segment b. Node N's container is
// 10.5.N.2 / fd05:0:0:N::2 on its host's cnbr0 (10.5.N.1, the gateway); n1 ↔ n2 route
// IPv4 directly via their underlay addresses, everything else goes through the hosts'
// VXLAN cnvx0 (IPv6 over an IPv4 underlay included). Every container reaches every other,
// a second boot changes nothing, route drift is found and repaired, stop leaves no routes,
// neighbours or devices of ours, reload drops a leaving node's routes without a rebuild.
// Needs root; every namespace is the sim's own.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import {
  bringUp,
  createSimCluster,
  links,
  onNode,
  reaches,
  runPhase,
  writeConfig,
  type SimCluster,
} from '../sim/cluster.js';
import { stableSnapshot as snapshot } from '../sim/stable.js';
import { routedConf } from '../helpers/fixtures.js';

const NODES = [1, 2, 3];
const conf = (nodes = '1-3', node3 = true) => routedConf({ nodes, node3 });

async function reachesSoon(sim: SimCluster, from: string, to: string): Promise<boolean> {
  for (let i = 0; i < 16; i++) {
    if (await reaches(sim, from, to)) return true;
    await new Promise((r) => setTimeout(r, 250));
  }
  return false;
}

/** Our routes (protocol 211) in node `id`'s host, both families: "DST via GW dev D". */
async function ourRoutes(sim: SimCluster, id: number): Promise<string[]> {
  const out: string[] = [];
  for (const family of ['-4', '-6']) {
    const r = await sim.exec(sim.host(id), ['ip', '-j', family, 'route', 'show', 'proto', '211']);
    for (const route of JSON.parse(r.stdout || '[]') as {
      dst: string;
      gateway?: string;
      dev: string;
    }[])
      out.push(`${route.dst} via ${route.gateway ?? '-'} dev ${route.dev}`);
  }
  return out.sort();
}

const ourNeighbours = async (sim: SimCluster, id: number) =>
  (
    JSON.parse(
      (await sim.exec(sim.host(id), ['ip', '-j', 'neigh', 'show', 'nud', 'permanent'])).stdout ||
        '[]',
    ) as { dst: string; protocol?: string }[]
  )
    .filter((n) => n.protocol === '211')
    .map((n) => n.dst)
    .sort();

const names = async (sim: SimCluster, ns: string) =>
  (await links(sim, ns)).map((l) => l.ifname).sort();
const ifindex = async (sim: SimCluster, ns: string, dev: string) =>
  ((await links(sim, ns)).find((l) => l.ifname === dev) as { ifindex?: number } | undefined)
    ?.ifindex;

const routed = suite('routing = per-node: a subnet per node, routes between them');
let sim: SimCluster;
let config: string;
const check = (id: number, path = config) => onNode(sim, path, id, ['check']);

routed.before(async () => {
  sim = await createSimCluster({ nodes: NODES, segments: { 3: 'b' }, router: true });
  config = writeConfig(conf());
});
routed.after(async () => {
  await sim?.destroy();
});

routed(
  "boot: each container in its node's subnet; n1 ↔ n2 routed directly, node 3 through the overlay",
  async () => {
    const runs = await bringUp(sim, config, NODES);
    assert.equal(
      runs.filter((r) => r.exitCode !== 0).map((r) => `${r.node} ${r.phase}: ${r.stderr}`),
      [],
    );
    assert.equal(await ourRoutes(sim, 1), [
      '10.5.2.0/24 via 192.168.10.2 dev eth0',
      '10.5.3.0/24 via 10.5.3.1 dev cnvx0',
      'fd05:0:0:2::/64 via fe80::ff:fe00:502 dev cnvx0',
      'fd05:0:0:3::/64 via fe80::ff:fe00:503 dev cnvx0',
    ]);
    assert.equal(await ourRoutes(sim, 3), [
      '10.5.1.0/24 via 10.5.1.1 dev cnvx0',
      '10.5.2.0/24 via 10.5.2.1 dev cnvx0',
      'fd05:0:0:1::/64 via fe80::ff:fe00:501 dev cnvx0',
      'fd05:0:0:2::/64 via fe80::ff:fe00:502 dev cnvx0',
    ]);
    for (const id of NODES) {
      assert.equal(await names(sim, sim.host(id)), ['cnbr0', `cnh${id}`, 'cnvx0', 'eth0', 'lo']);
      const inside = (await links(sim, sim.container(id))).find((l) => l.ifname === 'krg0');
      assert.equal(
        inside?.addr_info
          .filter((a) => !a.local.startsWith('fe80'))
          .map((a) => `${a.local}/${a.prefixlen}`),
        [`10.5.${id}.2/24`, `fd05:0:0:${id}::2/64`],
      );
      assert.is(inside?.mtu, 1450, 'room for the overlay');
      const fwd = await sim.exec(sim.host(id), [
        'cat',
        '/proc/sys/net/ipv4/ip_forward',
        '/proc/sys/net/ipv6/conf/all/forwarding',
      ]);
      assert.is(fwd.stdout, '1\n1\n');
    }
    const failed: string[] = [];
    for (const from of NODES) {
      for (const to of NODES) {
        if (from === to) continue;
        for (const address of [`10.5.${to}.2`, `fd05:0:0:${to}::2`])
          if (!(await reachesSoon(sim, sim.container(from), address)))
            failed.push(`${from} → ${address}`);
      }
    }
    assert.equal(failed, []);
  },
);

routed('a second boot changes nothing', async () => {
  const before = await Promise.all(
    NODES.flatMap((id) => [snapshot(sim, sim.host(id)), snapshot(sim, sim.container(id))]),
  );
  for (const id of [1, 3]) {
    for (const phase of ['boot-pre', 'boot-post', 'init-pre', 'init-post'] as const) {
      const again = await runPhase(sim, config, id, phase);
      assert.is(again.exitCode, 0, again.stderr);
      assert.match(again.stderr + again.stdout, new RegExp(`${phase}: nothing to change`));
    }
  }
  assert.equal(
    await Promise.all(
      NODES.flatMap((id) => [snapshot(sim, sim.host(id)), snapshot(sim, sim.container(id))]),
    ),
    before,
  );
});

routed('a deleted route is missing for check and put back by run', async () => {
  assert.is((await check(1)).exitCode, 0);
  assert.is((await sim.exec(sim.host(1), ['ip', 'route', 'del', '10.5.3.0/24'])).exitCode, 0);
  const drift = await check(1);
  assert.is(drift.exitCode, 1, drift.stdout + drift.stderr);
  assert.match(
    drift.stdout,
    /PROBLEM\s+boot-post\s+.*route add 10\.5\.3\.0\/24 via 10\.5\.3\.1 dev cnvx0 onlink proto 211.*missing/,
  );
  const fix = await runPhase(sim, config, 1, 'boot-post');
  assert.is(fix.exitCode, 0, fix.stderr);
  assert.match(
    fix.stderr + fix.stdout,
    /changed: .*route add 10\.5\.3\.0\/24 via 10\.5\.3\.1 dev cnvx0 onlink proto 211/,
  );
  assert.is((await check(1)).exitCode, 0);
  assert.ok(await reachesSoon(sim, sim.container(1), '10.5.3.2'));
});

routed(
  "a proto-211 route added by hand is unexpected for check and removed by run; a route of someone else's stays",
  async () => {
    assert.is(
      (
        await sim.exec(sim.host(2), [
          'ip',
          'route',
          'add',
          '10.5.99.0/24',
          'via',
          '192.168.10.1',
          'dev',
          'eth0',
          'proto',
          '211',
        ])
      ).exitCode,
      0,
    );
    assert.is(
      (
        await sim.exec(sim.host(2), [
          'ip',
          'route',
          'add',
          '10.5.98.0/24',
          'via',
          '192.168.10.1',
          'dev',
          'eth0',
        ])
      ).exitCode,
      0,
    );
    const drift = await check(2);
    assert.is(drift.exitCode, 1, drift.stdout + drift.stderr);
    assert.match(
      drift.stdout,
      /route 10\.5\.99\.0\/24 via 192\.168\.10\.1 dev eth0 \(protocol 211\)/,
    );
    assert.not.match(drift.stdout, /10\.5\.98\.0/);
    const fix = await runPhase(sim, config, 2, 'boot-post');
    assert.is(fix.exitCode, 0, fix.stderr);
    assert.match(
      fix.stderr + fix.stdout,
      /changed: .*route del 10\.5\.99\.0\/24 via 192\.168\.10\.1 dev eth0 proto 211/,
    );
    assert.is((await check(2)).exitCode, 0);
    const left = await sim.exec(sim.host(2), ['ip', 'route', 'show', '10.5.98.0/24']);
    assert.match(left.stdout, /10\.5\.98\.0\/24 via 192\.168\.10\.1/);
    assert.is((await sim.exec(sim.host(2), ['ip', 'route', 'del', '10.5.98.0/24'])).exitCode, 0);
  },
);

routed(
  'reload: node 3 leaves (its routes and neighbours go, nothing is rebuilt), then comes back',
  async () => {
    const before = {
      vx: await ifindex(sim, sim.host(1), 'cnvx0'),
      br: await ifindex(sim, sim.host(1), 'cnbr0'),
      krg0: await ifindex(sim, sim.container(1), 'krg0'),
    };
    const edited = writeConfig(conf('1-2', false));
    const reload = (path: string) => onNode(sim, path, 1, ['reload']);
    const gone = await reload(edited);
    assert.is(gone.exitCode, 0, gone.stderr);
    assert.equal(await ourRoutes(sim, 1), [
      '10.5.2.0/24 via 192.168.10.2 dev eth0',
      'fd05:0:0:2::/64 via fe80::ff:fe00:502 dev cnvx0',
    ]);
    assert.equal(await ourNeighbours(sim, 1), ['fe80::ff:fe00:502']);
    const after = {
      vx: await ifindex(sim, sim.host(1), 'cnvx0'),
      br: await ifindex(sim, sim.host(1), 'cnbr0'),
      krg0: await ifindex(sim, sim.container(1), 'krg0'),
    };
    assert.equal(after, before, 'no link rebuilt');
    const back = await reload(config);
    assert.is(back.exitCode, 0, back.stderr);
    assert.is((await ourRoutes(sim, 1)).length, 4);
    assert.equal(await ourNeighbours(sim, 1), [
      '10.5.3.1',
      'fe80::ff:fe00:502',
      'fe80::ff:fe00:503',
    ]);
    assert.is((await check(1)).exitCode, 0);
    assert.ok(await reachesSoon(sim, sim.container(1), 'fd05:0:0:3::2'));
  },
);

routed(
  'stop leaves no route, neighbour, forwarding entry or device of ours; a second stop has nothing to change',
  async () => {
    for (const id of NODES) {
      const stop = await runPhase(sim, config, id, 'stop');
      assert.is(stop.exitCode, 0, stop.stderr);
      assert.equal(await names(sim, sim.host(id)), ['eth0', 'lo']);
      assert.equal(await names(sim, sim.container(id)), ['lo']);
      assert.equal(await ourRoutes(sim, id), []);
      assert.equal(await ourNeighbours(sim, id), []);
      const again = await runPhase(sim, config, id, 'stop');
      assert.is(again.exitCode, 0, again.stderr);
      assert.match(again.stderr + again.stdout, /stop: nothing to change/);
    }
    // The underlay still works: the hosts' own routes were never touched.
    assert.ok(await reachesSoon(sim, sim.host(1), '192.168.20.3'));
  },
);

routed.run();
