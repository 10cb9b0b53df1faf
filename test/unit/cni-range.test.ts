// Node N's container range: the N-th subnet of [cni] network at node-prefix, and what the
// reference plugins are given for it (lib/cni/range.ts, lib/cni/conf.ts).
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { parseConfig } from '../../lib/config/load.js';
import { rangeAddress, between, countBetween, nthSubnet } from '../../lib/cni/range.js';
import { conflist, containerMtu, delegateConf, nodeRanges } from '../../lib/cni/conf.js';
import { linkMtu } from '../../lib/system/link-mtu.js';
import { routedConf } from '../helpers/fixtures.js';

const v4 = (address: string, prefix: number) => ({ family: 4 as const, address, prefix });
const v6 = (address: string, prefix: number) => ({ family: 6 as const, address, prefix });

test('nthSubnet: the n-th subnet from 0, of any base written inside the network', () => {
  assert.equal(nthSubnet(v4('10.244.0.0', 16), 24, 0), v4('10.244.0.0', 24));
  assert.equal(nthSubnet(v4('10.244.0.0', 16), 24, 3), v4('10.244.3.0', 24));
  assert.equal(nthSubnet(v4('10.244.0.0', 16), 24, 255), v4('10.244.255.0', 24));
  assert.equal(nthSubnet(v4('10.244.7.9', 16), 26, 5), v4('10.244.1.64', 26));
  assert.equal(nthSubnet(v4('192.168.0.0', 24), 28, 15), v4('192.168.0.240', 28));
  assert.equal(nthSubnet(v6('fd05::', 48), 64, 3), v6('fd05:0:0:3::', 64));
  assert.equal(nthSubnet(v6('fd00:10::', 64), 112, 65535), v6('fd00:10::ffff:0', 112));
  assert.equal(nthSubnet(v6('fd00::', 8), 126, 1), v6('fd00::4', 126));
});

test('nthSubnet: distinct n give disjoint subnets, all inside the network', () => {
  const net = v4('10.9.0.0', 20);
  const seen = new Set<string>();
  for (let n = 0; n < 64; n++) {
    const s = nthSubnet(net, 26, n);
    const first = rangeAddress(s, 0n);
    const last = rangeAddress(s, -1n);
    assert.ok(
      between(first, '10.9.0.0', '10.9.15.255') && between(last, '10.9.0.0', '10.9.15.255'),
      s.address,
    );
    for (const other of seen)
      assert.not.ok(between(other, first, last), `${other} in ${s.address}/26`);
    seen.add(first);
  }
});

test('nthSubnet refuses an index past the network and a prefix not longer than its own', () => {
  assert.throws(
    () => nthSubnet(v4('10.244.0.0', 16), 24, 256),
    (e: unknown) => e instanceof RangeError && /has 256 subnets/.test(e.message),
  );
  assert.throws(
    () => nthSubnet(v4('10.244.0.0', 16), 16, 1),
    (e: unknown) => e instanceof RangeError,
  );
  assert.throws(
    () => nthSubnet(v4('10.244.0.0', 16), 24, -1),
    (e: unknown) => e instanceof RangeError,
  );
});

test('rangeAddress, countBetween: offsets from the first and from the last address', () => {
  assert.is(rangeAddress(v4('10.244.3.0', 24), 1n), '10.244.3.1');
  assert.is(rangeAddress(v4('10.244.3.0', 24), -2n), '10.244.3.254');
  assert.is(rangeAddress(v6('fd05:0:0:3::', 64), -2n), 'fd05::3:ffff:ffff:ffff:fffe');
  assert.is(countBetween('10.244.3.2', '10.244.3.254'), 253n);
  assert.is(between('fd05::1', '10.0.0.0', '10.0.0.9'), false);
});

const CONF = (cni: string) => `[cluster]
nodes = 1-3
[net]
device = eth0
vlan = 7
mac = f0:00:00:00:07:00
address = 10.4.135.0/24
[cni]
${cni}
`;

test('nodeRanges: bridge containers from subnet+2 to the one before the last, the bridge at subnet+1', () => {
  const config = parseConfig(
    CONF('network = 10.244.0.0/16\nnode-prefix = 24\nnetwork6 = fd05::/48\nnode-prefix6 = 64'),
    'net.conf',
  );
  const [r4, r6] = nodeRanges(config, 3);
  assert.equal(
    { ...r4!, size: Number(r4!.size) },
    {
      family: 4,
      network: v4('10.244.0.0', 16),
      subnet: v4('10.244.3.0', 24),
      onLink: v4('10.244.3.0', 24),
      gateway: '10.244.3.1',
      rangeStart: '10.244.3.2',
      rangeEnd: '10.244.3.254',
      size: 253,
    },
  );
  assert.is(r6!.gateway, 'fd05:0:0:3::1');
  assert.is(r6!.rangeEnd, 'fd05::3:ffff:ffff:ffff:fffe');
  assert.equal(delegateConf(config, 3), {
    type: 'bridge',
    bridge: 'cni0',
    isGateway: true,
    ipMasq: false,
    ipam: {
      type: 'host-local',
      dataDir: '/var/lib/cni/networks',
      ranges: [
        [
          {
            subnet: '10.244.3.0/24',
            rangeStart: '10.244.3.2',
            rangeEnd: '10.244.3.254',
            gateway: '10.244.3.1',
          },
        ],
        [
          {
            subnet: 'fd05:0:0:3::/64',
            rangeStart: 'fd05:0:0:3::2',
            rangeEnd: 'fd05::3:ffff:ffff:ffff:fffe',
            gateway: 'fd05:0:0:3::1',
          },
        ],
      ],
      routes: [
        { dst: '10.244.0.0/16', gw: '10.244.3.1' },
        { dst: 'fd05::/48', gw: 'fd05:0:0:3::1' },
      ],
    },
  });
});

test('macvlan: the whole network on-link, the node range bounds the leases, no routes, master = net.device', () => {
  const config = parseConfig(
    CONF('network = 10.244.0.0/16\nnode-prefix = 24\ndelegate = macvlan\nmtu = 1400\nname = pods'),
    'net.conf',
  );
  const conf = conflist(config, 2) as {
    cniVersion: string;
    name: string;
    plugins: Record<string, unknown>[];
  };
  assert.is(conf.cniVersion, '1.0.0');
  assert.is(conf.name, 'pods');
  assert.equal(conf.plugins[0], {
    type: 'macvlan',
    master: 'eth0',
    mode: 'bridge',
    mtu: 1400,
    ipam: {
      type: 'host-local',
      dataDir: '/var/lib/cni/networks',
      ranges: [[{ subnet: '10.244.0.0/16', rangeStart: '10.244.2.2', rangeEnd: '10.244.2.254' }]],
      routes: [],
    },
  });
});

test("routing = per-node: the node's routed subnet on cnbr0, containers from subnet+3 (+1 the bridge, +2 the cluster container)", () => {
  const config = parseConfig(`${routedConf()}\n[cni]\n`, 'net.conf');
  const [r4, r6] = nodeRanges(config, 3);
  assert.equal(
    { ...r4!, size: Number(r4!.size) },
    {
      family: 4,
      network: v4('10.5.0.0', 16),
      subnet: v4('10.5.3.0', 24),
      onLink: v4('10.5.3.0', 24),
      gateway: '10.5.3.1',
      rangeStart: '10.5.3.3',
      rangeEnd: '10.5.3.254',
      size: 252,
    },
  );
  assert.equal(
    [r6!.subnet, r6!.gateway, r6!.rangeStart],
    [v6('fd05:0:0:3::', 64), 'fd05:0:0:3::1', 'fd05:0:0:3::3'],
  );
  const conf = delegateConf(config, 3) as {
    bridge: string;
    isGateway: boolean;
    ipam: { routes: unknown[] };
  };
  assert.equal([conf.bridge, conf.isGateway], ['cnbr0', true]);
  assert.equal(conf.ipam.routes, [
    { dst: '10.5.0.0/16', gw: '10.5.3.1' },
    { dst: 'fd05::/48', gw: 'fd05:0:0:3::1' },
  ]);
});

test("containerMtu: [cni] mtu; else on a routed segment the bridge's live MTU, else the node's written [net] mtu, else none", () => {
  const asked: string[] = [];
  const bridgeAt = (mtu: number | undefined) => (dev: string) => (asked.push(dev), mtu);
  const routed = (net = '', cni = '') =>
    parseConfig(
      `${routedConf().replace('node-prefix = 24\n', `node-prefix = 24\n${net}`)}\n[cni]\n${cni}`,
      'net.conf',
    );
  // Written: no bridge is read.
  assert.is(containerMtu(routed('', 'mtu = 1400\n'), 1, bridgeAt(1450)), 1400);
  assert.equal(asked, []);
  // The node's bridge, as clusternet made it from the underlay's live MTU; the plugin and cni-config write it.
  assert.is(containerMtu(routed(), 1, bridgeAt(1450)), 1450);
  assert.equal(asked, ['cnbr0']);
  assert.is(
    (conflist(routed(), 1, bridgeAt(1450)) as { plugins: { mtu?: number }[] }).plugins[0]!.mtu,
    1450,
  );
  // No bridge here: what boot-post will give it when [net] (or [node N]) mtu is written, else none.
  assert.is(containerMtu(routed('mtu = 1400\n'), 1, bridgeAt(undefined)), 1400);
  assert.is(containerMtu(routed('mtu = 1400\n'), 1), 1400);
  assert.is(containerMtu(routed(), 1, bridgeAt(undefined)), undefined);
  assert.not.ok('mtu' in delegateConf(routed(), 1, bridgeAt(undefined)));
  // One shared segment: the delegate's own default unless [cni] mtu says; nothing is read.
  asked.length = 0;
  const shared = parseConfig(
    CONF('network = 10.244.0.0/16\nnode-prefix = 24\nname = pods'),
    'net.conf',
  );
  assert.is(containerMtu(shared, 2, bridgeAt(9000)), undefined);
  assert.equal(asked, []);
});

test('linkMtu reads one sysfs entry: a name with a path in it is no link (test/cni/cni-config reads a real bridge)', () => {
  for (const name of ['../lo', '.', '..', 'lo/..', '', 'a'.repeat(16), 'no-such-link0'])
    assert.is(linkMtu(name), undefined, name);
});

test("routing = per-node: a node the routed network has no subnet for is [net]'s error, not a crash", () => {
  const config = parseConfig(
    `${routedConf({ nodes: '1-3,300' })}\n[node 300]\nunderlay = 192.168.20.30/24\n[cni]\n`,
    'net.conf',
  );
  assert.throws(
    () => nodeRanges(config, 300),
    (e: unknown) =>
      e instanceof Error &&
      e.name !== 'RangeError' &&
      /net\.node-prefix.*node 300 does not fit/.test(e.message),
  );
});

test.run();
