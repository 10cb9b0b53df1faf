// clusternet-cni's start path (bin/clusternet-cni.sh) with the real reference plugins: it
// answers from what the Node plugin worked out for the same inputs, hands the delegate what
// the Node plugin hands it, and sends every call whose inputs changed, or that it does not
// recognise, to the Node plugin. The plugin is installed as install-hooks installs it (the
// template), with "node" replaced by a script that answers NODE: a call that reaches it
// says so, a call that does not was answered in sh. Needs root.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import {
  chmodSync,
  chownSync,
  copyFileSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  symlinkSync,
  unlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { $ } from 'zx';
import { renderTemplate } from '../../lib/install/templates.js';
import { routedConf } from '../helpers/fixtures.js';
import { writeConfig } from '../sim/cluster.js';
import {
  bridgePorts,
  CNI_BIN,
  createCniLab,
  PLUGIN,
  runIn,
  type Call,
  type CniLab,
} from './harness.js';

const BIN = dirname(PLUGIN);
let lab: CniLab;
let dir: string;
/** The plugin as installed, its node a script that answers NODE. */
let fast: string;
/** The plugin as installed with the real node. */
let real: string;

const install = (node: string, name: string): string => {
  const path = join(dir, name);
  writeFileSync(path, renderTemplate('cni/clusternet-cni.in', { NODE: node, LIBBIN: BIN }), {
    mode: 0o755,
  });
  return path;
};

test.before(async () => {
  lab = await createCniLab([1, 2], 'network = 10.91.0.0/16\nnode-prefix = 24');
  dir = mkdtempSync(join(tmpdir(), 'cni-start-'));
  chmodSync(dir, 0o755);
  writeFileSync(join(dir, 'node'), '#!/bin/sh\ncat >/dev/null\necho NODE\n', { mode: 0o755 });
  fast = install(join(dir, 'node'), 'fast');
  real = install(process.execPath, 'real');
});
test.after(async () => {
  await lab?.destroy();
  rmSync(dir, { recursive: true, force: true });
});

const runDir = () => join(lab.leaseDir, 'run');
const cache = () => join(runDir(), `cni-${lab.name}`);
/** One call through the Node plugin: the start path's cache is (re)written. */
const prime = async () => {
  const r = await lab.call(1, 'DEL', 'primed', { plugin: real });
  assert.is(r.exitCode, 0, r.stdout + r.stderr);
};
const answeredInSh = (r: Call) => {
  assert.is.not(r.stdout, 'NODE\n', 'the call went to Node');
  return r;
};
const wentToNode = (r: Call, why: string) =>
  assert.is(r.stdout, 'NODE\n', `${why}: answered in sh: ${r.stdout}`);

test("after one call through Node, ADD, CHECK (with prevResult) and DEL are answered in sh: node 1's range, the lease and the port made, then gone", async () => {
  rmSync(cache(), { force: true });
  wentToNode(await lab.call(1, 'DEL', 'none', { plugin: fast }), 'no cache yet');
  await prime();
  const ns = await lab.container();
  const add = answeredInSh(await lab.call(1, 'ADD', ns, { plugin: fast }));
  assert.is(add.exitCode, 0, add.stdout + add.stderr);
  const ips = (add.json?.ips as { address: string }[]).map((i) => i.address);
  assert.is(ips.length, 1);
  assert.match(ips[0]!, /^10\.91\.1\.\d+\/24$/);
  assert.is(lab.leases().length, 1);
  assert.is((await bridgePorts(lab.sim.host(1))).length, 1);
  const check = answeredInSh(
    await lab.call(1, 'CHECK', ns, { plugin: fast, conf: { prevResult: add.json } }),
  );
  assert.is(check.exitCode, 0, check.stdout + check.stderr);
  const del = answeredInSh(await lab.call(1, 'DEL', ns, { plugin: fast }));
  assert.is(del.exitCode, 0, del.stdout + del.stderr);
  assert.equal(lab.leases(), []);
  assert.equal(await bridgePorts(lab.sim.host(1)), []);
});

test("the start path hands the delegate exactly what the Node plugin hands it (the runtime's fields, a routed bridge's live MTU, else the written one)", async () => {
  const record = join(dir, 'record');
  const cniPath = join(dir, 'cni-bin');
  await $`mkdir -p ${cniPath}`;
  writeFileSync(
    join(cniPath, 'bridge'),
    `#!/bin/sh\ncat > ${record}.$CNI_COMMAND\necho '{"cniVersion":"1.0.0"}'\n`,
    { mode: 0o755 },
  );
  const routed = writeConfig(
    `${routedConf()}\n[cni]\nname = ${lab.name}\nlease-dir = ${lab.leaseDir}\n`,
  );
  const host = lab.sim.host(2);
  await $`ip -n ${host} link add cnbr0 mtu 1400 type bridge`;
  try {
    // Whitespace, nesting and every JSON value kind in the fields passed on.
    const stdin = `{ "cniVersion" : "1.0.0", "name": "${lab.name}", "type": "clusternet-cni",\n "args": {"K8S_POD_NAME": "a\\"b\\u00e9", "n": [1, -2.5e3, true, false, null]},\n\t"runtimeConfig": {"portMappings": []},\n "prevResult": {"cniVersion": "1.0.0", "ips": [{"address": "10.5.2.9/24"}]}, "other": {"x": 1} }`;
    const env = { CNI_PATH: cniPath, CLUSTERNET_CONFIG: routed };
    const viaNode = await lab.call(2, 'CHECK', 'rec', { plugin: real, stdin, env });
    assert.is(viaNode.exitCode, 0, viaNode.stdout + viaNode.stderr);
    const node = JSON.parse(readFileSync(`${record}.CHECK`, 'utf8')) as Record<string, unknown>;
    const viaSh = answeredInSh(await lab.call(2, 'CHECK', 'rec', { plugin: fast, stdin, env }));
    assert.is(viaSh.exitCode, 0, viaSh.stdout + viaSh.stderr);
    const sh = JSON.parse(readFileSync(`${record}.CHECK`, 'utf8')) as Record<string, unknown>;
    assert.equal(sh, node);
    assert.is(sh.mtu, 1400);
    assert.is(sh.bridge, 'cnbr0');
    assert.is(sh.other, undefined);
    assert.equal(sh.args, { K8S_POD_NAME: 'a"bé', n: [1, -2500, true, false, null] });
    // The MTU is read at every call, not kept.
    await $`ip -n ${host} link set cnbr0 mtu 1300`;
    answeredInSh(await lab.call(2, 'CHECK', 'rec', { plugin: fast, stdin, env }));
    assert.is((JSON.parse(readFileSync(`${record}.CHECK`, 'utf8')) as { mtu: number }).mtu, 1300);
    // No bridge here: the node's written [net] mtu (what boot-post gives the bridge), on both paths.
    await $`ip -n ${host} link del cnbr0`;
    writeFileSync(routed, readFileSync(routed, 'utf8').replace('[net]\n', '[net]\nmtu = 1350\n'));
    assert.is((await lab.call(2, 'CHECK', 'rec', { plugin: real, stdin, env })).exitCode, 0);
    const nodeFallback = JSON.parse(readFileSync(`${record}.CHECK`, 'utf8')) as Record<
      string,
      unknown
    >;
    answeredInSh(await lab.call(2, 'CHECK', 'rec', { plugin: fast, stdin, env }));
    const shFallback = JSON.parse(readFileSync(`${record}.CHECK`, 'utf8')) as Record<
      string,
      unknown
    >;
    assert.equal(shFallback, nodeFallback);
    assert.is(shFallback.mtu, 1350);
  } finally {
    await $({ nothrow: true })`ip -n ${host} link del cnbr0`;
    rmSync(dirname(routed), { recursive: true, force: true });
  }
});

test("a failed ADD answered in sh leaves nothing (the delegate's DEL ran) and answers as the Node plugin does", async () => {
  await prime();
  const ns = await lab.container();
  await $`ip -n ${ns} link add eth0 type bridge`;
  const viaSh = answeredInSh(await lab.call(1, 'ADD', ns, { plugin: fast }));
  assert.is.not(viaSh.exitCode, 0, viaSh.stdout);
  assert.type(viaSh.json?.code, 'number', viaSh.stdout);
  assert.equal(lab.leases(), []);
  assert.equal(await bridgePorts(lab.sim.host(1)), []);
  // (The DEL took the container's eth0 too, as a runtime's DEL after a failed ADD does.)
  const other = await lab.container();
  await $`ip -n ${other} link add eth0 type bridge`;
  const viaNode = await lab.call(1, 'ADD', other, { plugin: real });
  assert.equal([viaSh.exitCode, viaSh.json], [viaNode.exitCode, viaNode.json]);
  // A delegate failing without the spec's JSON: error 101 around its exit and output.
  const cniPath = join(dir, 'broken');
  await $`mkdir -p ${cniPath}`;
  writeFileSync(
    join(cniPath, 'bridge'),
    `#!/bin/sh\ncat >/dev/null\necho "$CNI_COMMAND" >> ${join(dir, 'commands')}\nprintf 'boom\\t"x"\\n'\necho 'said on stderr' >&2\nexit 3\n`,
    { mode: 0o755 },
  );
  const broken = { env: { CNI_PATH: cniPath } };
  const sh = answeredInSh(await lab.call(1, 'ADD', ns, { plugin: fast, ...broken }));
  const node = await lab.call(1, 'ADD', ns, { plugin: real, ...broken });
  assert.equal(sh.json, {
    cniVersion: '1.0.0',
    code: 101,
    msg: 'the delegate plugin "bridge" failed (exit 3)',
    details: 'boom\t"x"',
  });
  assert.equal([sh.exitCode, sh.json], [node.exitCode, node.json]);
  // Its stderr goes to the runtime on both paths (once per call: ADD and the DEL after it).
  for (const r of [sh, node]) assert.is(r.stderr.split('said on stderr').length - 1, 2, r.stderr);
  assert.equal(readFileSync(join(dir, 'commands'), 'utf8'), 'ADD\nDEL\nADD\nDEL\n');
});

test('a change to anything the answer came from sends the call to the Node plugin, which answers it (and keeps its refusals)', async () => {
  const call = (extra: Parameters<CniLab['call']>[3] = {}) =>
    lab.call(1, 'DEL', 'gone', { plugin: fast, ...extra });
  const config = lab.config;
  const text = readFileSync(config, 'utf8');
  await prime();
  answeredInSh(await call());

  writeFileSync(config, text);
  wentToNode(await call(), 'net.conf written again (same text)');
  await prime();
  wentToNode(await call({ env: { CLUSTERNET_NODE_ID: '2' } }), 'another CLUSTERNET_NODE_ID');
  wentToNode(await call({ conf: { node: 2 } }), 'the list\'s "node"');
  wentToNode(await call({ conf: { config: `/${config}` } }), 'net.conf named with //');
  answeredInSh(await call());

  chmodSync(config, 0o666);
  wentToNode(await call(), 'net.conf writable by others');
  const refused = await lab.call(1, 'DEL', 'gone', { plugin: real });
  assert.is(refused.json?.code, 7, refused.stdout);
  assert.match(String(refused.json?.details), /writable by group or others/);
  chmodSync(config, 0o644);
  await prime();
  chmodSync(dirname(config), 0o775);
  wentToNode(await call(), "net.conf's folder writable by its group");
  chmodSync(dirname(config), 0o755);
  await prime();
  answeredInSh(await call());

  // The cache itself, and the run dir, must be ours and closed here and now.
  chmodSync(runDir(), 0o777);
  wentToNode(await call(), 'the run dir open to all');
  chmodSync(runDir(), 0o700);
  chmodSync(cache(), 0o666);
  wentToNode(await call(), 'the cache writable by others');
  chmodSync(cache(), 0o600);
  chownSync(cache(), 65534, 65534);
  wentToNode(await call(), 'the cache owned by nobody');
  chownSync(cache(), 0, 0);
  answeredInSh(await call());
  copyFileSync(cache(), `${cache()}.copy`);
  unlinkSync(cache());
  symlinkSync(`${cache()}.copy`, cache());
  wentToNode(await call(), 'the cache a symlink');
  unlinkSync(cache());
  const kept = readFileSync(`${cache()}.copy`, 'utf8');
  writeFileSync(cache(), kept.replace(/\n(\d+):1\n/, '\n$1:9\n'), { mode: 0o600 });
  wentToNode(await call(), "the cache's material edited");
  writeFileSync(cache(), kept, { mode: 0o600 });
  answeredInSh(await call());

  // Its own commands are the system's, not the runtime's PATH's.
  const decoys = join(dir, 'decoys');
  await $`mkdir -p ${decoys}`;
  for (const tool of ['stat', 'awk', 'mawk', 'gawk', 'cat'])
    writeFileSync(join(decoys, tool), '#!/bin/sh\necho decoy\n', { mode: 0o755 });
  answeredInSh(await call({ env: { PATH: `${decoys}:/usr/sbin:/usr/bin:/sbin:/bin` } }));

  // What the start path does not recognise.
  const name = lab.name;
  const cases: [string, string, Record<string, string>?][] = [
    ['a name written with an escape', `{"cniVersion":"1.0.0","name":"\\u0063${name.slice(1)}"}`],
    ['a key given twice', `{"cniVersion":"1.0.0","name":"${name}","name":"${name}"}`],
    ['a version not passed on', `{"cniVersion":"0.2.0","name":"${name}"}`],
    ['a node not written as a whole number', `{"cniVersion":"1.0.0","name":"${name}","node":1.0}`],
    ['not JSON', `{"cniVersion":"1.0.0","name":"${name}"`],
    [
      'a control character in a string',
      `{"cniVersion":"1.0.0","name":"${name}","args":{"a":"\u0001"}}`,
    ],
    [
      'nesting deeper than 64',
      `{"cniVersion":"1.0.0","name":"${name}","args":${'['.repeat(65)}${']'.repeat(65)}}`,
    ],
    ['the delegate not in CNI_PATH', `{"cniVersion":"1.0.0","name":"${name}"}`, { CNI_PATH: dir }],
    ['CNI_IFNAME missing', `{"cniVersion":"1.0.0","name":"${name}"}`, { CNI_IFNAME: '' }],
  ];
  for (const [why, stdin, env] of cases) wentToNode(await call({ stdin, env }), why);
  const version = await runIn(lab.sim.host(1), [fast], { CNI_COMMAND: 'VERSION' }, '');
  wentToNode(version, 'VERSION');
  answeredInSh(await call());
});

test.run();
