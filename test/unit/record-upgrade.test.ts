// Records written before link kinds were drivers are read once in today's form
// (record-schema.ts upgradeOp), so a node upgraded between boot and stop can still stop;
// today's link fields are checked as strictly as every other.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { parseRecord, upgradeOp } from '../../lib/apply/record-schema.js';
import { InputError } from '../../lib/errors.js';

const PLACEHOLDER = { kind: 'netns', name: '@container' };
const old = {
  op: 'link-create',
  ns: { kind: 'current' },
  target: PLACEHOLDER,
  lower: 'eth0',
  tmpName: 'cnt1',
  name: 'krg0',
  type: 'vlan',
  vlan: 7,
  mac: 'f0:00:00:00:07:01',
  mtu: 1496,
};
const record = (ops: unknown[]) => JSON.stringify({ phases: { 'boot-post': ops } });
const refused = (ops: unknown[], words: RegExp) =>
  assert.throws(
    () => parseRecord(record(ops), 'r.json', 1),
    (e: unknown) => e instanceof InputError && words.test(e.message),
  );

test('an old link-create {type, vlan} reads as link {kind, id}; macvlan as link {kind}', () => {
  const { type: _t, vlan: _v, ...rest } = old;
  assert.equal(parseRecord(record([old]), 'r.json', 1).phases['boot-post'], [
    { ...rest, link: { kind: 'vlan', id: 7 } },
  ]);
  const mv = { ...old, type: 'macvlan', vlan: null };
  assert.equal(parseRecord(record([mv]), 'r.json', 1).phases['boot-post'], [
    { ...rest, link: { kind: 'macvlan' } },
  ]);
});

test("an old require-link-type {type} gains its kind's module and hint; unknown types stay as they are", () => {
  assert.equal(upgradeOp({ op: 'require-link-type', ns: { kind: 'current' }, type: 'macvlan' }), {
    op: 'require-link-type',
    ns: { kind: 'current' },
    type: 'macvlan',
    module: 'macvlan',
    hint: '',
  });
  const odd = { op: 'require-link-type', ns: { kind: 'current' }, type: 'x' };
  assert.is(upgradeOp(odd), odd);
});

test('an old op upgraded is still checked: a VLAN id out of range is refused', () => {
  refused([{ ...old, vlan: 4095 }], /boot-post\[0\]\.link\.id: not a whole number from 1 to 4094/);
});

test("today's link field: an unknown kind, a field the kind has not, a missing id are refused", () => {
  const { type: _t, vlan: _v, ...rest } = old;
  refused(
    [{ ...rest, link: { kind: 'ipvlan' } }],
    /link\.kind: not one of vlan, macvlan, bridge, veth/,
  );
  refused([{ ...rest, link: { kind: 'veth', peer: 'cnh1' } }], /link: missing field bridge/);
  refused([{ ...rest, link: { kind: 'macvlan', id: 7 } }], /link: unknown field "id"/);
  refused([{ ...rest, link: { kind: 'vlan' } }], /link: missing field id/);
  refused([{ ...rest, link: { kind: 'vlan', id: 7 }, type: 'vlan' }], /unknown field "type"/);
});

test("require-link-type: the module must be the kind's own (it reaches modprobe)", () => {
  const probe = {
    op: 'require-link-type',
    ns: { kind: 'current' },
    type: 'vlan',
    module: 'evil',
    hint: '',
  };
  assert.throws(
    () =>
      parseRecord(
        JSON.stringify({
          phases: {},
          journal: { pid: 1, phase: 'boot-pre', started: '2026-12-02T08:00:00Z', intents: [probe] },
        }),
        'r.json',
        1,
      ),
    (e: unknown) =>
      e instanceof InputError && /intents\[0\]\.module: not one of 8021q/.test(e.message),
  );
});

test.run();
