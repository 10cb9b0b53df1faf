// The plan of each phase as plain data, and the exact commands it renders to.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { parseConfig } from '../../lib/config/load.js';
import { deriveNode, type NodeValues } from '../../lib/derive/node.js';
import { PHASES, undoOf, type Op } from '../../lib/plan/ops.js';
import { buildPlan, defaultContext, resolveMtu, type PlanContext } from '../../lib/plan/phases.js';
import { describeOp, ipArgs } from '../../lib/plan/render.js';
import { probeArgs } from '../../lib/link/ops.js';
import { NATIVE_CONF, conf } from '../helpers/fixtures.js';
import { CURRENT_NS, type Ns, inNs, nsPrefix } from '../../lib/system/ns.js';

const C1: Ns = { kind: 'netns', name: 'c1' };
const PID: Ns = { kind: 'pid', pid: 4242 };
const HOST = CURRENT_NS;

/** Node 4 of the full config: vlan 7, address6, gateway, a cluster address. */
const full = deriveNode(parseConfig(NATIVE_CONF, 'f'), 4);
/** The same without the [clusterip] section: the node's own network only. */
const CORE_CONF = NATIVE_CONF.replace(/\[clusterip\][\s\S]*?\n\n/, '');
const core = deriveNode(parseConfig(CORE_CONF, 'f'), 4);
/** Node 4 of a macvlan config without address6 or gateway. */
const mac = deriveNode(parseConfig(conf({ net: { link: 'macvlan', vlan: undefined } }), 'f'), 4);
const ctx = (deviceMtu?: number, container: Ns = C1): PlanContext => ({
  host: HOST,
  container,
  deviceMtu,
});

const plans = suite('plan: ops per phase');

plans('boot-pre: probe the link type, then bring the lower device up (shared)', () => {
  assert.equal(buildPlan('boot-pre', full, ctx()), {
    phase: 'boot-pre',
    node: 4,
    ops: [
      {
        op: 'require-link-type',
        ns: HOST,
        type: 'vlan',
        module: '8021q',
        hint: 'Use a kernel with 802.1q support (CONFIG_VLAN_8021Q), or set link = macvlan in [net].',
      },
      { op: 'link-up', ns: HOST, dev: 'eth0', shared: true },
    ],
  });
  assert.equal(buildPlan('boot-pre', mac, ctx()).ops[0], {
    op: 'require-link-type',
    ns: HOST,
    type: 'macvlan',
    module: 'macvlan',
    hint: '',
  });
});

plans(
  'boot-post (vlan): create in the container under cnt<N>, then rename; mtu auto = device MTU − 4',
  () => {
    assert.equal(buildPlan('boot-post', full, ctx(1500)).ops, [
      {
        op: 'link-create',
        ns: HOST,
        target: C1,
        lower: 'eth0',
        tmpName: 'cnt4',
        name: 'krg0',
        link: { kind: 'vlan', id: 7 },
        mac: 'f0:00:00:00:07:04',
        mtu: 1496,
      },
      { op: 'link-rename', ns: C1, from: 'cnt4', to: 'krg0' },
    ]);
  },
);

plans('boot-post (macvlan): mtu auto = device MTU, no VLAN', () => {
  const [create] = buildPlan('boot-post', mac, ctx(9000, PID)).ops;
  assert.equal(create, {
    op: 'link-create',
    ns: HOST,
    target: PID,
    lower: 'eth0',
    tmpName: 'cnt4',
    name: 'krg0',
    link: { kind: 'macvlan' },
    mac: 'f0:00:00:00:07:04',
    mtu: 9000,
  });
});

plans('resolveMtu: explicit wins; auto without a known device MTU is 0 (shown as auto)', () => {
  assert.is(resolveMtu({ ...full, mtu: 1400 }, 1500), 1400);
  assert.is(resolveMtu({ ...full, mtu: 1400 }, undefined), 1400);
  assert.is(resolveMtu(full, 1500), 1496);
  assert.is(resolveMtu(mac, 1500), 1500);
  assert.is(resolveMtu(full, undefined), 0);
  const [create] = buildPlan('boot-post', { ...full, mtu: 1400 }, ctx(1500)).ops;
  assert.is((create as Extract<Op, { op: 'link-create' }>).mtu, 1400);
});

plans('init-pre: lo up, addresses, link up, then the default route', () => {
  assert.equal(buildPlan('init-pre', full, ctx()).ops, [
    { op: 'link-up', ns: C1, dev: 'lo', shared: true },
    { op: 'addr-add', ns: C1, dev: 'krg0', address: '10.4.135.4/18' },
    { op: 'addr-add', ns: C1, dev: 'krg0', address: 'fd00:4:135::4/64' },
    { op: 'link-up', ns: C1, dev: 'krg0', shared: false },
    { op: 'route-add', ns: C1, dst: 'default', via: '10.4.135.254', dev: 'krg0' },
  ]);
});

plans(
  'init-pre with gateway6: an IPv6 default route beside the IPv4 one; stop removes both',
  () => {
    const dual = deriveNode(
      parseConfig(
        CORE_CONF.replace(
          'gateway = 10.4.135.254',
          'gateway = 10.4.135.254\ngateway6 = fd00:4:135::fe',
        ),
        'f',
      ),
      4,
    );
    assert.is(dual.gateway6, 'fd00:4:135::fe');
    const routes = buildPlan('init-pre', dual, ctx()).ops.filter((o) => o.op === 'route-add');
    assert.equal(routes, [
      { op: 'route-add', ns: C1, dst: 'default', via: '10.4.135.254', dev: 'krg0' },
      { op: 'route-add', ns: C1, dst: 'default', via: 'fd00:4:135::fe', dev: 'krg0' },
    ]);
    assert.equal(buildPlan('stop', dual, ctx(1500)).ops.slice(0, 2), [
      { op: 'route-delete', ns: C1, dst: 'default', via: 'fd00:4:135::fe', dev: 'krg0' },
      { op: 'route-delete', ns: C1, dst: 'default', via: '10.4.135.254', dev: 'krg0' },
    ]);
  },
);

plans('init-pre without address6 or gateway', () => {
  assert.equal(
    buildPlan('init-pre', mac, ctx(undefined, HOST)).ops.map((o) => o.op),
    ['link-up', 'addr-add', 'link-up'],
  );
});

plans('init-post without a cluster address: nothing to do', () => {
  assert.ok(!CORE_CONF.includes('[clusterip]'));
  assert.equal(buildPlan('init-post', core, ctx()), { phase: 'init-post', node: 4, ops: [] });
});

plans('init-post with a cluster address: it goes on the interface last, after its rules', () => {
  const ops = buildPlan('init-post', full, ctx()).ops;
  assert.ok(ops.length > 0);
  assert.ok(
    ops.every((o) => o.ns.kind === 'netns' && o.ns.name === 'c1'),
    'all inside the container',
  );
  // The address (one `ip -batch`), then the multicast MAC (one `bridge -batch`).
  assert.equal(ops.slice(-2), [
    { op: 'addr-add', ns: C1, dev: 'krg0', address: '10.4.192.1/32' },
    { op: 'maddr-add', ns: C1, dev: 'krg0', mac: '01:00:5e:04:c0:01' },
  ]);
  assert.ok(!ops.slice(0, -2).some((o) => o.op === 'addr-add'), 'no address before the rules');
});

plans('stop: the undo of every phase, latest first, each in reverse', () => {
  assert.equal(buildPlan('stop', core, ctx(1500)).ops, [
    { op: 'route-delete', ns: C1, dst: 'default', via: '10.4.135.254', dev: 'krg0' },
    { op: 'addr-delete', ns: C1, dev: 'krg0', address: 'fd00:4:135::4/64' },
    { op: 'addr-delete', ns: C1, dev: 'krg0', address: '10.4.135.4/18' },
    { op: 'link-down', ns: C1, dev: 'krg0' },
    { op: 'link-delete', ns: C1, dev: 'krg0' },
    { op: 'link-delete', ns: C1, dev: 'cnt4' },
  ]);
});

plans('stop is exactly the reverse of the undoable ops of boot-post and init-pre', () => {
  const forward = (['boot-pre', 'boot-post', 'init-pre', 'init-post'] as const).flatMap(
    (p) => buildPlan(p, full, ctx(1500)).ops,
  );
  const expected = forward
    .map(undoOf)
    .filter((o): o is Op => o !== null)
    .reverse();
  // The same ops, except that our link goes down only after its addresses are gone.
  const stop = buildPlan('stop', full, ctx(1500)).ops;
  const key = (o: Op) => JSON.stringify(o);
  assert.equal(stop.map(key).sort(), expected.map(key).sort());
  const down = stop.findIndex((o) => o.op === 'link-down');
  assert.ok(
    stop.slice(down).every((o) => o.op !== 'addr-delete'),
    'no address is deleted after the link is down',
  );
  // Nothing shared (lo, the lower device) is ever taken down.
  assert.ok(
    !buildPlan('stop', full, ctx()).ops.some(
      (o) => 'dev' in o && (o.dev === 'lo' || o.dev === 'eth0'),
    ),
  );
});

plans('enable = false: every phase, stop included, has an empty plan', () => {
  const off = deriveNode(parseConfig(conf({ net: { enable: 'false' } }), 'f'), 4);
  for (const phase of PHASES)
    assert.equal(buildPlan(phase, off, ctx(1500)), { phase, node: 4, ops: [] }, phase);
});

plans('defaultContext: the host is where we run', () => {
  assert.equal(defaultContext(), { host: CURRENT_NS, container: CURRENT_NS });
  assert.equal(defaultContext(C1), { host: CURRENT_NS, container: C1 });
});

plans('a plan is plain data: JSON round-trips it', () => {
  for (const phase of PHASES) {
    const plan = buildPlan(phase, full, ctx(1500));
    assert.equal(JSON.parse(JSON.stringify(plan)), plan);
  }
});

const render = suite('plan: rendered commands');
const v = (values: NodeValues, phase: (typeof PHASES)[number], c = ctx(1500)) =>
  buildPlan(phase, values, c).ops.map(describeOp);

render('boot-pre', () => {
  assert.equal(v(full, 'boot-pre'), [
    'ip link add name cnprobe mtu 1 type vlan  # probe: the kernel must know link type vlan (modprobe 8021q)',
    'ip link set dev eth0 up',
  ]);
  assert.equal(
    v(mac, 'boot-pre')[0],
    'ip link add name cnprobe mtu 1 type macvlan  # probe: the kernel must know link type macvlan (modprobe macvlan)',
  );
  assert.equal(probeArgs('vlan'), ['link', 'add', 'name', 'cnprobe', 'mtu', '1', 'type', 'vlan']);
});

render('boot-post into a named netns, a vlan', () => {
  assert.equal(v(full, 'boot-post'), [
    'ip link add link eth0 name cnt4 netns c1 address f0:00:00:00:07:04 mtu 1496 type vlan id 7',
    '[netns c1] ip link set dev cnt4 name krg0 alias clusternet',
  ]);
});

render('boot-post into a pid, a macvlan in bridge mode', () => {
  assert.equal(v(mac, 'boot-post', ctx(1500, PID)), [
    'ip link add link eth0 name cnt4 netns 4242 address f0:00:00:00:07:04 mtu 1500 type macvlan mode bridge',
    '[pid 4242] ip link set dev cnt4 name krg0 alias clusternet',
  ]);
});

render('boot-post with an unknown device MTU shows "mtu auto" but sends no mtu to ip', () => {
  const [create] = buildPlan('boot-post', full, ctx(undefined)).ops;
  assert.is(
    describeOp(create!),
    'ip link add link eth0 name cnt4 netns c1 address f0:00:00:00:07:04 mtu auto type vlan id 7',
  );
  assert.equal(ipArgs(create!), [
    'link',
    'add',
    'link',
    'eth0',
    'name',
    'cnt4',
    'netns',
    'c1',
    'address',
    'f0:00:00:00:07:04',
    'type',
    'vlan',
    'id',
    '7',
  ]);
});

render('init-pre', () => {
  assert.equal(v(full, 'init-pre'), [
    '[netns c1] ip link set dev lo up',
    '[netns c1] ip address add 10.4.135.4/18 dev krg0',
    '[netns c1] ip address add fd00:4:135::4/64 dev krg0',
    '[netns c1] ip link set dev krg0 up',
    '[netns c1] ip route add default via 10.4.135.254 dev krg0 proto 211',
  ]);
  assert.equal(
    v(full, 'init-pre', ctx(1500, HOST))[1],
    'ip address add 10.4.135.4/18 dev krg0',
    'no prefix inside the container',
  );
});

render('stop', () => {
  assert.equal(v(core, 'stop'), [
    '[netns c1] ip route del default via 10.4.135.254 dev krg0 proto 211',
    '[netns c1] ip address del fd00:4:135::4/64 dev krg0',
    '[netns c1] ip address del 10.4.135.4/18 dev krg0',
    '[netns c1] ip link set dev krg0 down',
    '[netns c1] ip link del dev krg0',
    '[netns c1] ip link del dev cnt4',
  ]);
});

render('ipArgs: null only for the probe', () => {
  assert.is(
    ipArgs({ op: 'require-link-type', ns: HOST, type: 'vlan', module: '8021q', hint: '' }),
    null,
  );
  assert.equal(ipArgs({ op: 'link-rename', ns: C1, from: 'cnt4', to: 'krg0' }), [
    'link',
    'set',
    'dev',
    'cnt4',
    'name',
    'krg0',
    'alias',
    'clusternet',
  ]);
  assert.equal(
    ipArgs({ op: 'route-delete', ns: C1, dst: 'default', via: '10.4.135.254', dev: 'krg0' }),
    ['route', 'del', 'default', 'via', '10.4.135.254', 'dev', 'krg0', 'proto', '211'],
  );
});

render('a link created in the current namespace has no netns argument', () => {
  const op: Op = {
    op: 'link-create',
    ns: HOST,
    target: HOST,
    lower: 'eth0',
    tmpName: 'cnt1',
    name: 'krg0',
    link: { kind: 'vlan', id: 7 },
    mac: 'f0:00:00:00:07:01',
    mtu: 1496,
  };
  assert.is(
    describeOp(op),
    'ip link add link eth0 name cnt1 address f0:00:00:00:07:01 mtu 1496 type vlan id 7',
  );
});

render('inNs and nsPrefix', () => {
  assert.equal(inNs(HOST, ['ip', '-batch', '-']), ['ip', '-batch', '-']);
  assert.equal(inNs(C1, ['ip', '-batch', '-']), [
    'nsenter',
    '--net=/run/netns/c1',
    '--',
    'ip',
    '-batch',
    '-',
  ]);
  assert.equal(inNs(PID, ['ip']), ['nsenter', '--net=/proc/4242/ns/net', '--', 'ip']);
  assert.equal([nsPrefix(HOST), nsPrefix(C1), nsPrefix(PID)], ['', '[netns c1] ', '[pid 4242] ']);
});

render('undoOf: what each op leaves to undo', () => {
  assert.equal(
    undoOf({
      op: 'link-create',
      ns: HOST,
      target: C1,
      lower: 'eth0',
      tmpName: 'cnt4',
      name: 'krg0',
      link: { kind: 'vlan', id: 7 },
      mac: 'x',
      mtu: 0,
    }),
    { op: 'link-delete', ns: C1, dev: 'cnt4' },
  );
  assert.equal(undoOf({ op: 'link-rename', ns: C1, from: 'cnt4', to: 'krg0' }), {
    op: 'link-delete',
    ns: C1,
    dev: 'krg0',
  });
  // Our own link goes down again (a rollback of init-pre leaves it as boot-post made it).
  assert.equal(undoOf({ op: 'link-up', ns: C1, dev: 'krg0', shared: false }), {
    op: 'link-down',
    ns: C1,
    dev: 'krg0',
  });
  assert.is(undoOf({ op: 'link-up', ns: HOST, dev: 'eth0', shared: true }), null);
  assert.is(undoOf({ op: 'addr-delete', ns: C1, dev: 'krg0', address: '10.4.135.4/18' }), null);
});

plans.run();
render.run();
