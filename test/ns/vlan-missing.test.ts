// A kernel without 802.1q (this machine's own: Linux 6.18 built without CONFIG_VLAN_8021Q,
// no 8021q module) and the shipped etc/net.conf (link = vlan): boot-pre must refuse with a
// clear message and exit 1, change nothing, and never crash. Needs root and such a kernel;
// the first assertion checks that this kernel is one (the lab proves the VLAN path on
// kernels that have 802.1q).
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import {
  createSimCluster,
  runHooks,
  runPhase,
  snapshot,
  writeConfig,
  type SimCluster,
} from '../sim/cluster.js';

let sim: SimCluster;
let config: string;

test.before(async () => {
  sim = await createSimCluster({ nodes: [1] });
  // The shipped example, with the 4 nodes the lab uses.
  const shipped = readFileSync(join(import.meta.dirname, '..', '..', 'etc', 'net.conf'), 'utf8');
  assert.match(shipped, /^link = vlan$/m);
  config = writeConfig(shipped.replace(/^nodes = 1-16$/m, 'nodes = 1-4'));
});
test.after(async () => {
  await sim?.destroy();
});

test('this kernel has no 802.1q (the condition this test is about)', async () => {
  const r = await sim.exec(sim.host(1), [
    'ip',
    'link',
    'add',
    'link',
    'eth0',
    'name',
    'probe7',
    'type',
    'vlan',
    'id',
    '7',
  ]);
  assert.is(
    r.exitCode,
    2,
    `this kernel made a VLAN: run this test on a kernel without 802.1q\n${r.stderr}`,
  );
  assert.match(r.stderr, /Unknown device type/);
});

test('boot-pre with link = vlan: exit 1, a message naming 802.1q and 8021q, nothing changed', async () => {
  const before = await snapshot(sim, sim.host(1));
  const r = await runPhase(sim, config, 1, 'boot-pre');
  assert.is(r.exitCode, 1, r.stderr);
  assert.match(r.stderr, /this kernel cannot create vlan links/);
  assert.match(r.stderr, /module 8021q could not be loaded/);
  assert.match(r.stderr, /802\.1q support \(CONFIG_VLAN_8021Q\), or set link = macvlan/);
  assert.not.match(r.stderr, /internal error|\n\s+at /, 'a clear error, not a stack trace');
  assert.is(r.stdout, '');
  assert.is(
    await snapshot(sim, sim.host(1)),
    before,
    'eth0 left as it was (still down), no probe link left',
  );
});

test('the same from the hook itself, as the init system runs it (run-parts hooks/boot-pre.d)', async () => {
  const before = await snapshot(sim, sim.host(1));
  const r = await runHooks(sim, config, 1, 'boot-pre');
  assert.is(r.exitCode, 1, r.stderr);
  assert.match(
    r.stderr,
    /^50net: command failed: modprobe 8021q\nthis kernel cannot create vlan links: .*802\.1q support/m,
  );
  assert.match(r.stderr, /run-parts: \S+\/boot-pre\.d\/50net exited with return code 1/);
  assert.not.match(r.stderr, /internal error|\n\s+at /);
  assert.is(await snapshot(sim, sim.host(1)), before);
});

test('boot-post after it fails too, naming the command; the container stays empty', async () => {
  const r = await runPhase(sim, config, 1, 'boot-post');
  assert.is(r.exitCode, 1, r.stderr);
  assert.match(
    r.stderr,
    /command failed: ip link add link eth0 name cnt1 netns \S+ address f0:00:00:00:07:01 mtu 1496 type vlan id 7/,
  );
  assert.not.match(r.stderr, /internal error/);
  const inside = await sim.exec(sim.container(1), ['ip', '-o', 'link', 'show']);
  assert.equal(
    inside.stdout
      .trim()
      .split('\n')
      .map((l) => l.split(':')[1]!.trim()),
    ['lo'],
  );
});

test.run();
