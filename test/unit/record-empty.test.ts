// A node record that holds nothing to undo is not kept (lib/apply/record.ts): boot-pre run
// from its hook, without a container, must leave no file behind (found in the lab).
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { existsSync } from 'node:fs';
import { RecordStore } from '../../lib/apply/record.js';
import { type Op } from '../../lib/plan/ops.js';
import { TempDir } from '../helpers/temp.js';
import { CURRENT_NS } from '../../lib/system/ns.js';

const link: Op = {
  op: 'link-create',
  ns: CURRENT_NS,
  target: { kind: 'netns', name: 'c1' },
  lower: 'eth0',
  tmpName: 'cnt1',
  name: 'krg0',
  link: { kind: 'vlan', id: 7 },
  mac: 'f0:00:00:00:07:01',
  mtu: 1496,
};
const up: Op = { op: 'link-up', ns: CURRENT_NS, dev: 'eth0', shared: true };

test('a record with nothing to undo is removed, not written; one with something is kept', () => {
  const tmp = new TempDir();
  try {
    const store = new RecordStore(1, CURRENT_NS, { CLUSTERNET_RUN_DIR: tmp.path('run') });
    store.save({ phases: { 'boot-pre': [up] } });
    assert.not.ok(existsSync(store.path), 'boot-pre alone: no record');
    store.save({ phases: { 'boot-pre': [up], 'boot-post': [link] } });
    assert.ok(existsSync(store.path));
    assert.is(store.load().phases['boot-post']?.length, 1);
    store.save({ phases: { 'boot-pre': [] }, takenOver: [3] });
    assert.ok(existsSync(store.path), 'a takeover is worth keeping');
    store.save({ phases: {} });
    assert.not.ok(existsSync(store.path), 'emptied: removed');
  } finally {
    tmp.remove();
  }
});

test.run();
