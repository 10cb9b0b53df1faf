// 3 nodes in two L3 subnets joined by a router namespace (nodes 1 and 2 on segment a,
// node 3 on segment b), brought up by clusternet's own hooks with routed per-node segments
// ([net] link = bridge, routing = per-node: node N's subnet 10.5.N.0/24 and
// fd05:0:0:N::/64 on its cnbr0, n1 ↔ n2 routed directly, node 3 through the hosts' VXLAN),
// and 8 containers per node from clusternet-cni with the bridge delegate on that same
// bridge: [cni] names no network, it is the segment's. Every container reaches every other
// and every node's cluster container, across nodes and across the router, dual stack, with
// no NAT (the source address a container sees is the sender's own). CHECK passes, DEL
// (twice) leaves no lease, link or route, and `clusternet stop` then leaves the hosts as
// the sim made them. Needs root.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { $ } from 'zx';
import { bridgePorts, createCniLab, resultIps, type CniLab } from './harness.js';
import { bringUp, links, onNode, runPhase } from '../sim/cluster.js';
import { routedConf } from '../helpers/fixtures.js';

const NODES = [1, 2, 3];
const PER_NODE = 8;
const BRIDGE = 'cnbr0';
let lab: CniLab;
const placed: {
  node: number;
  ns: string;
  v4: string;
  v6: string;
  result: Record<string, unknown>;
}[] = [];
const bare = (cidr: string) => cidr.split('/')[0]!;
/** Node N's cluster container on its routed segment: subnet + 2. */
const clusterContainer = (id: number) => [`10.5.${id}.2`, `fd05:0:0:${id}::2`];

test.before(async () => {
  // The routed fixture's [net] (and [node 3]); [cni] only names the lease folder and network.
  const net = routedConf().replace(/^[^]*?\[net\]\n/, '');
  lab = await createCniLab(NODES, '', net, { segments: { 3: 'b' }, router: true });
  const runs = await bringUp(lab.sim, lab.config, NODES);
  assert.equal(
    runs.filter((r) => r.exitCode !== 0).map((r) => `${r.node} ${r.phase}: ${r.stderr}`),
    [],
  );
});
test.after(async () => {
  await lab?.destroy();
});

test(`ADD: ${PER_NODE} containers on each of 3 nodes, from subnet+3 of the node's routed segment, on its cnbr0`, async () => {
  for (const node of NODES) {
    for (let i = 0; i < PER_NODE; i++) {
      const ns = await lab.container();
      const r = await lab.call(node, 'ADD', ns);
      assert.is(r.exitCode, 0, `${r.stdout}${r.stderr}`);
      const [v4, v6] = resultIps(r.json);
      assert.is(v4, `10.5.${node}.${3 + i}/24`);
      assert.match(v6!, new RegExp(`^fd05:0:0:${node}::[0-9a-f]+/64$`));
      placed.push({ node, ns, v4: bare(v4!), v6: bare(v6!), result: r.json! });
    }
    // The containers get the bridge's MTU: room for the overlay (1450 here).
    const mtu = async (ns: string, dev: string) =>
      (await links(lab.sim, ns)).find((l) => l.ifname === dev)?.mtu;
    assert.is(await mtu(placed.at(-1)!.ns, 'eth0'), await mtu(lab.sim.host(node), BRIDGE));
    assert.is(await mtu(lab.sim.host(node), BRIDGE), 1450);
    // The host's bridge kept its own addresses (the gateways the bridge plugin was given).
    const br = (await links(lab.sim, lab.sim.host(node))).find((l) => l.ifname === BRIDGE);
    assert.equal(
      br?.addr_info
        .filter((a) => !a.local.startsWith('fe80'))
        .map((a) => `${a.local}/${a.prefixlen}`),
      [`10.5.${node}.1/24`, `fd05:0:0:${node}::1/64`],
    );
    assert.is(
      (await bridgePorts(lab.sim.host(node), BRIDGE)).length,
      PER_NODE + 1,
      "the cluster container's veth and the 8 containers'",
    );
  }
});

/** Every address in `targets` answers `from`; the failures listed. */
async function unreachable(from: string, targets: string[]): Promise<string[]> {
  // One shell per source, the targets as its arguments (addresses from the plugins' results).
  const loop = 'for ip in "$@"; do ping -c 1 -W 2 -q "$ip" >/dev/null 2>&1 || echo "$ip"; done';
  const r = await $({ nothrow: true })`ip netns exec ${from} sh -c ${loop} sh ${targets}`;
  return r.stdout.split('\n').filter(Boolean);
}

test('every container reaches every other and every cluster container, on its node and on the others, over IPv4 and IPv6', async () => {
  const failures = await Promise.all(
    placed.map(async (from) => {
      const others = placed.filter((p) => p !== from);
      const lost = await unreachable(from.ns, [
        ...others.map((p) => p.v4),
        ...others.map((p) => p.v6),
        ...NODES.flatMap(clusterContainer),
      ]);
      return lost.map((ip) => `node ${from.node} ${from.v4} → ${ip}`);
    }),
  );
  assert.equal(failures.flat(), []);
});

test("no NAT: node 3's container sees the echo requests of node 1's container from its own address", async () => {
  const a = placed.find((p) => p.node === 1)!;
  const c = placed.find((p) => p.node === 3)!;
  // A counting rule in c's own namespace: it matches only packets whose source is a's address.
  await $`ip netns exec ${c.ns} iptables -A INPUT -p icmp -s ${a.v4} -j ACCEPT`;
  assert.equal(await unreachable(a.ns, [c.v4]), []);
  const counted = (await $`ip netns exec ${c.ns} iptables -L INPUT -v -n -x`).stdout;
  const row = counted.split('\n').find((l) => l.includes(a.v4));
  assert.ok(row && Number(row.trim().split(/\s+/)[0]) >= 1, counted);
});

test("clusternet check finds no drift with containers on the node's bridge", async () => {
  for (const id of NODES) {
    const r = await onNode(lab.sim, lab.config, id, ['check']);
    assert.is(r.exitCode, 0, r.stdout + r.stderr);
  }
});

test('CHECK passes for every container; DEL (twice) leaves no lease, no port and no route in the container', async () => {
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
  for (const id of NODES) assert.equal(await bridgePorts(lab.sim.host(id), BRIDGE), [`cnh${id}`]);
});

test('clusternet stop afterwards: each host as the sim made it (no bridge, overlay or route of ours)', async () => {
  for (const id of NODES) {
    const stop = await runPhase(lab.sim, lab.config, id, 'stop');
    assert.is(stop.exitCode, 0, stop.stderr);
    assert.equal((await links(lab.sim, lab.sim.host(id))).map((l) => l.ifname).sort(), [
      'eth0',
      'lo',
    ]);
    for (const family of ['-4', '-6'])
      assert.is(
        (await $`ip -n ${lab.sim.host(id)} ${family} route show proto 211`).stdout.trim(),
        '',
      );
    assert.is((await $`ip -n ${lab.sim.host(id)} neigh show nud permanent`).stdout.trim(), '');
  }
});

test.run();
