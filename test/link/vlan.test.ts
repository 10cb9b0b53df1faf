// The vlan driver alone (lib/link/vlan.ts): its key, checks, parameters, argv, comparison
// with live links (lower device included), hook variables and server fragments.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { vlanDriver as vlan } from '../../lib/link/vlan.js';
import { NO_NODE_KEYS, nodeInput } from '../helpers/fixtures.js';
import {
  DRIVERS,
  KERNEL_NEEDS,
  LINK_FIELDS,
  LINK_KINDS,
  LINK_NET_KEYS,
  fieldsOf,
  legacyLinkParams,
  ownerOf,
} from '../../lib/link/index.js';
import { parseNsState, type LinkState, type NsState } from '../../lib/system/state.js';
import { ipJson, type LinkSpec } from '../helpers/fake-runner.js';

const ETH0: LinkSpec = { name: 'eth0', index: 2, up: true, mtu: 1500 };
const ETH1: LinkSpec = { name: 'eth1', index: 3, up: true, mtu: 1500 };
const host: NsState = parseNsState(ipJson([ETH0, ETH1]));
/** As the container reads a VLAN made from the host's eth0: ifindex 2 in namespace 0. */
const live = (over: Partial<LinkSpec> = {}): LinkState =>
  parseNsState(
    ipJson([
      {
        name: 'krg0',
        index: 9,
        kind: 'vlan',
        vlan: 7,
        lowerIndex: 2,
        netnsid: 0,
        mac: 'f0:00:00:00:07:04',
        ...over,
      },
    ]),
  ).links.get('krg0')!;
const want = { lower: 'eth0', link: { kind: 'vlan' as const, id: 7 } };

test('the vlan key: 1..4094, messages as net.conf has always given them', () => {
  const spec = vlan.netKeys.vlan!;
  assert.is(spec.parse('7'), 7);
  assert.throws(
    () => spec.parse('0'),
    (e: Error) => e.message === '0 is out of range; allowed: 1 to 4094',
  );
  assert.throws(
    () => spec.parse('4095'),
    (e: Error) => e.message === '4095 is out of range; allowed: 1 to 4094',
  );
  assert.throws(
    () => spec.parse('seven'),
    (e: Error) => /"seven" is not a VLAN id/.test(e.message),
  );
});

test('check: a VLAN id is required, unless written (its own parse error then speaks)', () => {
  assert.equal(
    vlan.check(new Map(), () => false, NO_NODE_KEYS),
    [{ key: 'net.vlan', message: 'missing; link = vlan needs a VLAN id (1..4094)' }],
  );
  assert.equal(
    vlan.check(new Map(), (k) => k === 'vlan', NO_NODE_KEYS),
    [],
  );
  assert.equal(
    vlan.check(new Map([['vlan', 7]]), () => true, NO_NODE_KEYS),
    [],
  );
});

test('params: the id, or null while incomplete', () => {
  assert.equal(vlan.params(new Map([['vlan', 7]]), nodeInput()), { kind: 'vlan', id: 7 });
  assert.is(vlan.params(new Map(), nodeInput()), null);
});

test('createArgs: the argv the tests and the lab match byte for byte', () => {
  const base = {
    lower: 'eth0',
    name: 'cnt4',
    mac: 'f0:00:00:00:07:04',
    link: { kind: 'vlan' as const, id: 7 },
  };
  assert.equal(
    vlan.createArgs({ ...base, netns: 'c1', mtu: 1496 }).join(' '),
    'link add link eth0 name cnt4 netns c1 address f0:00:00:00:07:04 mtu 1496 type vlan id 7',
  );
  assert.equal(
    vlan.createArgs({ ...base, netns: null, mtu: 0 }).join(' '),
    'link add link eth0 name cnt4 address f0:00:00:00:07:04 type vlan id 7',
  );
});

test("overhead 4 (the tag), maxMtu the device's; kernel need names 8021q and the way out", () => {
  assert.is(vlan.overhead(want.link), 4);
  assert.is(vlan.maxMtu(want.link, 9000), 9000);
  assert.equal(
    vlan.kernel.map((k) => [k.type, k.module]),
    [['vlan', '8021q']],
  );
  assert.match(vlan.kernel[0]!.hint, /CONFIG_VLAN_8021Q\), or set link = macvlan/);
});

test('compare: as planned → nothing; another id, another lower device → named, not in place', () => {
  assert.equal(vlan.compare(want, live(), host), []);
  assert.equal(vlan.compare(want, live({ vlan: 8 }), host), [
    { attribute: 'id', want: 'id 7', have: 'id 8', inPlace: false },
  ]);
  assert.equal(vlan.compare(want, live({ lowerIndex: 3 }), host), [
    {
      attribute: 'lower',
      want: 'lower eth0 (ifindex 2)',
      have: 'lower eth1 (ifindex 3)',
      inPlace: false,
    },
  ]);
  // A lower device the host does not have (ifindex 7): named by its index only.
  assert.equal(vlan.compare(want, live({ lowerIndex: 7 }), host)[0]?.have, 'lower ? (ifindex 7)');
  // Both ends in one namespace: the kernel names the lower device.
  assert.equal(
    vlan.compare(want, live({ lowerIndex: undefined, lower: 'eth1' }), host)[0]?.have,
    'lower eth1 (ifindex 3)',
  );
  assert.equal(vlan.compare(want, live({ lowerIndex: undefined, lower: 'eth0' }), host), []);
});

test('describe, fields, env and the server fragments', () => {
  assert.is(vlan.describe(want.link), 'vlan 7');
  assert.equal(vlan.fields(want.link), { vlan: 7 });
  assert.equal(vlan.env(want.link), { CLUSTERNET_VLAN: '7' });
  assert.is(vlan.server.title(want.link), 'VLAN 7');
  assert.equal(vlan.server.netdev(want.link), { kind: 'vlan', section: ['[VLAN]', 'Id=7'] });
  assert.is(vlan.server.parentKey, 'VLAN');
  const s = {
    link: want.link,
    peers: [],
    device: 'eth0',
    interface: 'krg0',
    mac: 'f0:00:00:00:07:fe',
    mtu: 1496,
    address: '10.4.135.254/18',
  };
  assert.equal(vlan.server.nmcli(s), {
    type: 'vlan',
    settings: ['vlan.parent', 'eth0', 'vlan.id', '7'],
  });
});

test('index: every kind listed once, its driver its own; keys, fields and kernel needs merged', () => {
  assert.equal(LINK_KINDS, ['vlan', 'macvlan', 'bridge', 'vxlan']);
  for (const kind of LINK_KINDS) assert.is(ownerOf(kind).kind, kind);
  assert.is(DRIVERS.vlan, vlan);
  assert.equal([...LINK_NET_KEYS].map(([k, v]) => [k, v.owners]).slice(0, 1), [['vlan', ['vlan']]]);
  assert.equal(LINK_FIELDS[0], 'vlan');
  assert.equal(
    fieldsOf({ kind: 'macvlan' }),
    Object.fromEntries(LINK_FIELDS.map((f) => [f, null])),
  );
  assert.equal(fieldsOf(null).vlan, null);
  assert.equal([...KERNEL_NEEDS.keys()], ['vlan', 'macvlan', 'bridge', 'veth', 'vxlan']);
  assert.equal(legacyLinkParams('vlan', 7), { kind: 'vlan', id: 7 });
  assert.equal(legacyLinkParams('macvlan', null), { kind: 'macvlan' });
});

test.run();
