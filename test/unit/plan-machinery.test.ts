// The ops new link kinds share: routes of both families with a destination, permanent
// neighbours, forwarding entries and bridge ports. Rendered, executed in batches (fake
// runner), assessed, undone, found as strays, and read back from records.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { assess, assessPlan, type StateOf } from '../../lib/apply/assess.js';
import { batchSteps, execute } from '../../lib/apply/execute.js';
import { checkOp, parseRecord } from '../../lib/apply/record-schema.js';
import { findStrays, strayRemovals } from '../../lib/apply/strays.js';
import { viewOf, type NsView } from '../../lib/apply/view.js';
import { parseConfig } from '../../lib/config/load.js';
import { deriveNode } from '../../lib/derive/node.js';
import { objectKey, undoAll, undoOf, type Op, type Plan } from '../../lib/plan/ops.js';
import { ZERO_MAC } from '../../lib/link/ops.js';
import { batchLine, describeOp } from '../../lib/plan/render.js';
import { CURRENT_NS, nsLabel, type Ns } from '../../lib/system/ns.js';
import { parseFdb, parseNsState, readFdb } from '../../lib/system/state.js';
import {
  FakeRunner,
  ipJson,
  type LinkSpec,
  type NeighSpec,
  type RouteSpec,
} from '../helpers/fake-runner.js';
import { NATIVE_CONF } from '../helpers/fixtures.js';
import { InputError } from '../../lib/errors.js';

const C1: Ns = { kind: 'netns', name: 'c1' };
const HOST = CURRENT_NS;
const ROUTE4: Op = {
  op: 'route-add',
  ns: HOST,
  dst: '10.5.3.0/24',
  via: '192.168.10.3',
  dev: 'eth0',
};
const ROUTE6: Op = { op: 'route-add', ns: C1, dst: 'default', via: 'fd00:4:135::fe', dev: 'krg0' };
const ONLINK: Op = {
  op: 'route-add',
  ns: HOST,
  dst: '10.5.3.0/24',
  via: '10.5.3.0',
  dev: 'cnvx0',
  onlink: true,
};
const NEIGH: Op = {
  op: 'neigh-add',
  ns: HOST,
  dev: 'cnvx0',
  address: '10.5.3.0',
  lladdr: '02:00:00:00:08:03',
};
const FLOOD: Op = { op: 'fdb-add', ns: C1, dev: 'krg0', mac: ZERO_MAC, dst: '192.168.20.3' };
const UNICAST: Op = {
  op: 'fdb-add',
  ns: C1,
  dev: 'krg0',
  mac: '02:00:00:00:08:03',
  dst: '192.168.20.3',
};
const MASTER: Op = { op: 'link-master', ns: HOST, dev: 'cnh1', master: 'cnbr0' };
/** A host link made, named and brought up by the plan (the link-create's shape is not this file's subject). */
const hostLink = (tmpName: string, name: string): Op[] => [
  {
    op: 'link-create',
    ns: HOST,
    target: HOST,
    lower: 'eth0',
    tmpName,
    name,
    link: { kind: 'macvlan' },
    mac: '02:00:00:00:08:01',
    mtu: 0,
  },
  { op: 'link-rename', ns: HOST, from: tmpName, to: name },
  { op: 'link-up', ns: HOST, dev: name, shared: false },
];

const render = suite('plan: route, neighbour, fdb and master ops rendered');

render('each op is one line of ip -batch or bridge -batch', () => {
  const line = (op: Op) => {
    const l = batchLine(op)!;
    return `${l.tool} ${l.args.join(' ')}`;
  };
  assert.is(line(ROUTE4), 'ip route add 10.5.3.0/24 via 192.168.10.3 dev eth0 proto 211');
  assert.is(line(ROUTE6), 'ip route add default via fd00:4:135::fe dev krg0 proto 211');
  assert.is(line(ONLINK), 'ip route add 10.5.3.0/24 via 10.5.3.0 dev cnvx0 onlink proto 211');
  assert.is(line(undoOf(ROUTE6)!), 'ip route del default via fd00:4:135::fe dev krg0 proto 211');
  assert.is(
    line(NEIGH),
    'ip neigh replace 10.5.3.0 lladdr 02:00:00:00:08:03 dev cnvx0 nud permanent proto 211',
  );
  assert.is(line(undoOf(NEIGH)!), 'ip neigh del 10.5.3.0 dev cnvx0');
  assert.is(
    line(FLOOD),
    'bridge fdb append 00:00:00:00:00:00 dev krg0 dst 192.168.20.3 self permanent',
  );
  assert.is(
    line(UNICAST),
    'bridge fdb replace 02:00:00:00:08:03 dev krg0 dst 192.168.20.3 self permanent',
  );
  assert.is(
    line(undoOf(FLOOD)!),
    'bridge fdb del 00:00:00:00:00:00 dev krg0 dst 192.168.20.3 self',
  );
  assert.is(line(MASTER), 'ip link set dev cnh1 master cnbr0');
  assert.is(line(undoOf(MASTER)!), 'ip link set dev cnh1 nomaster');
  assert.is(
    describeOp(FLOOD),
    '[netns c1] bridge fdb append 00:00:00:00:00:00 dev krg0 dst 192.168.20.3 self permanent',
  );
});

render(
  'object keys: a route by family and destination, a neighbour by address, an fdb entry by MAC and destination',
  () => {
    assert.is(objectKey(ROUTE4), 'route this namespace 4 10.5.3.0/24');
    assert.is(objectKey(ROUTE6), 'route netns c1 6 default');
    assert.is(objectKey({ ...ROUTE6, via: '10.4.135.254' }), 'route netns c1 4 default');
    assert.is(objectKey(NEIGH), 'neigh this namespace cnvx0 10.5.3.0');
    assert.is(objectKey(FLOOD), 'fdb netns c1 krg0 00:00:00:00:00:00 192.168.20.3');
    assert.is(objectKey(MASTER), 'master this namespace cnh1');
    assert.is(objectKey(undoOf(MASTER)!), objectKey(MASTER));
  },
);

render(
  'undoAll: a port leaves its bridge before the bridge is deleted, and everything else latest first',
  () => {
    const made: Op[] = [...hostLink('cnb1', 'cnbr0'), MASTER, NEIGH, ROUTE4];
    // The record may hold the master op before the bridge was made (another phase's order).
    const undo = undoAll([MASTER, ...made.filter((op) => op !== MASTER)]).map(
      (op) => `${op.op} ${'dev' in op ? op.dev : ''}`,
    );
    assert.equal(undo, [
      'route-delete eth0',
      'neigh-delete cnvx0',
      'link-nomaster cnh1',
      'link-down cnbr0',
      'link-delete cnbr0',
      'link-delete cnb1',
    ]);
    assert.equal(
      undoAll(made)
        .map((op) => op.op)
        .slice(0, 3),
      ['route-delete', 'neigh-delete', 'link-nomaster'],
    );
  },
);

render(
  'execute: one batch per tool and namespace; a failed bridge line rolls back with -force -batch',
  async () => {
    const ops: Op[] = [
      ROUTE6,
      { ...ROUTE6, via: '10.4.135.254' },
      FLOOD,
      UNICAST,
      { op: 'maddr-add', ns: C1, dev: 'krg0', mac: '01:00:5e:00:00:01' },
      NEIGH,
      MASTER,
    ];
    assert.equal(
      batchSteps(ops).map((s) => [nsLabel(s.ns), s.ops.length]),
      [
        ['netns c1', 2],
        ['netns c1', 3],
        ['this namespace', 2],
      ],
    );
    const runner = new FakeRunner((argv, input) =>
      argv.includes('bridge') && !argv.includes('-force') && (input ?? '').includes('replace')
        ? { exitCode: 255, stderr: 'RTNETLINK answers: Invalid argument\nCommand failed -:2\n' }
        : undefined,
    );
    const error = await execute(ops, { runner }).then(
      () => null,
      (e: Error) => e,
    );
    assert.ok(error && /bridge fdb replace 02:00:00:00:08:03/.test(error.message), String(error));
    const ran = runner.calls.map((c) => [
      c.argv.slice(c.argv.indexOf('--') + 1).join(' '),
      FakeRunner.lines(c),
    ]);
    assert.equal(ran, [
      [
        'ip -batch -',
        [
          'route add default via fd00:4:135::fe dev krg0 proto 211',
          'route add default via 10.4.135.254 dev krg0 proto 211',
        ],
      ],
      [
        'bridge -batch -',
        [
          'fdb append 00:00:00:00:00:00 dev krg0 dst 192.168.20.3 self permanent',
          'fdb replace 02:00:00:00:08:03 dev krg0 dst 192.168.20.3 self permanent',
          'fdb add 01:00:5e:00:00:01 dev krg0 self permanent',
        ],
      ],
      // Rollback: the flood entry (applied), then both routes.
      ['bridge -force -batch -', ['fdb del 00:00:00:00:00:00 dev krg0 dst 192.168.20.3 self']],
      [
        'ip -force -batch -',
        [
          'route del default via 10.4.135.254 dev krg0 proto 211',
          'route del default via fd00:4:135::fe dev krg0 proto 211',
        ],
      ],
    ]);
  },
);

/** A StateOf over ip -json text per namespace, with fdb entries where given. */
function states(
  byNs: [Ns, LinkSpec[], RouteSpec[]?, NeighSpec[]?, Record<string, string>?][],
): StateOf & { map: Map<string, NsView> } {
  const map = new Map<string, NsView>(
    byNs.map(([ns, links, routes, neighbors, fdb]) => {
      const st = viewOf(parseNsState(ipJson(links, routes ?? [], neighbors ?? [])));
      for (const [dev, json] of Object.entries(fdb ?? {})) st.fdb.set(dev, parseFdb(json));
      return [nsLabel(ns), st];
    }),
  );
  const of = (ns: Ns) => {
    const st = map.get(nsLabel(ns));
    if (!st) throw new Error(`no state for ${nsLabel(ns)}`);
    return st;
  };
  return Object.assign(of, { map });
}

const KRG0: LinkSpec = {
  name: 'krg0',
  up: true,
  alias: 'clusternet',
  addresses: ['10.4.135.4/18', 'fd00:4:135::4/64'],
};
const fdbJson = (entries: { mac: string; dst?: string }[]) =>
  JSON.stringify(
    entries.map((e) => ({
      mac: e.mac,
      ...(e.dst ? { dst: e.dst } : {}),
      flags: ['self'],
      state: 'permanent',
    })),
  );

const A = suite('assess: route, neighbour, fdb and master ops');

A(
  'route-add: a v6 default route is found beside the v4 one; ours replaced, others reported',
  () => {
    const v4: RouteSpec = { dst: 'default', gateway: '10.4.135.254', dev: 'krg0', protocol: '211' };
    assert.equal(assess(ROUTE6, states([[C1, [KRG0], [v4]]])), { state: 'pending' });
    assert.equal(
      assess(
        ROUTE6,
        states([
          [
            C1,
            [KRG0],
            [v4, { dst: 'default', gateway: 'fd00:4:135::fe', dev: 'krg0', protocol: '211' }],
          ],
        ]),
      ),
      { state: 'ok' },
    );
    const other = assess(
      ROUTE6,
      states([
        [C1, [KRG0], [{ dst: 'default', gateway: 'fd00:4:135::1', dev: 'krg0', protocol: '211' }]],
      ]),
    );
    assert.equal(other, {
      state: 'differs',
      want: 'default via fd00:4:135::fe dev krg0',
      have: 'default via fd00:4:135::1 dev krg0',
      fix: [
        { op: 'route-delete', ns: C1, dst: 'default', via: 'fd00:4:135::1', dev: 'krg0' },
        ROUTE6,
      ],
    });
    const foreign = assess(
      ROUTE6,
      states([
        [C1, [KRG0], [{ dst: 'default', gateway: 'fd00:4:135::1', dev: 'krg0', protocol: 'ra' }]],
      ]),
    );
    assert.is(foreign.state === 'differs' && foreign.fix, undefined);
    assert.equal(assess({ ...ROUTE6, op: 'route-delete' }, states([[C1, [KRG0], [v4]]])), {
      state: 'ok',
    });
  },
);

A(
  'made: an op on a device an earlier op of the plan creates is pending; without it, blocked',
  () => {
    const st = states([[HOST, [{ name: 'eth0', up: true }]]]);
    const plan: Op[] = [
      ...hostLink('cnx1', 'cnvx0'),
      NEIGH,
      ONLINK,
      { op: 'link-master', ns: HOST, dev: 'cnvx0', master: 'cnbr0' },
    ];
    assert.equal(
      assessPlan(plan, st).map((a) => a.assessment.state),
      ['pending', 'pending', 'pending', 'pending', 'pending', 'blocked'],
    );
    const alone = assessPlan(plan.slice(2), st).map((a) => a.assessment);
    assert.equal(alone[0], {
      state: 'blocked',
      reason: 'cnvx0 does not exist in this namespace; run boot-post first',
    });
    assert.equal(alone[1], {
      state: 'blocked',
      reason: 'cnvx0 does not exist in this namespace; run boot-post first',
    });
    assert.equal(alone[3], {
      state: 'blocked',
      reason: 'bridge cnbr0 does not exist in this namespace',
    });
  },
);

A(
  "neigh-add: ok, pending, ours with another MAC replaced, someone else's reported; neigh-delete leaves others alone",
  () => {
    const dev: LinkSpec = { name: 'cnvx0', up: true };
    const at = (n: NeighSpec[]) => states([[HOST, [dev], [], n]]);
    assert.equal(assess(NEIGH, at([])), { state: 'pending' });
    assert.equal(
      assess(
        NEIGH,
        at([{ address: '10.5.3.0', dev: 'cnvx0', lladdr: '02:00:00:00:08:03', protocol: '211' }]),
      ),
      { state: 'ok' },
    );
    const ours = assess(
      NEIGH,
      at([{ address: '10.5.3.0', dev: 'cnvx0', lladdr: '02:00:00:00:08:09', protocol: '211' }]),
    );
    assert.equal(ours, {
      state: 'differs',
      want: '10.5.3.0 lladdr 02:00:00:00:08:03 dev cnvx0',
      have: '10.5.3.0 lladdr 02:00:00:00:08:09 dev cnvx0',
      fix: [NEIGH],
    });
    const theirs = assess(
      NEIGH,
      at([{ address: '10.5.3.0', dev: 'cnvx0', lladdr: '02:00:00:00:08:09' }]),
    );
    assert.is(theirs.state === 'differs' && theirs.fix, undefined);
    assert.equal(
      assess(
        undoOf(NEIGH)!,
        at([{ address: '10.5.3.0', dev: 'cnvx0', lladdr: '02:00:00:00:08:03', protocol: '211' }]),
      ),
      { state: 'pending' },
    );
    assert.is(
      assess(
        undoOf(NEIGH)!,
        at([{ address: '10.5.3.0', dev: 'cnvx0', lladdr: '02:00:00:00:08:03' }]),
      ).state,
      'foreign',
    );
    assert.equal(assess(undoOf(NEIGH)!, at([])), { state: 'ok' });
  },
);

A(
  'fdb-add: ok, pending, a unicast MAC at another destination moved; fdb-delete pending only while there',
  () => {
    const at = (entries: { mac: string; dst?: string }[]) =>
      states([[C1, [KRG0], [], [], { krg0: fdbJson(entries) }]]);
    assert.equal(assess(FLOOD, at([])), { state: 'pending' });
    assert.equal(assess(FLOOD, at([{ mac: ZERO_MAC, dst: '192.168.10.2' }])), { state: 'pending' });
    assert.equal(assess(FLOOD, at([{ mac: ZERO_MAC, dst: '192.168.20.3' }])), { state: 'ok' });
    assert.equal(assess(UNICAST, at([{ mac: '02:00:00:00:08:03', dst: '192.168.20.9' }])), {
      state: 'differs',
      want: '02:00:00:00:08:03 dst 192.168.20.3 on krg0',
      have: '02:00:00:00:08:03 dst 192.168.20.9 on krg0',
      fix: [UNICAST],
    });
    assert.equal(assess(undoOf(FLOOD)!, at([{ mac: ZERO_MAC, dst: '192.168.20.3' }])), {
      state: 'pending',
    });
    assert.equal(assess(undoOf(FLOOD)!, at([])), { state: 'ok' });
  },
);

A(
  'link-master: ok when a port of that bridge, pending when of none, a port of another bridge reported; nomaster',
  () => {
    const at = (master?: string) =>
      states([
        [
          HOST,
          [
            { name: 'cnbr0', up: true },
            { name: 'cnh1', up: true, ...(master ? { master } : {}) },
          ],
        ],
      ]);
    assert.equal(assess(MASTER, at()), { state: 'pending' });
    assert.equal(assess(MASTER, at('cnbr0')), { state: 'ok' });
    assert.equal(assess(MASTER, at('br9')), {
      state: 'differs',
      want: 'cnh1 master cnbr0',
      have: 'cnh1 master br9',
    });
    assert.equal(assess(undoOf(MASTER)!, at('cnbr0')), { state: 'pending' });
    assert.equal(assess(undoOf(MASTER)!, at()), { state: 'ok' });
  },
);

A(
  'readFdb: bridge -j fdb show dev D; an absent device (exit 255) reads as no entries',
  async () => {
    const runner = new FakeRunner((argv) =>
      argv.includes('krg0')
        ? {
            stdout: fdbJson([{ mac: ZERO_MAC, dst: '192.168.20.3' }, { mac: '33:33:00:00:00:01' }]),
          }
        : { exitCode: 255, stderr: 'Cannot find device "nosuch"\n' },
    );
    assert.equal(await readFdb(runner, C1, 'krg0'), [
      { mac: ZERO_MAC, dst: '192.168.20.3', permanent: true },
      { mac: '33:33:00:00:00:01', dst: null, permanent: true },
    ]);
    assert.equal(await readFdb(runner, C1, 'nosuch'), []);
    assert.equal(runner.calls[0]!.argv, [
      'nsenter',
      '--net=/run/netns/c1',
      '--',
      'bridge',
      '-j',
      'fdb',
      'show',
      'dev',
      'krg0',
    ]);
  },
);

const S = suite('strays: our routes, neighbours and forwarding entries the plan lacks');

S(
  "init-pre: our v4 and v6 routes not planned are removed; one planned with another next hop is the route-add's",
  () => {
    const values = deriveNode(parseConfig(NATIVE_CONF, 'f'), 4);
    const plan: Plan = {
      phase: 'init-pre',
      node: 4,
      ops: [{ op: 'route-add', ns: C1, dst: 'default', via: '10.4.135.254', dev: 'krg0' }],
    };
    const st = states([
      [
        C1,
        [KRG0],
        [
          { dst: 'default', gateway: '10.4.135.1', dev: 'krg0', protocol: '211' },
          { dst: 'default', gateway: 'fd00:4:135::fe', dev: 'krg0', protocol: '211' },
          { dst: '10.9.0.0/24', gateway: '10.4.135.7', dev: 'krg0', protocol: 'boot' },
        ],
        [
          { address: '10.4.135.9', dev: 'krg0', lladdr: '02:00:00:00:00:09', protocol: '211' },
          { address: '10.4.135.8', dev: 'krg0', lladdr: '02:00:00:00:00:08' },
        ],
      ],
    ]);
    const strays = findStrays(plan, st.map, values, C1);
    assert.equal(
      strays.map((s) => s.item),
      [
        'netns c1: route default via fd00:4:135::fe dev krg0 (protocol 211)',
        'netns c1: neighbour 10.4.135.9 lladdr 02:00:00:00:00:09 dev krg0 (protocol 211)',
      ],
    );
    assert.equal(strayRemovals(strays), [
      { op: 'route-delete', ns: C1, dst: 'default', via: 'fd00:4:135::fe', dev: 'krg0' },
      {
        op: 'neigh-delete',
        ns: C1,
        dev: 'krg0',
        address: '10.4.135.9',
        lladdr: '02:00:00:00:00:09',
      },
    ]);
    // boot-post judges the host, not the container's routes (init-pre's).
    assert.equal(findStrays({ ...plan, phase: 'boot-post', ops: [] }, st.map, values, C1), []);
  },
);

S(
  'fdb entries with a destination on a device the plan gives entries, not planned, are removed',
  () => {
    const values = deriveNode(parseConfig(NATIVE_CONF, 'f'), 4);
    const plan: Plan = { phase: 'init-pre', node: 4, ops: [FLOOD, UNICAST] };
    const st = states([
      [
        C1,
        [KRG0],
        [],
        [],
        {
          krg0: fdbJson([
            { mac: ZERO_MAC, dst: '192.168.20.3' },
            { mac: ZERO_MAC, dst: '192.168.10.99' },
            { mac: '02:00:00:00:08:03', dst: '192.168.20.9' },
            { mac: '02:00:00:00:08:07', dst: '192.168.20.7' },
            { mac: '01:00:5e:00:00:01' },
          ]),
        },
      ],
    ]);
    const strays = findStrays(plan, st.map, values, C1);
    assert.equal(
      strays.map((s) => s.item),
      [
        'netns c1: forwarding entry 00:00:00:00:00:00 dst 192.168.10.99 on krg0',
        'netns c1: forwarding entry 02:00:00:00:08:07 dst 192.168.20.7 on krg0',
      ],
    );
    assert.equal(strayRemovals(strays)[0], {
      op: 'fdb-delete',
      ns: C1,
      dev: 'krg0',
      mac: ZERO_MAC,
      dst: '192.168.10.99',
    });
  },
);

const R = suite('records: the new ops and fields, checked; old default routes read as dst default');

R('a record written before routes had a destination is read with dst default', () => {
  const old = {
    phases: {
      'init-pre': [
        { op: 'route-add', ns: { kind: 'netns', name: 'c1' }, dev: 'krg0', via: '10.4.135.254' },
      ],
    },
  };
  const record = parseRecord(JSON.stringify(old), '/run/x.json', 4);
  assert.equal(record.phases['init-pre'], [
    { op: 'route-add', ns: C1, dst: 'default', via: '10.4.135.254', dev: 'krg0' },
  ]);
});

R('every new op reads back as written; bad fields are refused', () => {
  for (const op of [
    ROUTE4,
    ROUTE6,
    ONLINK,
    NEIGH,
    undoOf(NEIGH)!,
    FLOOD,
    UNICAST,
    undoOf(FLOOD)!,
    MASTER,
    undoOf(MASTER)!,
  ]) {
    assert.equal(checkOp(JSON.parse(JSON.stringify(op)), 'op'), op);
  }
  const bad = (op: object, message: RegExp) =>
    assert.throws(
      () => parseRecord(JSON.stringify({ phases: { 'boot-post': [op] } }), '/run/x.json', 4),
      (e: unknown) => e instanceof InputError && message.test(e.message),
    );
  bad({ ...ROUTE4, dst: '10.5.3.0/24; rm -rf /' }, /phases.boot-post\[0\].dst/);
  bad({ ...ROUTE4, dst: 'fd05::/64' }, /not of the family of its next hop/);
  bad({ ...ROUTE4, onlink: 'yes' }, /onlink: not true or false/);
  bad({ ...NEIGH, lladdr: 'zz' }, /lladdr/);
  bad({ ...FLOOD, dst: 'example.org' }, /dst/);
  bad({ ...MASTER, master: 'a b' }, /master/);
  bad({ ...MASTER, extra: 1 }, /unknown field "extra"/);
});

render.run();
A.run();
S.run();
R.run();
