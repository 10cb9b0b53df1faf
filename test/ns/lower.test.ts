// The lower device is part of the link (lib/link/ops.ts lowerDrift): a macvlan found on
// another NIC than net.conf names is reported by `check` as `differs` naming both devices,
// and `run` refuses to "fix" it in place. Real namespaces: node 1's host gets a second NIC
// (eth1, a veth whose both ends stay in that host), and krg0 is remade on it by hand.
// Needs root.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import {
  bootWithCli,
  createSimCluster,
  onNode,
  runPhase,
  snapshot,
  writeConfig,
  type SimCluster,
} from '../sim/cluster.js';

const CONFIG = `
[cluster]
nodes = 1

[net]
link = macvlan
device = eth0
mac = 02:00:00:00:07:00
address = 10.4.135.0/18
mtu = 1400
`;

let sim: SimCluster;
let config: string;
const c = () => sim.container(1);
const h = () => sim.host(1);

test.before(async () => {
  sim = await createSimCluster({ nodes: [1] });
  config = writeConfig(CONFIG);
  const eth1 = await sim.exec(h(), [
    'ip',
    'link',
    'add',
    'eth1',
    'type',
    'veth',
    'peer',
    'name',
    'eth1p',
  ]);
  assert.is(eth1.exitCode, 0, eth1.stderr);
  for (const dev of ['eth1', 'eth1p'])
    assert.is((await sim.exec(h(), ['ip', 'link', 'set', dev, 'up'])).exitCode, 0);
  await bootWithCli(sim, config, 1);
});
test.after(async () => {
  await sim?.destroy();
});

interface Report {
  items: { phase: string; item: string; status: string }[];
}
const check = () => onNode(sim, config, 1, ['check', '--json']);
const problems = (r: { stdout: string }) =>
  (JSON.parse(r.stdout) as Report).items.filter((i) => i.status !== 'ok');
const ifindex = async (dev: string) =>
  (
    JSON.parse((await sim.exec(h(), ['ip', '-j', 'link', 'show', dev])).stdout) as {
      ifindex: number;
    }[]
  )[0]!.ifindex;

test('a macvlan on eth0 as planned checks clean (the lower device is read across namespaces)', async () => {
  const inside = JSON.parse(
    (await sim.exec(c(), ['ip', '-j', '-d', 'link', 'show', 'krg0'])).stdout,
  ) as { link_index?: number; link_netnsid?: number }[];
  assert.is(
    inside[0]!.link_index,
    await ifindex('eth0'),
    'the container sees its lower device by ifindex',
  );
  assert.ok(inside[0]!.link_netnsid !== undefined, 'and the namespace id of the host');
  const r = await check();
  assert.is(r.exitCode, 0, JSON.stringify(problems(r)));
});

test('krg0 remade by hand on eth1 (same name, MAC, MTU, tag): check says differs, naming both NICs; run refuses and changes nothing', async () => {
  for (const [ns, argv] of [
    [c(), ['ip', 'link', 'del', 'krg0']],
    [
      h(),
      [
        'ip',
        'link',
        'add',
        'link',
        'eth1',
        'name',
        'krg0',
        'netns',
        c(),
        'address',
        '02:00:00:00:07:01',
        'mtu',
        '1400',
        'type',
        'macvlan',
        'mode',
        'bridge',
      ],
    ],
    [c(), ['ip', 'link', 'set', 'dev', 'krg0', 'alias', 'clusternet']],
  ] as const) {
    const r = await sim.exec(ns, [...argv]);
    assert.is(r.exitCode, 0, `${argv.join(' ')}: ${r.stderr}`);
  }
  const [eth0, eth1] = [await ifindex('eth0'), await ifindex('eth1')];
  const r = await check();
  assert.is(r.exitCode, 1, r.stdout);
  const link = problems(r).find((p) => p.phase === 'boot-post');
  assert.ok(link, JSON.stringify(problems(r)));
  assert.is(
    link!.status,
    `differs: want lower eth0 (ifindex ${eth0}), have lower eth1 (ifindex ${eth1})`,
  );
  const before = await snapshot(sim, c());
  const run = await onNode(sim, config, 1, ['run', 'boot-post']);
  assert.is(run.exitCode, 1, run.stderr);
  assert.match(
    run.stderr,
    /differs: want lower eth0 \(ifindex \d+\), have lower eth1 \(ifindex \d+\); cannot be corrected in place \(run stop, then the phases again\)/,
  );
  assert.is(await snapshot(sim, c()), before, 'nothing changed');
});

test('stop, then the phases again: krg0 is back on eth0 and checks clean', async () => {
  assert.is((await onNode(sim, config, 1, ['run', 'stop'])).exitCode, 0);
  for (const phase of ['boot-post', 'init-pre', 'init-post']) {
    const r = await runPhase(sim, config, 1, phase);
    assert.is(r.exitCode, 0, `${phase}: ${r.stderr}`);
  }
  const r = await check();
  assert.is(r.exitCode, 0, JSON.stringify(problems(r)));
});

test.run();
