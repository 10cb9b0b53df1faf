// status --json and wait against a running cluster of namespaces (macvlan on this
// kernel): the networks' numbers, one row per address, the cluster address's buckets as
// the kernel has them, the plan match; wait returning as soon as the network is ready and
// failing with what is missing after its timeout. Needs root.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  createSimCluster,
  onNode,
  runPhase,
  writeConfig,
  type SimCluster,
} from '../sim/cluster.js';
import { tempDir } from '../install/cli.js';

const NODES = [1, 2, 3];
const BASE = `[cluster]\nnodes = 1-3\n\n[net]\nlink = macvlan\ndevice = eth0\ninterface = krg0\nmac = 02:00:00:00:07:00\naddress = 10.4.135.0/24\n`;
const CLUSTERIP = `\n[clusterip]\naddress = 10.4.192.1\nmac = 01:00:5e:04:c0:01\nbackend = cluster-match\nseed = 0x4b52470c\n`;

let sim: SimCluster;
let config: string;

test.before(async () => {
  sim = await createSimCluster({ nodes: NODES });
  config = writeConfig(BASE + CLUSTERIP);
});
test.after(async () => {
  await sim?.destroy();
});

const phase = (id: number, name: string, conf = config) => runPhase(sim, conf, id, name);
const status = async (id: number, extra: string[] = []) => {
  const r = await onNode(sim, config, id, ['status', '--json', ...extra]);
  const json = JSON.parse(r.stdout) as StatusJson;
  // As `check`: 0 only when the node is set up and matches its plan.
  assert.is(r.exitCode, json.plan.ok ? 0 : 1, r.stderr);
  return json;
};

interface StatusJson {
  node: number;
  networks: {
    name: string;
    type: string;
    network: string;
    size: number;
    used: number;
    free: number;
    pct: number;
  }[];
  addresses: {
    node: number | string;
    interface: string;
    mac: string;
    address: string;
    where: string;
    configured: boolean | null;
  }[];
  clusterips: {
    address: string;
    backend: string;
    bucket: number;
    total: number;
    installed: boolean;
    buckets: { backend: string; buckets: number[] } | null;
  }[];
  interface: { name: string; exists: boolean; up: boolean; addresses: string[] };
  plan: { ok: boolean; problems: string[] };
}

test('nothing set up: said plainly, once, exit 1; looked for in the container of /etc/default/clusternet', async () => {
  const defaults = join(tempDir(), 'clusternet');
  writeFileSync(defaults, `CONTAINER_NETNS=${sim.container(1)}\n`);
  const r = await sim.cli(sim.host(1), [
    'status',
    '--node',
    '1',
    '-c',
    config,
    '--defaults',
    defaults,
  ]);
  assert.is(r.exitCode, 1, r.stdout + r.stderr);
  assert.match(
    r.stdout,
    new RegExp(
      `^node 1: not set up: krg0 does not exist in netns ${sim.container(1)}; run \`clusternet service start\``,
      'm',
    ),
  );
  assert.match(
    r.stdout,
    /^clusterip: 10\.4\.192\.1 mac 01:00:5e:04:c0:01 backend cluster-match \(own bucket 1 of 3\); not installed; no buckets found$/m,
  );
  assert.not.match(
    r.stdout,
    /\*filter|table ip|COMMIT|not looked at|clusterip clusterip/,
    'no rule set dumped',
  );
  assert.match(r.stderr, /clusternet: node 1: not set up: krg0 does not exist/);
  // A container that does not exist at all.
  writeFileSync(defaults, `CONTAINER_NETNS=${sim.container(1)}x\n`);
  const none = await sim.cli(sim.host(1), [
    'status',
    '--node',
    '1',
    '-c',
    config,
    '--defaults',
    defaults,
  ]);
  assert.is(none.exitCode, 1);
  assert.match(
    none.stdout,
    new RegExp(`node 1: not set up: netns ${sim.container(1)}x does not exist`),
  );
  // Without a node id: the cluster-wide part, and where this node's would be looked at.
  const cluster = await sim.cli(sim.host(1), ['status', '-c', config]);
  assert.match(
    cluster.stdout,
    /^clusterip: 10\.4\.192\.1 .*; this node's share: give --node N to see it$/m,
  );
});

test('before the phases: the network is described, the interface missing, the plan not met', async () => {
  const s = await status(2);
  assert.equal(s.networks, [
    {
      name: 'net',
      type: 'macvlan',
      network: '10.4.135.0/24',
      size: 256,
      used: 3,
      free: 253,
      pct: 1.17,
    },
  ]);
  assert.is(s.interface.exists, false);
  assert.is(s.plan.ok, false);
  assert.ok(
    s.plan.problems.some((p) => p.startsWith('boot-post: ')),
    s.plan.problems.join('\n'),
  );
});

test('wait fails after its timeout, naming what is missing', async () => {
  const started = Date.now();
  const r = await onNode(sim, config, 1, ['wait', '--timeout', '1']);
  assert.is(r.exitCode, 1, r.stderr);
  assert.match(r.stderr, /not ready after 1 s: krg0 does not exist/);
  assert.ok(Date.now() - started < 10_000);
});

test('wait returns as soon as the phases have built the network', async () => {
  const waiting = onNode(sim, config, 1, ['wait', '--timeout', '60']);
  for (const name of ['boot-pre', 'boot-post', 'init-pre'])
    assert.is((await phase(1, name)).exitCode, 0);
  // Interface and address are there, the cluster address not yet: still waiting.
  const early = await onNode(sim, config, 1, ['wait', '--timeout', '0']);
  assert.is(early.exitCode, 1);
  assert.match(early.stderr, /cluster address 10\.4\.192\.1 is not installed on krg0/);
  const post = await phase(1, 'init-post');
  assert.is(post.exitCode, 0, post.stderr);
  const r = await waiting;
  assert.is(r.exitCode, 0, r.stderr);
  assert.match(r.stderr, /the cluster network in netns \S+ is ready \(waited \d+\.\d s\)/);
});

test('status --json of a running node: its rows, its buckets as the kernel has them, the plan met', async () => {
  for (const id of [2, 3])
    for (const name of ['boot-pre', 'boot-post', 'init-pre', 'init-post'])
      assert.is((await phase(id, name)).exitCode, 0);
  const s = await status(2);
  assert.is(s.node, 2);
  assert.equal(s.interface.exists && s.interface.up, true);
  assert.ok(s.interface.addresses.includes('10.4.135.2/24'));
  const rows = s.addresses
    .filter((a) => a.node !== 'cluster')
    .map((a) => [a.node, a.mac, a.address, a.configured]);
  assert.equal(rows, [
    [1, '02:00:00:00:07:01', '10.4.135.1/24', null],
    [2, '02:00:00:00:07:02', '10.4.135.2/24', true],
    [3, '02:00:00:00:07:03', '10.4.135.3/24', null],
  ]);
  assert.match(s.addresses.find((a) => a.node === 2)!.where, /^netns cnt\w+-c2$/);
  const [cip] = s.clusterips;
  assert.is(cip?.installed, true);
  assert.equal([cip?.bucket, cip?.total], [2, 3]);
  assert.equal(cip?.buckets, { backend: 'cluster-match', buckets: [2] });
  assert.equal(s.plan, { ok: true, problems: [] });
});

test('status notices drift, and shows the table and rows as text', async () => {
  await sim.exec(sim.container(3), ['ip', 'address', 'del', '10.4.135.3/24', 'dev', 'krg0']);
  const s = await status(3);
  assert.is(s.plan.ok, false);
  assert.ok(
    s.plan.problems.some((p) =>
      /init-pre: .*address add 10\.4\.135\.3\/24 dev krg0: missing/.test(p),
    ),
    s.plan.problems.join('\n'),
  );
  assert.is(s.addresses.find((a) => a.node === 3)!.configured, false);
  const text = await onNode(sim, config, 3, ['status', '--verbose']);
  assert.match(text.stdout, /^name\s+type\s+network\s+size\s+used\s+free\s+pct$/m);
  assert.match(text.stdout, /^net\s+macvlan\s+10\.4\.135\.0\/24\s+256\s+3\s+253\s+1\.17%$/m);
  assert.match(text.stdout, /^3\s+krg0\s+02:00:00:00:07:03\s+10\.4\.135\.3\/24\s+netns \S+\s+no$/m);
  assert.match(
    text.stdout,
    /backend cluster-match \(own bucket 3 of 3\); installed; cluster-match buckets 3/,
    text.stdout,
  );
  assert.match(text.stdout, /plan: 1 difference:/);
  assert.is((await phase(3, 'init-pre')).exitCode, 0);
  assert.is((await status(3)).plan.ok, true);
});

test('status without a node id still shows the cluster-wide part', async () => {
  const r = await sim.cli(sim.host(1), ['status', '--json', '-c', config]);
  assert.is(r.exitCode, 0, r.stderr);
  const s = JSON.parse(r.stdout) as {
    node: null;
    interface: null;
    plan: null;
    networks: unknown[];
  };
  assert.equal([s.node, s.interface, s.plan], [null, null, null]);
  assert.is(s.networks.length, 1);
});

test('stop on every node leaves nothing', async () => {
  for (const id of NODES) assert.is((await phase(id, 'stop')).exitCode, 0);
  const s = await status(1);
  assert.is(s.interface.exists, false);
});

test.run();
