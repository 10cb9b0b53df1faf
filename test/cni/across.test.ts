// 3 nodes in two L3 subnets joined by a router namespace (nodes 1 and 2 on segment a,
// node 3 on segment b), 8 containers per node from clusternet-cni with the bridge delegate,
// dual stack: every container reaches every other, across nodes and across the router,
// with no NAT (the source address a container sees is the sender's own). CHECK passes,
// DEL leaves no lease, link or route. Needs root.
//
// The routes between the nodes' ranges are laid here by the test, as an L3 fabric would
// (a host route to an on-link peer's range via its address; the router knows every
// range): clusternet's own routed per-node segments (issue 14, [net] routing = per-node)
// are to lay the hosts' part; this proves the containers' side.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { $ } from 'zx';
import { bridgePorts, createCniLab, resultIps, type CniLab } from './harness.js';
import { ROUTER } from '../sim/cluster.js';

const NODES = [1, 2, 3];
const SEGMENT: Record<number, 'a' | 'b'> = { 1: 'a', 2: 'a', 3: 'b' };
const PER_NODE = 8;
let lab: CniLab;
const placed: { node: number; ns: string; v4: string; v6: string; result: Record<string, unknown> }[] = [];
const range4 = (id: number) => `10.60.${id}.0/24`;
const range6 = (id: number) => `fd60:0:0:${id}::/64`;
const bare = (cidr: string) => cidr.split('/')[0]!;

test.before(async () => {
  lab = await createCniLab(NODES, 'network = 10.60.0.0/16\nnode-prefix = 24\nnetwork6 = fd60::/48\nnode-prefix6 = 64', undefined, { segments: SEGMENT, router: true });
  const { sim } = lab;
  for (const id of NODES) {
    for (const peer of NODES.filter((p) => p !== id)) {
      const onLink = SEGMENT[peer] === SEGMENT[id];
      const via = onLink ? sim.underlay(peer) : { v4: ROUTER[SEGMENT[id]!].v4, v6: ROUTER[SEGMENT[id]!].v6 };
      await $`ip -n ${sim.host(id)} route replace ${range4(peer)} via ${bare(via.v4)}`;
      await $`ip -n ${sim.host(id)} -6 route replace ${range6(peer)} via ${bare(via.v6)}`;
    }
    await $`ip -n ${sim.router} route replace ${range4(id)} via ${bare(sim.underlay(id).v4)}`;
    await $`ip -n ${sim.router} -6 route replace ${range6(id)} via ${bare(sim.underlay(id).v6)}`;
  }
});
test.after(async () => {
  await lab?.destroy();
});

test(`ADD: ${PER_NODE} containers on each of 3 nodes, each from its node's ranges`, async () => {
  for (const node of NODES) {
    for (let i = 0; i < PER_NODE; i++) {
      const ns = await lab.container();
      const r = await lab.call(node, 'ADD', ns);
      assert.is(r.exitCode, 0, `${r.stdout}${r.stderr}`);
      const [v4, v6] = resultIps(r.json);
      assert.match(v4!, new RegExp(`^10\\.60\\.${node}\\.\\d+/24$`));
      assert.match(v6!, new RegExp(`^fd60:0:0:${node}::[0-9a-f]+/64$`));
      placed.push({ node, ns, v4: bare(v4!), v6: bare(v6!), result: r.json! });
    }
  }
  // Node 3's host forwards (the bridge plugin turns forwarding on where it runs).
  assert.match((await $`ip netns exec ${lab.sim.host(3)} sysctl -n net.ipv4.ip_forward`).stdout, /1/);
});

/** Every address in `targets` answers `from`; the failures listed. */
async function unreachable(from: string, targets: string[]): Promise<string[]> {
  // One shell per source, the targets as its arguments (addresses from the plugins' results).
  const loop = 'for ip in "$@"; do ping -c 1 -W 2 -q "$ip" >/dev/null 2>&1 || echo "$ip"; done';
  const r = await $({ nothrow: true })`ip netns exec ${from} sh -c ${loop} sh ${targets}`;
  return r.stdout.split('\n').filter(Boolean);
}

test('every container reaches every other, on its node and on the others, over IPv4 and IPv6', async () => {
  const failures = await Promise.all(
    placed.map(async (from) => {
      const others = placed.filter((p) => p !== from);
      const lost = await unreachable(from.ns, [...others.map((p) => p.v4), ...others.map((p) => p.v6)]);
      return lost.map((ip) => `node ${from.node} ${from.v4} → ${ip}`);
    }),
  );
  assert.equal(failures.flat(), []);
});

test('no NAT: node 3\'s container sees the echo requests of node 1\'s container from its own address', async () => {
  const a = placed.find((p) => p.node === 1)!;
  const c = placed.find((p) => p.node === 3)!;
  // A counting rule in c's own namespace: it matches only packets whose source is a's address.
  await $`ip netns exec ${c.ns} iptables -A INPUT -p icmp -s ${a.v4} -j ACCEPT`;
  assert.equal(await unreachable(a.ns, [c.v4]), []);
  const counted = (await $`ip netns exec ${c.ns} iptables -L INPUT -v -n -x`).stdout;
  const row = counted.split('\n').find((l) => l.includes(a.v4));
  assert.ok(row && Number(row.trim().split(/\s+/)[0]) >= 1, counted);
});

test('CHECK passes for every container; DEL leaves no lease, no port and no route in the container', async () => {
  for (const p of placed) {
    const check = await lab.call(p.node, 'CHECK', p.ns, { conf: { prevResult: p.result } });
    assert.is(check.exitCode, 0, `${p.ns}: ${check.stdout}`);
  }
  for (const p of placed) {
    assert.is((await lab.call(p.node, 'DEL', p.ns)).exitCode, 0);
    assert.is((await lab.call(p.node, 'DEL', p.ns)).exitCode, 0, 'DEL twice');
    assert.is((await $`ip -n ${p.ns} route show`).stdout.trim(), '');
  }
  assert.equal(lab.leases(), []);
  for (const id of NODES) assert.equal(await bridgePorts(lab.sim.host(id)), []);
});

test.run();
