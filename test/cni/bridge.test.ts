// clusternet-cni with the reference bridge + host-local plugins, on this machine's kernel:
// 8 containers on one node reaching each other and the bridge (IPv4 and IPv6), CHECK
// passing, DEL leaving no lease, link or route, DEL twice tolerated. Needs root.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { $ } from 'zx';
import { createCniLab, bridgePorts, resultIps, type CniLab } from './harness.js';
import { between } from '../../lib/cni/range.js';
import { onNode } from '../sim/cluster.js';

let lab: CniLab;
const NODE = 2;
const containers: { ns: string; result: Record<string, unknown> }[] = [];

test.before(async () => {
  lab = await createCniLab(
    [1, 2, 3],
    'network = 10.244.0.0/16\nnode-prefix = 24\nnetwork6 = fd05::/48\nnode-prefix6 = 64\nmtu = 1400',
  );
});
test.after(async () => {
  await lab?.destroy();
});

const ping = async (ns: string, to: string) =>
  (await $({ nothrow: true })`ip netns exec ${ns} ping -c 1 -W 2 -q ${to}`).exitCode === 0;

test("ADD: 8 containers get addresses from node 2's range, both families, the bridge as gateway", async () => {
  for (let i = 0; i < 8; i++) {
    const ns = await lab.container();
    const r = await lab.call(NODE, 'ADD', ns);
    assert.is(r.exitCode, 0, `${r.stdout}${r.stderr}`);
    assert.is(r.json?.cniVersion, '1.0.0');
    const [v4, v6] = resultIps(r.json);
    assert.ok(
      v4 && between(v4.split('/')[0]!, '10.244.2.2', '10.244.2.254') && v4.endsWith('/24'),
      v4,
    );
    assert.ok(
      v6 &&
        between(v6.split('/')[0]!, 'fd05:0:0:2::2', 'fd05::2:ffff:ffff:ffff:fffe') &&
        v6.endsWith('/64'),
      v6,
    );
    const gateways = (r.json?.ips as { gateway: string }[]).map((ip) => ip.gateway);
    assert.equal(gateways, ['10.244.2.1', 'fd05:0:0:2::1']);
    containers.push({ ns, result: r.json! });
  }
  const addresses = containers.map((c) => resultIps(c.result)[0]);
  assert.is(new Set(addresses).size, 8);
  assert.is(lab.leases().length, 16, lab.leases().join(' '));
  assert.is((await bridgePorts(lab.sim.host(NODE))).length, 8);
  const bridge = JSON.parse(
    (await $`ip -n ${lab.sim.host(NODE)} -json address show dev cni0`).stdout,
  )[0];
  assert.ok(
    bridge.addr_info.some((a: { local: string }) => a.local === '10.244.2.1'),
    JSON.stringify(bridge.addr_info),
  );
  // The route to every node's containers goes through the bridge; the MTU is [cni]'s.
  const inside = (await $`ip -n ${containers[0]!.ns} route show`).stdout;
  assert.match(inside, /10\.244\.0\.0\/16 via 10\.244\.2\.1 dev eth0/);
  assert.match((await $`ip -n ${containers[0]!.ns} link show eth0`).stdout, /mtu 1400/);
});

test('every container reaches every other and the bridge, over IPv4 and IPv6', async () => {
  for (const from of containers) {
    assert.ok(await ping(from.ns, '10.244.2.1'), `${from.ns} → bridge`);
    for (const to of containers) {
      if (to === from) continue;
      const target = resultIps(to.result)[0]!.split('/')[0]!;
      assert.ok(await ping(from.ns, target), `${from.ns} → ${target}`);
    }
  }
  const [a, b] = containers;
  assert.ok(
    await ping(a!.ns, resultIps(b!.result)[1]!.split('/')[0]!),
    'IPv6 container to container',
  );
  assert.ok(await ping(a!.ns, 'fd05:0:0:2::1'), 'IPv6 to the bridge');
});

test("status: each node's range, size, used (node 2's leases), free, %", async () => {
  const r = await onNode(lab.sim, lab.config, NODE, ['status']);
  // Exit 1: node 2's cluster network itself is not set up here; the ranges are shown all the same.
  assert.is(r.exitCode, 1, r.stderr);
  assert.match(r.stdout, /^cni\/1 +cni bridge +10\.244\.1\.0\/24 +253 +- +- +-$/m);
  assert.match(r.stdout, /^cni\/2 +cni bridge +10\.244\.2\.0\/24 +253 +8 +245 +3\.16%$/m);
  assert.match(r.stdout, /^cni6\/2 +cni bridge +fd05:0:0:2::\/64 +18446744073709552000 +8 +/m);
  const json = await onNode(lab.sim, lab.config, NODE, ['status', '--json']);
  const ranges = JSON.parse(json.stdout).ranges as {
    node: number;
    family: number;
    used: number | null;
  }[];
  assert.equal(
    ranges.map((x) => `${x.node}/${x.family}:${x.used}`),
    ['1/4:null', '1/6:null', '2/4:8', '2/6:8', '3/4:null', '3/6:null'],
  );
});

test('CHECK passes for every container (prevResult: its ADD result)', async () => {
  for (const c of containers) {
    const r = await lab.call(NODE, 'CHECK', c.ns, { conf: { prevResult: c.result } });
    assert.is(r.exitCode, 0, `${r.stdout}${r.stderr}`);
  }
});

test('CHECK finds a container whose address was taken away', async () => {
  const c = containers[0]!;
  const v4 = resultIps(c.result)[0]!;
  await $`ip -n ${c.ns} address del ${v4} dev eth0`;
  const r = await lab.call(NODE, 'CHECK', c.ns, { conf: { prevResult: c.result } });
  assert.is.not(r.exitCode, 0);
  assert.type(r.json?.code, 'number', r.stdout);
  assert.match(String(r.json?.msg), /10\.244\.2\./);
});

test('DEL leaves no lease, no link and no route; DEL twice is tolerated', async () => {
  for (const c of containers) {
    const r = await lab.call(NODE, 'DEL', c.ns);
    assert.is(r.exitCode, 0, `${r.stdout}${r.stderr}`);
    assert.is(
      (await $`ip -n ${c.ns} -o link show`).stdout.trim().split('\n').length,
      1,
      'only lo left',
    );
    assert.is((await $`ip -n ${c.ns} route show`).stdout.trim(), '');
    assert.is((await $`ip -n ${c.ns} -6 route show`).stdout.trim(), '');
    const again = await lab.call(NODE, 'DEL', c.ns);
    assert.is(again.exitCode, 0, `second DEL: ${again.stdout}${again.stderr}`);
  }
  assert.equal(lab.leases(), []);
  assert.equal(await bridgePorts(lab.sim.host(NODE)), []);
  // The bridge is the node's (the bridge plugin leaves it), with no port left.
  assert.match((await $`ip -n ${lab.sim.host(NODE)} link show cni0`).stdout, /cni0/);
});

test('DEL of a container whose namespace is gone succeeds and frees its lease', async () => {
  const ns = await lab.container();
  const r = await lab.call(NODE, 'ADD', ns);
  assert.is(r.exitCode, 0, r.stdout);
  assert.is(lab.leases().length, 2);
  await $`ip netns del ${ns}`;
  const del = await lab.call(NODE, 'DEL', ns);
  assert.is(del.exitCode, 0, `${del.stdout}${del.stderr}`);
  assert.equal(lab.leases(), []);
  assert.equal(await bridgePorts(lab.sim.host(NODE)), []);
});

test.run();
