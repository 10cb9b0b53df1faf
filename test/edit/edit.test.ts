// `clusternet edit` (visudo-like) driven without a terminal: EDITOR is a script that
// changes the copy, and the questions are answered on standard input (or by --yes).
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { readFileSync, readdirSync, statSync, writeFileSync, chmodSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { EXAMPLE, clusternet, show, tempDir, writeConf } from '../install/cli.js';

const example = readFileSync(EXAMPLE, 'utf8');

/** An editor script: its n-th run applies the n-th sed expression (the last one repeats). */
function editor(...seds: string[]): string {
  const dir = tempDir('clusternet-editor-');
  const path = join(dir, 'editor');
  const cases = seds.map((s, i) => `${i + 1}) sed -i -e '${s}' "$1" ;;`).join('\n');
  writeFileSync(
    path,
    `#!/bin/sh\nn=$(cat "${dir}/runs" 2>/dev/null || echo 0); n=$((n + 1)); echo $n > "${dir}/runs"\n` +
      `echo "$1" > "${dir}/edited-path"\ncase $n in\n${cases}\n*) sed -i -e '${seds.at(-1)}' "$1" ;;\nesac\n`,
  );
  chmodSync(path, 0o755);
  return path;
}
const runs = (ed: string) => Number(readFileSync(join(dirname(ed), 'runs'), 'utf8'));

const edit = (conf: string, ed: string, input: string, extra: string[] = []) =>
  clusternet(['-c', conf, 'edit', ...extra], { env: { EDITOR: ed, VISUAL: '' }, input });

test('a valid edit shows what it means and is installed after "y", owner and mode kept', () => {
  const conf = writeConf(example);
  chmodSync(conf, 0o600);
  const ed = editor('s/^mtu = auto$/mtu = 1400/');
  const r = edit(conf, ed, 'y\n');
  assert.is(r.code, 0, show(r));
  assert.match(r.stdout, /mtu: nodes 1-16 change \(node 1: auto → 1400\)/);
  assert.match(r.stdout, /installed /);
  assert.match(r.stderr, /Install the new .*\? \(y\)es, \(n\)o, \(e\)dit again/);
  assert.is(readFileSync(conf, 'utf8'), example.replace('\nmtu = auto\n', '\nmtu = 1400\n'));
  assert.is(statSync(conf).mode & 0o777, 0o600);
  // The editor worked on a copy elsewhere, which is gone afterwards.
  const copy = readFileSync(join(dirname(ed), 'edited-path'), 'utf8').trim();
  assert.is.not(copy, conf);
  assert.ok(copy.endsWith('/net.conf'));
  assert.not.ok(
    readdirSync(dirname(dirname(copy))).includes(copy.split('/').at(-2)!),
    "the copy's folder was removed",
  );
});

test('answering "n" leaves the file as it was', () => {
  const conf = writeConf(example);
  const r = edit(conf, editor('s/^vlan = 7$/vlan = 8/'), 'n\n');
  assert.is(r.code, 0, show(r));
  assert.match(r.stdout, /vlan: nodes 1-16 change \(node 1: 7 → 8\)/);
  assert.match(r.stdout, /was not changed/);
  assert.is(readFileSync(conf, 'utf8'), example);
});

test('an invalid edit is never installed: "e" reopens the editor, a fixed copy is then installed', () => {
  const conf = writeConf(example);
  const ed = editor('s/^vlan = 7$/vlan = 0/', 's/^vlan = 0$/vlan = 9/');
  const r = edit(conf, ed, 'e\ny\n');
  assert.is(r.code, 0, show(r));
  assert.match(
    r.stdout,
    /is not valid and was not installed:\n.*:\d+: net\.vlan: 0 is out of range; allowed: 1 to 4094/,
  );
  assert.match(r.stderr, /What now\? \(e\)dit again, e\(x\)it without saving/);
  assert.is(runs(ed), 2);
  assert.is(readFileSync(conf, 'utf8'), example.replace('\nvlan = 7\n', '\nvlan = 9\n'));
});

test('an invalid edit and "x" exits without saving, exit 2: nothing was installed', () => {
  const conf = writeConf(example);
  const r = edit(conf, editor('s/^nodes = 1-16$/nodes = 0-3/'), 'x\n');
  assert.is(r.code, 2, show(r));
  assert.match(r.stderr, /net\.conf: the edited file is not valid; nothing was installed\n$/);
  assert.match(r.stdout, /cluster\.nodes: /);
  assert.is(readFileSync(conf, 'utf8'), example);
});

test('--yes installs a valid edit without asking, and refuses an invalid one with exit 2', () => {
  const conf = writeConf(example);
  const ok = edit(conf, editor('s/^hash = sourceip$/hash = sourceip-sourceport/'), '', ['--yes']);
  assert.is(ok.code, 0, show(ok));
  assert.not.match(ok.stderr, /Install the new/);
  assert.match(readFileSync(conf, 'utf8'), /\nhash = sourceip-sourceport\n/);
  const before = readFileSync(conf, 'utf8');
  const bad = edit(conf, editor('s/^mac = f0:00:00:00:07:00$/mac = 01:00:00:00:07:00/'), '', [
    '--yes',
  ]);
  assert.is(bad.code, 2, show(bad));
  assert.match(bad.stdout, /net\.mac: 01:00:00:00:07:00 has the multicast bit set/);
  assert.is(readFileSync(conf, 'utf8'), before);
});

test('no change, end of input and a failing editor change nothing', () => {
  const conf = writeConf(example);
  const same = edit(conf, editor('s/^nothing-matches$//'), '');
  assert.is(same.code, 0, show(same));
  assert.match(same.stdout, /no changes/);
  const eof = edit(conf, editor('s/^vlan = 7$/vlan = 8/'), '');
  assert.is(eof.code, 0, show(eof));
  assert.match(eof.stdout, /was not changed/, 'no answer is "no"');
  const failing = clusternet(['-c', conf, 'edit'], { env: { EDITOR: 'false' } });
  assert.is(failing.code, 1, show(failing));
  assert.match(failing.stderr, /the editor exited with 1; .* was not changed/);
  assert.is(readFileSync(conf, 'utf8'), example);
});

test('EDITOR with arguments is split on white space, never given to a shell', () => {
  const conf = writeConf(example);
  const ed = editor('s/^vlan = 7$/vlan = 12/');
  const r = clusternet(['-c', conf, 'edit', '--yes'], { env: { EDITOR: `sh ${ed}`, VISUAL: '' } });
  assert.is(r.code, 0, show(r));
  assert.match(readFileSync(conf, 'utf8'), /\nvlan = 12\n/);
});

test.run();
