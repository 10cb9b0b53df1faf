// get/set/unset on the text itself: a commented file round-trips byte for byte apart from
// the edited line (ini.stringify would drop every comment), CRLF, BOM and inline comments
// kept; keys resolve to the right section.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { readFileSync } from 'node:fs';
import { ConfigDocument } from '../../lib/edit/document.js';
import { InputError } from '../../lib/errors.js';
import { EXAMPLE } from '../install/cli.js';

const example = readFileSync(EXAMPLE, 'utf8');
const EXAMPLE_TEXT = example;

/** The lines of `a` and `b` that differ, by index (same line count). */
function differing(a: string, b: string): number[] {
  const x = a.split('\n');
  const y = b.split('\n');
  assert.is(x.length, y.length, 'same number of lines');
  return x.map((l, i) => (l === y[i] ? -1 : i)).filter((i) => i >= 0);
}

test('an untouched document is the file, byte for byte', () => {
  assert.is(new ConfigDocument(example).text(), example);
  const odd =
    '\uFEFF# c\r\n[net]\r\n  device   =  eth0   ; the NIC\r\n\r\n\r\n[cluster]\nnodes=1-4';
  assert.is(new ConfigDocument(odd).text(), odd);
});

test('set of an existing key changes that line only, keeping its spacing and inline comment', () => {
  const doc = new ConfigDocument(example);
  doc.set('net.vlan', '9');
  const after = doc.text();
  const lines = differing(example, after);
  assert.equal(lines.length, 1);
  assert.is(after.split('\n')[lines[0]!], 'vlan = 9');
  const odd = new ConfigDocument('[net]\r\n  device   =  eth0   ; the NIC\r\nmtu = auto\r\n');
  odd.set('net.device', 'eth1');
  assert.is(odd.text(), '[net]\r\n  device   =  eth1   ; the NIC\r\nmtu = auto\r\n');
});

test('get reads the value as the parser does: inline comment and quotes removed', () => {
  const doc = new ConfigDocument(
    '[net]\ndevice = eth0 ; the NIC\ninterface = "krg0"\n[clusterip web]\nseed = 0x10\n[node 4]\ndevice = eth1\n',
  );
  assert.is(doc.get('net.device'), 'eth0');
  assert.is(doc.get('net.interface'), 'krg0');
  assert.is(doc.get('clusterip.web.seed'), '0x10');
  assert.is(doc.get('node.4.device'), 'eth1');
  assert.is(doc.get('net.gateway'), undefined);
  assert.is(doc.get('clusterip.seed'), undefined, '[clusterip] is not [clusterip web]');
});

test('a new key with no commented-out line goes after the last key of its section; the rest is unchanged', () => {
  const example = EXAMPLE_TEXT.replace('# gateway = 10.4.135.254\n', '');
  const doc = new ConfigDocument(example);
  doc.set('net.gateway', '10.4.135.254');
  const before = example.split('\n');
  const after = doc.text().split('\n');
  assert.is(after.length, before.length + 1);
  const at = after.indexOf('gateway = 10.4.135.254');
  assert.ok(at > after.indexOf('[net]') && at < after.indexOf('[clusterip]'));
  assert.is(after[at - 1], 'mtu = auto', 'after the last key of [net]');
  assert.equal([...after.slice(0, at), ...after.slice(at + 1)], before);
});

test('a key of a section that does not exist yet adds the section at the end', () => {
  const doc = new ConfigDocument(example);
  doc.set('node.16.device', 'eth1');
  assert.is(doc.text(), `${example}\n[node 16]\ndevice = eth1\n`);
  const noFinalNewline = new ConfigDocument('[cluster]\nnodes = 1-4');
  noFinalNewline.set('clusterip.web.address', '10.0.0.1');
  assert.is(
    noFinalNewline.text(),
    '[cluster]\nnodes = 1-4\n\n[clusterip web]\naddress = 10.0.0.1\n',
  );
});

test('unset comments out exactly the key line; unsetting what is not set is a no-op', () => {
  const doc = new ConfigDocument(example);
  assert.ok(doc.unset('clusterip.seed'));
  const after = doc.text();
  assert.is(after, example.replace('seed = 0x4b52470c\n', '# seed = 0x4b52470c\n'));
  assert.not.ok(doc.unset('net.gateway'));
  assert.is(doc.text(), after);
});

test('unset then set puts the key back under its comment, the file as it was', () => {
  const doc = new ConfigDocument(example);
  doc.unset('net.mtu');
  doc.set('net.mtu', 'auto');
  assert.is(doc.text(), example);
  // The example's commented-out `# gateway = …` is where a set gateway goes.
  doc.set('net.gateway', '10.4.135.1');
  assert.is(doc.text(), example.replace('# gateway = 10.4.135.254\n', 'gateway = 10.4.135.1\n'));
});

test('unset of the last key of a [node N] or [clusterip NAME] section removes the section', () => {
  const text =
    '[cluster]\nnodes = 1-4\n\n[node 3]\ndevice = eth1\n\n[clusterip web]\n# the web front\naddress = 10.0.0.1\nmac = 01:00:5e:00:00:01\n';
  const doc = new ConfigDocument(text);
  doc.unset('node.3.device');
  assert.is(
    doc.text(),
    '[cluster]\nnodes = 1-4\n\n[clusterip web]\n# the web front\naddress = 10.0.0.1\nmac = 01:00:5e:00:00:01\n',
  );
  doc.unset('clusterip.web.mac');
  assert.is(
    doc.text(),
    '[cluster]\nnodes = 1-4\n\n[clusterip web]\n# the web front\naddress = 10.0.0.1\n# mac = 01:00:5e:00:00:01\n',
  );
  doc.unset('clusterip.web.address');
  assert.is(doc.text(), '[cluster]\nnodes = 1-4\n# the web front\n# mac = 01:00:5e:00:00:01\n');
});

test('values that the parser would cut at ; or # are quoted', () => {
  const doc = new ConfigDocument('[node 2]\nhostname = n2\n');
  doc.set('node.2.hostname', 'a;b');
  assert.is(doc.text(), '[node 2]\nhostname = "a;b"\n');
  assert.is(doc.get('node.2.hostname'), 'a;b');
});

test('a legacy Kerrighed file is edited in its own variables, by either name', () => {
  const legacy = '# Kerrighed\nNETCONF_ENABLE=true\nPHYS=eth0\nVLANID=7\n';
  const doc = new ConfigDocument(legacy);
  assert.ok(doc.legacy);
  doc.set('net.vlan', '8');
  doc.set('CLUSTERMAC', '01:00:5e:00:00:20');
  assert.is(
    doc.text(),
    '# Kerrighed\nNETCONF_ENABLE=true\nPHYS=eth0\nVLANID=8\nCLUSTERMAC=01:00:5e:00:00:20\n',
  );
  assert.is(doc.get('PHYS'), 'eth0');
  assert.throws(
    () => doc.set('net.gateway', '10.0.0.1'),
    (e: unknown) => e instanceof InputError && /no such variable/.test(e.message),
  );
});

test('bad key names and values are input errors', () => {
  const doc = new ConfigDocument(example);
  assert.throws(
    () => doc.get('address'),
    (e: unknown) => e instanceof InputError && /not a key name/.test(e.message),
  );
  assert.throws(
    () => doc.set('net.device', 'eth0\n[evil]'),
    (e: unknown) => e instanceof InputError && /line break/.test(e.message),
  );
});

test.run();
