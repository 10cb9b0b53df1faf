// buckets = manager on this machine's kernel: init-post installs the rules answering for
// no bucket; `assign`/`unassign` (what the resource agent's start and stop call) move one
// bucket each, atomically; every source is answered exactly once when each bucket is
// assigned once; `assigned` (the monitor) answers 0 / 3 / 1; check and status see the
// assigned buckets as planned; takeover is refused; stop removes everything. Both the
// cluster-match and nft backends. Needs root.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { createSimCluster, onNode, writeConfig, type SimCluster } from '../sim/cluster.js';
import {
  CIP,
  clusterIpConf,
  macToNode,
  probe,
  startClient,
  verdict,
  type ClientSetup,
} from '../sim/clients.js';

const NODES = [1, 2, 3];
const config = (backend: string) => clusterIpConf('1-3', backend, 'buckets = manager\n');

function cases(backend: string) {
  const s = suite(`buckets = manager, ${backend}`);
  let sim: SimCluster;
  let setup: ClientSetup;
  let stopListeners: () => void;
  let path: string;
  const cli = (id: number, args: string[]) => onNode(sim, path, id, args);

  s.before(async () => {
    sim = await createSimCluster({ nodes: NODES, client: true, runDirPerNode: true });
    path = writeConfig(config(backend));
    for (const id of NODES) {
      for (const phase of ['boot-pre', 'boot-post', 'init-pre', 'init-post']) {
        const r = await cli(id, ['run', phase]);
        assert.is(r.exitCode, 0, `${phase} on node ${id}: ${r.stderr}`);
      }
    }
    ({ setup, stopListeners } = await startClient(sim, NODES));
  });
  s.after(async () => {
    stopListeners?.();
    await sim?.destroy();
  });

  s('after init-post no node answers; the monitor says "not answered" (exit 3)', async () => {
    const v = verdict(setup, await probe(sim, setup, macToNode));
    assert.is(v.answeredOnce, 0);
    const m = await cli(1, ['assigned', '--bucket', '1']);
    assert.is(m.exitCode, 3, m.stderr);
    const ok = await cli(1, ['check']);
    assert.is(ok.exitCode, 0, ok.stdout + ok.stderr);
  });

  s('each bucket assigned once: every source answered exactly once', async () => {
    for (const id of NODES) {
      const r = await cli(id, ['assign', '--bucket', String(id)]);
      assert.is(r.exitCode, 0, r.stderr);
      assert.match(
        r.stderr,
        new RegExp(`answers for buckets ${id} of ${CIP.replace(/\./g, '\\.')}`),
      );
    }
    const v = verdict(setup, await probe(sim, setup, macToNode));
    assert.equal(v.problems, []);
    assert.is(v.answeredOnce, 32);
    assert.equal(Object.keys(v.spread).map(Number).sort(), NODES);
    const m = await cli(2, ['assigned', '--bucket', '2']);
    assert.is(m.exitCode, 0, m.stderr);
    // check and status see the assigned buckets as the plan, and a re-run keeps them.
    const check = await cli(2, ['check']);
    assert.is(check.exitCode, 0, check.stdout + check.stderr);
    const again = await cli(2, ['run', 'init-post']);
    assert.is(again.exitCode, 0, again.stderr);
    assert.match(again.stderr, /nothing to change/);
    const status = await cli(2, ['status']);
    assert.match(
      status.stdout,
      /\(buckets assigned by the cluster manager, of 3\); installed; \S+ buckets 2$/m,
    );
  });

  s('a bucket moves: unassign on one node, assign on another; exactly once again', async () => {
    const off = await cli(3, ['unassign', '--bucket', '3']);
    assert.is(off.exitCode, 0, off.stderr);
    assert.is((await cli(3, ['assigned', '--bucket', '3'])).exitCode, 3);
    const on = await cli(1, ['assign', '--bucket', '3']);
    assert.is(on.exitCode, 0, on.stderr);
    const v = verdict(setup, await probe(sim, setup, macToNode));
    assert.equal(v.problems, []);
    assert.is(v.answeredOnce, 32);
    assert.not.ok(v.spread[3]);
    // A second assign changes nothing.
    const twice = await cli(1, ['assign', '--bucket', '3']);
    assert.is(twice.exitCode, 0, twice.stderr);
    assert.match(twice.stderr, /nothing to change/);
  });

  s(
    'the monitor reports a bucket lost behind its back (exit 1); init-post repairs it',
    async () => {
      const flush =
        backend === 'nft'
          ? ['nft', 'flush', 'set', 'inet', 'clusternet', 'b_main']
          : ['iptables', '-w', '-t', 'mangle', '-F', 'CLUSTERNET-main'];
      await sim.exec(sim.container(2), flush);
      const m = await cli(2, ['assigned', '--bucket', '2']);
      assert.is(m.exitCode, 1, m.stderr);
      assert.match(m.stderr, /assigned to node 2, but the kernel answers for no bucket/);
      const fix = await cli(2, ['run', 'init-post']);
      assert.is(fix.exitCode, 0, fix.stderr);
      assert.is((await cli(2, ['assigned', '--bucket', '2'])).exitCode, 0);
    },
  );

  s(
    'bad requests change nothing (exit 2): bucket out of range, unknown section, takeover',
    async () => {
      const r1 = await cli(1, ['assign', '--bucket', '4']);
      assert.is(r1.exitCode, 2);
      assert.match(r1.stderr, /--bucket: "4" is not a bucket of 10\.4\.192\.1; allowed: 1 to 3/);
      const r2 = await cli(1, ['assigned', '--bucket', '1', '--clusterip', 'web']);
      assert.is(r2.exitCode, 2);
      assert.match(
        r2.stderr,
        /--clusterip: "web" is not an enabled cluster address; allowed: main/,
      );
      const r3 = await sim.cli(
        sim.host(1),
        ['takeover', '--node', '2', '-c', path, '--netns', sim.container(1)],
        { CLUSTERNET_NODE_ID: '1' },
      );
      assert.is(r3.exitCode, 2);
      assert.match(r3.stderr, /net\.conf:\d+: clusterip\.buckets: takeover moves buckets by rank/);
      const v = verdict(setup, await probe(sim, setup, macToNode));
      assert.is(v.answeredOnce, 32);
    },
  );

  s('stop removes every rule, the address and the assignment', async () => {
    const r = await cli(1, ['run', 'stop']);
    assert.is(r.exitCode, 0, r.stderr);
    const rules = await sim.exec(sim.container(1), [
      'sh',
      '-c',
      'iptables-save 2>/dev/null | grep -ci clusternet; nft list ruleset | grep -c clusternet',
    ]);
    assert.equal(rules.stdout.trim().split('\n'), ['0', '0']);
    assert.is((await cli(1, ['assigned', '--bucket', '1'])).exitCode, 3);
  });

  s.run();
}

cases('cluster-match');
cases('nft');
