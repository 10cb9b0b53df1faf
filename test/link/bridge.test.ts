// The bridge driver alone (lib/link/bridge.ts).
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { bridgeDriver as bridge, hostEnd, OUR_BRIDGE } from '../../lib/link/bridge.js';
import { ownerOf, LINK_PARAM_KINDS } from '../../lib/link/index.js';
import { parseNsState, type LinkState, type NsState } from '../../lib/system/state.js';
import { ipJson, type LinkSpec } from '../helpers/fake-runner.js';
import { ValueProblem } from '../../lib/value/parse.js';
import type { LinkNode } from '../../lib/link/driver.js';

const host: NsState = parseNsState(
  ipJson([
    { name: 'eth0', index: 2 },
    { name: 'cnh4', index: 7, kind: 'veth' },
    { name: 'cnh5', index: 8, kind: 'veth' },
  ]),
);
const live = (over: Partial<LinkSpec> = {}): LinkState =>
  parseNsState(
    ipJson([{ name: 'krg0', index: 9, kind: 'veth', lowerIndex: 7, netnsid: 0, ...over }]),
  ).links.get('krg0')!;
const veth = { kind: 'veth' as const, peer: 'cnh4', bridge: OUR_BRIDGE };
const at = {
  host: { kind: 'current' as const },
  container: { kind: 'netns' as const, name: 'c4' },
  mtu: 1500,
};
const node = (link = veth): LinkNode<typeof veth> => ({
  node: 4,
  device: 'eth0',
  interface: 'krg0',
  mac: '02:00:00:00:07:04',
  address: '10.4.135.4/18',
  address6: null,
  link,
  peers: [],
  routing: null,
});
const input = (id: number) => ({ id, keys: new Map<string, unknown>(), problem: () => {} });

test("bridge: unset → ours (cnbr0); a name → the site's; cnbr0 itself is refused", () => {
  assert.equal(bridge.params(new Map(), input(4)), veth);
  assert.equal(bridge.params(new Map([['bridge', 'br0']]), input(4)), {
    kind: 'veth',
    peer: 'cnh4',
    bridge: 'br0',
  });
  assert.is(bridge.netKeys.bridge!.parse('br0'), 'br0');
  assert.throws(
    () => bridge.netKeys.bridge!.parse('cnbr0'),
    (e: unknown) =>
      e instanceof ValueProblem && /cnbr0 is the bridge clusternet makes/.test(e.message),
  );
  assert.throws(
    () => bridge.netKeys.bridge!.parse('a-name-too-long-x'),
    (e: unknown) => e instanceof ValueProblem,
  );
  assert.is(hostEnd(65535), 'cnh65535');
});

test('ops: our bridge made, tagged, given the device; then the veth and its host end on it', () => {
  const lines = bridge
    .ops(node(), at)
    .boot.map((op) =>
      `${op.op} ${'dev' in op ? op.dev : ''}${'master' in op ? `>${op.master}` : ''}${op.op === 'link-create' ? `${op.tmpName}→${op.name} ${op.link.kind}` : ''}`.trim(),
    );
  assert.equal(lines, [
    'link-create cnb4→cnbr0 bridge',
    'link-rename',
    'link-master eth0>cnbr0',
    'link-up cnbr0',
    'link-create cnt4→krg0 veth',
    'link-rename',
    'link-master cnh4>cnbr0',
    'link-up cnh4',
  ]);
  assert.equal(bridge.ops(node(), at).init, []);
});

test("ops: a bridge of the site's own is never made nor given the device", () => {
  const ops = bridge.ops(node({ ...veth, bridge: 'br0' }), at).boot;
  assert.equal(
    ops.map((op) => op.op),
    ['link-create', 'link-rename', 'link-master', 'link-up'],
  );
  assert.equal(ops[2], { op: 'link-master', ns: at.host, dev: 'cnh4', master: 'br0' });
});

test('createArgs: the veth with its host end (same MTU); our bridge', () => {
  assert.equal(
    bridge
      .createArgs({
        lower: null,
        name: 'cnt4',
        netns: 'c4',
        mac: '02:00:00:00:07:04',
        mtu: 1400,
        link: veth,
      })
      .join(' '),
    'link add name cnt4 netns c4 address 02:00:00:00:07:04 mtu 1400 type veth peer name cnh4 mtu 1400',
  );
  assert.equal(
    bridge
      .createArgs({
        lower: null,
        name: 'cnt4',
        netns: 'c4',
        mac: '02:00:00:00:07:04',
        mtu: 0,
        link: veth,
      })
      .join(' '),
    'link add name cnt4 netns c4 address 02:00:00:00:07:04 type veth peer name cnh4',
  );
  assert.equal(
    bridge
      .createArgs({
        lower: null,
        name: 'cnb4',
        netns: null,
        mac: null,
        mtu: 0,
        link: { kind: 'bridge' },
      })
      .join(' '),
    'link add name cnb4 type bridge',
  );
});

test("compare: the container end's peer must be our host end", () => {
  const want = { lower: null, link: veth };
  assert.equal(bridge.compare(want, live(), host), []);
  assert.equal(bridge.compare(want, live({ lowerIndex: 8 }), host), [
    {
      attribute: 'peer',
      want: 'peer cnh4 (ifindex 7)',
      have: 'peer cnh5 (ifindex 8)',
      inPlace: false,
    },
  ]);
  assert.equal(bridge.compare({ lower: null, link: { kind: 'bridge' } }, live(), host), []);
});

test("overhead 0; maxMtu the device's with our bridge, free with the site's; kernel needs bridge and veth", () => {
  assert.is(bridge.overhead(veth), 0);
  assert.is(bridge.maxMtu(veth, 1500), 1500);
  assert.is(bridge.maxMtu({ ...veth, bridge: 'br0' }, 1500), 65535);
  assert.equal(
    bridge.kernel.map((k) => k.type),
    ['bridge', 'veth'],
  );
});

test("index: veth and bridge links are the bridge kind's; stored veth fields checked", () => {
  assert.is(ownerOf('veth'), ownerOf('bridge'));
  assert.ok(LINK_PARAM_KINDS.includes('veth'));
  assert.equal(Object.keys(bridge.makes!.veth!), ['peer', 'bridge']);
  assert.equal(bridge.alsoMakes!(veth), ['cnh4']);
});

test('describe, fields, env; a server joins with a macvlan and says why', () => {
  assert.is(bridge.describe(veth), 'bridge cnbr0');
  assert.equal(bridge.fields(veth), { bridge: 'cnbr0' });
  assert.equal(bridge.env({ ...veth, bridge: 'br0' }), { CLUSTERNET_BRIDGE: 'br0' });
  const join = bridge.server.joinWith!(veth);
  assert.equal(join.link, { kind: 'macvlan' });
  assert.match(join.note, /needs none: a macvlan/);
});

test.run();
