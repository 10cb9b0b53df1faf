// Bad input: a corpus of broken configs, each run through `validate` and through real
// phases against a running node: exit 2, a `file:line: key:` message (or `file:` for what
// is wrong with the file as a whole), and nothing changed in any namespace. What editors
// produce (CRLF, a BOM, trailing spaces, inline comments) is read correctly. Needs root.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { chmodSync, chownSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  bootWithCli,
  createSimCluster,
  snapshot,
  writeConfig,
  type SimCluster,
} from '../sim/cluster.js';
import { SIM_CONF } from '../helpers/fixtures.js';

const GOOD = SIM_CONF;
const sub = (from: string, to: string) => GOOD.replace(from, to);
/** routing = per-node, valid but for what a case adds: its cluster address off. */
const ROUTED = sub(
  'link = macvlan',
  'link = bridge\nrouting = per-node\nnode-prefix = 24\nunderlay = 192.168.10.0/24',
).replace('[clusterip]\n', '[clusterip]\nenable = false\n');
const routed = (from: string, to: string) => ROUTED.replace(from, to);
/** link = vxlan with the sim's underlay base (the VNI left to each case). */
const VX = 'link = vxlan\nunderlay = 192.168.10.0/24';

/** [name, file content (string or bytes), how the file must be set up, extra args]. */
type Case = {
  name: string;
  content: string | Buffer;
  node?: string;
  mode?: number;
  uid?: number;
  located: boolean;
};
const corpus: Case[] = [
  {
    name: 'binary garbage',
    content: Buffer.from([0x7f, 0x45, 0x4c, 0x46, 0, 1, 2, 3, 0xff, 0xfe, 10, 0]),
    located: false,
  },
  { name: 'a 10 MB file', content: `${GOOD}\n${'# padding\n'.repeat(1_100_000)}`, located: false },
  {
    name: 'invalid UTF-8',
    content: Buffer.concat([Buffer.from(GOOD), Buffer.from([0xc3, 0x28, 10])]),
    located: false,
  },
  { name: 'an empty file', content: '', located: false },
  { name: 'only comments', content: '# nothing here\n; nor here\n', located: false },
  { name: 'duplicate sections', content: `${GOOD}\n[net]\nvlan = 7\n`, located: true },
  { name: 'a duplicate key', content: sub('mtu = auto', 'mtu = auto\nmtu = 1500'), located: true },
  { name: 'trailing junk on a number', content: sub('seed = 7', 'seed = 7 junk'), located: true },
  {
    name: 'trailing junk on an address',
    content: sub('10.4.135.0/18', '10.4.135.0/18x'),
    located: true,
  },
  {
    name: 'trailing junk on a MAC',
    content: sub('02:00:00:00:07:00', '02:00:00:00:07:00:11'),
    located: true,
  },
  { name: 'junk after a section header', content: sub('[net]', '[net] extra'), located: true },
  {
    name: 'a line that is not key = value',
    content: sub('mtu = auto', 'mtu auto'),
    located: false,
  },
  { name: 'an unknown section', content: `${GOOD}\n[nett]\ndevice = eth1\n`, located: true },
  { name: 'an unknown key', content: sub('mtu = auto', 'mtux = auto'), located: true },
  { name: 'a key outside any section', content: `device = eth0\n${GOOD}`, located: true },
  { name: 'a missing required key', content: sub('device = eth0\n', ''), located: true },
  {
    name: 'a missing section',
    content: GOOD.replace(/\[cluster\]\nnodes = 1-16\n/, ''),
    located: false,
  },
  { name: 'node 0 in the list', content: sub('nodes = 1-16', 'nodes = 0-16'), located: true },
  { name: 'a node range backwards', content: sub('nodes = 1-16', 'nodes = 16-1'), located: true },
  { name: 'a node id outside the cluster', content: GOOD, node: '17', located: true },
  { name: 'node id 0', content: GOOD, node: '0', located: true },
  {
    name: 'addresses past the end of the subnet',
    content: sub('10.4.135.0/18', '10.4.135.0/28'),
    located: true,
  },
  { name: 'a broadcast address', content: sub('10.4.135.0/18', '10.4.191.239/18'), located: true },
  { name: 'a prefix too long', content: sub('10.4.135.0/18', '10.4.135.0/31'), located: true },
  {
    name: 'the gateway is a node',
    content: sub('mtu = auto', 'mtu = auto\ngateway = 10.4.135.3'),
    located: true,
  },
  {
    name: 'a gateway outside the subnet',
    content: sub('mtu = auto', 'mtu = auto\ngateway = 10.5.0.1'),
    located: true,
  },
  {
    name: 'the cluster address is a node',
    content: sub('address = 10.4.192.1', 'address = 10.4.135.2'),
    located: true,
  },
  {
    name: 'a multicast MAC template',
    content: sub('02:00:00:00:07:00', '03:00:00:00:07:00'),
    located: true,
  },
  {
    name: 'a MAC carry into the multicast bit',
    content: sub('02:00:00:00:07:00', 'fe:ff:ff:ff:ff:f8'),
    located: true,
  },
  {
    name: 'a unicast cluster MAC',
    content: sub('01:00:5e:04:c0:01', '00:00:5e:04:c0:01'),
    located: true,
  },
  { name: 'VLAN id 0', content: sub('link = macvlan', 'link = vlan\nvlan = 0'), located: true },
  {
    name: 'VLAN id 4095',
    content: sub('link = macvlan', 'link = vlan\nvlan = 4095'),
    located: true,
  },
  {
    name: 'a VLAN id with macvlan',
    content: sub('link = macvlan', 'link = macvlan\nvlan = 7'),
    located: true,
  },
  {
    name: 'a bridge name of 16 bytes',
    content: sub('link = macvlan', 'link = bridge\nbridge = br0br0br0br0br0b'),
    located: true,
  },
  {
    name: 'bridge = cnbr0 (the name of ours)',
    content: sub('link = macvlan', 'link = bridge\nbridge = cnbr0'),
    located: true,
  },
  {
    name: 'a bridge with macvlan',
    content: sub('link = macvlan', 'link = macvlan\nbridge = br0'),
    located: true,
  },
  {
    name: 'routing = per-node with macvlan',
    content: sub('link = macvlan', 'link = macvlan\nrouting = per-node'),
    located: true,
  },
  {
    name: 'routing = per-node with a cluster address',
    content: ROUTED.replace('enable = false\n', ''),
    located: true,
  },
  {
    name: 'routing = per-node with a gateway',
    content: routed('mtu = auto', 'mtu = auto\ngateway = 10.4.135.254'),
    located: true,
  },
  {
    name: "a node prefix not longer than the network's",
    content: routed('node-prefix = 24', 'node-prefix = 18'),
    located: true,
  },
  {
    name: 'a node id that does not fit the node subnets',
    content: routed('node-prefix = 24', 'node-prefix = 22'),
    located: true,
  },
  {
    name: 'routing = per-node without an underlay',
    content: routed('underlay = 192.168.10.0/24\n', ''),
    located: true,
  },
  {
    name: 'two nodes with one underlay',
    content: `${ROUTED}\n[node 3]\nunderlay = 192.168.10.2/24\n`,
    located: true,
  },
  {
    name: 'node-prefix with routing = shared',
    content: sub('link = macvlan', 'link = bridge\nnode-prefix = 24'),
    located: true,
  },
  { name: 'VNI 0', content: sub('link = macvlan', `${VX}\nvni = 0`), located: true },
  { name: 'VNI 16777216', content: sub('link = macvlan', `${VX}\nvni = 16777216`), located: true },
  { name: 'a vxlan without a VNI', content: sub('link = macvlan', VX), located: true },
  {
    name: 'a VNI with macvlan',
    content: sub('link = macvlan', 'link = macvlan\nvni = 42'),
    located: true,
  },
  {
    name: 'a vxlan-port 0',
    content: sub('link = macvlan', `${VX}\nvni = 42\nvxlan-port = 0`),
    located: true,
  },
  {
    name: 'an underlay without a prefix',
    content: sub('link = macvlan', `${VX.replace('/24', '')}\nvni = 42`),
    located: true,
  },
  {
    name: 'a vxlan node without an underlay',
    content: sub('link = macvlan', 'link = vxlan\nvni = 42').concat(
      '\n[node 3]\nunderlay = 192.168.20.3/24\n',
    ),
    located: true,
  },
  {
    name: 'two nodes with one underlay',
    content: sub('link = macvlan', `${VX}\nvni = 42`).concat(
      '\n[node 3]\nunderlay = 192.168.10.1/24\n',
    ),
    located: true,
  },
  {
    name: 'an underlay of another family',
    content: sub('link = macvlan', `${VX}\nvni = 42`).concat(
      '\n[node 3]\nunderlay = fd10:b::3/64\n',
    ),
    located: true,
  },
  {
    name: "a vxlan-peer that is a node's VTEP",
    content: sub('link = macvlan', `${VX}\nvni = 42\nvxlan-peers = 192.168.10.2`),
    located: true,
  },
  {
    name: 'an underlay with macvlan',
    content: GOOD.concat('\n[node 3]\nunderlay = 192.168.20.3/24\n'),
    located: true,
  },
  {
    name: 'an interface name of 16 bytes',
    content: sub('interface = krg0', 'interface = krg0krg0krg0krg0'),
    located: true,
  },
  {
    name: 'an interface name with /',
    content: sub('interface = krg0', 'interface = krg/0'),
    located: true,
  },
  {
    name: 'an interface name with :',
    content: sub('interface = krg0', 'interface = krg:0'),
    located: true,
  },
  {
    name: 'an interface name with white space',
    content: sub('interface = krg0', 'interface = "krg 0"'),
    located: true,
  },
  { name: 'an MTU below 68', content: sub('mtu = auto', 'mtu = 67'), located: true },
  { name: 'an MTU above 65535', content: sub('mtu = auto', 'mtu = 65536'), located: true },
  {
    name: 'an IPv6 cluster address',
    content: sub('address = 10.4.192.1', 'address = fd00::1'),
    located: true,
  },
  {
    name: 'more nodes than the backend allows',
    content: sub('backend = nft', 'backend = cluster-match')
      .replace('nodes = 1-16', 'nodes = 1-33')
      .replace('10.4.135.0/18', '10.4.128.0/18'),
    located: true,
  },
  {
    name: 'a port hash on the cluster match',
    content: sub('backend = nft', 'backend = cluster-match\nhash = sourceip-sourceport'),
    located: true,
  },
  {
    name: 'an unknown legacy variable',
    content:
      'PHYS=eth0\nVIRTMAC=02:00:00:00:07:00\nVIRTPREFIX=10.4.135.0/18\nVLANID=7\nVIRTADDR=1\n',
    located: true,
  },
  { name: 'a group-writable file', content: GOOD, mode: 0o664, located: false },
  { name: 'a world-writable file', content: GOOD, mode: 0o646, located: false },
  { name: 'a file not owned by root', content: GOOD, uid: 65534, located: false },
];

const editorForms: { name: string; content: string | Buffer }[] = [
  { name: 'CRLF line endings', content: GOOD.replace(/\n/g, '\r\n') },
  {
    name: 'a UTF-8 BOM',
    content: Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from(GOOD)]),
  },
  { name: 'trailing spaces and tabs', content: GOOD.replace(/\n/g, '  \t\n') },
  {
    name: 'inline comments',
    content: GOOD.replace('device = eth0', 'device = eth0 ; the lower device').replace(
      'mtu = auto',
      'mtu = auto # from eth0',
    ),
  },
  {
    name: 'quoted values with comments',
    content: GOOD.replace('device = eth0', 'device = "eth0" # quoted'),
  },
];

let sim: SimCluster;
/** Figures for the README's reliability section. */
let tried = 0;

test.before(async () => {
  sim = await createSimCluster({ nodes: [1] });
  const good = writeConfig(GOOD);
  await bootWithCli(sim, good, 1);
});
test.after(async () => {
  console.log(
    `bad inputs tried: ${tried} (each through validate and 3 phases), editor forms read: ${editorForms.length}`,
  );
  await sim?.destroy();
});

function write(c: { content: string | Buffer; mode?: number; uid?: number }): string {
  const dir = mkdtempSync(join(tmpdir(), 'cnsim-bad-'));
  chmodSync(dir, 0o755);
  const path = join(dir, 'net.conf');
  writeFileSync(path, c.content);
  chmodSync(path, c.mode ?? 0o644);
  if (c.uid !== undefined) chownSync(path, c.uid, 0);
  return path;
}

const state = async () =>
  `${await snapshot(sim, sim.host(1))}\n${await snapshot(sim, sim.container(1))}\n${(await sim.exec(sim.container(1), ['nft', 'list', 'ruleset'])).stdout}`;

for (const c of corpus) {
  test(`bad input: ${c.name} → exit 2, located, nothing changed`, async () => {
    tried++;
    const path = write(c);
    const before = await state();
    const node = c.node ?? '1';
    const runs = [
      await sim.cli(sim.host(1), ['validate', '-c', path]),
      await sim.cli(sim.host(1), [
        'run',
        'boot-post',
        '--node',
        node,
        '-c',
        path,
        '--netns',
        sim.container(1),
      ]),
      await sim.cli(sim.container(1), ['run', 'init-post', '--node', node, '-c', path]),
      await sim.cli(sim.host(1), [
        'run',
        'stop',
        '--node',
        node,
        '-c',
        path,
        '--netns',
        sim.container(1),
      ]),
    ];
    // `validate` checks the file, not a node id: a bad --node is the run's business.
    for (const r of c.node ? runs.slice(1) : runs) {
      assert.is(r.exitCode, 2, `${c.name}: ${r.stderr}`);
      const where = c.located ? `${path}:\\d+: \\S+: ` : `${path}(:\\d+)?: `;
      assert.match(r.stderr, new RegExp(`^clusternet: ${where.replace(/\//g, '\\/')}`), r.stderr);
    }
    assert.is(await state(), before, `${c.name} changed something`);
  });
}

for (const f of editorForms) {
  test(`editor form: ${f.name} is read as meant`, async () => {
    const path = write(f);
    const r = await sim.cli(sim.host(1), ['show', '--node', '4', '--json', '-c', path]);
    assert.is(r.exitCode, 0, r.stderr);
    const v = JSON.parse(r.stdout) as { device: string; mac: string; address: string; mtu: string };
    assert.equal(
      [v.device, v.mac, v.address, v.mtu],
      ['eth0', '02:00:00:00:07:04', '10.4.135.4/18', 'auto'],
    );
  });
}

test.run();
