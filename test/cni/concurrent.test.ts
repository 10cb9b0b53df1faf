// 64 ADDs at once on one node: host-local's own locking hands out 64 distinct addresses,
// all in the node's range; then 64 DELs at once leave no lease and no port. Needs root.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { bridgePorts, createCniLab, resultIps, type CniLab } from './harness.js';
import { between } from '../../lib/cni/range.js';

let lab: CniLab;
const N = 64;

test.before(async () => {
  lab = await createCniLab([1, 7], 'network = 10.50.0.0/16\nnode-prefix = 24');
});
test.after(async () => {
  await lab?.destroy();
});

test(`${N} concurrent ADDs on node 7: ${N} distinct addresses in 10.50.7.2-10.50.7.254; ${N} concurrent DELs free them all`, async () => {
  const namespaces = await Promise.all(Array.from({ length: N }, () => lab.container()));
  const started = Date.now();
  const adds = await Promise.all(namespaces.map((ns) => lab.call(7, 'ADD', ns)));
  const addMs = Date.now() - started;
  const failed = adds.filter((r) => r.exitCode !== 0);
  assert.equal(
    failed.map((r) => r.stdout + r.stderr),
    [],
  );
  const addresses = adds.map((r) => resultIps(r.json)[0]!.split('/')[0]!);
  assert.is(new Set(addresses).size, N);
  for (const a of addresses) assert.ok(between(a, '10.50.7.2', '10.50.7.254'), a);
  assert.is(lab.leases().length, N);
  assert.is((await bridgePorts(lab.sim.host(7))).length, N);
  const dels = await Promise.all(namespaces.map((ns) => lab.call(7, 'DEL', ns)));
  assert.equal(
    dels.filter((r) => r.exitCode !== 0).map((r) => r.stdout + r.stderr),
    [],
  );
  assert.equal(lab.leases(), []);
  assert.equal(await bridgePorts(lab.sim.host(7)), []);
  console.log(`  ${N} concurrent ADDs: ${addMs} ms in all`);
});

test.run();
