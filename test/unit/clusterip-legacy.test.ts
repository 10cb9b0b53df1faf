// The legacy CLUSTERIP backend against what iptables-legacy 1.8.9 really prints, as
// captured in the lab under Debian's 6.1 (has ipt_CLUSTERIP) and 6.12 (has not) kernels.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { PROBE_TIMEOUT_MS, probeBackend } from '../../lib/clusterip/system.js';
import { ApplyError, exitCodeOf } from '../../lib/errors.js';
import { parseXt } from '../../lib/clusterip/xt.js';
import { FakeRunner, type Responder } from '../helpers/fake-runner.js';
import { CURRENT_NS } from '../../lib/system/ns.js';

// `iptables-legacy -C` of an absent rule, under both kernels (6.12 adds a warning line).
const absent61 = 'iptables: No chain/target/match by that name.\n';
const absent612 =
  'Warning: Extension CLUSTERIP revision 0 not supported, missing kernel module?\niptables: No chain/target/match by that name.\n';
const legacy =
  (checkStderr: string, targets: string): Responder =>
  (argv) =>
    argv[0] === 'iptables-legacy'
      ? { exitCode: 1, stderr: checkStderr }
      : argv.join(' ') === 'cat /proc/net/ip_tables_targets'
        ? { stdout: targets }
        : undefined;

test('probe: Linux 6.1 has CLUSTERIP, though iptables-legacy -C says "No chain/target/match"', async () => {
  const runner = new FakeRunner(legacy(absent61, 'CLUSTERIP\nERROR\n'));
  assert.is(await probeBackend(runner, CURRENT_NS, 'clusterip'), undefined);
});

test('probe: Linux 6.12 has no CLUSTERIP', async () => {
  const runner = new FakeRunner(legacy(absent612, 'LOG\nERROR\n'));
  const why = await probeBackend(runner, CURRENT_NS, 'clusterip');
  assert.match(why ?? '', /this kernel has no CLUSTERIP target \(it was removed in Linux 6\.3/);
});

test('probe: without iptables-legacy, says so', async () => {
  const runner = new FakeRunner((argv) =>
    argv[0] === 'iptables-legacy'
      ? { exitCode: 127, stderr: 'iptables-legacy: cannot run it (ENOENT)' }
      : undefined,
  );
  assert.match(
    (await probeBackend(runner, CURRENT_NS, 'clusterip')) ?? '',
    /works only through iptables-legacy, which is not installed/,
  );
});

test('parse: iptables-legacy-save prints the rule with --new; buckets come from /proc', () => {
  const save = [
    '*filter',
    ':INPUT ACCEPT [0:0]',
    ':CLUSTERNET - [0:0]',
    ':CLUSTERNET-main - [0:0]',
    '-A INPUT -m comment --comment clusternet -j CLUSTERNET',
    '-A CLUSTERNET -d 10.4.192.1/32 -i krg0 -m comment --comment clusternet:main -j CLUSTERNET-main',
    '-A CLUSTERNET-main -d 10.4.192.1/32 -i krg0 -m comment --comment clusternet:main -j CLUSTERIP --new --hashmode sourceip --clustermac 01:00:5E:04:C0:01 --total-nodes 4 --local-node 1 --hash-init 1263683340',
    'COMMIT',
  ].join('\n');
  const live = parseXt('clusterip', save, new Map(), new Map([['10.4.192.1', [1, 3]]]));
  assert.ok(live.parentJump);
  const { buckets, drop, address, dev, hash, mac, total, seed } = live.byName.get('main') ?? {
    buckets: [],
  };
  assert.equal(
    { buckets, drop, address, dev, hash, mac, total, seed },
    {
      buckets: [1, 3],
      drop: false,
      address: '10.4.192.1',
      dev: 'krg0',
      hash: 'sourceip',
      mac: '01:00:5e:04:c0:01',
      total: 4,
      seed: 0x4b52470c,
    },
  );
});

test('probe: one that does not answer in time fails the run (exit 1), never reads as "cannot run here"', async () => {
  const runner = new FakeRunner((argv) =>
    argv[0] === 'iptables'
      ? { exitCode: 137, stderr: '\ntimed out after 60000 ms and was killed', timedOut: true }
      : undefined,
  );
  let caught: unknown;
  try {
    await probeBackend(runner, CURRENT_NS, 'cluster-match');
  } catch (error) {
    caught = error;
  }
  assert.instance(caught, ApplyError);
  assert.is(exitCodeOf(caught), 1);
  assert.match(
    String((caught as Error).message),
    /iptables -w -t mangle -C PREROUTING -m cluster .*\(probing backend cluster-match\)/,
  );
  assert.match(String((caught as Error).message), /timed out after 60000 ms/);
});

test('probe: every backend probe allows 60 s, since its first run makes the kernel load modules', async () => {
  for (const backend of ['cluster-match', 'nft', 'clusterip'] as const) {
    const runner = new FakeRunner(legacy(absent61, 'CLUSTERIP\n'));
    await probeBackend(runner, CURRENT_NS, backend);
    assert.ok(runner.calls.length > 0, backend);
    for (const c of runner.calls)
      assert.is(c.timeoutMs, PROBE_TIMEOUT_MS, `${backend}: ${c.argv.join(' ')}`);
  }
  assert.is(PROBE_TIMEOUT_MS, 60_000);
});

test.run();
