// `clusternet cni-config`: the node's conflist, which the reference plugins take as it is
// (called directly here, as a runtime without clusternet-cni would), printed or written
// with --output-dir; and `--meta`'s list, which podman runs through clusternet-cni.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { cli, show } from '../helpers/cli.js';
import { TempDir } from '../helpers/temp.js';
import { bridgePorts, CNI_BIN, createCniLab, resultIps, runIn, type CniLab } from './harness.js';

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
  const list = JSON.parse(r.stdout) as { cniVersion: string; name: string; plugins: Record<string, unknown>[] };
  assert.is(list.cniVersion, '1.0.0');
  assert.is(list.name, lab.name);
  const plugin = list.plugins[0]!;
  assert.is(plugin.type, 'bridge');
  assert.is(plugin.bridge, 'cnx0');
  // As a runtime calls the first plugin of a list: the list's version and name with it.
  const ns = await lab.container();
  const env = { CNI_COMMAND: 'ADD', CNI_CONTAINERID: `${ns}-id`, CNI_NETNS: `/run/netns/${ns}`, CNI_IFNAME: 'eth0', CNI_PATH: CNI_BIN };
  const input = JSON.stringify({ cniVersion: list.cniVersion, name: list.name, ...plugin });
  const add = await runIn(lab.sim.host(3), [join(CNI_BIN, 'bridge')], env, input);
  assert.is(add.exitCode, 0, add.stdout + add.stderr);
  assert.match(resultIps(add.json)[0]!, /^10\.80\.3\.\d+\/24$/);
  const del = await runIn(lab.sim.host(3), [join(CNI_BIN, 'bridge')], { ...env, CNI_COMMAND: 'DEL' }, input);
  assert.is(del.exitCode, 0, del.stdout);
  assert.equal(lab.leases(), []);
  assert.equal(await bridgePorts(lab.sim.host(3), 'cnx0'), []);
});

test('--meta: a list that calls clusternet-cni with this net.conf; with --node, that node written in', () => {
  let r = cli(['-c', lab.config, 'cni-config', '--meta'], { env: { CLUSTERNET_NODE_ID: '1' } });
  assert.is(r.code, 0, show(r));
  assert.equal(JSON.parse(r.stdout), { cniVersion: '1.0.0', name: lab.name, plugins: [{ type: 'clusternet-cni', config: lab.config }] });
  r = cli(['-c', lab.config, 'cni-config', '--node', '1', '--meta']);
  assert.equal(JSON.parse(r.stdout).plugins, [{ type: 'clusternet-cni', config: lab.config, node: 1 }]);
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
  assert.is(r.stderr, `clusternet: ${file}: exists with other content; nothing was written (--force replaces it)\n`);
  assert.is(readFileSync(file, 'utf8'), '{}\n');
  r = cli(['-c', lab.config, 'cni-config', '--node', '2', '--output-dir', dir, '--force']);
  assert.is(r.code, 0, show(r));
  assert.match(readFileSync(file, 'utf8'), /10\.80\.2\.0\/24/);
});

test('no [cni] section: exit 2, the section named', () => {
  const file = tmp.write('plain.conf', '[cluster]\nnodes = 1-2\n[net]\nlink = macvlan\ndevice = eth0\nmac = 02:00:00:00:07:00\naddress = 10.4.135.0/24\n');
  const r = cli(['-c', file, 'cni-config', '--node', '1']);
  assert.is(r.code, 2, show(r));
  assert.is(r.stderr, `clusternet: ${file}: [cni]: missing section; it gives each node's containers their range (see net.conf(5))\n`);
});

test.run();
