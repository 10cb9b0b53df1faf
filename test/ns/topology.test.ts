// The test topology new link kinds are proven on (test/sim/cluster.ts): node hosts on two
// L3 segments joined by a router namespace reach each other over IPv4 and IPv6; and
// today's macvlan kind, dual-stack with gateway6, where every container reaches every
// other over IPv6, `check` finds a missing IPv6 default route, `run` puts it back and
// `stop` removes it. Needs root; every namespace is the sim's own.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import {
  bringUp,
  createSimCluster,
  reaches,
  runPhase,
  snapshot,
  writeConfig,
  type SimCluster,
} from '../sim/cluster.js';

/** Reaches `to` within a few seconds (IPv6 neighbour discovery and DAD take a moment). */
async function reachesSoon(sim: SimCluster, from: string, to: string): Promise<boolean> {
  for (let i = 0; i < 8; i++) {
    if (await reaches(sim, from, to)) return true;
    await new Promise((r) => setTimeout(r, 250));
  }
  return false;
}

const bare = (cidr: string) => cidr.split('/')[0]!;

const routed = suite('topology: two segments and a router');
let two: SimCluster;

routed.before(async () => {
  two = await createSimCluster({
    nodes: [1, 2, 3],
    segments: { 3: 'b' },
    router: true,
    client: true,
  });
});
routed.after(async () => {
  await two?.destroy();
});

routed(
  'node hosts on one segment and across the router reach each other, IPv4 and IPv6',
  async () => {
    assert.equal(two.underlay(1), { v4: '192.168.10.1/24', v6: 'fd10:a::1/64' });
    assert.equal(two.underlay(3), { v4: '192.168.20.3/24', v6: 'fd10:b::3/64' });
    const failed: string[] = [];
    for (const from of [1, 2, 3]) {
      for (const to of [1, 2, 3]) {
        if (from === to) continue;
        for (const address of [bare(two.underlay(to).v4), bare(two.underlay(to).v6)]) {
          if (!(await reachesSoon(two, two.host(from), address)))
            failed.push(`${from} → ${to} ${address}`);
        }
      }
    }
    assert.equal(failed, []);
    // The client on segment a reaches node 3 on segment b.
    assert.ok(await reachesSoon(two, two.client, '192.168.20.3'));
    assert.ok(await reachesSoon(two, two.client, 'fd10:b::3'));
  },
);

routed('forwarding is on in the router namespace only; hosts route through it', async () => {
  const forward = await two.exec(two.router, [
    'cat',
    '/proc/sys/net/ipv4/ip_forward',
    '/proc/sys/net/ipv6/conf/all/forwarding',
  ]);
  assert.is(forward.stdout, '1\n1\n');
  const host = await two.exec(two.host(3), ['cat', '/proc/sys/net/ipv4/ip_forward']);
  assert.is(host.stdout, '0\n');
  const route = await two.exec(two.host(1), ['ip', 'route', 'get', '192.168.20.3']);
  assert.match(route.stdout, /via 192\.168\.10\.254 dev eth0/);
});

const CONFIG = `
[cluster]
nodes = 1-3

[net]
link = macvlan
device = eth0
interface = krg0
mac = 02:00:00:00:09:00
address = 10.4.135.0/18
address6 = fd00:4:135::/64
gateway = 10.4.135.254
gateway6 = fd00:4:135::fe
`;

const dual = suite('macvlan, dual-stack with gateway6');
let one: SimCluster;
let config: string;

dual.before(async () => {
  one = await createSimCluster({ nodes: [1, 2, 3] });
  config = writeConfig(CONFIG);
});
dual.after(async () => {
  await one?.destroy();
});

dual(
  "every node's container reaches every other over IPv6 (and IPv4); both default routes in place",
  async () => {
    const runs = await bringUp(one, config, [1, 2, 3]);
    assert.equal(
      runs.filter((r) => r.exitCode !== 0).map((r) => `${r.node} ${r.phase}: ${r.stderr}`),
      [],
    );
    const failed: string[] = [];
    for (const from of [1, 2, 3]) {
      for (const to of [1, 2, 3]) {
        if (from === to) continue;
        for (const address of [`fd00:4:135::${to}`, `10.4.135.${to}`]) {
          if (!(await reachesSoon(one, one.container(from), address)))
            failed.push(`${from} → ${address}`);
        }
      }
    }
    assert.equal(failed, []);
    const v6 = await one.exec(one.container(2), ['ip', '-6', 'route', 'show', 'default']);
    assert.match(v6.stdout, /^default via fd00:4:135::fe dev krg0 proto 211/m);
    const v4 = await one.exec(one.container(2), ['ip', 'route', 'show', 'default']);
    assert.match(v4.stdout, /^default via 10\.4\.135\.254 dev krg0 proto 211/m);
  },
);

dual('a second boot changes nothing', async () => {
  const before = await snapshot(one, one.container(1));
  const again = await runPhase(one, config, 1, 'init-pre');
  assert.is(again.exitCode, 0, again.stderr);
  assert.match(again.stderr + again.stdout, /init-pre: nothing to change/);
  assert.is(await snapshot(one, one.container(1)), before);
});

dual('check finds the IPv6 default route missing; run puts it back', async () => {
  const check = ['check', '--node', '1', '-c', config, '--netns', one.container(1)];
  const ok = await one.cli(one.host(1), check);
  assert.is(ok.exitCode, 0, ok.stdout + ok.stderr);
  const del = await one.exec(one.container(1), [
    'ip',
    '-6',
    'route',
    'del',
    'default',
    'via',
    'fd00:4:135::fe',
    'dev',
    'krg0',
  ]);
  assert.is(del.exitCode, 0, del.stderr);
  const drift = await one.cli(one.host(1), check);
  assert.is(drift.exitCode, 1, drift.stdout + drift.stderr);
  assert.match(
    drift.stdout,
    /PROBLEM\s+init-pre\s+.*route add default via fd00:4:135::fe dev krg0.*missing/,
  );
  assert.not.match(drift.stdout, /PROBLEM.*route add default via 10\.4\.135\.254/);
  const fix = await runPhase(one, config, 1, 'init-pre');
  assert.is(fix.exitCode, 0, fix.stderr);
  assert.match(
    fix.stderr + fix.stdout,
    /changed: .*route add default via fd00:4:135::fe dev krg0 proto 211/,
  );
  const again = await one.cli(one.host(1), check);
  assert.is(again.exitCode, 0, again.stdout + again.stderr);
});

dual('stop removes both default routes with the rest', async () => {
  const stop = await runPhase(one, config, 1, 'stop', ['-v']);
  assert.is(stop.exitCode, 0, stop.stderr);
  assert.match(
    stop.stderr + stop.stdout,
    /route del default via fd00:4:135::fe dev krg0 proto 211/,
  );
  assert.match(
    stop.stderr + stop.stdout,
    /route del default via 10\.4\.135\.254 dev krg0 proto 211/,
  );
  const left = await one.exec(one.container(1), ['ip', '-o', 'link', 'show']);
  assert.equal(
    left.stdout
      .trim()
      .split('\n')
      .map((l) => l.split(':')[1]!.trim()),
    ['lo'],
  );
});

routed.run();
dual.run();
