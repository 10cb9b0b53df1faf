// The ops new link kinds share, on this kernel, in namespaces of our own: forwarding
// entries on a VXLAN, permanent neighbours, routes of both families (one on-link), and a
// bridge port. Executed in batches (ip and bridge), read back, assessed ok, undone to
// nothing; a failing step rolls back what its run did.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { assessPlan } from '../../lib/apply/assess.js';
import { execute } from '../../lib/apply/execute.js';
import { viewOf, type NsView } from '../../lib/apply/view.js';
import { undoAll, type Op } from '../../lib/plan/ops.js';
import { ZERO_MAC } from '../../lib/link/ops.js';
import type { Ns } from '../../lib/system/ns.js';
import { systemRunner } from '../../lib/system/runner.js';
import { readFdb, readNsState } from '../../lib/system/state.js';
import { createSimCluster, type SimCluster } from '../sim/cluster.js';

let sim: SimCluster;
let N1: Ns;
const PEER_MAC = '02:00:00:00:08:02';

test.before(async () => {
  sim = await createSimCluster({ nodes: [1] });
  const n1 = sim.host(1);
  N1 = { kind: 'netns', name: n1 };
  const setup = [
    ['ip', 'link', 'set', 'eth0', 'up'],
    ['ip', 'address', 'add', '192.168.10.1/24', 'dev', 'eth0'],
    ['ip', 'address', 'add', 'fd10:a::1/64', 'dev', 'eth0', 'nodad'],
    [
      'ip',
      'link',
      'add',
      'vx0',
      'type',
      'vxlan',
      'id',
      '42',
      'dstport',
      '4789',
      'local',
      '192.168.10.1',
      'dev',
      'eth0',
      'nolearning',
    ],
    ['ip', 'link', 'add', 'brx', 'type', 'bridge'],
    ['ip', 'link', 'add', 'vp0', 'type', 'veth', 'peer', 'name', 'vp1'],
  ];
  for (const argv of setup) {
    const r = await sim.exec(n1, argv);
    assert.is(r.exitCode, 0, `${argv.join(' ')}: ${r.stderr}`);
  }
});
test.after(async () => {
  await sim?.destroy();
});

const ops = (): Op[] => [
  { op: 'fdb-add', ns: N1, dev: 'vx0', mac: ZERO_MAC, dst: '192.168.10.2' },
  { op: 'fdb-add', ns: N1, dev: 'vx0', mac: ZERO_MAC, dst: '192.168.20.3' },
  { op: 'fdb-add', ns: N1, dev: 'vx0', mac: PEER_MAC, dst: '192.168.10.2' },
  { op: 'neigh-add', ns: N1, dev: 'eth0', address: '192.168.10.2', lladdr: PEER_MAC },
  { op: 'neigh-add', ns: N1, dev: 'eth0', address: 'fe80::ff:fe00:802', lladdr: PEER_MAC },
  { op: 'route-add', ns: N1, dst: '10.5.2.0/24', via: '192.168.10.2', dev: 'eth0' },
  { op: 'route-add', ns: N1, dst: '10.5.3.0/24', via: '10.5.3.0', dev: 'eth0', onlink: true },
  { op: 'route-add', ns: N1, dst: 'fd05:0:0:2::/64', via: 'fe80::ff:fe00:802', dev: 'eth0' },
  { op: 'route-add', ns: N1, dst: 'default', via: 'fd10:a::fe', dev: 'eth0' },
  { op: 'link-master', ns: N1, dev: 'vp0', master: 'brx' },
];

async function state(): Promise<NsView> {
  const st = viewOf(await readNsState(systemRunner, N1));
  st.fdb.set('vx0', await readFdb(systemRunner, N1, 'vx0'));
  return st;
}

const ours = (st: NsView) => ({
  fdb: (st.fdb.get('vx0') ?? [])
    .filter((e) => e.dst !== null)
    .map((e) => `${e.mac} ${e.dst}`)
    .sort(),
  neighbors: st.neighbors
    .filter((n) => n.protocol === '211')
    .map((n) => `${n.address} ${n.lladdr}`)
    .sort(),
  routes: st.routes
    .filter((r) => r.protocol === '211')
    .map((r) => `${r.family} ${r.dst} via ${r.gateway}${r.onlink ? ' onlink' : ''}`)
    .sort(),
  master: st.links.get('vp0')?.master ?? null,
});

test('every op applied in two batches (bridge, then ip), read back, assessed ok; undone to nothing', async () => {
  const runner = {
    ...systemRunner,
    run: (argv: string[], o?: Parameters<typeof systemRunner.run>[1]) => {
      calls.push(argv);
      return systemRunner.run(argv, o);
    },
    system: systemRunner.system,
  };
  const calls: string[][] = [];
  await execute(ops(), { runner });
  assert.equal(
    calls.map((c) => c.slice(c.indexOf('--') + 1).join(' ')),
    ['bridge -batch -', 'ip -batch -'],
  );
  const st = await state();
  assert.equal(ours(st), {
    fdb: [
      '00:00:00:00:00:00 192.168.10.2',
      '00:00:00:00:00:00 192.168.20.3',
      `${PEER_MAC} 192.168.10.2`,
    ],
    neighbors: [`192.168.10.2 ${PEER_MAC}`, `fe80::ff:fe00:802 ${PEER_MAC}`],
    routes: [
      '4 10.5.2.0/24 via 192.168.10.2',
      '4 10.5.3.0/24 via 10.5.3.0 onlink',
      '6 default via fd10:a::fe',
      '6 fd05:0:0:2::/64 via fe80::ff:fe00:802',
    ],
    master: 'brx',
  });
  assert.equal(
    assessPlan(ops(), () => st).map((a) => a.assessment.state),
    ops().map(() => 'ok'),
  );
  await execute(undoAll(ops()), { runner: systemRunner });
  assert.equal(ours(await state()), { fdb: [], neighbors: [], routes: [], master: null });
});

test('a failing line rolls back what the run applied, in both tools', async () => {
  const bad: Op = { op: 'route-add', ns: N1, dst: '10.6.0.0/24', via: '10.99.0.1', dev: 'eth0' };
  const error = await execute([...ops(), bad], { runner: systemRunner }).then(
    () => null,
    (e: Error) => e,
  );
  assert.ok(
    error &&
      /ip route add 10\.6\.0\.0\/24 via 10\.99\.0\.1/.test(error.message) &&
      /Nexthop has invalid gateway/.test(error.message),
    String(error),
  );
  assert.equal(ours(await state()), { fdb: [], neighbors: [], routes: [], master: null });
});

test.run();
