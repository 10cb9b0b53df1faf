// The macvlan driver alone (lib/link/macvlan.ts).
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { macvlanDriver as macvlan } from '../../lib/link/macvlan.js';
import { parseNsState, type LinkState, type NsState } from '../../lib/system/state.js';
import { ipJson, type LinkSpec } from '../helpers/fake-runner.js';
import { NO_NODE_KEYS, nodeInput } from '../helpers/fixtures.js';

const host: NsState = parseNsState(
  ipJson([
    { name: 'eth0', index: 2 },
    { name: 'eth1', index: 3 },
  ]),
);
const live = (over: Partial<LinkSpec> = {}): LinkState =>
  parseNsState(
    ipJson([{ name: 'krg0', index: 9, kind: 'macvlan', lowerIndex: 2, netnsid: 0, ...over }]),
  ).links.get('krg0')!;
const link = { kind: 'macvlan' as const };
const want = { lower: 'eth0', link };

test('no keys of its own, nothing to check, always complete', () => {
  assert.equal(macvlan.netKeys, {});
  assert.equal(
    macvlan.check(new Map(), () => false, NO_NODE_KEYS),
    [],
  );
  assert.equal(macvlan.params(new Map(), nodeInput()), link);
});

test('createArgs: mode bridge, the same head as every kind', () => {
  assert.equal(
    macvlan
      .createArgs({
        lower: 'eth0',
        name: 'cnt4',
        netns: '4242',
        mac: 'f0:00:00:00:07:04',
        mtu: 9000,
        link,
      })
      .join(' '),
    'link add link eth0 name cnt4 netns 4242 address f0:00:00:00:07:04 mtu 9000 type macvlan mode bridge',
  );
});

test("overhead 0, maxMtu the device's, kernel need macvlan", () => {
  assert.is(macvlan.overhead(link), 0);
  assert.is(macvlan.maxMtu(link, 1500), 1500);
  assert.equal(
    macvlan.kernel.map((k) => [k.type, k.module]),
    [['macvlan', 'macvlan']],
  );
});

test('compare: mode and lower device', () => {
  assert.equal(macvlan.compare(want, live(), host), []);
  assert.equal(macvlan.compare(want, live({ lowerIndex: 3 }), host), [
    {
      attribute: 'lower',
      want: 'lower eth0 (ifindex 2)',
      have: 'lower eth1 (ifindex 3)',
      inPlace: false,
    },
  ]);
  const privateMode = { ...live(), info: { mode: 'private' } };
  assert.equal(macvlan.compare(want, privateMode, host), [
    { attribute: 'mode', want: 'mode bridge', have: 'mode private', inPlace: false },
  ]);
});

test('describe, fields, env and the server fragments', () => {
  assert.is(macvlan.describe(link), 'macvlan');
  assert.equal([macvlan.fields(link), macvlan.env(link)], [{}, {}]);
  assert.is(macvlan.server.title(link), 'macvlan');
  assert.equal(macvlan.server.netdev(link), {
    kind: 'macvlan',
    section: ['[MACVLAN]', 'Mode=bridge'],
  });
  assert.is(macvlan.server.parentKey, 'MACVLAN');
  const s = {
    link,
    peers: [],
    device: 'eth0',
    interface: 'krg0',
    mac: 'f0:00:00:00:07:fe',
    mtu: null,
    address: '10.4.135.254/18',
  };
  assert.equal(macvlan.server.nmcli(s), {
    type: 'macvlan',
    settings: ['macvlan.parent', 'eth0', 'macvlan.mode', '2'],
  });
});

test.run();
