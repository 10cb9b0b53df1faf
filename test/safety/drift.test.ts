// Drift: hand-made changes — an address removed, the MTU changed, a rule deleted, a rule
// added, a stray address — are each reported by `check` and repaired by `run`; `reload`
// applies an edited net.conf with the smallest change. Needs root.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { writeFileSync } from 'node:fs';
import {
  bootWithCli,
  createSimCluster,
  onNode,
  writeConfig,
  type SimCluster,
} from '../sim/cluster.js';

const CONFIG = `
[cluster]
nodes = 1-2

[net]
link = macvlan
device = eth0
mac = 02:00:00:00:07:00
address = 10.4.135.0/18
mtu = 1400

[clusterip]
address = 10.4.192.1
mac = 01:00:5e:04:c0:01
backend = cluster-match
seed = 0xdeadbeef
`;

let sim: SimCluster;
let config: string;
const c = () => sim.container(1);

test.before(async () => {
  sim = await createSimCluster({ nodes: [1] });
  config = writeConfig(CONFIG);
  await bootWithCli(sim, config, 1);
});
test.after(async () => {
  await sim?.destroy();
});

const check = () => onNode(sim, config, 1, ['check', '--json']);
const runAll = async () => {
  for (const phase of ['boot-post', 'init-pre', 'init-post']) {
    const r = await onNode(sim, config, 1, ['run', phase]);
    assert.is(r.exitCode, 0, r.stderr);
  }
};
interface Report {
  ok: boolean;
  items: { phase: string; item: string; status: string }[];
}
const problems = (r: { stdout: string }) =>
  (JSON.parse(r.stdout) as Report).items.filter((i) => i.status !== 'ok');

const drifts: [string, string[], RegExp][] = [
  ['address removed', ['ip', 'address', 'del', '10.4.135.1/18', 'dev', 'krg0'], /^missing/],
  [
    'MTU changed',
    ['ip', 'link', 'set', 'krg0', 'mtu', '1300'],
    /^differs: want .*mtu 1400, have .*mtu 1300/,
  ],
  [
    'rule deleted',
    [
      'iptables',
      '-w',
      '-t',
      'mangle',
      '-D',
      'CLUSTERNET-main',
      '-m',
      'comment',
      '--comment',
      'clusternet:main',
      '-j',
      'DROP',
    ],
    /^differs: want main: .* drop rules 2, have main: .*rules 1/,
  ],
  [
    'rule added',
    ['iptables', '-w', '-t', 'mangle', '-I', 'CLUSTERNET-main', '-j', 'ACCEPT'],
    /^differs: want main: .*rules 2, have main: .*rules 3/,
  ],
  ['stray address', ['ip', 'address', 'add', '10.9.9.9/24', 'dev', 'krg0'], /^unexpected/],
];

test('a clean node checks clean', async () => {
  const r = await check();
  assert.is(r.exitCode, 0, r.stdout);
  assert.equal(problems(r), []);
});

for (const [what, change, status] of drifts) {
  test(`${what}: check reports it, run repairs it`, async () => {
    const made = await sim.exec(c(), change);
    assert.is(made.exitCode, 0, made.stderr);
    const r = await check();
    assert.is(r.exitCode, 1);
    const found = problems(r);
    assert.is(found.length, 1, JSON.stringify(found));
    assert.match(found[0]!.status, status);
    await runAll();
    const after = await check();
    assert.is(after.exitCode, 0, after.stdout);
  });
}

test('reload applies an edited net.conf with the smallest change', async () => {
  const linkBefore = await sim.exec(c(), ['ip', '-j', 'link', 'show', 'krg0']);
  const ifindex = (JSON.parse(linkBefore.stdout) as { ifindex: number }[])[0]!.ifindex;
  // MTU changed, a second cluster address added, the gateway added.
  writeFileSync(
    config,
    CONFIG.replace('mtu = 1400', 'mtu = 1450\ngateway = 10.4.135.254') +
      '\n[clusterip web]\naddress = 10.4.192.2\nmac = 01:00:5e:04:c0:01\nbackend = cluster-match\nseed = 7\n',
  );
  let r = await onNode(sim, config, 1, ['reload']);
  assert.is(r.exitCode, 0, r.stderr);
  assert.match(r.stderr, /correcting .*mtu 1450/);
  let link = (
    JSON.parse((await sim.exec(c(), ['ip', '-j', 'link', 'show', 'krg0'])).stdout) as {
      ifindex: number;
      mtu: number;
    }[]
  )[0]!;
  assert.is(link.ifindex, ifindex, 'the link was corrected in place, not replaced');
  assert.is(link.mtu, 1450);
  const checked = await check();
  assert.is(checked.exitCode, 0, JSON.stringify(problems(checked)));
  // The second address removed again: its rules and address go, the first stays.
  writeFileSync(config, CONFIG.replace('mtu = 1400', 'mtu = 1450\ngateway = 10.4.135.254'));
  r = await onNode(sim, config, 1, ['reload']);
  assert.is(r.exitCode, 0, r.stderr);
  assert.match(r.stderr, /removed: .*10\.4\.192\.2\/32/);
  const rules = await sim.exec(c(), ['iptables-save', '-t', 'mangle']);
  assert.not.match(rules.stdout, /CLUSTERNET-web/);
  assert.match(rules.stdout, /CLUSTERNET-main/);
  link = (
    JSON.parse((await sim.exec(c(), ['ip', '-j', 'link', 'show', 'krg0'])).stdout) as {
      ifindex: number;
      mtu: number;
    }[]
  )[0]!;
  assert.is(link.ifindex, ifindex);
  const again = await onNode(sim, config, 1, ['reload']);
  assert.is(again.exitCode, 0, again.stderr);
  assert.not.match(again.stderr, /changed:|removed:|correcting/);
  const last = await check();
  assert.is(last.exitCode, 0, JSON.stringify(problems(last)));
});

test.run();
