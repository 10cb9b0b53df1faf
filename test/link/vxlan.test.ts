// The vxlan driver alone (lib/link/vxlan.ts): its keys, the rules across nodes, each
// node's VTEP, argv, forwarding entries, comparison with live links, server fragments.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { vxlanDriver as vxlan, vtepOf, type Vxlan } from '../../lib/link/vxlan.js';
import type { LinkPeer, NodesKeys } from '../../lib/link/driver.js';
import { ZERO_MAC } from '../../lib/link/ops.js';
import { parseNsState, type LinkState, type NsState } from '../../lib/system/state.js';
import { CURRENT_NS } from '../../lib/system/ns.js';
import { ipJson } from '../helpers/fake-runner.js';
import { InputError } from '../../lib/errors.js';
import { parseConfig } from '../../lib/config/load.js';
import { deriveAll } from '../../lib/derive/node.js';
import { vxlanConf } from '../helpers/fixtures.js';

const net = (over: Record<string, string> = {}): ReadonlyMap<string, unknown> => {
  const raw = { vni: '42', underlay: '192.168.10.0/24', ...over };
  return new Map(
    Object.entries(raw)
      .filter(([, v]) => v !== '')
      .map(([k, v]) => [k, vxlan.netKeys[k]!.parse(v)]),
  );
};
const nodeKeys = (raw: Record<number, string>): NodesKeys => ({
  ids: [1, 2, 3],
  keys: (id) => new Map(raw[id] ? [['underlay', vxlan.nodeKeys.underlay!.parse(raw[id]!)]] : []),
  written: (id) => raw[id] !== undefined,
});
const link = (local: string, flood: string[] = []): Vxlan => ({
  kind: 'vxlan',
  vni: 42,
  port: 4789,
  local,
  flood,
});
const peer = (node: number, local: string): LinkPeer<Vxlan> => ({
  node,
  mac: `f0:00:00:00:07:0${node}`,
  address: `10.4.135.${node}/18`,
  address6: null,
  link: link(local),
  routing: null,
});

test('keys: vni 1..16777215, vxlan-port 1..65535, underlay a base or an exact address, vxlan-peers a list', () => {
  const { vni, 'vxlan-port': port, underlay, 'vxlan-peers': peers } = vxlan.netKeys;
  assert.is(vni!.parse('16777215'), 16777215);
  assert.throws(
    () => vni!.parse('0'),
    (e: Error) => e.message === '0 is out of range; allowed: 1 to 16777215',
  );
  assert.throws(
    () => vni!.parse('16777216'),
    (e: Error) => /out of range/.test(e.message),
  );
  assert.throws(
    () => port!.parse('65536'),
    (e: Error) => /out of range; allowed: 1 to 65535/.test(e.message),
  );
  assert.equal(underlay!.parse('fd10:a::/64'), { family: 6, address: 'fd10:a::', prefix: 64 });
  assert.throws(
    () => underlay!.parse('192.168.10.0'),
    (e: Error) => /not an address with a prefix length/.test(e.message),
  );
  assert.throws(
    () => underlay!.parse('192.168.10.0/31'),
    (e: Error) => /allowed: \/1 to \/30/.test(e.message),
  );
  assert.equal(vxlan.nodeKeys.underlay!.parse('192.168.20.3/24'), {
    family: 4,
    address: '192.168.20.3',
    prefix: 24,
  });
  assert.equal(vxlan.nodeKeys.underlay!.parse('192.168.20.3'), {
    family: 4,
    address: '192.168.20.3',
    prefix: 32,
  });
  assert.equal(peers!.parse('192.168.10.100, 192.168.20.100'), [
    '192.168.10.100',
    '192.168.20.100',
  ]);
  assert.throws(
    () => peers!.parse('1.2.3.4,1.2.3.4'),
    (e: Error) => /1.2.3.4 is listed twice/.test(e.message),
  );
  assert.throws(
    () => peers!.parse('1.2.3'),
    (e: Error) => /not an IP address/.test(e.message),
  );
  assert.is(underlay!.show!(underlay!.parse('192.168.10.0/24')), '192.168.10.0/24');
  assert.is(peers!.show!(['1.2.3.4', '5.6.7.8']), '1.2.3.4, 5.6.7.8');
});

test('vtepOf: [node N] underlay wins, else base + N', () => {
  const none = (key: string, message: string) => assert.unreachable(`${key}: ${message}`);
  assert.equal(vtepOf(net(), 3, new Map(), none), {
    address: '192.168.10.3',
    family: 4,
    key: 'net.underlay',
  });
  const own = new Map([['underlay', vxlan.nodeKeys.underlay!.parse('192.168.20.3/24')]]);
  assert.equal(vtepOf(net(), 3, own, none), {
    address: '192.168.20.3',
    family: 4,
    key: 'node.3.underlay',
  });
  const failed: string[] = [];
  assert.is(
    vtepOf(net({ underlay: '' }), 3, new Map(), (k, m) => failed.push(`${k}: ${m}`)),
    undefined,
  );
  assert.match(failed[0]!, /^node\.3\.underlay: node 3 has no underlay/);
  assert.is(
    vtepOf(net({ underlay: '192.168.10.0/30' }), 3, new Map(), (k, m) => failed.push(`${k}: ${m}`)),
    undefined,
  );
  assert.match(failed[1]!, /^net\.underlay: node 3's VTEP: 192.168.10.3 is the broadcast address/);
});

test('check: vni required; every node an underlay, none shared, one family (vxlan-peers too)', () => {
  const keys = (raw: Record<number, string> = {}) => nodeKeys(raw);
  assert.equal(
    vxlan.check(net(), () => true, keys()),
    [],
  );
  assert.equal(
    vxlan.check(net({ vni: '' }), () => false, keys()),
    [{ key: 'net.vni', message: 'missing; link = vxlan needs a VXLAN id (1..16777215)' }],
  );
  assert.equal(
    vxlan.check(net({ underlay: '' }), () => false, keys({ 3: '192.168.20.3/24' })),
    [
      {
        key: 'net.underlay',
        message:
          "missing; nodes 1-2 have no underlay; allowed: [net] underlay = BASE/PREFIX (node N's VTEP is base + N), or underlay = ADDR/PREFIX in each [node N]",
      },
    ],
  );
  assert.equal(
    vxlan.check(net(), () => true, keys({ 3: '192.168.10.1/24' })),
    [
      {
        key: 'node.3.underlay',
        message:
          "node 3's underlay 192.168.10.1 is also node 1's; every node needs a VTEP address of its own",
      },
    ],
  );
  assert.equal(
    vxlan.check(net(), () => true, keys({ 3: 'fd10:b::3/64' })),
    [
      {
        key: 'node.3.underlay',
        message:
          "node 3's underlay fd10:b::3 is IPv6, net.underlay IPv4; one VXLAN has one underlay family",
      },
    ],
  );
  assert.equal(
    vxlan.check(net({ 'vxlan-peers': '192.168.10.2, fd10::9' }), () => true, keys()),
    [
      {
        key: 'net.vxlan-peers',
        message:
          "192.168.10.2 is node 2's own VTEP; list only hosts that are no node (servers, clients)",
      },
      {
        key: 'net.vxlan-peers',
        message: 'fd10::9 is IPv6, net.underlay IPv4; one VXLAN has one underlay family',
      },
    ],
  );
  // A value that did not parse has spoken already: not "missing" on top.
  assert.equal(
    vxlan.check(net({ underlay: '' }), (k) => k === 'underlay', keys()),
    [],
  );
});

test('params: the VTEP, the default port, the extra VTEPs; a server (id 0) gives --underlay, one of vxlan-peers', () => {
  const values = net({ 'vxlan-peers': '192.168.10.100, 192.168.10.101' });
  const problems: string[] = [];
  const input = (id: number, raw?: string) => ({
    id,
    keys: new Map(raw ? [['underlay', vxlan.nodeKeys.underlay!.parse(raw)]] : []),
    problem: (k: string, m: string) => problems.push(`${k}: ${m}`),
  });
  assert.equal(
    vxlan.params(values, input(2)),
    link('192.168.10.2', ['192.168.10.100', '192.168.10.101']),
  );
  assert.equal(
    vxlan.params(values, input(0, '192.168.10.100')),
    link('192.168.10.100', ['192.168.10.101']),
  );
  assert.is(vxlan.params(values, input(0)), null);
  assert.is(vxlan.params(values, input(0, '192.168.10.99')), null);
  assert.equal(problems, [
    '--underlay: a host joining a VXLAN needs its VTEP address: give --underlay ADDR, one of net.vxlan-peers',
    '--underlay: 192.168.10.99 is not in net.vxlan-peers; add it to net.vxlan-peers so the nodes send to it (then reload them)',
  ]);
  assert.equal(vxlan.params(net({ 'vxlan-port': '8472' }), input(1))?.port, 8472);
});

test("createArgs: made in the host, moved at once, the lower device as the socket's `dev`", () => {
  const c = {
    lower: 'eth0',
    name: 'cnt1',
    netns: '4242',
    mac: 'f0:00:00:00:07:01',
    mtu: 1450,
    link: link('192.168.10.1'),
  };
  assert.is(
    vxlan.createArgs(c).join(' '),
    'link add name cnt1 netns 4242 address f0:00:00:00:07:01 mtu 1450 type vxlan id 42 dev eth0 local 192.168.10.1 dstport 4789 nolearning',
  );
  assert.is(
    vxlan.createArgs({ ...c, mtu: 0, link: { ...link('fd10:a::1'), port: 8472 } }).join(' '),
    'link add name cnt1 netns 4242 address f0:00:00:00:07:01 type vxlan id 42 dev eth0 local fd10:a::1 dstport 8472 nolearning',
  );
});

test('overhead 50 over IPv4, 70 over IPv6; an MTU above the device less that is refused', () => {
  assert.is(vxlan.overhead(link('192.168.10.1')), 50);
  assert.is(vxlan.overhead(link('fd10:a::1')), 70);
  assert.is(vxlan.maxMtu(link('192.168.10.1'), 1500), 1450);
  assert.is(vxlan.maxMtu(link('fd10:a::1'), 1500), 1430);
  assert.equal(
    vxlan.kernel.map((k) => [k.type, k.module]),
    [['vxlan', 'vxlan']],
  );
});

test('ops: the moved link at boot; in the container, per peer a flood entry and its MAC, then each extra VTEP', () => {
  const container = { kind: 'netns' as const, name: 'c1' };
  const n = {
    node: 1,
    device: 'eth0',
    interface: 'krg0',
    mac: 'f0:00:00:00:07:01',
    address: '10.4.135.1/18',
    address6: null,
    link: link('192.168.10.1', ['192.168.10.100']),
    peers: [peer(2, '192.168.10.2'), peer(3, '192.168.20.3')],
    routing: null,
  };
  const { boot, init } = vxlan.ops(n, { host: CURRENT_NS, container, mtu: 1450 });
  assert.equal(
    boot.map((o) => o.op),
    ['link-create', 'link-rename'],
  );
  assert.equal(init, [
    { op: 'fdb-add', ns: container, dev: 'krg0', mac: ZERO_MAC, dst: '192.168.10.2' },
    { op: 'fdb-add', ns: container, dev: 'krg0', mac: 'f0:00:00:00:07:02', dst: '192.168.10.2' },
    { op: 'fdb-add', ns: container, dev: 'krg0', mac: ZERO_MAC, dst: '192.168.20.3' },
    { op: 'fdb-add', ns: container, dev: 'krg0', mac: 'f0:00:00:00:07:03', dst: '192.168.20.3' },
    { op: 'fdb-add', ns: container, dev: 'krg0', mac: ZERO_MAC, dst: '192.168.10.100' },
  ]);
});

const host: NsState = parseNsState(
  ipJson([{ name: 'eth0', index: 2, up: true, addresses: ['192.168.10.1/24'] }]),
);
const live = (info: Record<string, unknown>): LinkState => ({
  ...parseNsState(ipJson([{ name: 'krg0', index: 9, kind: 'macvlan' }])).links.get('krg0')!,
  kind: 'vxlan',
  // The container's read: info_data.link names whatever it finds there; link_index is the VXLAN's own.
  parent: { index: 9, netnsid: 0, name: null },
  info: { id: 42, local: '192.168.10.1', port: 4789, learning: false, link: 'krg0', ...info },
});

test("compare: id, port, local, learning; the VTEP on the host's device stands for the lower device", () => {
  const want = { lower: 'eth0', link: link('192.168.10.1') };
  assert.equal(vxlan.compare(want, live({}), host), []);
  assert.equal(vxlan.compare(want, live({ id: 43, port: 8472 }), host), [
    { attribute: 'id', want: 'id 42', have: 'id 43', inPlace: false },
    { attribute: 'port', want: 'port 4789', have: 'port 8472', inPlace: false },
  ]);
  assert.equal(
    vxlan.compare(want, live({ local: undefined, local6: 'fd10::1', learning: true }), host),
    [
      { attribute: 'local', want: 'local 192.168.10.1', have: 'local fd10::1', inPlace: false },
      { attribute: 'learning', want: 'nolearning', have: 'learning', inPlace: false },
    ],
  );
  const bare = parseNsState(ipJson([{ name: 'eth0', index: 2, up: true }]));
  assert.equal(vxlan.compare(want, live({}), bare), [
    {
      attribute: 'underlay',
      want: 'eth0 carrying 192.168.10.1',
      have: 'eth0 without it',
      inPlace: false,
    },
  ]);
  assert.is(vxlan.cannotCreate!(want, host), null);
  assert.is(
    vxlan.cannotCreate!(want, bare),
    "eth0 does not carry 192.168.10.1 (this node's underlay); give it that address, or set underlay to one it has",
  );
});

test('describe, fields, env', () => {
  assert.is(vxlan.describe(link('192.168.10.1')), 'vxlan 42');
  assert.is(vxlan.describe({ ...link('fd10:a::1'), port: 8472 }), 'vxlan 42 port 8472');
  assert.equal(vxlan.fields(link('192.168.10.1')), { vni: 42, underlay: '192.168.10.1' });
  assert.equal(vxlan.env(link('192.168.10.1')), {
    CLUSTERNET_VNI: '42',
    CLUSTERNET_UNDERLAY: '192.168.10.1',
    CLUSTERNET_VXLAN_PORT: '4789',
  });
});

test('server fragments: [VXLAN], the forwarding entries after the link, nmcli says what it cannot hold', () => {
  const s = {
    link: link('192.168.10.100'),
    peers: [peer(1, '192.168.10.1')],
    device: 'eth0',
    interface: 'krg0',
    mac: 'f0:00:00:00:07:fe',
    mtu: 1450,
    address: '10.4.135.254/18',
  };
  assert.equal(vxlan.server.netdev(s.link), {
    kind: 'vxlan',
    section: [
      '[VXLAN]',
      'VNI=42',
      'Local=192.168.10.100',
      'DestinationPort=4789',
      'MacLearning=no',
    ],
  });
  assert.is(vxlan.server.parentKey, 'VXLAN');
  assert.equal(vxlan.server.after!(s), [
    { op: 'fdb-add', ns: CURRENT_NS, dev: 'krg0', mac: ZERO_MAC, dst: '192.168.10.1' },
    { op: 'fdb-add', ns: CURRENT_NS, dev: 'krg0', mac: 'f0:00:00:00:07:01', dst: '192.168.10.1' },
  ]);
  assert.equal(vxlan.server.nmcli(s).settings.slice(6, 8), ['vxlan.remote', '192.168.10.1']);
  assert.is(vxlan.server.unsupported!(s, 'ip'), null);
  assert.is(vxlan.server.unsupported!(s, 'nmcli')?.printable, true);
});

const CONF = vxlanConf();

test("net.conf: loaded, derived with every peer's VTEP; cross-node problems at their line", () => {
  const values = deriveAll(parseConfig(CONF, 'net.conf'));
  assert.equal(
    values.map((v) => (v.link as Vxlan).local),
    ['192.168.10.1', '192.168.10.2', '192.168.20.3'],
  );
  assert.equal(
    values[0]!.peers.map((p) => [p.node, (p.link as Vxlan).local]),
    [
      [2, '192.168.10.2'],
      [3, '192.168.20.3'],
    ],
  );
  assert.throws(
    () => parseConfig(CONF.replace('192.168.20.3/24', '192.168.10.2/24'), 'net.conf'),
    (e: unknown) =>
      e instanceof InputError &&
      e.message.includes(
        "net.conf:14: node.3.underlay: node 3's underlay 192.168.10.2 is also node 2's",
      ),
  );
  assert.throws(
    () => parseConfig(CONF.replace('link = vxlan', 'link = macvlan'), 'net.conf'),
    (e: unknown) =>
      e instanceof InputError &&
      /vni.*applies only to link = (bridge or )?vxlan/.test(e.message) &&
      /node\.3\.underlay: .*applies only to link = (bridge or )?vxlan/.test(e.message),
  );
});

test('edit explains a peer that joins or a vxlan-peer added: init-pre, in place', async () => {
  const { describeChange } = await import('../../lib/edit/meaning.js');
  const before = parseConfig(CONF, 'net.conf');
  assert.equal(
    describeChange(
      before,
      parseConfig(
        CONF.replace(
          'vxlan-peers = 192.168.10.100',
          'vxlan-peers = 192.168.10.100, 192.168.10.101',
        ),
        'net.conf',
      ),
    ),
    [
      'peers: nodes 1-3 change (node 1: nodes 2-3 192.168.10.100 → nodes 2-3 192.168.10.100 192.168.10.101)',
      'init-pre would act on nodes 1-3',
    ],
  );
  const joined = describeChange(
    before,
    parseConfig(CONF.replace('nodes = 1-3', 'nodes = 1-4'), 'net.conf'),
  );
  assert.ok(
    joined.includes(
      'peers: nodes 1-3 change (node 1: nodes 2-3 192.168.10.100 → nodes 2-4 192.168.10.100)',
    ),
    joined.join('\n'),
  );
});

test.run();
