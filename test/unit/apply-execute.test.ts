// Executing ops through an injected Runner: one `ip -batch` per run of namespace-local ip
// ops, and on failure the applied part undone in reverse before the error is reported.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { batchSteps, execute, rollback } from '../../lib/apply/execute.js';
import { parseConfig } from '../../lib/config/load.js';
import { deriveNode } from '../../lib/derive/node.js';
import { ApplyError } from '../../lib/errors.js';
import { type Op } from '../../lib/plan/ops.js';
import { buildPlan } from '../../lib/plan/phases.js';
import { NATIVE_CONF } from '../helpers/fixtures.js';
import { FakeRunner, failBatchLine } from '../helpers/fake-runner.js';
import { rejectsApply } from '../helpers/errors.js';
import { CURRENT_NS, type Ns } from '../../lib/system/ns.js';

const C1: Ns = { kind: 'netns', name: 'c1' };
const values = deriveNode(parseConfig(NATIVE_CONF, 'f'), 4);
const plan = (phase: 'boot-pre' | 'boot-post' | 'init-pre' | 'stop') =>
  buildPlan(phase, values, { host: CURRENT_NS, container: C1, deviceMtu: 1500 }).ops;
const IN_C1 = ['nsenter', '--net=/run/netns/c1', '--'];
const INIT_PRE_LINES = [
  'link set dev lo up',
  'address add 10.4.135.4/18 dev krg0',
  'address add fd00:4:135::4/64 dev krg0',
  'link set dev krg0 up',
  'route add default via 10.4.135.254 dev krg0 proto 211',
];
/** The kernel knows the type: it refuses the probe's MTU of 1, not the type. */
const probeKnown = (argv: string[]) =>
  argv.includes('cnprobe')
    ? { exitCode: 2, stderr: 'Error: mtu less than device minimum.\n' }
    : undefined;

const batch = suite('execute: batching');

batch(
  'batchSteps: consecutive ip ops of one namespace share a step; the probe stands alone',
  () => {
    const ops = [...plan('boot-pre'), ...plan('boot-post'), ...plan('init-pre')];
    const steps = batchSteps(ops);
    assert.equal(
      steps.map((s) => [s.ns.kind === 'netns' ? s.ns.name : s.ns.kind, s.ops.map((o) => o.op)]),
      [
        ['current', ['require-link-type']],
        ['current', ['link-up', 'link-create']],
        ['c1', ['link-rename', 'link-up', 'addr-add', 'addr-add', 'link-up', 'route-add']],
      ],
    );
  },
);

batch('batchSteps: a namespace change splits, even back to an earlier one', () => {
  const up = (ns: Ns, dev: string): Op => ({ op: 'link-up', ns, dev, shared: true });
  const steps = batchSteps([up(C1, 'a'), up(CURRENT_NS, 'b'), up(C1, 'c'), up(C1, 'd')]);
  assert.equal(
    steps.map((s) => s.ops.length),
    [1, 1, 2],
  );
  assert.equal(batchSteps([]), []);
});

batch(
  'init-pre: five ops, ONE runner call: ip -batch - inside the netns, one line per op',
  async () => {
    const runner = new FakeRunner();
    const applied: Op[] = [];
    await execute(plan('init-pre'), { runner, onApplied: (op) => applied.push(op) });
    assert.is(runner.calls.length, 1);
    assert.equal(runner.calls[0]!.argv, [...IN_C1, 'ip', '-batch', '-']);
    assert.is(runner.calls[0]!.input, `${INIT_PRE_LINES.join('\n')}\n`);
    assert.equal(applied, plan('init-pre'), 'every op reported applied, in order');
  },
);

batch('boot-pre + boot-post: probe, one host batch, one container batch', async () => {
  const runner = new FakeRunner(probeKnown);
  await execute([...plan('boot-pre'), ...plan('boot-post')], { runner });
  assert.equal(
    runner.calls.map((c) => c.argv),
    [
      ['ip', 'link', 'add', 'name', 'cnprobe', 'mtu', '1', 'type', 'vlan'],
      ['ip', '-batch', '-'],
      [...IN_C1, 'ip', '-batch', '-'],
    ],
  );
  assert.equal(FakeRunner.lines(runner.calls[1]), [
    'link set dev eth0 up',
    'link add link eth0 name cnt4 netns c1 address f0:00:00:00:07:04 mtu 1496 type vlan id 7',
  ]);
  assert.equal(FakeRunner.lines(runner.calls[2]), ['link set dev cnt4 name krg0 alias clusternet']);
});

batch('a pid container is entered through /proc/PID/ns/net', async () => {
  const runner = new FakeRunner();
  await execute(
    buildPlan('init-pre', values, { host: CURRENT_NS, container: { kind: 'pid', pid: 77 } }).ops,
    { runner },
  );
  assert.equal(runner.calls[0]!.argv, [
    'nsenter',
    '--net=/proc/77/ns/net',
    '--',
    'ip',
    '-batch',
    '-',
  ]);
});

batch('nothing to do: no runner call at all', async () => {
  const runner = new FakeRunner();
  await execute([], { runner });
  assert.is(runner.calls.length, 0);
});

const undo = suite('execute: rollback');

undo(
  'ip -batch fails at line 3: lines 1-2 are undone in reverse with ip -force -batch',
  async () => {
    const runner = new FakeRunner(
      failBatchLine('fd00:4:135::4', 'Error: ipv6: address already assigned.'),
    );
    const applied: Op[] = [];
    const error = await rejectsApply(() =>
      execute(plan('init-pre'), { runner, onApplied: (op) => applied.push(op) }),
    );
    assert.is(runner.calls.length, 2);
    assert.equal(runner.calls[1]!.argv, [...IN_C1, 'ip', '-force', '-batch', '-']);
    // lo up is shared (nothing to undo); the IPv4 address is removed.
    assert.equal(FakeRunner.lines(runner.calls[1]), ['address del 10.4.135.4/18 dev krg0']);
    assert.equal(
      applied.map((o) => o.op),
      ['link-up', 'addr-add'],
      'only the lines before the failure took effect',
    );
    assert.is(
      error.command,
      'nsenter --net=/run/netns/c1 -- ip address add fd00:4:135::4/64 dev krg0',
    );
    assert.is(error.stderr, 'Error: ipv6: address already assigned.');
    assert.is(
      error.message,
      'command failed: nsenter --net=/run/netns/c1 -- ip address add fd00:4:135::4/64 dev krg0\nError: ipv6: address already assigned.',
    );
  },
);

undo('a failure at line 5 undoes 4, 3, 2 in that order', async () => {
  const runner = new FakeRunner(failBatchLine('route add', 'Error: Nexthop has invalid gateway.'));
  const error = await rejectsApply(() => execute(plan('init-pre'), { runner }));
  assert.equal(FakeRunner.lines(runner.calls[1]), [
    'address del fd00:4:135::4/64 dev krg0',
    'address del 10.4.135.4/18 dev krg0',
    'link set dev krg0 down',
  ]);
  assert.match(error.command, /ip route add default via 10\.4\.135\.254 dev krg0 proto 211$/);
});

undo('a failure at line 1: nothing was applied, nothing is undone', async () => {
  const runner = new FakeRunner(failBatchLine('link set dev lo up', 'Cannot find device "lo"'));
  const error = await rejectsApply(() => execute(plan('init-pre'), { runner }));
  assert.is(runner.calls.length, 1);
  assert.is(error.command, 'nsenter --net=/run/netns/c1 -- ip link set dev lo up');
});

undo(
  'a failure in a later step undoes the earlier steps: the link created on the host',
  async () => {
    const runner = new FakeRunner(
      probeKnown,
      failBatchLine('name krg0', 'RTNETLINK answers: File exists'),
    );
    const applied: Op[] = [];
    const error = await rejectsApply(() =>
      execute([...plan('boot-pre'), ...plan('boot-post')], {
        runner,
        onApplied: (op) => applied.push(op),
      }),
    );
    assert.is(runner.calls.length, 4);
    // The link was created inside the container under its temporary name: delete it there.
    assert.equal(runner.calls[3]!.argv, [...IN_C1, 'ip', '-force', '-batch', '-']);
    assert.equal(FakeRunner.lines(runner.calls[3]), ['link del dev cnt4']);
    assert.is(
      error.command,
      'nsenter --net=/run/netns/c1 -- ip link set dev cnt4 name krg0 alias clusternet',
    );
    assert.is(error.stderr, 'RTNETLINK answers: File exists');
    assert.equal(
      applied.map((o) => o.op),
      ['link-up', 'link-create'],
    );
  },
);

undo(
  'a batch that dies without naming its line may have applied any of it: all of it is undone',
  async () => {
    const runner = new FakeRunner((argv) =>
      argv.includes('-batch') && !argv.includes('-force')
        ? { exitCode: 1, stderr: 'nsenter: cannot open /run/netns/c1: No such file or directory\n' }
        : undefined,
    );
    const error = await rejectsApply(() => execute(plan('init-pre'), { runner }));
    assert.is(runner.calls.length, 2);
    assert.ok(runner.calls[1]!.argv.includes('-force'), 'the whole step is rolled back');
    assert.ok(FakeRunner.lines(runner.calls[1]).includes('address del 10.4.135.4/18 dev krg0'));
    assert.match(error.command, /ip link set dev lo up$/);
    assert.match(error.message, /cannot open \/run\/netns\/c1/);
  },
);

undo(
  'an undo that finds the object already gone is not an error (older iproute2 wording)',
  async () => {
    const runner = new FakeRunner(failBatchLine('route add'));
    runner.on((argv) =>
      argv.includes('-force')
        ? {
            exitCode: 1,
            stderr:
              'RTNETLINK answers: Cannot assign requested address\nCommand failed -:1\nCannot find device "krg0"\nCommand failed -:2\n',
          }
        : undefined,
    );
    const error = await rejectsApply(() => execute(plan('init-pre'), { runner }));
    assert.not.match(error.message, /rollback also failed/);
  },
);

undo(
  'an undo that finds the address already gone is not an error (iproute2 6.x wording)',
  async () => {
    // What `ip -force -batch -` prints on this machine's iproute2 for addresses already removed.
    const runner = new FakeRunner(failBatchLine('route add'));
    runner.on((argv) =>
      argv.includes('-force')
        ? {
            exitCode: 1,
            stderr:
              'Error: ipv6: address not found.\nCommand failed -:1\nError: ipv4: Address not found.\nCommand failed -:2\n',
          }
        : undefined,
    );
    const error = await rejectsApply(() => execute(plan('init-pre'), { runner }));
    assert.not.match(error.message, /rollback also failed/);
  },
);

undo('an undo that really fails is reported with the original error', async () => {
  const runner = new FakeRunner(failBatchLine('route add', 'Error: Nexthop has invalid gateway.'));
  runner.on((argv) =>
    argv.includes('-force')
      ? { exitCode: 1, stderr: 'RTNETLINK answers: Operation not permitted\n' }
      : undefined,
  );
  const error = await rejectsApply(() => execute(plan('init-pre'), { runner }));
  assert.match(
    error.message,
    /^command failed: nsenter --net=\/run\/netns\/c1 -- ip route add default via 10\.4\.135\.254 dev krg0 proto 211\nError: Nexthop has invalid gateway\.\nrollback also failed:\nnetns c1: RTNETLINK answers: Operation not permitted$/,
  );
  assert.instance(error.cause, ApplyError);
});

undo('rollback() on its own: reverse order, one forced batch per namespace', async () => {
  const runner = new FakeRunner();
  const errors = await rollback([...plan('boot-post'), ...plan('init-pre')], runner);
  assert.equal(errors, []);
  assert.is(runner.calls.length, 1, 'all undos live in c1');
  assert.equal(FakeRunner.lines(runner.calls[0]), [
    'route del default via 10.4.135.254 dev krg0 proto 211',
    'address del fd00:4:135::4/64 dev krg0',
    'address del 10.4.135.4/18 dev krg0',
    'link set dev krg0 down',
    'link del dev krg0',
    'link del dev cnt4',
  ]);
});

const probe = suite('execute: the link-type probe');

probe('a known type: one probe, no modprobe', async () => {
  const runner = new FakeRunner(probeKnown);
  await execute(plan('boot-pre').slice(0, 1), { runner });
  assert.equal(
    runner.calls.map((c) => c.argv[0]),
    ['ip'],
  );
});

probe('unknown, then modprobe 8021q makes it known', async () => {
  let loaded = false;
  const runner = new FakeRunner((argv) => {
    if (argv[0] === 'modprobe') {
      loaded = true;
      return { exitCode: 0 };
    }
    if (argv.includes('cnprobe'))
      return loaded
        ? { exitCode: 2, stderr: 'Error: mtu less than device minimum.' }
        : { exitCode: 2, stderr: 'Error: Unknown device type.' };
    return undefined;
  });
  await execute(plan('boot-pre'), { runner });
  assert.equal(
    runner.calls.map((c) => c.argv.join(' ')),
    [
      'ip link add name cnprobe mtu 1 type vlan',
      'modprobe 8021q',
      'ip link add name cnprobe mtu 1 type vlan',
      'ip -batch -',
    ],
  );
});

probe('unknown and no module: an ApplyError that says so, and nothing else runs', async () => {
  const runner = new FakeRunner((argv) =>
    argv[0] === 'modprobe'
      ? {
          exitCode: 1,
          stderr: 'modprobe: FATAL: Module 8021q not found in directory /lib/modules/6.18.44\n',
        }
      : argv.includes('cnprobe')
        ? { exitCode: 2, stderr: 'Error: Unknown device type.\n' }
        : undefined,
  );
  const error = await rejectsApply(() => execute(plan('boot-pre'), { runner }));
  assert.is(error.command, 'modprobe 8021q');
  assert.match(error.message, /this kernel cannot create vlan links/);
  assert.match(error.message, /Module 8021q not found/);
  assert.match(error.message, /set link = macvlan in \[net\]/);
  assert.is(runner.calls.length, 2, 'no ip -batch after the refusal');
});

probe('a probe the kernel accepts is cleaned up', async () => {
  const runner = new FakeRunner();
  await execute(plan('boot-pre').slice(0, 1), { runner });
  assert.equal(
    runner.calls.map((c) => c.argv.join(' ')),
    ['ip link add name cnprobe mtu 1 type vlan', 'ip link del cnprobe'],
  );
});

batch.run();
undo.run();
probe.run();
