// Routed per-node segments alone (lib/link/routed.ts) and as derive makes them.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import {
  needsOverlay,
  routedBridgeMac,
  routedOps,
  routedProblems,
  routingOf,
} from '../../lib/link/routed.js';
import { bridgeDriver as bridge } from '../../lib/link/bridge.js';
import { parseCidr, type Cidr } from '../../lib/value/parse.js';
import { parseConfig } from '../../lib/config/load.js';
import { deriveAll, deriveNode } from '../../lib/derive/node.js';
import { InputError } from '../../lib/errors.js';
import { describeOp } from '../../lib/plan/render.js';
import type { LinkNode, LinkPeer, Routing } from '../../lib/link/driver.js';
import { describeChange } from '../../lib/edit/meaning.js';
import { routedConf } from '../helpers/fixtures.js';

const KEYS = new Map<string, unknown>([
  ['routing', 'per-node'],
  ['node-prefix', 24],
  ['node-prefix6', 64],
  ['underlay', parseCidr('192.168.10.0/24', 4)],
  ['vni', 77],
]);
const net: { address: Cidr | undefined; address6: Cidr | undefined } = {
  address: parseCidr('10.5.0.0/16', 4),
  address6: parseCidr('fd05::/48', 6),
};
const node3 = new Map<string, unknown>([
  ['underlay', { family: 4, address: '192.168.20.3', prefix: 24 }],
]);
const problems: [string, string][] = [];
const input = (id: number, keys = new Map<string, unknown>()) => ({
  id,
  keys,
  problem: (k: string, m: string) => void problems.push([k, m]),
});
const routing = (id: number, keys = new Map<string, unknown>(), values = KEYS, n = net) =>
  routingOf(values, input(id, keys), n, 'cnbr0');

test('node N: the N-th subnet, the host at +1, the container at +2, the underlay from the base or [node N]', () => {
  assert.equal(routing(3, node3), {
    subnet: '10.5.3.0/24',
    subnet6: 'fd05:0:0:3::/64',
    hostAddress: '10.5.3.1/24',
    hostAddress6: 'fd05:0:0:3::1/64',
    address: '10.5.3.2/24',
    address6: 'fd05:0:0:3::2/64',
    bridge: 'cnbr0',
    underlay: '192.168.20.3/24',
    overlay: { vni: 77, port: 4789 },
  });
  assert.is(routing(2)?.underlay, '192.168.10.2/24');
  assert.is(routingOf(new Map([['routing', 'shared']]), input(1), net, 'cnbr0'), null);
  assert.equal(problems, []);
});

test("a node id that does not fit, a node prefix not longer than the network's, node-prefix6 without address6", () => {
  problems.length = 0;
  assert.is(routing(256), null);
  assert.match(
    problems[0]![1],
    /node 256 does not fit: 10\.5\.0\.0\/16 holds 256 subnets of \/24 \(ids 0 to 255\)/,
  );
  problems.length = 0;
  assert.is(routing(1, new Map(), new Map([...KEYS, ['node-prefix', 16]])), null);
  assert.equal(problems[0], [
    'net.node-prefix',
    "/16 is not longer than the node network's /16; allowed: 17 to 30",
  ]);
  problems.length = 0;
  assert.is(routing(1, new Map(), KEYS, { ...net, address6: undefined }), null);
  assert.match(problems[0]![1], /an IPv6 node prefix needs IPv6 node addresses/);
  problems.length = 0;
});

const nodes = (ids: number[], own: Record<number, Map<string, unknown>> = {}) => ({
  ids,
  keys: (id: number) => own[id] ?? new Map(),
  written: () => false,
});
const written = (values: ReadonlyMap<string, unknown>) => (key: string) => values.has(key);

test('checks across nodes: the keys only with per-node, no site bridge, node-prefix and underlays required, a vni when an overlay is needed', () => {
  const shared = new Map<string, unknown>([
    ['vni', 7],
    ['node-prefix', 24],
  ]);
  assert.equal(
    routedProblems(shared, written(shared), nodes([1]), undefined).map((p) => p.key),
    ['net.node-prefix', 'net.vni'],
  );
  assert.equal(routedProblems(KEYS, written(KEYS), nodes([1, 2, 3], { 3: node3 }), undefined), []);
  assert.equal(
    routedProblems(KEYS, written(KEYS), nodes([1]), 'br0').map((p) => p.key),
    ['net.bridge'],
  );
  const noVni = new Map([...KEYS].filter(([k]) => k !== 'vni'));
  assert.match(
    routedProblems(noVni, written(noVni), nodes([1, 2, 3], { 3: node3 }), undefined)[0]!.message,
    /node 1 \(192\.168\.10\.1\/24\) and node 3 \(192\.168\.20\.3\/24\) are not on one underlay subnet/,
  );
  assert.match(
    routedProblems(noVni, written(noVni), nodes([1, 2]), undefined)[0]!.message,
    /the IPv6 node subnets go through an overlay over the IPv4 underlay: set vni/,
  );
  const v4only = new Map([...noVni].filter(([k]) => k !== 'node-prefix6'));
  assert.equal(routedProblems(v4only, written(v4only), nodes([1, 2]), undefined), []);
  const noUnderlay = new Map([...KEYS].filter(([k]) => k !== 'underlay'));
  assert.match(
    routedProblems(noUnderlay, written(noUnderlay), nodes([1, 2, 3], { 3: node3 }), undefined)[0]!
      .message,
    /nodes 1-2 have no underlay/,
  );
});

const at = {
  host: { kind: 'current' as const },
  container: { kind: 'netns' as const, name: 'c1' },
  mtu: 1450,
};
const peer = (id: number, r: Routing): LinkPeer => ({
  node: id,
  mac: `02:00:00:00:05:0${id}`,
  address: r.address,
  address6: r.address6,
  link: { kind: 'veth', peer: `cnh${id}`, bridge: 'cnbr0' },
  routing: r,
});
const me = (r: Routing, peers: LinkPeer[]): LinkNode => ({
  node: 1,
  device: 'eth0',
  interface: 'krg0',
  mac: '02:00:00:00:05:01',
  address: r.address,
  address6: r.address6,
  link: { kind: 'veth', peer: 'cnh1', bridge: 'cnbr0' },
  peers,
  routing: r,
});

test('ops: on-link peers by their underlay, the others (and IPv6 over an IPv4 underlay) through cnvx0', () => {
  const [r1, r2, r3] = [routing(1)!, routing(2)!, routing(3, node3)!];
  const lines = routedOps(me(r1, [peer(2, r2), peer(3, r3)]), at, r1).map(describeOp);
  assert.equal(lines, [
    'ip address add 10.5.1.1/24 dev cnbr0',
    'ip address add fd05:0:0:1::1/64 dev cnbr0',
    'sysctl -w net.ipv4.ip_forward=1',
    'sysctl -w net.ipv6.conf.all.forwarding=1',
    'ip link add link eth0 name cnx1 address 02:00:00:00:05:01 mtu auto type vxlan id 77 dev eth0 local 192.168.10.1 dstport 4789 nolearning'.replace(
      'link add link eth0 ',
      'link add ',
    ),
    'ip link set dev cnx1 name cnvx0 alias clusternet',
    'ip link set dev cnvx0 up',
    'bridge fdb replace 02:00:00:00:05:02 dev cnvx0 dst 192.168.10.2 self permanent',
    'ip route add 10.5.2.0/24 via 192.168.10.2 dev eth0 proto 211',
    'ip neigh replace fe80::ff:fe00:502 lladdr 02:00:00:00:05:02 dev cnvx0 nud permanent proto 211',
    'ip route add fd05:0:0:2::/64 via fe80::ff:fe00:502 dev cnvx0 proto 211',
    'bridge fdb replace 02:00:00:00:05:03 dev cnvx0 dst 192.168.20.3 self permanent',
    'ip neigh replace 10.5.3.1 lladdr 02:00:00:00:05:03 dev cnvx0 nud permanent proto 211',
    'ip route add 10.5.3.0/24 via 10.5.3.1 dev cnvx0 onlink proto 211',
    'ip neigh replace fe80::ff:fe00:503 lladdr 02:00:00:00:05:03 dev cnvx0 nud permanent proto 211',
    'ip route add fd05:0:0:3::/64 via fe80::ff:fe00:503 dev cnvx0 proto 211',
  ]);
});

test('ops: IPv4 only, every peer on-link: no overlay at all, and the forwarding sysctl is never undone', () => {
  const v4 = new Map([...KEYS].filter(([k]) => k !== 'node-prefix6'));
  const only4 = { ...net, address6: undefined };
  const [r1, r2] = [routing(1, new Map(), v4, only4)!, routing(2, new Map(), v4, only4)!];
  assert.not.ok(needsOverlay(r1, [peer(2, r2)]));
  const ops = routedOps(me(r1, [peer(2, r2)]), at, r1);
  assert.equal(ops.map(describeOp), [
    'ip address add 10.5.1.1/24 dev cnbr0',
    'sysctl -w net.ipv4.ip_forward=1',
    'ip route add 10.5.2.0/24 via 192.168.10.2 dev eth0 proto 211',
  ]);
  assert.equal(ops[1], {
    op: 'sysctl',
    ns: at.host,
    key: 'net.ipv4.ip_forward',
    value: '1',
    undo: null,
  });
});

test('the bridge driver: no device port with routing, room for the overlay in the MTU', () => {
  const r1 = routing(1)!;
  const boot = bridge.ops(me(r1, []) as never, at).boot;
  assert.not.ok(boot.some((op) => op.op === 'link-master' && op.dev === 'eth0'));
  // cnbr0 gets a MAC of its own (the bridge CNI plugin's CHECK compares it), not the container's.
  const made = boot.find((op) => op.op === 'link-create' && op.link.kind === 'bridge');
  assert.is(made?.op === 'link-create' ? made.mac : undefined, routedBridgeMac(me(r1, []).mac));
  assert.is(routedBridgeMac('02:00:00:00:05:01'), '06:00:00:00:05:01');
  assert.is(bridge.overhead({ kind: 'veth', peer: 'cnh1', bridge: 'cnbr0' }, r1), 50);
  assert.is(bridge.maxMtu({ kind: 'veth', peer: 'cnh1', bridge: 'cnbr0' }, 1500, r1), 1450);
  assert.is(bridge.overhead({ kind: 'veth', peer: 'cnh1', bridge: 'cnbr0' }, null), 0);
  assert.equal(
    bridge.kernelFor!(r1).map((k) => k.type),
    ['bridge', 'veth', 'vxlan'],
    "boot-pre probes the overlay's type too",
  );
  assert.equal(
    bridge.kernelFor!(null).map((k) => k.type),
    ['bridge', 'veth'],
  );
});

/** IPv4 only, every node on segment a's underlay: no overlay needed. */
const CONF = routedConf()
  .replace(/address6 = .*\nnode-prefix6 = .*\n/, '')
  .replace('vni = 77\n', '')
  .replace(/\[node 3\][^]*$/, '');

test("derive: the node's address and gateway are its subnet's; peers carry theirs; gateway and a cluster address refused", () => {
  const v = deriveNode(parseConfig(CONF, 'net.conf'), 2);
  assert.equal(
    [v.address, v.gateway, v.routing?.subnet],
    ['10.5.2.2/24', '10.5.2.1', '10.5.2.0/24'],
  );
  assert.equal(
    v.peers.map((p) => p.routing?.subnet),
    ['10.5.1.0/24', '10.5.3.0/24'],
  );
  const refused = (text: string, words: RegExp) =>
    assert.throws(
      () => deriveAll(parseConfig(text, 'net.conf')),
      (e: unknown) => e instanceof InputError && words.test(e.message),
    );
  refused(
    CONF.replace('node-prefix = 24', 'node-prefix = 24\ngateway = 10.5.0.254'),
    /net\.gateway: with routing = per-node the node's bridge is the gateway/,
  );
  refused(
    `${CONF}[clusterip]\naddress = 10.9.0.1\nmac = 01:00:5e:04:c0:01\n`,
    /clusterip\.address: a cluster address needs every node on one L2 segment/,
  );
});

test('edit explains a changed node prefix: the routed segment and the address change, boot-post and init-pre act', () => {
  const lines = describeChange(
    parseConfig(CONF, 'net.conf'),
    parseConfig(CONF.replace('node-prefix = 24', 'node-prefix = 25'), 'net.conf'),
  );
  assert.ok(
    lines.some((l) =>
      l.startsWith(
        'routing: nodes 1-3 change (node 1: 10.5.1.0/24 via 192.168.10.1 → 10.5.0.128/25 via 192.168.10.1)',
      ),
    ),
    lines.join('\n'),
  );
  assert.ok(
    lines.some((l) =>
      l.startsWith('address: nodes 1-3 change (node 1: 10.5.1.2/24 → 10.5.0.130/25)'),
    ),
    lines.join('\n'),
  );
  assert.ok(
    lines.some((l) => /boot-post/.test(l) && /1-3/.test(l)),
    lines.join('\n'),
  );
});

test.run();
