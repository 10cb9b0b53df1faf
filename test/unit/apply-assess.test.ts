// What the kernel reports (ip -json) and each planned op against it: ok, pending, differs,
// blocked or foreign.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { assess, type StateOf } from '../../lib/apply/assess.js';
import { viewOf, type NsView } from '../../lib/apply/view.js';
import { type Op } from '../../lib/plan/ops.js';
import { isOurRoute, parseNsState, readNsState } from '../../lib/system/state.js';
import {
  FakeRunner,
  ipJson,
  stateOf as answerState,
  type LinkSpec,
  type RouteSpec,
} from '../helpers/fake-runner.js';
import { CURRENT_NS, nsLabel, type Ns } from '../../lib/system/ns.js';

const C1: Ns = { kind: 'netns', name: 'c1' };
const HOST = CURRENT_NS;

const KRG0: LinkSpec = {
  name: 'krg0',
  index: 5,
  lowerIndex: 2,
  kind: 'vlan',
  vlan: 7,
  mac: 'f0:00:00:00:07:04',
  mtu: 1496,
  alias: 'clusternet',
  up: true,
  addresses: ['10.4.135.4/18', 'fd00:4:135::4/64'],
};
const DEFAULT: RouteSpec = {
  dst: 'default',
  gateway: '10.4.135.254',
  dev: 'krg0',
  protocol: '211',
};

/** A StateOf over ip -json text per namespace. */
function states(byNs: [Ns, LinkSpec[], RouteSpec[]?][]): StateOf {
  const map = new Map<string, NsView>(
    byNs.map(([ns, links, routes]) => [
      nsLabel(ns),
      viewOf(parseNsState(ipJson(links, routes ?? []))),
    ]),
  );
  return (ns) => {
    const st = map.get(nsLabel(ns));
    if (!st) throw new Error(`no state for ${nsLabel(ns)}`);
    return st;
  };
}

const parse = suite('state: parsing ip -json -details -batch output');

parse(
  'links, their kind, VLAN id, MAC, MTU, flags, alias and addresses; routes and protocols',
  () => {
    const st = parseNsState(
      ipJson(
        [
          { name: 'lo', up: true },
          KRG0,
          { name: 'mv0', kind: 'macvlan', mac: '4e:f2:9f:62:da:31', mtu: 1500 },
        ],
        [
          DEFAULT,
          { dst: '10.4.128.0/18', dev: 'krg0' },
          { dst: 'fd00:4:135::/64', dev: 'krg0' },
          { dst: '10.4.135.4', dev: 'krg0', table: 'local' },
          {
            dst: '10.5.3.0/24',
            gateway: '192.168.10.3',
            dev: 'krg0',
            protocol: '211',
            onlink: true,
          },
        ],
      ),
    );
    assert.equal([...st.links.keys()], ['lo', 'krg0', 'mv0']);
    assert.equal(st.links.get('krg0'), {
      name: 'krg0',
      index: 5,
      kind: 'vlan',
      parent: { index: 2, netnsid: 0, name: null },
      master: null,
      info: { protocol: '802.1Q', id: 7, flags: ['REORDER_HDR'] },
      mac: 'f0:00:00:00:07:04',
      mtu: 1496,
      maxMtu: 65535,
      up: true,
      alias: 'clusternet',
      addresses: ['10.4.135.4/18', 'fd00:4:135::4/64'],
    });
    assert.equal(st.links.get('lo'), {
      name: 'lo',
      index: st.links.get('lo')!.index,
      kind: null,
      parent: null,
      master: null,
      info: null,
      mac: '00:00:00:00:00:00',
      mtu: 65536,
      maxMtu: 0,
      up: true,
      alias: null,
      addresses: ['127.0.0.1/8', '::1/128'],
    });
    assert.equal(
      [st.links.get('mv0')!.kind, st.links.get('mv0')!.info?.mode, st.links.get('mv0')!.up],
      ['macvlan', 'bridge', false],
    );
    // Both families, the main table only (the local table is the kernel's).
    assert.equal(st.routes, [
      {
        dst: 'default',
        family: 4,
        gateway: '10.4.135.254',
        dev: 'krg0',
        protocol: '211',
        onlink: false,
      },
      {
        dst: '10.4.128.0/18',
        family: 4,
        gateway: null,
        dev: 'krg0',
        protocol: 'kernel',
        onlink: false,
      },
      {
        dst: 'fd00:4:135::/64',
        family: 6,
        gateway: null,
        dev: 'krg0',
        protocol: 'kernel',
        onlink: false,
      },
      {
        dst: '10.5.3.0/24',
        family: 4,
        gateway: '192.168.10.3',
        dev: 'krg0',
        protocol: '211',
        onlink: true,
      },
    ]);
    assert.equal(st.routes.map(isOurRoute), [true, false, false, true]);
  },
);

parse('a route protocol printed as a number is kept as its string', () => {
  const stdout = `${JSON.stringify([])}\n${JSON.stringify([{ dst: 'default', gateway: '10.0.0.1', dev: 'x', protocol: 211 }])}\n`;
  assert.is(parseNsState(stdout).routes[0]!.protocol, '211');
});

parse('an empty namespace: only lo, down, no routes; blank lines ignored', () => {
  const st = parseNsState(`\n${ipJson([{ name: 'lo' }])}\n\n`);
  assert.equal(st.links.get('lo')!.up, false);
  assert.equal(st.links.get('lo')!.addresses, []);
  assert.equal(st.routes, []);
  const empty = parseNsState('');
  assert.equal([empty.links, empty.routes], [new Map(), []]);
});

parse('readNsState: ONE ip process per namespace, fed both commands on stdin', async () => {
  const runner = new FakeRunner(answerState(C1, ipJson([KRG0], [DEFAULT])));
  const st = await readNsState(runner, C1);
  assert.is(runner.calls.length, 1);
  assert.equal(runner.calls[0]!.argv, [
    'nsenter',
    '--net=/run/netns/c1',
    '--',
    'ip',
    '-json',
    '-details',
    '-batch',
    '-',
  ]);
  const commands = (runner.calls[0]!.input ?? '').split('\n');
  assert.ok(
    ['address show', 'route show table all', 'maddr show', 'neigh show nud permanent'].every((c) =>
      commands.includes(c),
    ),
    String(runner.calls[0]!.input),
  );
  assert.is(st.links.get('krg0')!.info?.id, 7);
});

parse('readNsState: a failing ip names the command', async () => {
  const runner = new FakeRunner(() => ({
    exitCode: 1,
    stderr: 'Cannot open network namespace "c1": No such file or directory',
  }));
  try {
    await readNsState(runner, C1);
    assert.unreachable('should fail');
  } catch (error) {
    assert.match(
      String((error as Error).message),
      /^command failed: nsenter --net=\/run\/netns\/c1 -- ip -json -details -batch -\nCannot open network namespace/,
    );
  }
});

const A = suite('assess: each op against the state');

A('require-link-type is always pending (the probe decides at run time)', () => {
  assert.equal(
    assess(
      { op: 'require-link-type', ns: HOST, type: 'vlan', module: '8021q', hint: '' },
      states([[HOST, []]]),
    ),
    {
      state: 'pending',
    },
  );
});

A('link-up: ok when up, pending when down, blocked when missing (shared and not)', () => {
  const st = states([
    [
      C1,
      [
        { name: 'lo', up: true },
        { ...KRG0, up: false },
      ],
    ],
    [HOST, [{ name: 'lo' }]],
  ]);
  assert.equal(assess({ op: 'link-up', ns: C1, dev: 'lo', shared: true }, st), { state: 'ok' });
  assert.equal(assess({ op: 'link-up', ns: HOST, dev: 'lo', shared: true }, st), {
    state: 'pending',
  });
  assert.equal(assess({ op: 'link-up', ns: C1, dev: 'krg0', shared: false }, st), {
    state: 'pending',
  });
  assert.equal(assess({ op: 'link-up', ns: HOST, dev: 'eth0', shared: true }, st), {
    state: 'blocked',
    reason: 'device eth0 does not exist in this namespace',
  });
  assert.equal(assess({ op: 'link-up', ns: HOST, dev: 'krg0', shared: false }, st), {
    state: 'blocked',
    reason: 'krg0 does not exist in this namespace; run boot-post first',
  });
});

const create = (over: Partial<Extract<Op, { op: 'link-create' }>> = {}): Op => ({
  op: 'link-create',
  ns: HOST,
  target: C1,
  lower: 'eth0',
  tmpName: 'cnt4',
  name: 'krg0',
  link: { kind: 'vlan', id: 7 },
  mac: 'f0:00:00:00:07:04',
  mtu: 1496,
  ...over,
});
const ETH0: LinkSpec = { name: 'eth0', index: 2, up: true, mtu: 1500, mac: '02:fc:00:00:00:01' };
const ETH1: LinkSpec = { name: 'eth1', index: 3, up: true, mtu: 1500, mac: '02:fc:00:00:00:02' };

A('link-create: pending when the lower device exists and the container is empty', () => {
  assert.equal(
    assess(
      create(),
      states([
        [HOST, [ETH0]],
        [C1, [{ name: 'lo' }]],
      ]),
    ),
    { state: 'pending' },
  );
});

A('link-create: ok when our link is there as planned (or mtu auto)', () => {
  const st = states([
    [HOST, [ETH0]],
    [C1, [KRG0]],
  ]);
  assert.equal(assess(create(), st), { state: 'ok' });
  assert.equal(
    assess(create({ mtu: 0 }), st),
    { state: 'ok' },
    'an unknown planned MTU is not compared',
  );
});

A('link-create: ok when only the temporary name exists (a crash between create and rename)', () => {
  assert.equal(
    assess(
      create(),
      states([
        [HOST, [ETH0]],
        [C1, [{ ...KRG0, name: 'cnt4', alias: undefined }]],
      ]),
    ),
    { state: 'ok' },
  );
});

A('link-create: differs when our link has another MAC, VLAN, MTU, kind or lower device', () => {
  const st = (over: Partial<LinkSpec>) =>
    states([
      [HOST, [ETH0, ETH1]],
      [C1, [{ ...KRG0, ...over }]],
    ]);
  const cases: [Partial<LinkSpec>, string, string][] = [
    [{ mac: 'f0:00:00:00:07:05' }, 'address f0:00:00:00:07:04', 'address f0:00:00:00:07:05'],
    [{ vlan: 8 }, 'id 7', 'id 8'],
    [{ mtu: 1500 }, 'mtu 1496', 'mtu 1500'],
    [{ kind: 'macvlan' }, 'vlan 7', 'macvlan'],
    [{ lowerIndex: 3 }, 'lower eth0 (ifindex 2)', 'lower eth1 (ifindex 3)'],
    [
      { mac: 'f0:00:00:00:07:05', mtu: 1500 },
      'address f0:00:00:00:07:04, mtu 1496',
      'address f0:00:00:00:07:05, mtu 1500',
    ],
  ];
  for (const [over, want, have] of cases) {
    const a = assess(create(), st(over));
    assert.is(a.state, 'differs', JSON.stringify(over));
    if (a.state !== 'differs') continue;
    assert.equal([a.want, a.have], [want, have]);
  }
});

A(
  'link-create: MAC and MTU are corrected in place; another VLAN id, kind or lower device is not',
  () => {
    const st = (over: Partial<LinkSpec>) =>
      states([
        [HOST, [ETH0]],
        [C1, [{ ...KRG0, ...over }]],
      ]);
    const a = assess(create(), st({ mac: 'f0:00:00:00:07:05', mtu: 1500 }));
    assert.equal(a.state === 'differs' ? a.fix : undefined, [
      {
        op: 'link-set',
        ns: C1,
        dev: 'krg0',
        mac: 'f0:00:00:00:07:04',
        mtu: 1496,
        was: { mac: 'f0:00:00:00:07:05', mtu: 1500 },
      },
    ]);
    for (const over of [{ vlan: 8 }, { kind: 'macvlan' as const }, { lowerIndex: 3 }]) {
      const b = assess(create(), st(over));
      assert.is(b.state === 'differs' ? b.fix : 'not differs', undefined, JSON.stringify(over));
    }
  },
);

A(
  'link-create: blocked when a link of that name is not ours, or the lower device is missing',
  () => {
    assert.equal(
      assess(
        create(),
        states([
          [HOST, [ETH0]],
          [C1, [{ ...KRG0, alias: undefined }]],
        ]),
      ),
      {
        state: 'blocked',
        reason:
          'krg0 already exists in netns c1 and was not made by clusternet; remove or rename it',
      },
    );
    assert.equal(
      assess(
        create(),
        states([
          [HOST, [{ name: 'lo' }]],
          [C1, []],
        ]),
      ),
      { state: 'blocked', reason: 'lower device eth0 does not exist in this namespace' },
    );
  },
);

A('link-rename: ok when the final name exists, else pending', () => {
  const op: Op = { op: 'link-rename', ns: C1, from: 'cnt4', to: 'krg0' };
  assert.equal(assess(op, states([[C1, [KRG0]]])), { state: 'ok' });
  assert.equal(assess(op, states([[C1, [{ ...KRG0, name: 'cnt4' }]]])), { state: 'pending' });
});

A('addr-add: ok, pending, or blocked without the link', () => {
  const op = (address: string): Op => ({ op: 'addr-add', ns: C1, dev: 'krg0', address });
  const st = states([[C1, [KRG0]]]);
  assert.equal(assess(op('10.4.135.4/18'), st), { state: 'ok' });
  assert.equal(assess(op('fd00:4:135::4/64'), st), { state: 'ok' });
  assert.equal(
    assess(op('10.4.135.4/24'), st),
    { state: 'pending' },
    'another prefix length is another address',
  );
  assert.equal(assess(op('10.4.135.4/18'), states([[C1, [{ name: 'lo' }]]])), {
    state: 'blocked',
    reason: 'krg0 does not exist in netns c1; run boot-post first',
  });
});

A('route-add: ok, pending, differs from another default route, blocked without the link', () => {
  const op: Op = { op: 'route-add', ns: C1, dst: 'default', via: '10.4.135.254', dev: 'krg0' };
  assert.equal(assess(op, states([[C1, [KRG0], [DEFAULT]]])), { state: 'ok' });
  assert.equal(assess(op, states([[C1, [KRG0], [{ dst: '10.4.128.0/18', dev: 'krg0' }]]])), {
    state: 'pending',
  });
  assert.equal(
    assess(op, states([[C1, [KRG0], [{ dst: 'default', gateway: '10.4.135.1', dev: 'krg0' }]]])),
    {
      state: 'differs',
      want: 'default via 10.4.135.254 dev krg0',
      have: 'default via 10.4.135.1 dev krg0',
    },
    "someone else's default route is reported, never taken over",
  );
  assert.equal(assess(op, states([[C1, []]])), {
    state: 'blocked',
    reason: 'krg0 does not exist in netns c1; run boot-post first',
  });
});

A('route-add: our own default route (proto 211) to another gateway is replaced', () => {
  const op: Op = { op: 'route-add', ns: C1, dst: 'default', via: '10.4.135.254', dev: 'krg0' };
  const a = assess(
    op,
    states([
      [C1, [KRG0], [{ dst: 'default', gateway: '10.4.135.1', dev: 'krg0', protocol: '211' }]],
    ]),
  );
  assert.is(a.state, 'differs');
  assert.equal(a.state === 'differs' ? a.fix : undefined, [
    { op: 'route-delete', ns: C1, dst: 'default', via: '10.4.135.1', dev: 'krg0' },
    op,
  ]);
});

A('link-delete: ok when gone, pending when ours, foreign when not tagged', () => {
  const op: Op = { op: 'link-delete', ns: C1, dev: 'krg0' };
  assert.equal(assess(op, states([[C1, []]])), { state: 'ok' });
  assert.equal(assess(op, states([[C1, [KRG0]]])), { state: 'pending' });
  assert.equal(assess(op, states([[C1, [{ ...KRG0, alias: 'site' }]]])), {
    state: 'foreign',
    reason: 'krg0 in netns c1 is not tagged clusternet; left alone',
  });
});

A('addr-delete and route-delete: pending while there, ok once gone', () => {
  const addr: Op = { op: 'addr-delete', ns: C1, dev: 'krg0', address: '10.4.135.4/18' };
  const route: Op = {
    op: 'route-delete',
    ns: C1,
    dst: 'default',
    via: '10.4.135.254',
    dev: 'krg0',
  };
  const full = states([[C1, [KRG0], [DEFAULT]]]);
  const empty = states([
    [C1, [{ ...KRG0, addresses: [] }], [{ dst: 'default', gateway: '10.4.135.1', dev: 'krg0' }]],
  ]);
  assert.equal(
    [assess(addr, full), assess(route, full)],
    [{ state: 'pending' }, { state: 'pending' }],
  );
  assert.equal([assess(addr, empty), assess(route, empty)], [{ state: 'ok' }, { state: 'ok' }]);
  assert.equal(assess(addr, states([[C1, []]])), { state: 'ok' }, 'the link itself is gone');
});

parse.run();
A.run();
