// Failover without a human, on a real corosync 3 + Pacemaker 2.1 cluster of 3 nodes in
// namespaces (test/pacemaker/cluster.ts), each with its container and the shipped
// resource agent; a client with 32 source addresses on the data segment; corosync on a
// network of its own. For each backend (cluster-match, nft), one cluster through:
// ocf-tester on the agent; the README's recipe run as written and crm_verify clean; all
// up (32/32 exactly once); a node crashes (time from the kill to 32/32 measured by the
// client); it returns (its share back, exactly once); a node's corosync link is cut (the
// quorate side takes its buckets, the cut node stops answering), then healed (exactly
// once); and the monitor's cost. Every daemon and namespace goes at the end, even on
// failure. Needs root and Debian's corosync, pacemaker, pacemaker-cli-utils,
// resource-agents and libxml2-utils.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import {
  CIP,
  clusterIpConf,
  macToNode,
  probe,
  setupClient,
  verdict,
  type ClientSetup,
} from '../sim/clients.js';
import { CLI } from '../sim/cluster.js';
import {
  AGENT,
  TOKEN_MS,
  createPcmkCluster,
  execTimes,
  view,
  waitUntil,
  type ClusterView,
  type PcmkCluster,
} from './cluster.js';
import { recipe } from './recipe.js';
import { watchAnswers, type Watch } from './watch.js';

const NODES = [1, 2, 3];
const INSTANCES = NODES.map((_, i) => `cip-bucket:${i}`);
/** corosync with 3 nodes and token 1000: token 1650 ms, consensus 1980 ms; the target adds 3 s. */
const TOKEN_EFFECTIVE_MS = TOKEN_MS + 650;
const CONSENSUS_MS = 1980;
const TARGET_MS = TOKEN_EFFECTIVE_MS + CONSENSUS_MS + 3000;

const netConf = (backend: string) => clusterIpConf('1-3', backend, 'buckets = manager\n');

/** Every instance active on exactly one node, all of them on `on`. */
const placed = (v: ClusterView, on: string[]) =>
  INSTANCES.every(
    (i) => (v.instances.get(i) ?? []).length === 1 && on.includes(v.instances.get(i)![0]!),
  );
/** How many instances each node holds. */
const perNode = (v: ClusterView) => {
  const out: Record<string, number> = {};
  for (const i of INSTANCES) for (const n of v.instances.get(i) ?? []) out[n] = (out[n] ?? 0) + 1;
  return out;
};

/** `clusternet assigned --bucket B -q` on node `id`: exit 0 while it answers for B, 3 when not. */
const assigned = (c: PcmkCluster, id: number, bucket: number) =>
  c.exec(id, [
    process.execPath,
    CLI,
    'assigned',
    '--bucket',
    String(bucket),
    '--netns',
    'cluster',
    '-q',
  ]);

/** "median M ms (min A, max B, n N)". */
const spread = (ms: number[]) => {
  const sorted = [...ms].sort((a, b) => a - b);
  return sorted.length === 0
    ? 'none recorded'
    : `median ${sorted[Math.floor(sorted.length / 2)]} ms (min ${sorted[0]}, max ${sorted[sorted.length - 1]}, n ${sorted.length})`;
};

/** What the suites measured, printed at the end for the README's table. */
const measured: string[] = [];

function cases(backend: 'cluster-match' | 'nft') {
  const s = suite(`pacemaker: ${backend}`);
  let c: PcmkCluster;
  let setup: ClientSetup;
  const markNode = async (id: number) => {
    const r = await c.exec(id, ['sh', '-e'], recipe('node'));
    assert.is(r.exitCode, 0, `README node block on node ${id}: ${r.stderr}`);
  };
  const exactlyOnce = async (without?: number) => {
    const v = verdict(setup, await probe(c.sim, setup, macToNode));
    assert.equal(v.problems, [], `spread ${JSON.stringify(v.spread)}`);
    assert.is(v.answeredOnce, 32);
    if (without !== undefined)
      assert.not.ok(
        v.spread[without],
        `node ${without} still answers: ${JSON.stringify(v.spread)}`,
      );
    return v;
  };
  const settle = (what: string, from: number, on: string[]) =>
    waitUntil(what, 90_000, async () => placed(await view(c, from), on));

  s.before(async () => {
    // uvu counts a suite whose before hook throws as not passed but prints nothing: say why.
    try {
      c = await createPcmkCluster({ nodes: NODES, netConf: netConf(backend) });
      const started = Date.now();
      await Promise.all(NODES.map((id) => c.boot(id)));
      for (const id of NODES) c.listen(id);
      await waitUntil('3 nodes online with quorum', 60_000, async () => {
        const v = await view(c, 1);
        return v.online.length === 3 && v.quorum;
      });
      measured.push(`${backend}: cold start to 3 online ${Date.now() - started} ms`);
      setup = await setupClient(c.sim, CIP);
    } catch (error) {
      console.error(`pacemaker: ${backend}: the cluster did not come up:`, error);
      throw error;
    }
  });
  s.after(async () => {
    for (const w of watches) w.stop();
    await c?.destroy();
  });
  // The client's clock runs only around an event: its connections would count in the probe.
  const watches: Watch[] = [];
  const timed = async (
    event: () => Promise<void>,
    done: () => Promise<unknown>,
    from?: { node: number; sources: string[] },
  ): Promise<number> => {
    const watch = watchAnswers(c.sim, setup);
    watches.push(watch);
    await new Promise((r) => setTimeout(r, 1000));
    const at = Date.now();
    await event();
    await done();
    await waitUntil('32/32 answered for 2 s', 60_000, async () => {
      const after = watch.recoveredAfter(at, 32);
      return after !== undefined && Date.now() - (at + after) > 2000;
    });
    watch.stop();
    await new Promise((r) => setTimeout(r, 500)); // its last connections are gone
    if (from !== undefined) {
      const h = watch.handover(at, `node${from.node}`, from.sources);
      assert.ok(h, `node ${from.node}'s sources were never answered by another node`);
      // Without fencing, which side acts first is a race (README: "What production needs:
      // fencing"): the cut node's stop and the quorate side's start follow the same token
      // timeout. Reported, not asserted: on a saturated machine the cut node's stop has
      // been seen to finish after the quorate side's start.
      measured.push(
        `${backend}: node ${from.node}'s sources: last answered by it at +${h.lastFrom} ms, first by the quorate side at +${h.firstOther} ms (${h.firstOther > h.lastFrom ? 'a gap, no overlap seen' : 'OVERLAP: both answered for a while'})`,
      );
    }
    return watch.recoveredAfter(at, 32)!;
  };

  s('ocf-tester: the agent passes every test, with no failure', async () => {
    const r = await c.exec(1, [
      'ocf-tester',
      '-n',
      'cip-test',
      '-o',
      'bucket=1',
      '-o',
      'netns=cluster',
      AGENT,
    ]);
    assert.is(r.exitCode, 0, r.stdout + r.stderr);
    assert.match(r.stdout, /passed all tests/);
    assert.not.match(r.stdout + r.stderr, /\* rc=|failed/i);
  });

  s(
    'the agent answers the OCF exit codes: bad net.conf or parameters 6, no container 7 / 5 / 0, unknown action 3',
    async () => {
      const bad = (await c.exec(1, ['cat', '/etc/net.conf'])).stdout;
      const write = (path: string, text: string) =>
        c.exec(1, ['sh', '-c', `cat > ${path} && chmod 644 ${path}`], text);
      await write('/etc/net-bad.conf', bad.replace('buckets = manager', 'buckets = maybe'));
      await write('/etc/net-rank.conf', bad.replace('buckets = manager', ''));
      const agent = async (action: string, env: Record<string, string>) =>
        (
          await c.exec(1, [
            'env',
            'OCF_ROOT=/usr/lib/ocf',
            'OCF_RESOURCE_INSTANCE=cip-bucket:0',
            ...Object.entries(env).map(([k, v]) => `OCF_RESKEY_${k}=${v}`),
            AGENT,
            action,
          ])
        ).exitCode;
      const here = { netns: 'cluster', CRM_meta_clone: '0' };
      for (const action of ['start', 'monitor', 'validate-all'])
        assert.is(
          await agent(action, { ...here, config: '/etc/net-bad.conf' }),
          6,
          `${action}, bad net.conf`,
        );
      assert.is(
        await agent('validate-all', { ...here, config: '/etc/net-rank.conf' }),
        6,
        'buckets = rank',
      );
      assert.is(await agent('start', { netns: 'cluster', bucket: '4' }), 6, 'bucket past the last');
      assert.is(await agent('monitor', { netns: 'cluster' }), 6, 'neither clone nor bucket');
      assert.is(
        await agent('monitor', { netns: 'cluster', bucket: '1', node: 'x' }),
        6,
        'node not a number',
      );
      assert.is(
        await agent('monitor', { ...here, netns: 'nosuch' }),
        7,
        'monitor without the container',
      );
      assert.is(
        await agent('start', { ...here, netns: 'nosuch' }),
        5,
        'start without the container',
      );
      assert.is(await agent('stop', { ...here, netns: 'nosuch' }), 0, 'stop without the container');
      assert.is(
        await agent('monitor', { CRM_meta_clone: '0', pidfile: '/run/nosuch.pid' }),
        7,
        'monitor without the PID file',
      );
      assert.is(
        await agent('monitor', { ...here, pidfile: '/run/nosuch.pid' }),
        6,
        'both netns and pidfile',
      );
      assert.is(await agent('promote', here), 3, 'an action the agent does not have');
      assert.is(await agent('monitor', here), 7, 'a clean monitor of a bucket not held');
    },
  );

  s('after init-post and before Pacemaker assigns anything, no node answers', async () => {
    const v = verdict(setup, await probe(c.sim, setup, macToNode));
    assert.is(v.answeredOnce, 0, JSON.stringify(v.spread));
  });

  s(
    'the README recipe as written gives the cluster: crm_verify clean, 32/32 exactly once',
    async () => {
      for (const id of NODES) await markNode(id);
      const r = await c.exec(1, ['sh', '-e'], recipe('cluster'));
      assert.is(r.exitCode, 0, r.stderr);
      const ms = await settle('every bucket placed once', 1, NODES.map(c.name));
      measured.push(`${backend}: recipe to every bucket started ${ms} ms`);
      const verify = await c.exec(1, ['crm_verify', '-L', '-V']);
      assert.is(verify.exitCode, 0, verify.stdout + verify.stderr);
      assert.is((verify.stdout + verify.stderr).trim(), '', 'crm_verify -L -V prints nothing');
      assert.equal(Object.values(perNode(await view(c, 1))).sort(), [1, 1, 1]);
      const v = await exactlyOnce();
      assert.equal(Object.keys(v.spread).map(Number).sort(), NODES);
    },
  );

  s("the monitor's cost (what every node pays per instance every 10 s)", async () => {
    const v = await view(c, 1);
    const mine = INSTANCES.find((i) => v.instances.get(i)?.[0] === c.name(1))!;
    const clone = mine.split(':')[1]!;
    const runs = 20;
    const loop = `for i in $(seq ${runs}); do OCF_ROOT=/usr/lib/ocf OCF_RESOURCE_INSTANCE=${mine} OCF_RESKEY_CRM_meta_clone=${clone} OCF_RESKEY_netns=cluster ${AGENT} monitor || exit $?; done`;
    const r = await c.exec(1, ['/usr/bin/time', '-f', '%e %U %S', 'sh', '-c', loop]);
    assert.is(r.exitCode, 0, r.stderr);
    const [wall, user, sys] = r.stderr.trim().split('\n').pop()!.split(' ').map(Number) as [
      number,
      number,
      number,
    ];
    const node = await c.exec(1, [
      '/usr/bin/time',
      '-f',
      '%e %U %S',
      'sh',
      '-c',
      `for i in $(seq ${runs}); do ${process.execPath} -e '' || exit 1; done`,
    ]);
    const [nodeWall, nodeUser, nodeSys] = node.stderr
      .trim()
      .split('\n')
      .pop()!
      .split(' ')
      .map(Number) as [number, number, number];
    measured.push(
      `${backend}: monitor ${((wall * 1000) / runs).toFixed(0)} ms wall, ${(((user + sys) * 1000) / runs).toFixed(0)} ms CPU per call (bare node -e '' ${((nodeWall * 1000) / runs).toFixed(0)} ms wall, ${(((nodeUser + nodeSys) * 1000) / runs).toFixed(0)} ms CPU); at 10 s: ${(((user + sys) * 100) / runs / 10).toFixed(2)} % of a core per instance`,
    );
    const seen = await execTimes(c, 1, 'monitor');
    measured.push(`${backend}: monitor as Pacemaker records it (exec-time): ${spread(seen)}`);
    assert.ok(wall / runs < 5, 'a monitor takes well under its 10 s interval');
  });

  s(
    'a node crashes: the survivors answer all 32 again, exactly once; time from the kill measured',
    async () => {
      const victim = 2;
      const survivors = NODES.filter((n) => n !== victim).map(c.name);
      const recovered = await timed(
        () => c.crash(victim),
        () => settle("the crashed node's buckets placed on survivors", 1, survivors),
      );
      measured.push(
        `${backend}: node ${victim} SIGKILLed → 32/32 answered in ${recovered} ms (token ${TOKEN_EFFECTIVE_MS} + consensus ${CONSENSUS_MS} + 3000 = ${TARGET_MS} ms)`,
      );
      measured.push(
        `${backend}: the agent's start (exec-time) ${spread(await execTimes(c, 1, 'start'))}`,
      );
      assert.ok(recovered < 60_000, `recovered in ${recovered} ms`);
      await exactlyOnce(victim);
    },
  );

  s('the node returns: it gets its share back (stickiness 0), exactly once', async () => {
    const back = 2;
    const started = Date.now();
    await c.boot(back);
    c.listen(back);
    await waitUntil('node 2 online', 60_000, async () =>
      (await view(c, 1)).online.includes(c.name(back)),
    );
    await markNode(back);
    await waitUntil('one bucket per node again', 90_000, async () => {
      const v = await view(c, 1);
      return placed(v, NODES.map(c.name)) && perNode(v)[c.name(back)] === 1;
    });
    measured.push(
      `${backend}: node ${back} restarted → holds its bucket again in ${Date.now() - started} ms`,
    );
    const v = await exactlyOnce();
    assert.equal(Object.keys(v.spread).map(Number).sort(), NODES);
  });

  s(
    'split brain: a node cut off stops answering, the quorate side takes its buckets; after healing, exactly once',
    async () => {
      const cut = 3;
      const others = NODES.filter((n) => n !== cut);
      const before = await exactlyOnce();
      const sources = Object.keys(before.owners).filter((src) => before.owners[src] === cut);
      assert.ok(
        sources.length > 0,
        `node ${cut} answers for some sources: ${JSON.stringify(before.spread)}`,
      );
      const recovered = await timed(
        () => c.cut(cut, true),
        async () => {
          await settle("the cut node's buckets placed on the quorate side", 1, others.map(c.name));
          // The cut node lost quorum and stopped its instances (no-quorum-policy=stop). Its
          // view leaves out an instance whose stop is still running, so the kernel decides:
          // until its `unassign` is done the cut node still answers, and 32/32 would be no news.
          await waitUntil('the cut node holds no instance and no bucket', 60_000, async () => {
            const alone = await view(c, cut);
            if (
              alone.quorum ||
              INSTANCES.some((i) => (alone.instances.get(i) ?? []).includes(c.name(cut)))
            )
              return false;
            for (let bucket = 1; bucket <= NODES.length; bucket++) {
              if ((await assigned(c, cut, bucket)).exitCode !== 3) return false;
            }
            return true;
          });
        },
        { node: cut, sources },
      );
      for (let bucket = 1; bucket <= NODES.length; bucket++) {
        const r = await assigned(c, cut, bucket);
        assert.is(r.exitCode, 3, `the cut node still answers for bucket ${bucket}: ${r.stderr}`);
      }
      measured.push(
        `${backend}: node ${cut}'s corosync link cut → every round whole again ${recovered} ms after the cut`,
      );
      await exactlyOnce(cut);
      const healAt = Date.now();
      await c.cut(cut, false);
      await waitUntil('3 online and one bucket per node', 90_000, async () => {
        const v = await view(c, 1);
        return (
          v.online.length === 3 && placed(v, NODES.map(c.name)) && perNode(v)[c.name(cut)] === 1
        );
      });
      measured.push(
        `${backend}: healed → the cut node holds its bucket again in ${Date.now() - healAt} ms`,
      );
      const v = await exactlyOnce();
      assert.equal(Object.keys(v.spread).map(Number).sort(), NODES);
    },
  );

  s.after(() => {
    for (const line of measured.splice(0)) process.stdout.write(`  [measured] ${line}\n`);
  });
  s.run();
}

cases('cluster-match');
cases('nft');
