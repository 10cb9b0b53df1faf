// `clusternet cni-config`: the node's conflist, which the reference plugins take as it is
// (called directly here, as a runtime without clusternet-cni would), printed or written
// with --output-dir; and `--meta`'s list, which podman runs through clusternet-cni. On a
// routed node (brought up by its hooks, as test/cni/across.test.ts does) the list carries
// the bridge's MTU, and the bridge plugin's container gets it. Needs root.
import { suite, test } from 'uvu';
import * as assert from 'uvu/assert';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { cli, show } from '../helpers/cli.js';
import { TempDir } from '../helpers/temp.js';
import { bridgePorts, CNI_BIN, createCniLab, resultIps, runIn, type CniLab } from './harness.js';
import { bringUp, links } from '../sim/cluster.js';
import { routedConf } from '../helpers/fixtures.js';

let lab: CniLab;
let tmp: TempDir;

test.before(async () => {
  lab = await createCniLab([1, 2, 3], 'network = 10.80.0.0/16\nnode-prefix = 24\nbridge = cnx0');
  tmp = new TempDir('clusternet-cniconf-');
});
test.after(async () => {
  await lab?.destroy();
  tmp?.remove();
});

test("node 3's conflist: the bridge plugin and host-local with node 3's range; the reference plugins take it as it is", async () => {
  const r = cli(['-c', lab.config, 'cni-config', '--node', '3']);
  assert.is(r.code, 0, show(r));
  const list = JSON.parse(r.stdout) as {
    cniVersion: string;
    name: string;
    plugins: Record<string, unknown>[];
  };
  assert.is(list.cniVersion, '1.0.0');
  assert.is(list.name, lab.name);
  const plugin = list.plugins[0]!;
  assert.is(plugin.type, 'bridge');
  assert.is(plugin.bridge, 'cnx0');
  // As a runtime calls the first plugin of a list: the list's version and name with it.
  const ns = await lab.container();
  const env = {
    CNI_COMMAND: 'ADD',
    CNI_CONTAINERID: `${ns}-id`,
    CNI_NETNS: `/run/netns/${ns}`,
    CNI_IFNAME: 'eth0',
    CNI_PATH: CNI_BIN,
  };
  const input = JSON.stringify({ cniVersion: list.cniVersion, name: list.name, ...plugin });
  const add = await runIn(lab.sim.host(3), [join(CNI_BIN, 'bridge')], env, input);
  assert.is(add.exitCode, 0, add.stdout + add.stderr);
  assert.match(resultIps(add.json)[0]!, /^10\.80\.3\.\d+\/24$/);
  const del = await runIn(
    lab.sim.host(3),
    [join(CNI_BIN, 'bridge')],
    { ...env, CNI_COMMAND: 'DEL' },
    input,
  );
  assert.is(del.exitCode, 0, del.stdout);
  assert.equal(lab.leases(), []);
  assert.equal(await bridgePorts(lab.sim.host(3), 'cnx0'), []);
});

test('--meta: a list that calls clusternet-cni with this net.conf; with --node, that node written in', () => {
  let r = cli(['-c', lab.config, 'cni-config', '--meta'], { env: { CLUSTERNET_NODE_ID: '1' } });
  assert.is(r.code, 0, show(r));
  assert.equal(JSON.parse(r.stdout), {
    cniVersion: '1.0.0',
    name: lab.name,
    plugins: [{ type: 'clusternet-cni', config: lab.config }],
  });
  r = cli(['-c', lab.config, 'cni-config', '--node', '1', '--meta']);
  assert.equal(JSON.parse(r.stdout).plugins, [
    { type: 'clusternet-cni', config: lab.config, node: 1 },
  ]);
});

test('--output-dir writes NAME.conflist, says unchanged the second time, refuses other content without --force', () => {
  const dir = tmp.path('net.d');
  const file = join(dir, `${lab.name}.conflist`);
  let r = cli(['-c', lab.config, 'cni-config', '--node', '2', '--output-dir', dir]);
  assert.is(r.code, 0, show(r));
  assert.is(r.stdout, `wrote ${file}\n`);
  assert.match(readFileSync(file, 'utf8'), /"subnet": "10\.80\.2\.0\/24"/);
  r = cli(['-c', lab.config, 'cni-config', '--node', '2', '--output-dir', dir]);
  assert.is(r.stdout, `unchanged ${file}\n`);
  writeFileSync(file, '{}\n');
  r = cli(['-c', lab.config, 'cni-config', '--node', '2', '--output-dir', dir]);
  assert.is(r.code, 2, show(r));
  assert.is(
    r.stderr,
    `clusternet: ${file}: exists with other content; nothing was written (--force replaces it)\n`,
  );
  assert.is(readFileSync(file, 'utf8'), '{}\n');
  r = cli(['-c', lab.config, 'cni-config', '--node', '2', '--output-dir', dir, '--force']);
  assert.is(r.code, 0, show(r));
  assert.match(readFileSync(file, 'utf8'), /10\.80\.2\.0\/24/);
});

test('no [cni] section: exit 2, the section named', () => {
  const file = tmp.write(
    'plain.conf',
    '[cluster]\nnodes = 1-2\n[net]\nlink = macvlan\ndevice = eth0\nmac = 02:00:00:00:07:00\naddress = 10.4.135.0/24\n',
  );
  const r = cli(['-c', file, 'cni-config', '--node', '1']);
  assert.is(r.code, 2, show(r));
  assert.is(
    r.stderr,
    `clusternet: ${file}: [cni]: missing section; it gives each node's containers their range (see net.conf(5))\n`,
  );
});

test.run();

// Two routed nodes on one underlay subnet, with the overlay (vni, and IPv6 node subnets
// over the IPv4 underlay): cnbr0 at 1450 on a 1500 eth0.
const routed = suite('cni-config on a routed node');
let rlab: CniLab;
let rtmp: TempDir;

routed.before(async () => {
  rtmp = new TempDir('clusternet-cniconf-routed-');
  const net = routedConf({ nodes: '1-2', node3: false }).replace(/^[^]*?\[net\]\n/, '');
  rlab = await createCniLab([1, 2], '', net, { router: true });
  const runs = await bringUp(rlab.sim, rlab.config, [1, 2]);
  assert.equal(
    runs.filter((r) => r.exitCode !== 0).map((r) => `${r.node} ${r.phase}: ${r.stderr}`),
    [],
  );
});
routed.after(async () => {
  await rlab?.destroy();
  rtmp?.remove();
});

const mtuOf = async (ns: string, dev: string) =>
  (await links(rlab.sim, ns)).find((l) => l.ifname === dev)?.mtu;

routed(
  "on node 1: the written list carries cnbr0's MTU, and the bridge plugin's container gets it",
  async () => {
    assert.is(await mtuOf(rlab.sim.host(1), 'cnbr0'), 1450);
    const dir = rtmp.path('net.d');
    const r = await rlab.sim.cli(rlab.sim.host(1), [
      '-c',
      rlab.config,
      'cni-config',
      '--node',
      '1',
      '--output-dir',
      dir,
    ]);
    assert.is(r.exitCode, 0, r.stderr);
    assert.is(r.stderr, '');
    const list = JSON.parse(readFileSync(join(dir, `${rlab.name}.conflist`), 'utf8')) as {
      cniVersion: string;
      name: string;
      plugins: Record<string, unknown>[];
    };
    const plugin = list.plugins[0]!;
    assert.equal([plugin.type, plugin.bridge, plugin.mtu], ['bridge', 'cnbr0', 1450]);
    const ns = await rlab.container();
    const env = {
      CNI_COMMAND: 'ADD',
      CNI_CONTAINERID: `${ns}-id`,
      CNI_NETNS: `/run/netns/${ns}`,
      CNI_IFNAME: 'eth0',
      CNI_PATH: CNI_BIN,
    };
    const input = JSON.stringify({ cniVersion: list.cniVersion, name: list.name, ...plugin });
    const add = await runIn(rlab.sim.host(1), [join(CNI_BIN, 'bridge')], env, input);
    assert.is(add.exitCode, 0, add.stdout + add.stderr);
    assert.is(resultIps(add.json)[0], '10.5.1.3/24');
    assert.is(await mtuOf(ns, 'eth0'), 1450);
    const del = await runIn(
      rlab.sim.host(1),
      [join(CNI_BIN, 'bridge')],
      { ...env, CNI_COMMAND: 'DEL' },
      input,
    );
    assert.is(del.exitCode, 0, del.stdout);
    assert.equal(rlab.leases(), []);
    assert.equal(await bridgePorts(rlab.sim.host(1), 'cnbr0'), ['cnh1']);
  },
);

routed(
  'where there is no cnbr0 (not the node, or before boot-post): no MTU written, and a warning saying why',
  async () => {
    const elsewhere = await rlab.container();
    const r = await rlab.sim.cli(elsewhere, ['-c', rlab.config, 'cni-config', '--node', '1']);
    assert.is(r.exitCode, 0, r.stderr);
    assert.not.ok(
      'mtu' in (JSON.parse(r.stdout) as { plugins: Record<string, unknown>[] }).plugins[0]!,
    );
    assert.is(
      r.stderr,
      "clusternet: warning: cnbr0 is not here, so the list gives node 1's containers no MTU (the bridge plugin's 1500, above the bridge's with an overlay): run cni-config on node 1 once boot-post has made cnbr0, or write [cni] mtu\n",
    );
  },
);

routed.run();
