// get / set / unset through the built command: the file changes only on the edited line,
// an invalid result is refused with `file:line: key:` and exit 2 and leaves the file as it
// was, owner and mode are kept, and the meaning of the change is shown.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawnSync } from 'node:child_process';
import { chmodSync, chownSync, existsSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { EXAMPLE, clusternet, show, writeConf } from '../install/cli.js';

const example = readFileSync(EXAMPLE, 'utf8');

test('get prints a key as written; an unset key exits 1; a bad name exits 2', () => {
  const conf = writeConf(example);
  const r = clusternet(['-c', conf, 'get', 'net.address']);
  assert.is(r.code, 0, show(r));
  assert.is(r.stdout, '10.4.135.0/18\n');
  const missing = clusternet(['-c', conf, 'get', 'net.gateway']);
  assert.is(missing.code, 1, show(missing));
  assert.match(missing.stderr, /net\.gateway: not set/);
  const bad = clusternet(['-c', conf, 'get', 'gateway']);
  assert.is(bad.code, 2, show(bad));
  assert.match(bad.stderr, /gateway: not a key name/);
});

test('an unknown key is bad input (exit 2) for get, set and unset alike, with the allowed keys', () => {
  const conf = writeConf(example);
  for (const args of [
    ['get', 'net.bogus'],
    ['set', 'net.bogus=1'],
    ['unset', 'net.bogus'],
    ['get', 'node.4.vlan'],
    ['get', 'bogus.key'],
  ]) {
    const r = clusternet(['-c', conf, ...args]);
    assert.is(r.code, 2, `${args.join(' ')}: ${show(r)}`);
    assert.match(r.stderr, /: unknown (key|section)[;:].*allowed/);
  }
  assert.is(readFileSync(conf, 'utf8'), example);
});

test('set rewrites one line, keeps every other byte, and says what it means', () => {
  const conf = writeConf(example);
  const r = clusternet(['-c', conf, 'set', 'net.mtu=1400']);
  assert.is(r.code, 0, show(r));
  assert.is(readFileSync(conf, 'utf8'), example.replace('\nmtu = auto\n', '\nmtu = 1400\n'));
  assert.match(r.stdout, /mtu: nodes 1-16 change \(node 1: auto → 1400\)/);
  assert.match(r.stdout, /boot-post would act on nodes 1-16/);
  assert.is(clusternet(['-c', conf, 'get', 'net.mtu']).stdout, '1400\n');
});

test('set of several keys, some new, is one validated write', () => {
  const conf = writeConf(example);
  const r = clusternet(['-c', conf, 'set', 'net.gateway=10.4.135.254', 'node.16.device=eth1']);
  assert.is(r.code, 0, show(r));
  const text = readFileSync(conf, 'utf8');
  // The gateway takes the place of the example's commented-out one, under its explanation.
  assert.ok(
    text.startsWith(example.replace('# gateway = 10.4.135.254\n', 'gateway = 10.4.135.254\n')),
  );
  assert.ok(text.endsWith('\n[node 16]\ndevice = eth1\n'));
  assert.match(r.stdout, /gateway: nodes 1-16 change/);
  assert.match(r.stdout, /device: node 16 change \(node 16: eth0 → eth1\)/);
});

test('an invalid result is refused with file:line: key: and the file is left untouched', () => {
  const conf = writeConf(example);
  const before = statSync(conf);
  const r = clusternet(['-c', conf, 'set', 'net.vlan=5000']);
  assert.is(r.code, 2, show(r));
  assert.match(
    r.stderr,
    new RegExp(`${conf.replace(/[.]/g, '\\.')}:\\d+: net\\.vlan: 5000 is out of range`),
  );
  assert.is(readFileSync(conf, 'utf8'), example);
  assert.is(statSync(conf).ino, before.ino, 'not even rewritten');
  // A key that does not exist in the schema is caught by the same validation.
  const unknown = clusternet(['-c', conf, 'set', 'net.vlna=5']);
  assert.is(unknown.code, 2, show(unknown));
  assert.match(unknown.stderr, /net\.vlna: unknown key; did you mean vlan\?/);
  // A result that parses but derives a bad node is refused too.
  const past = clusternet(['-c', conf, 'set', 'net.address=10.4.135.0/28']);
  assert.is(past.code, 2, show(past));
  assert.match(past.stderr, /net\.address: .*node 1[0-9]/);
  assert.is(readFileSync(conf, 'utf8'), example);
});

test('unset comments the line out; the owner and mode of the file are kept', () => {
  const conf = writeConf(example);
  chmodSync(conf, 0o640);
  chownSync(conf, 0, 4);
  const r = clusternet(['-c', conf, 'unset', 'clusterip.seed']);
  assert.is(r.code, 0, show(r));
  assert.is(
    readFileSync(conf, 'utf8'),
    example.replace('seed = 0x4b52470c\n', '# seed = 0x4b52470c\n'),
  );
  const st = statSync(conf);
  assert.is(st.mode & 0o777, 0o640);
  assert.is(st.gid, 4);
  assert.match(r.stdout, /clusterIps: nodes 1-16 change/);
  assert.match(r.stdout, /init-post would act on nodes 1-16/);
  const again = clusternet(['-c', conf, 'unset', 'clusterip.seed']);
  assert.is(again.code, 0, show(again));
  assert.match(again.stdout, /no change/);
});

test('a CRLF file with a BOM and inline comments keeps them', () => {
  const crlf = `\uFEFF${example.replace('device = eth0', 'device = eth0   ; the NIC').replace(/\n/g, '\r\n')}`;
  const conf = writeConf(crlf);
  const r = clusternet(['-c', conf, 'set', 'net.device=eth2']);
  assert.is(r.code, 0, show(r));
  assert.is(
    readFileSync(conf, 'utf8'),
    crlf.replace('device = eth0   ; the NIC', 'device = eth2   ; the NIC'),
  );
});

test("a second editor is refused while the first holds the lock; a dead holder's lock is taken over", () => {
  const conf = writeConf(example);
  const lock = join(dirname(conf), '.net.conf.clusternet-lock');
  writeFileSync(lock, `${process.pid}\n`);
  const held = clusternet(['-c', conf, 'set', 'net.mtu=1400']);
  assert.is(held.code, 2, show(held));
  assert.match(held.stderr, new RegExp(`is being edited by process ${process.pid}`));
  assert.is(readFileSync(conf, 'utf8'), example);
  const dead = spawnSync('true').pid!;
  writeFileSync(lock, `${dead}\n`);
  const r = clusternet(['-c', conf, 'set', 'net.mtu=1400']);
  assert.is(r.code, 0, show(r));
  assert.not.ok(existsSync(lock), 'the lock is gone after the edit');
});

test("set of a [cni] key says which nodes' container ranges change, and that running containers keep theirs", () => {
  const conf = writeConf(`${example}\n[cni]\nnetwork = 10.244.0.0/16\nnode-prefix = 24\n`);
  const r = clusternet(['-c', conf, 'set', 'cni.node-prefix=26']);
  assert.is(r.code, 0, show(r));
  assert.match(
    r.stdout,
    /cni: nodes 1-16 change \(node 1: 10\.244\.1\.0\/24 bridge cni0 → 10\.244\.0\.64\/26 bridge cni0\); containers started from now on get it, running ones keep theirs until DEL/,
  );
  assert.not.match(r.stdout, /no derived value changes/);
});

test.run();
