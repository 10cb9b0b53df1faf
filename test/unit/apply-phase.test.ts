// One phase for one node through a fake Runner: the state is read (ip -json), the plan
// assessed, the MTU checked against the device, and only the difference applied.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { preparePhase, runPhase, type PhaseRequest } from '../../lib/apply/phase.js';
import { parseConfig } from '../../lib/config/load.js';
import type { Config } from '../../lib/config/types.js';
import { deriveNode } from '../../lib/derive/node.js';
import { DriftError } from '../../lib/errors.js';
import { createLogger } from '../../lib/log.js';
import { type Phase } from '../../lib/plan/ops.js';
import { conf, lineOf } from '../helpers/fixtures.js';
import { FakeRunner, ipJson, stateArgv, stateOf, type LinkSpec } from '../helpers/fake-runner.js';
import { rejectsInput, rejection } from '../helpers/errors.js';
import { TempDir } from '../helpers/temp.js';
import { CURRENT_NS, type Ns } from '../../lib/system/ns.js';

const F = 'net.conf';
const C1: Ns = { kind: 'netns', name: 'c1' };
const ETH0 = (mtu = 1500): LinkSpec => ({ name: 'eth0', up: true, mtu, mac: '02:fc:00:00:00:01' });
const HOST_STATE = (mtu = 1500) => ipJson([{ name: 'lo', up: true }, ETH0(mtu)]);
const EMPTY = ipJson([{ name: 'lo' }]);

interface Setup {
  text?: string;
  phase: Phase;
  container?: Ns;
  runner: FakeRunner;
  node?: number;
}

function request({
  text = conf(),
  phase,
  container = C1,
  runner,
  node = 4,
}: Setup): PhaseRequest & { lines: string[]; config: Config } {
  const config = parseConfig(text, F);
  const lines: string[] = [];
  return {
    config,
    phase,
    values: deriveNode(config, node),
    container,
    runner,
    log: createLogger('normal', 'test', (l) => lines.push(l)),
    lines,
  };
}

const mtu = suite('phase: the MTU against the lower device');

mtu('mtu 9000 on a device of MTU 1500 is refused, at the [net] mtu line', async () => {
  const text = conf({ net: { mtu: '9000' } });
  const runner = new FakeRunner(stateOf(CURRENT_NS, HOST_STATE(1500)), stateOf(C1, EMPTY));
  await rejectsInput(() => preparePhase(request({ text, phase: 'boot-post', runner })), {
    file: F,
    line: lineOf(text, 'mtu = 9000'),
    key: 'net.mtu',
    message: 'node 4: 9000 is above what eth0 allows (its MTU is 1500); allowed: 68 to 1500',
  });
  assert.equal(runner.changes, [], 'nothing was run but state reads');
});

mtu('a [node N] mtu above the device is refused at the [node N] line', async () => {
  const text = conf({ extra: '[node 4]\nmtu = 9000\n' });
  const runner = new FakeRunner(stateOf(CURRENT_NS, HOST_STATE(1500)), stateOf(C1, EMPTY));
  await rejectsInput(() => preparePhase(request({ text, phase: 'boot-post', runner })), {
    file: F,
    line: lineOf(text, 'mtu = 9000'),
    key: 'node.4.mtu',
    message: 'node 4: 9000 is above what eth0 allows',
  });
});

mtu('boot-pre checks it too; a [node N] device is the one looked at', async () => {
  const text = conf({ net: { mtu: '9000' }, extra: '[node 4]\ndevice = eth1\n' });
  const host = ipJson([ETH0(9000), { name: 'eth1', up: true, mtu: 1500 }]);
  await rejectsInput(
    () =>
      preparePhase(
        request({ text, phase: 'boot-pre', runner: new FakeRunner(stateOf(CURRENT_NS, host)) }),
      ),
    {
      file: F,
      key: 'net.mtu',
      line: lineOf(text, 'mtu = 9000'),
      message: 'above what eth1 allows (its MTU is 1500)',
    },
  );
  const fine = await preparePhase(
    request({
      text,
      phase: 'boot-pre',
      node: 5,
      runner: new FakeRunner(stateOf(CURRENT_NS, host)),
    }),
  );
  assert.is(fine.plan.ops.length, 2, 'node 5 on eth0 (MTU 9000) is fine');
});

mtu('an MTU equal to the device is accepted and planned as is', async () => {
  const runner = new FakeRunner(stateOf(CURRENT_NS, HOST_STATE(1500)), stateOf(C1, EMPTY));
  const { plan } = await preparePhase(
    request({ text: conf({ net: { mtu: '1500' } }), phase: 'boot-post', runner }),
  );
  const create = plan.ops[0]!;
  assert.is(create.op === 'link-create' ? create.mtu : -1, 1500);
});

mtu(
  'mtu = auto is resolved from the device the host reports: vlan → MTU − 4, macvlan → MTU',
  async () => {
    const vlan = await preparePhase(
      request({
        phase: 'boot-post',
        runner: new FakeRunner(stateOf(CURRENT_NS, HOST_STATE(9000)), stateOf(C1, EMPTY)),
      }),
    );
    const v = vlan.plan.ops[0]!;
    assert.is(v.op === 'link-create' ? v.mtu : -1, 8996);
    const macText = conf({ net: { link: 'macvlan', vlan: undefined } });
    const mac = await preparePhase(
      request({
        text: macText,
        phase: 'boot-post',
        runner: new FakeRunner(stateOf(CURRENT_NS, HOST_STATE(9000)), stateOf(C1, EMPTY)),
      }),
    );
    const m = mac.plan.ops[0]!;
    assert.is(m.op === 'link-create' ? m.mtu : -1, 9000);
  },
);

const prep = suite('phase: preparePhase reads and assesses');

prep('boot-post without a container is refused before anything is read', async () => {
  const runner = new FakeRunner();
  await rejectsInput(
    () => preparePhase(request({ phase: 'boot-post', container: CURRENT_NS, runner })),
    { key: 'boot-post', message: 'needs the container: give --pid PID (its init) or --netns NAME' },
  );
  assert.is(runner.calls.length, 0);
});

prep('boot-post reads the host and the container once each, and assesses every op', async () => {
  const runner = new FakeRunner(stateOf(CURRENT_NS, HOST_STATE()), stateOf(C1, EMPTY));
  const { plan, assessed } = await preparePhase(request({ phase: 'boot-post', runner }));
  assert.equal(
    runner.calls.map((c) => c.argv).sort(),
    [stateArgv(CURRENT_NS), stateArgv(C1)].sort(),
  );
  assert.equal(
    plan.ops.map((o) => o.op),
    ['link-create', 'link-rename'],
  );
  assert.equal(
    assessed.map((a) => a.assessment.state),
    ['pending', 'pending'],
  );
});

prep('init-pre reads only the container', async () => {
  const runner = new FakeRunner(
    stateOf(
      C1,
      ipJson([
        { name: 'lo', up: true },
        { name: 'krg0', kind: 'vlan', vlan: 7, alias: 'clusternet', mac: 'f0:00:00:00:07:04' },
      ]),
    ),
  );
  const { assessed } = await preparePhase(request({ phase: 'init-pre', runner }));
  assert.equal(
    runner.calls.map((c) => c.argv),
    [stateArgv(C1)],
  );
  assert.equal(
    assessed.map((a) => [a.op.op, a.assessment.state]),
    [
      ['link-up', 'ok'],
      ['addr-add', 'pending'],
      ['link-up', 'pending'],
    ],
  );
});

prep('a missing lower device: no MTU check, the create is blocked', async () => {
  const runner = new FakeRunner(
    stateOf(CURRENT_NS, ipJson([{ name: 'lo', up: true }])),
    stateOf(C1, EMPTY),
  );
  const { assessed } = await preparePhase(
    request({ text: conf({ net: { mtu: '9000' } }), phase: 'boot-post', runner }),
  );
  assert.equal(assessed[0]!.assessment, {
    state: 'blocked',
    reason: 'lower device eth0 does not exist in this namespace',
  });
});

// runPhase keeps a record and takes a lock under CLUSTERNET_RUN_DIR: a temp folder here.
let tmp: TempDir;
let savedRunDir: string | undefined;
const run = suite('phase: runPhase applies only the difference');
run.before(() => {
  tmp = new TempDir();
  savedRunDir = process.env.CLUSTERNET_RUN_DIR;
  process.env.CLUSTERNET_RUN_DIR = tmp.path('run');
});
run.after(() => {
  if (savedRunDir === undefined) delete process.env.CLUSTERNET_RUN_DIR;
  else process.env.CLUSTERNET_RUN_DIR = savedRunDir;
  tmp.remove();
});

/** Inside the container (init-pre runs there): lo already up, krg0 made by boot-post, down. */
const INSIDE = ipJson([
  { name: 'lo', up: true },
  { name: 'krg0', kind: 'vlan', vlan: 7, alias: 'clusternet', mac: 'f0:00:00:00:07:04', mtu: 1496 },
]);

run('dry run: says what would run, runs nothing but the state read', async () => {
  const runner = new FakeRunner(stateOf(CURRENT_NS, INSIDE));
  const req = request({ phase: 'init-pre', container: CURRENT_NS, runner });
  await runPhase({ ...req, dryRun: true });
  assert.equal(runner.changes, []);
  assert.equal(req.lines, [
    'clusternet[test]: would run: ip address add 10.4.135.4/18 dev krg0',
    'clusternet[test]: would run: ip link set dev krg0 up',
  ]);
});

run(
  'dry run and real run name the same stray-address deletion (found once, in preparePhase)',
  async () => {
    const stray = ipJson([
      { name: 'lo', up: true },
      {
        name: 'krg0',
        kind: 'vlan',
        vlan: 7,
        alias: 'clusternet',
        mac: 'f0:00:00:00:07:04',
        mtu: 1496,
        addresses: ['10.4.135.4/18', '10.9.9.9/24'],
      },
    ]);
    const dry = request({
      phase: 'init-pre',
      container: CURRENT_NS,
      runner: new FakeRunner(stateOf(CURRENT_NS, stray)),
    });
    await runPhase({ ...dry, dryRun: true });
    assert.ok(
      dry.lines.includes('clusternet[test]: would run: ip address del 10.9.9.9/24 dev krg0'),
      dry.lines.join('\n'),
    );
    const runner = new FakeRunner(stateOf(CURRENT_NS, stray));
    const real = request({ phase: 'init-pre', container: CURRENT_NS, runner });
    const result = await runPhase(real);
    assert.ok(FakeRunner.lines(runner.changes[0]).includes('address del 10.9.9.9/24 dev krg0'));
    assert.ok(result.applied.some((o) => o.op === 'addr-delete' && o.address === '10.9.9.9/24'));
  },
);

run('a real run: one ip -batch with only the pending lines', async () => {
  const runner = new FakeRunner(stateOf(CURRENT_NS, INSIDE));
  const req = request({ phase: 'init-pre', container: CURRENT_NS, runner });
  const result = await runPhase(req);
  assert.is(runner.changes.length, 1);
  assert.equal(runner.changes[0]!.argv, ['ip', '-batch', '-']);
  assert.equal(FakeRunner.lines(runner.changes[0]), [
    'address add 10.4.135.4/18 dev krg0',
    'link set dev krg0 up',
  ]);
  assert.equal(
    result.applied.map((o) => o.op),
    ['addr-add', 'link-up'],
  );
  assert.ok(
    req.lines.includes('clusternet[test]: changed: ip address add 10.4.135.4/18 dev krg0'),
    req.lines.join('\n'),
  );
});

run('everything in place: nothing run, "nothing to change"', async () => {
  const done = ipJson([
    { name: 'lo', up: true },
    {
      name: 'krg0',
      kind: 'vlan',
      vlan: 7,
      alias: 'clusternet',
      mac: 'f0:00:00:00:07:04',
      up: true,
      addresses: ['10.4.135.4/18'],
    },
  ]);
  const runner = new FakeRunner(stateOf(CURRENT_NS, done));
  const req = request({ phase: 'init-pre', container: CURRENT_NS, runner });
  await runPhase(req);
  assert.equal(runner.changes, []);
  assert.equal(req.lines, ['clusternet[test]: init-pre: nothing to change']);
});

run('a blocked op stops the phase before anything changes (DriftError)', async () => {
  const runner = new FakeRunner(stateOf(CURRENT_NS, EMPTY));
  const req = request({ phase: 'init-pre', container: CURRENT_NS, runner });
  const error = await rejection(() => runPhase(req));
  assert.instance(error, DriftError);
  assert.match(
    (error as Error).message,
    /^init-pre cannot run on node 4; nothing was changed:\n {2}ip address add 10\.4\.135\.4\/18 dev krg0: krg0 does not exist in this namespace; run boot-post first/,
  );
  assert.equal(runner.changes, []);
});

mtu.run();
prep.run();
run.run();
