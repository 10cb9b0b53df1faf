// Adversarial: one node named two ways, host names that give one machine two ids, and
// `set`/`edit` on a symlinked net.conf, run concurrently, or fed a key with a newline.
// Each must be refused or handled exactly; nothing half-written. Needs root for the CLI's
// file checks only.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { spawn } from 'node:child_process';
import { lstatSync, readFileSync, symlinkSync } from 'node:fs';
import { parseConfig } from '../../lib/config/load.js';
import { resolveNodeId } from '../../lib/derive/node-id.js';
import { buildOnce, CLI, cleanEnv, cli, show } from '../helpers/cli.js';
import { inputMessage } from '../helpers/errors.js';
import { NATIVE_CONF } from '../helpers/fixtures.js';
import { TempDir } from '../helpers/temp.js';

let tmp: TempDir;
const I = suite('identity: one node, one name');
I.before(() => buildOnce());
I.before.each(() => {
  tmp = new TempDir();
});
I.after.each(() => tmp.remove());

/** `fn` throws an InputError whose message matches `pattern`. */
const refused = (fn: () => unknown, pattern: RegExp) => assert.match(inputMessage(fn), pattern);

const NODE4 = `${NATIVE_CONF}\n[node 4]\nhostname = n4\nmtu = 1400\n`;

I('[node 04] after [node 4] is a duplicate section, not a silent replacement', () => {
  refused(
    () => parseConfig(`${NODE4}\n[node 04]\ndevice = eth1\n`, 'net.conf'),
    /^net\.conf:\d+: \[node 4\]: duplicate section \(first at line \d+\)/m,
  );
  refused(
    () => parseConfig(`${NODE4}\n[node   004]\nmtu = 1300\n`, 'net.conf'),
    /^net\.conf:\d+: \[node 4\]: duplicate section/m,
  );
});

I('set node.04.device=… edits [node 4] and keeps its other keys', () => {
  const conf = tmp.write('net.conf', NODE4);
  const r = cli(['-c', conf, 'set', 'node.04.device=eth1']);
  assert.is(r.code, 0, show(r));
  const node4 = parseConfig(readFileSync(conf, 'utf8'), conf).nodeSettings.get(4)!;
  assert.equal([node4.hostname, node4.mtu, node4.device], ['n4', 1400, 'eth1']);
});

I(
  "a short host name that is another node's first label is refused by validate (n4 and n4.example.com)",
  () => {
    const conf = tmp.write('net.conf', `${NODE4}\n[node 5]\nhostname = n4.example.com\n`);
    const r = cli(['-c', conf, 'validate']);
    assert.is(r.code, 2, show(r));
    assert.match(
      r.stderr,
      /node\.4\.hostname: host name n4 is also the first label of node 5's n4\.example\.com/,
    );
  },
);

I(
  'host names compare as DNS does: case and a final dot do not matter; the full name wins over a first label',
  () => {
    const config = parseConfig(
      `${NATIVE_CONF}\n[node 5]\nhostname = N5.Cluster.Example.\n[node 6]\nhostname = web\n`,
      'net.conf',
    );
    const ids = (host: string) =>
      resolveNodeId(config, { env: {}, readFile: () => undefined, hostname: () => host }).id;
    assert.is(ids('n5.cluster.example'), 5);
    assert.is(ids('N5.CLUSTER.EXAMPLE.'), 5);
    assert.is(ids('WEB'), 6);
    refused(
      () =>
        parseConfig(
          `${NATIVE_CONF}\n[node 5]\nhostname = web\n[node 6]\nhostname = WEB.\n`,
          'net.conf',
        ),
      /^net\.conf:\d+: node\.6\.hostname: host name web is already node 5's/m,
    );
  },
);

const E = suite('identity: set and edit');
E.before(() => buildOnce());
E.before.each(() => {
  tmp = new TempDir();
});
E.after.each(() => tmp.remove());

E(
  'set on a symlinked net.conf writes through it: the link stays, its target gets the value',
  () => {
    const target = tmp.write('real/net.conf', NATIVE_CONF);
    const link = tmp.path('net.conf');
    symlinkSync(target, link);
    const r = cli(['-c', link, 'set', 'net.mtu=1400']);
    assert.is(r.code, 0, show(r));
    assert.ok(lstatSync(link).isSymbolicLink(), 'still a link');
    assert.match(readFileSync(target, 'utf8'), /^mtu = 1400$/m);
  },
);

E('concurrent set: every one ends (no ENOENT on the lock), and every value is there', async () => {
  const conf = tmp.write('net.conf', NATIVE_CONF);
  const one = (node: number) =>
    new Promise<{ code: number | null; stderr: string }>((resolve) => {
      const p = spawn(
        process.execPath,
        [CLI, '-c', conf, 'set', `node.${node}.hostname=host${node}`],
        { env: cleanEnv(), stdio: ['ignore', 'ignore', 'pipe'] },
      );
      let stderr = '';
      p.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
      p.once('close', (code) => resolve({ code, stderr }));
    });
  const runs = await Promise.all([1, 2, 3, 4, 5, 6, 7, 8].map(one));
  for (const r of runs) assert.is(r.code, 0, r.stderr);
  const config = parseConfig(readFileSync(conf, 'utf8'), conf);
  for (const node of [1, 2, 3, 4, 5, 6, 7, 8])
    assert.is(config.nodeSettings.get(node)?.hostname, `host${node}`);
});

E('a key or a value with a newline is refused; the file is unchanged', () => {
  const conf = tmp.write('net.conf', NATIVE_CONF);
  for (const assignment of [
    'net.#x\ngateway=10.4.135.1',
    'net.mtu=1400\n[node 9]',
    'net.mtu\r=1400',
  ]) {
    const r = cli(['-c', conf, 'set', assignment]);
    assert.is(r.code, 2, show(r));
    assert.match(r.stderr, /holds a control character/);
    assert.is(r.stderr.trim().split('\n').length, 1, 'one line of error');
  }
  const u = cli(['-c', conf, 'unset', 'net.gateway\nx']);
  assert.is(u.code, 2, show(u));
  assert.is(readFileSync(conf, 'utf8'), NATIVE_CONF);
});

I.run();
E.run();
