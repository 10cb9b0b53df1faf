// Logs: every change a hook makes is one line on stderr AND in the system log, with the
// phase and node id in it; --verbose adds the commands with their durations, --quiet
// keeps only errors. syslog through util-linux `logger` (to a socket the test listens
// on), journald through `systemd-cat` (a stand-in that records what it is given: this
// machine runs no journald). Needs root for the namespaces.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { chmodSync, existsSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { join } from 'node:path';
import { JOURNAL_STREAM, SYSLOG_SOCKET, systemLogArgv } from '../../lib/systemlog.js';
import { createSimCluster, onNode, writeConfig, type SimCluster } from '../sim/cluster.js';
import { EXAMPLE, clusternet, show, tempDir, writeConf } from '../install/cli.js';

const CONFIG = `[cluster]\nnodes = 1\n\n[net]\nlink = macvlan\ndevice = eth0\ninterface = krg0\nmac = 02:00:00:00:07:00\naddress = 10.4.135.0/24\n`;

let sim: SimCluster;
let config: string;
let server: Server;
let socket: string;
let received = '';

test.before(async () => {
  sim = await createSimCluster({ nodes: [1] });
  config = writeConfig(CONFIG);
  socket = join(tempDir(), 'log.sock');
  server = createServer((c) => c.on('data', (d) => (received += d.toString())));
  await new Promise<void>((done) => server.listen(socket, done));
});
test.after(async () => {
  server?.close();
  await sim?.destroy();
});

/** Waits until `get()` matches (the log child may finish after the CLI has exited). */
async function eventually(get: () => string, pattern: RegExp): Promise<string> {
  for (let i = 0; i < 50 && !pattern.test(get()); i++) await new Promise((r) => setTimeout(r, 100));
  assert.match(get(), pattern);
  return get();
}

test('the sink: auto picks journald, then syslog, then none; CLUSTERNET_SYSLOG overrides', () => {
  const only =
    (...paths: string[]) =>
    (p: string) =>
      paths.includes(p);
  assert.equal(systemLogArgv({}, only(JOURNAL_STREAM, SYSLOG_SOCKET))?.[0], 'systemd-cat');
  assert.equal(systemLogArgv({}, only(SYSLOG_SOCKET))?.slice(0, 3), [
    'logger',
    '--tag',
    'clusternet',
  ]);
  assert.is(systemLogArgv({}, only()), null);
  assert.is(systemLogArgv({ CLUSTERNET_SYSLOG: 'none' }, only(JOURNAL_STREAM)), null);
  assert.equal(
    systemLogArgv({ CLUSTERNET_SYSLOG_SOCKET: '/x.sock' }, only(JOURNAL_STREAM))?.slice(-2),
    ['--socket', '/x.sock'],
  );
});

test('under a systemd unit (JOURNAL_STREAM is stderr) auto logs nothing more: stderr is in the journal already', () => {
  const all = () => true;
  assert.is(systemLogArgv({ JOURNAL_STREAM: '8:1234' }, all, '8:1234'), null);
  // Another stream (stderr redirected to a file by hand): the journal is still fed.
  assert.equal(systemLogArgv({ JOURNAL_STREAM: '8:1234' }, all, '8:999')?.[0], 'systemd-cat');
  assert.equal(
    systemLogArgv({ JOURNAL_STREAM: '8:1234', CLUSTERNET_SYSLOG: 'journald' }, all, '8:1234')?.[0],
    'systemd-cat',
  );
});

test('syslog: one line per change, with the phase and the node, as daemon.info', async () => {
  const env = { CLUSTERNET_SYSLOG: 'syslog', CLUSTERNET_SYSLOG_SOCKET: socket };
  for (const phase of ['boot-pre', 'boot-post']) {
    const r = await onNode(sim, config, 1, ['run', phase], env);
    assert.is(r.exitCode, 0, r.stderr);
  }
  const log = await eventually(
    () => received,
    /boot-post node 1\]: changed: .*link set dev cnt1 name krg0/,
  );
  assert.match(
    log,
    /<30>\w{3} [ \d]\d [\d:]{8} clusternet\[\d+\]: clusternet\[boot-post node 1\]: changed: ip link add link eth0 name cnt1 netns \S+ address 02:00:00:00:07:01/,
  );
  // Every line of the system log was on stderr too, and carries phase and node.
  for (const line of log.split('\n').filter(Boolean))
    assert.match(line, /clusternet\[(boot-pre|boot-post) node 1\]: /);
});

test('--verbose adds every command with its duration (debug); --quiet sends only errors', async () => {
  received = '';
  const env = { CLUSTERNET_SYSLOG: 'syslog', CLUSTERNET_SYSLOG_SOCKET: socket };
  const verbose = await sim.cli(
    sim.container(1),
    ['run', 'init-pre', '--node', '1', '-c', config, '--verbose'],
    env,
  );
  assert.is(verbose.exitCode, 0, verbose.stderr);
  await eventually(
    () => received,
    /<31>.*clusternet\[init-pre node 1\]: ran ip -batch - .* → exit 0 in [\d.]+ ms/,
  );
  assert.match(
    received,
    /<30>.*clusternet\[init-pre node 1\]: changed: ip address add 10\.4\.135\.1\/24 dev krg0/,
  );
  received = '';
  const broken = writeConfig(CONFIG.replace('address = 10.4.135.0/24', 'address = 10.4.135.0/99'));
  const quiet = await sim.cli(
    sim.container(1),
    ['run', 'init-pre', '--node', '1', '-c', broken, '--quiet'],
    env,
  );
  assert.is(quiet.exitCode, 2);
  const log = await eventually(() => received, /<27>.*net\.address: /);
  assert.not.match(log, /<30>/, 'no info line with --quiet');
});

test('reload, which changes a running node, leaves its changes in the system log', async () => {
  received = '';
  const env = { CLUSTERNET_SYSLOG: 'syslog', CLUSTERNET_SYSLOG_SOCKET: socket };
  const edited = writeConfig(CONFIG + 'mtu = 1400\n');
  const r = await onNode(sim, edited, 1, ['reload'], env);
  assert.is(r.exitCode, 0, r.stderr);
  assert.match(r.stderr, /mtu 1400/);
  await eventually(() => received, /<30>.*clusternet\[reload node 1\]: .*mtu 1400/);
});

test('journald: systemd-cat is started with an argument array and fed prefixed lines', async () => {
  const bin = tempDir();
  const out = join(bin, 'journal');
  writeFileSync(
    join(bin, 'systemd-cat'),
    `#!/bin/sh\nprintf '%s\\n' "$@" > "${out}.argv"\ncat > "${out}.tmp"\nmv "${out}.tmp" "${out}"\n`,
  );
  chmodSync(join(bin, 'systemd-cat'), 0o755);
  const env = { CLUSTERNET_SYSLOG: 'journald', PATH: `${bin}:${process.env.PATH}` };
  const r = await onNode(sim, config, 1, ['run', 'stop'], env);
  assert.is(r.exitCode, 0, r.stderr);
  await eventually(
    () => (existsSync(out) ? readFileSync(out, 'utf8') : ''),
    /<30>clusternet\[stop node 1\]: changed: /,
  );
  assert.equal(readFileSync(`${out}.argv`, 'utf8').trim().split('\n'), [
    '--identifier=clusternet',
    '--level-prefix=true',
  ]);
});

test('a successful set, unset, edit, install-hooks and uninstall-hooks each leave a line in the system log', async () => {
  received = '';
  const env = { CLUSTERNET_SYSLOG: 'syslog', CLUSTERNET_SYSLOG_SOCKET: socket };
  const conf = writeConf(readFileSync(EXAMPLE, 'utf8'));
  const editor = join(tempDir(), 'editor');
  writeFileSync(editor, '#!/bin/sh\nsed -i -e \'s/^vlan = 7$/vlan = 9/\' "$1"\n', { mode: 0o755 });
  const prefix = tempDir();
  for (const args of [
    ['-c', conf, 'set', 'net.mtu=1400'],
    ['-c', conf, 'unset', 'net.mtu'],
    ['-c', conf, 'edit', '--yes'],
    ['install-hooks', '--prefix', prefix, '--init', 'sysv'],
    ['uninstall-hooks', '--prefix', prefix],
  ]) {
    const r = clusternet(args, { env: { ...env, EDITOR: editor } });
    assert.is(r.code, 0, show(r));
  }
  const log = await eventually(() => received, /clusternet\[uninstall-hooks\]: removed/);
  assert.match(
    log,
    /<30>.*clusternet\[set\]: \S+net\.conf written: mtu: nodes 1-16 change \(node 1: auto → 1400\)/,
  );
  assert.match(log, /<30>.*clusternet\[unset\]: \S+net\.conf written: mtu: nodes 1-16 change/);
  assert.match(log, /<30>.*clusternet\[edit\]: installed a new \S+net\.conf/);
  assert.match(log, /<30>.*clusternet\[install-hooks\]: sysv integration under \S+: 10 written/);
});

test.run();
