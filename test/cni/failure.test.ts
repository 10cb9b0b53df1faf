// A failed ADD leaves no lease and no half-made link, and bad input gets the spec's error
// JSON with a clear message (and changes nothing). Needs root.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { $ } from 'zx';
import { bridgePorts, CNI_BIN, createCniLab, runIn, PLUGIN, type CniLab } from './harness.js';
import { writeConfig } from '../sim/cluster.js';

let lab: CniLab;

test.before(async () => {
  // Node 1's range: 10.60.0.8/29, containers .10 to .14: five.
  lab = await createCniLab([1, 2], 'network = 10.60.0.0/24\nnode-prefix = 29');
});
test.after(async () => {
  await lab?.destroy();
});

const linksIn = async (ns: string) =>
  (await $`ip -n ${ns} -o link show`).stdout
    .trim()
    .split('\n')
    .map((l) => l.split(': ')[1]!.split('@')[0]!);

test('a full range: the failed ADD leaves no lease, no veth on the bridge and nothing in the container', async () => {
  const filled = [];
  for (let i = 0; i < 5; i++) {
    const ns = await lab.container();
    const r = await lab.call(1, 'ADD', ns);
    assert.is(r.exitCode, 0, r.stdout);
    filled.push(ns);
  }
  const before = { leases: lab.leases(), ports: await bridgePorts(lab.sim.host(1)) };
  const ns = await lab.container();
  const r = await lab.call(1, 'ADD', ns);
  assert.is.not(r.exitCode, 0);
  assert.type(r.json?.code, 'number', r.stdout);
  assert.match(String(r.json?.msg), /no IP addresses available/);
  // The bridge plugin made the veth before host-local failed; clusternet-cni's DEL took it away.
  assert.equal(lab.leases(), before.leases);
  assert.equal(await bridgePorts(lab.sim.host(1)), before.ports);
  assert.equal(await linksIn(ns), ['lo']);
  for (const f of filled) assert.is((await lab.call(1, 'DEL', f)).exitCode, 0);
  assert.equal(lab.leases(), []);
});

test('an ADD whose interface name is taken fails before host-local: no lease, no new port', async () => {
  const ns = await lab.container();
  await $`ip -n ${ns} link add eth0 type bridge`;
  const r = await lab.call(1, 'ADD', ns);
  assert.is.not(r.exitCode, 0, r.stdout);
  assert.equal(lab.leases(), []);
  assert.equal(await bridgePorts(lab.sim.host(1)), []);
});

test('the delegate missing from CNI_PATH: code 100, the plugin and the folders named; nothing made', async () => {
  const empty = mkdtempSync(join(tmpdir(), 'cni-empty-'));
  try {
    const ns = await lab.container();
    const r = await lab.call(1, 'ADD', ns, { env: { CNI_PATH: empty } });
    assert.is(r.exitCode, 1);
    assert.equal(r.json, {
      cniVersion: '1.0.0',
      code: 100,
      msg: 'the delegate plugin "bridge" is not in CNI_PATH',
      details: `looked in ${empty}; install the reference plugins (Debian: containernetworking-plugins) or set CNI_PATH`,
    });
    assert.equal(await linksIn(ns), ['lo']);
    assert.equal(lab.leases(), []);
    // A folder holding only a non-executable file of that name is no better.
    writeFileSync(join(empty, 'bridge'), '#!/bin/sh\n', { mode: 0o644 });
    assert.is((await lab.call(1, 'ADD', ns, { env: { CNI_PATH: empty } })).json?.code, 100);
  } finally {
    rmSync(empty, { recursive: true, force: true });
  }
});

test("bad input: each answered with the spec's code and a message, exit 1", async () => {
  const ns = await lab.container();
  const cases: [string, Parameters<CniLab['call']>[3], number, RegExp][] = [
    ['not JSON', { stdin: '{"cniVersion": ' }, 6, /not JSON/],
    ['an array', { stdin: '[]' }, 6, /not a JSON object/],
    [
      'an old version',
      { conf: { cniVersion: '0.2.0' } },
      1,
      /CNI version 0\.2\.0 is not supported/,
    ],
    ['no name', { stdin: '{"cniVersion":"1.0.0","type":"clusternet-cni"}' }, 7, /no valid name/],
    ['no CNI_IFNAME', { env: { CNI_IFNAME: '' } }, 4, /CNI_IFNAME is not set/],
    ['an unknown command', { env: { CNI_COMMAND: 'GC' } }, 4, /unknown CNI_COMMAND "GC"/],
    [
      'a relative config path',
      { conf: { config: 'net.conf' } },
      7,
      /"config" is not an absolute path/,
    ],
    [
      'a node outside the cluster',
      { env: { CLUSTERNET_NODE_ID: '9' } },
      7,
      /gives this node no container range/,
    ],
  ];
  for (const [what, extra, code, msg] of cases) {
    const r = await lab.call(1, extra?.env?.CNI_COMMAND ?? 'ADD', ns, extra);
    assert.is(r.exitCode, 1, what);
    assert.is(r.json?.code, code, `${what}: ${r.stdout}`);
    assert.match(String(r.json?.msg), msg, what);
  }
  assert.equal(await linksIn(ns), ['lo']);
  assert.equal(lab.leases(), []);
});

test('a net.conf without [cni], and one with an error: code 7, the file:line: key: problem in details', async () => {
  const ns = await lab.container();
  const none = writeConfig(
    '[cluster]\nnodes = 1-2\n[net]\nlink = macvlan\ndevice = eth0\nmac = 02:00:00:00:07:00\naddress = 10.4.135.0/24\n',
  );
  let r = await lab.call(1, 'ADD', ns, { env: { CLUSTERNET_CONFIG: none } });
  assert.is(r.json?.code, 7);
  assert.match(String(r.json?.details), /\[cni\]: missing section/);
  const bad = writeConfig(
    '[cluster]\nnodes = 1-2\n[net]\nlink = macvlan\ndevice = eth0\nmac = 02:00:00:00:07:00\naddress = 10.4.135.0/24\n[cni]\nnetwork = 10.4.0.0/16\nnode-prefix = 24\n',
  );
  r = await lab.call(1, 'ADD', ns, { env: { CLUSTERNET_CONFIG: bad } });
  assert.is(r.json?.code, 7);
  assert.match(
    String(r.json?.details),
    new RegExp(`${bad}:9: cni.network: 10.4.0.0/16 overlaps the node network`),
  );
  // The same config named in the network configuration instead of the environment.
  r = await lab.call(1, 'ADD', ns, { conf: { config: bad } });
  assert.match(String(r.json?.details), /overlaps the node network/);
  assert.equal(await linksIn(ns), ['lo']);
});

test('VERSION: the versions passed through to the reference plugins', async () => {
  const r = await runIn(
    lab.sim.host(1),
    [PLUGIN],
    { CNI_COMMAND: 'VERSION', CNI_PATH: CNI_BIN },
    '{"cniVersion":"1.0.0"}',
  );
  assert.is(r.exitCode, 0);
  assert.equal(r.json, {
    cniVersion: '1.0.0',
    supportedVersions: ['0.3.0', '0.3.1', '0.4.0', '1.0.0'],
  });
});

test.run();
