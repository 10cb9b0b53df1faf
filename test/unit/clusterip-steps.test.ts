// One list of steps per cluster-IP op (lib/clusterip/steps.ts): what `plan` prints is what
// apply feeds, for every backend and every op that needs nothing read first.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { cipSteps } from '../../lib/clusterip/steps.js';
import { describeCipOp } from '../../lib/clusterip/describe.js';
import { applyCipOp } from '../../lib/clusterip/system.js';
import type { CipBackend, CipOp, CipSpec } from '../../lib/clusterip/types.js';
import { CURRENT_NS } from '../../lib/system/ns.js';
import { FakeRunner } from '../helpers/fake-runner.js';

const spec: CipSpec = {
  name: 'main',
  address: '10.4.135.200',
  mac: '01:00:5e:04:87:c8',
  dev: 'krg0',
  hash: 'sourceip',
  seed: 0,
  total: 3,
  bucket: 2,
  buckets: [2],
};
const BACKENDS: CipBackend[] = ['nft', 'cluster-match', 'clusterip'];
const ops = (backend: CipBackend): CipOp[] => [
  { op: 'cip-rules', ns: CURRENT_NS, backend, specs: [spec] },
  {
    op: 'cip-buckets',
    ns: CURRENT_NS,
    backend,
    specs: [{ ...spec, buckets: [1, 2] }],
    was: [[2]],
    wasLive: true,
  },
];

for (const backend of BACKENDS) {
  test(`${backend}: plan prints exactly the scripts apply feeds`, async () => {
    for (const op of ops(backend)) {
      const { feeds } = cipSteps(op);
      const runner = new FakeRunner();
      await applyCipOp(op, runner);
      const fed = runner.calls.filter((c) =>
        feeds.some((f) => c.argv.join(' ') === f.argv.join(' ') && c.input === f.input),
      );
      assert.is(fed.length, feeds.length, `${op.op}: every step fed once`);
      const text = describeCipOp(op);
      for (const f of feeds)
        assert.ok(
          text.includes(`${f.argv.join(' ')} <<'EOF'\n${f.input}EOF`),
          `${op.op}: ${f.argv.join(' ')} shown with its input`,
        );
    }
  });
}

test('what only the kernel can tell is named, not guessed: removals and CLUSTERIP buckets', () => {
  for (const backend of BACKENDS)
    assert.equal(cipSteps({ op: 'cip-rules-delete', ns: CURRENT_NS, backend, specs: [spec] }), {
      feeds: [],
      fromKernel: 'removal',
    });
  assert.is(cipSteps(ops('clusterip')[0]!).fromKernel, 'clusterip-buckets');
  assert.equal(cipSteps(ops('clusterip')[1]!).feeds, []);
  assert.match(
    describeCipOp(ops('clusterip')[1]!),
    /^# \/proc\/net\/ipt_CLUSTERIP\/10\.4\.135\.200: answer for buckets 1,2/,
  );
  assert.is(
    cipSteps(ops('cluster-match')[0]!).feeds.length,
    2,
    'the filter and the ARP table, side by side',
  );
});

test.run();
