// buckets = manager, without root: the key is read and checked, the plan answers for only
// the buckets the manager assigned (none at boot), CLUSTERIP is refused for it, a request
// names a bucket net.conf allows, and the plain command lines reach the fast path.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { parseConfig } from '../../lib/config/load.js';
import { deriveNode } from '../../lib/derive/node.js';
import { buildPlan } from '../../lib/plan/phases.js';
import { type Op } from '../../lib/plan/ops.js';
import { managedBucket } from '../../lib/derive/manager.js';
import { plainFailover } from '../../lib/cli/failover-args.js';
import { NATIVE_CONF, lineOf } from '../helpers/fixtures.js';
import { throwsInput } from '../helpers/errors.js';
import { CURRENT_NS } from '../../lib/system/ns.js';

const F = 'net.conf';
const MANAGER = NATIVE_CONF.replace(
  'seed = 0x4b52470c\n',
  'seed = 0x4b52470c\nbuckets = manager\n',
);
const s = suite('buckets = manager');

const specsOf = (ops: Op[]) =>
  ops.flatMap((op) => (op.op === 'cip-rules' ? op.specs.map((sp) => sp.buckets) : []));

s('rank is the default; manager is read; anything else is refused with its line', () => {
  assert.is(parseConfig(NATIVE_CONF, F).clusterIps[0]!.buckets, 'rank');
  assert.is(parseConfig(MANAGER, F).clusterIps[0]!.buckets, 'manager');
  const bad = MANAGER.replace('buckets = manager', 'buckets = pacemaker');
  throwsInput(() => parseConfig(bad, F), {
    file: F,
    line: lineOf(bad, 'buckets ='),
    key: 'clusterip.buckets',
    message: 'allowed: rank, manager',
  });
});

s(
  'the plan: no bucket at boot, then exactly the assigned ones; rank keeps its own plus taken over',
  () => {
    const v = deriveNode(parseConfig(MANAGER, F), 4);
    const ctx = { host: CURRENT_NS, container: CURRENT_NS };
    assert.equal(specsOf(buildPlan('init-post', v, ctx).ops), [[]]);
    assert.equal(
      specsOf(
        buildPlan('init-post', v, { ...ctx, assigned: { main: [9, 2], web: [3] }, takenOver: [5] })
          .ops,
      ),
      [[2, 9]],
    );
    const rank = deriveNode(parseConfig(NATIVE_CONF, F), 4);
    assert.equal(
      specsOf(
        buildPlan('init-post', rank, { ...ctx, assigned: { main: [9] }, takenOver: [5] }).ops,
      ),
      [[4, 5]],
    );
  },
);

s('CLUSTERIP cannot start answering for nothing: refused with manager, skipped by auto', () => {
  const legacy = MANAGER.replace('backend = auto', 'backend = clusterip');
  throwsInput(() => deriveNode(parseConfig(legacy, F), 4), {
    file: F,
    line: lineOf(legacy, 'backend ='),
    key: 'clusterip.backend',
    message: 'clusterip cannot answer for no bucket',
  });
  assert.ok(deriveNode(parseConfig(MANAGER, F), 4));
});

s('a request names an enabled address in manager mode and a bucket of it', () => {
  const config = parseConfig(MANAGER, F);
  const v = deriveNode(config, 4);
  assert.equal(managedBucket(config, v, 'main', '16').bucket, 16);
  assert.is(managedBucket(config, v, '', '1').name, 'main');
  throwsInput(() => managedBucket(config, v, 'main', '17'), {
    key: '--bucket',
    message: 'allowed: 1 to 16',
  });
  throwsInput(() => managedBucket(config, v, 'main', '0'), { key: '--bucket' });
  throwsInput(() => managedBucket(config, v, 'main', '1x'), { key: '--bucket' });
  throwsInput(() => managedBucket(config, v, 'web', '1'), {
    key: '--clusterip',
    message: 'allowed: main',
  });
  const rank = parseConfig(NATIVE_CONF, F);
  throwsInput(() => managedBucket(rank, deriveNode(rank, 4), 'main', '1'), {
    file: F,
    key: 'clusterip.buckets',
    message: 'rank: ',
  });
});

s('the fast path takes assign/unassign/assigned with --bucket, not takeover with --bucket', () => {
  assert.equal(
    plainFailover(['assigned', '--bucket', '2', '--clusterip', 'main', '--netns=c1', '-q']),
    { verb: 'assigned', bucket: '2', clusterip: 'main', netns: 'c1', quiet: true },
  );
  assert.equal(plainFailover(['assign', '--bucket', '2', '--node', '4', '-c', '/etc/net.conf']), {
    verb: 'assign',
    bucket: '2',
    node: '4',
    config: '/etc/net.conf',
  });
  assert.equal(plainFailover(['unassign', '--bucket=3', '--validate-only']), {
    verb: 'unassign',
    bucket: '3',
    'validate-only': true,
  });
  for (const argv of [
    ['assign'],
    ['assign', '--node', '3'],
    ['takeover', '--node', '3', '--bucket', '1'],
    ['assigned', '--bucket', '1', '--bucket', '2'],
    ['assign', '--bucket', '1', '--validate-only', '--validate-only'],
  ]) {
    assert.is(plainFailover(argv), undefined, argv.join(' '));
  }
});

s.run();
