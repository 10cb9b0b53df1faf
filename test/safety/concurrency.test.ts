// One at a time: two runs started together never interleave and both end correctly; a
// run that cannot get the lock in its bounded wait fails with a message naming the holder.
// Needs root.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import {
  chmodSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createSimCluster, onNode, writeConfig, type SimCluster } from '../sim/cluster.js';

const CONFIG = `
[cluster]
nodes = 1-2

[net]
link = macvlan
device = eth0
mac = 02:00:00:00:07:00
address = 10.4.135.0/18
`;

let sim: SimCluster;
let config: string;
let hooks: string;
let log: string;

test.before(async () => {
  sim = await createSimCluster({ nodes: [1, 2] });
  config = writeConfig(CONFIG);
  // A hook folder whose init-pre holds the built-in hook and a slow site hook that logs
  // when each run is inside the phase.
  hooks = mkdtempSync(join(tmpdir(), 'cnsim-hooks-'));
  chmodSync(hooks, 0o755);
  const dir = join(hooks, 'init-pre.d');
  mkdirSync(dir, { mode: 0o755 });
  chmodSync(dir, 0o755);
  log = join(hooks, 'log');
  writeFileSync(log, '');
  symlinkSync(
    join(import.meta.dirname, '..', '..', 'hooks', 'init-pre.d', '10net'),
    join(dir, '10net'),
  );
  writeFileSync(
    join(dir, '20slow'),
    `#!/bin/sh\necho "start $CLUSTERNET_NODE_ID" >> ${log}\nsleep 1.5\necho "end $CLUSTERNET_NODE_ID" >> ${log}\n`,
  );
  chmodSync(join(dir, '20slow'), 0o755);
  for (const id of [1, 2]) {
    for (const phase of ['boot-pre', 'boot-post']) {
      const r = await onNode(sim, config, id, ['run', phase]);
      assert.is(r.exitCode, 0, r.stderr);
    }
  }
});
test.after(async () => {
  await sim?.destroy();
});

const initPre = (id: number, env: Record<string, string> = {}) =>
  sim.cli(
    sim.container(id),
    ['run', 'init-pre', '--node', String(id), '-c', config, '--hooks-dir', hooks],
    env,
  );

test('two runs started together never interleave, and both end correctly', async () => {
  const [a, b] = await Promise.all([initPre(1), initPre(2)]);
  assert.is(a.exitCode, 0, a.stderr);
  assert.is(b.exitCode, 0, b.stderr);
  const lines = readFileSync(log, 'utf8').trim().split('\n');
  assert.is(lines.length, 4);
  // Whoever started first ends before the other starts.
  assert.is(lines[0]!.split(' ')[0], 'start');
  assert.is(lines[1]!.split(' ')[0], 'end');
  assert.is(lines[0]!.split(' ')[1], lines[1]!.split(' ')[1]);
  for (const id of [1, 2]) {
    const addr = await sim.exec(sim.container(id), ['ip', '-br', 'address', 'show', 'krg0']);
    assert.match(addr.stdout, new RegExp(`10\\.4\\.135\\.${id}/18`));
  }
});

test('a run that cannot get the lock in time fails, naming the holder; nothing changed', async () => {
  writeFileSync(log, '');
  const holder = initPre(1);
  await new Promise((r) => setTimeout(r, 500));
  const before = await sim.exec(sim.container(2), ['ip', '-br', 'address']);
  const waiter = await sim.cli(sim.container(2), ['run', 'stop', '--node', '2', '-c', config], {
    CLUSTERNET_LOCK_WAIT: '0.3',
  });
  assert.is(waiter.exitCode, 1);
  assert.match(waiter.stderr, /another clusternet holds the lock \(pid \d+: init-pre for node 1/);
  assert.is((await sim.exec(sim.container(2), ['ip', '-br', 'address'])).stdout, before.stdout);
  assert.is((await holder).exitCode, 0);
});

test.run();
