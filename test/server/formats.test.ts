// server-config's four formats on their real output: the ifupdown stanza read by Debian's
// own ifquery, the nmcli properties checked against NetworkManager's own reference
// (nm-settings-nmcli(5) from Debian's package), the networkd files parsed by
// systemd-networkd itself, the ip commands' arguments; and the values' rules.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { execFileSync, spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { EXAMPLE, clusternet, show, tempDir, writeConf } from '../install/cli.js';
import { unpacked } from './debian.js';
import { vxlanConf } from '../helpers/fixtures.js';

const example = readFileSync(EXAMPLE, 'utf8');
const macvlan = example.replace('link = vlan', 'link = macvlan').replace('\nvlan = 7\n', '\n');
const server = (conf: string, format: string, extra: string[] = []) =>
  clusternet([
    '-c',
    conf,
    'server-config',
    '--address',
    '10.4.135.254',
    '--format',
    format,
    ...extra,
  ]);

test("ip: the seed README's commands: MAC from the template and the address, MTU − 4, address, up", () => {
  const r = server(EXAMPLE, 'ip');
  assert.is(r.code, 0, show(r));
  assert.equal(
    r.stdout.split('\n').filter((l) => l && !l.startsWith('#')),
    [
      'ip link add link eth0 name krg0 address f0:00:00:00:07:fe mtu 1496 type vlan id 7',
      'ip address add 10.4.135.254/18 dev krg0',
      'ip link set dev krg0 up',
    ],
  );
  const mv = server(writeConf(macvlan), 'ip', ['--interface', 'cl0', '--device', 'eth1']);
  assert.match(
    mv.stdout,
    /^ip link add link eth1 name cl0 address f0:00:00:00:07:fe type macvlan mode bridge$/m,
  );
});

test('link = bridge: a host on the segment joins with a macvlan, and every format says why', () => {
  const bridge = writeConf(
    example.replace('link = vlan', 'link = bridge').replace('\nvlan = 7\n', '\n'),
  );
  for (const format of ['ip', 'ifupdown', 'networkd', 'nmcli']) {
    const r = server(bridge, format);
    assert.is(r.code, 0, show(r));
    assert.match(
      r.stdout,
      /^# the nodes reach the segment through a bridge of their own; a host on the segment needs none: a macvlan on its NIC joins it\.$/m,
    );
    assert.match(r.stdout, /macvlan/);
    assert.not.match(r.stdout, /veth|cnbr0/);
  }
  assert.match(
    server(bridge, 'ip').stdout,
    /^ip link add link eth0 name krg0 address f0:00:00:00:07:fe type macvlan mode bridge$/m,
  );
});

test("the values' rules: inside the network, no node's or cluster address, a MAC that follows", () => {
  for (const [address, message] of [
    ['10.4.135.3', /10\.4\.135\.3 is node 3's address/],
    ['10.5.0.1', /outside the cluster network 10\.4\.128\.0\/18/],
    ['10.4.191.255', /broadcast address/],
    ['10.4.192.1', /outside the cluster network/],
    ['10.4.130.1', /not above the base 10\.4\.135\.0.*give --mac/],
    ['10.4.135.254/24', /the cluster network is \/18, not \/24/],
    ['fd00::1', /not an IPv4 address/],
  ] as const) {
    const r = clusternet(['-c', EXAMPLE, 'server-config', '--address', address]);
    assert.is(r.code, 2, show(r));
    assert.match(r.stderr, message);
  }
  const mac = clusternet([
    '-c',
    EXAMPLE,
    'server-config',
    '--address',
    '10.4.130.1',
    '--mac',
    '02:00:00:00:00:01',
  ]);
  assert.is(mac.code, 0, show(mac));
  assert.match(mac.stdout, /address 02:00:00:00:00:01 /);
  const multicast = clusternet([
    '-c',
    EXAMPLE,
    'server-config',
    '--address',
    '10.4.130.1',
    '--mac',
    '01:00:00:00:00:01',
  ]);
  assert.is(multicast.code, 2);
  assert.match(multicast.stderr, /--mac: .* multicast/);
  const fmt = clusternet([
    '-c',
    EXAMPLE,
    'server-config',
    '--address',
    '10.4.135.254',
    '--format',
    'yaml',
  ]);
  assert.is(fmt.code, 2);
});

test("ifupdown: Debian's ifquery reads the stanza back with the address and the link commands", () => {
  const ifquery = join(unpacked('ifupdown'), 'sbin', 'ifquery');
  for (const conf of [EXAMPLE, writeConf(macvlan)]) {
    const r = server(conf, 'ifupdown');
    assert.is(r.code, 0, show(r));
    const file = join(tempDir(), 'interfaces');
    writeFileSync(file, r.stdout);
    // ifupdown always lists lo besides what the file marks auto.
    assert.equal(
      execFileSync(ifquery, ['-i', file, '--list', '--allow', 'auto'], { encoding: 'utf8' })
        .trim()
        .split('\n'),
      ['lo', 'krg0'],
    );
    const options = execFileSync(ifquery, ['-i', file, 'krg0'], { encoding: 'utf8' });
    assert.match(options, /^address: 10\.4\.135\.254$/m);
    assert.match(options, /^netmask: 255\.255\.192\.0$/m);
    assert.match(
      options,
      conf === EXAMPLE
        ? /^pre-up: ip link add link eth0 name krg0 address f0:00:00:00:07:fe mtu 1496 type vlan id 7$/m
        : /^pre-up: .* type macvlan mode bridge$/m,
    );
    assert.match(options, /^post-down: ip link delete dev krg0$/m);
  }
  // The checker is real: a stanza it cannot read is refused.
  const broken = join(tempDir(), 'interfaces');
  writeFileSync(broken, '\taddress 10.4.135.254/18\nauto krg0\n');
  const r = spawnSync(ifquery, ['-i', broken, 'krg0'], { encoding: 'utf8' });
  assert.is.not(r.status, 0);
  assert.match(r.stderr, /misplaced option/);
});

/** Every SETTING.PROPERTY that nm-settings-nmcli(5) documents. */
function nmProperties(): Set<string> {
  const man = gunzipSync(
    readFileSync(
      join(unpacked('network-manager'), 'usr', 'share', 'man', 'man5', 'nm-settings-nmcli.5.gz'),
    ),
  ).toString('utf8');
  const props = new Set<string>();
  let setting = '';
  for (const line of man.split('\n')) {
    const s = /^\.SS "(.+) setting"$/.exec(line);
    if (s) setting = s[1]!.replace(/\\-/g, '-');
    const p = /^\\fB([a-z0-9\\-]+)\\fR$/.exec(line);
    if (p && setting) props.add(`${setting}.${p[1]!.replace(/\\-/g, '-')}`);
  }
  return props;
}

test('nmcli: every property given is one NetworkManager documents, with a valid value', () => {
  const props = nmProperties();
  assert.ok(props.size > 300, `read ${props.size} properties`);
  for (const conf of [EXAMPLE, writeConf(macvlan)]) {
    const r = server(conf, 'nmcli');
    assert.is(r.code, 0, show(r));
    const [add, up] = r.stdout
      .split('\n')
      .filter((l) => l && !l.startsWith('#'))
      .map((l) => l.split(' '));
    assert.equal(add!.slice(0, 3), ['nmcli', 'connection', 'add']);
    const pairs = add!.slice(3);
    assert.is(pairs.length % 2, 0, 'property value pairs');
    const given = new Map<string, string>();
    for (let i = 0; i < pairs.length; i += 2) {
      assert.ok(props.has(pairs[i]!), `${pairs[i]} is a NetworkManager property`);
      given.set(pairs[i]!, pairs[i + 1]!);
    }
    assert.is(given.get('connection.interface-name'), 'krg0');
    assert.is(given.get('ipv4.addresses'), '10.4.135.254/18');
    assert.is(given.get('802-3-ethernet.cloned-mac-address'), 'f0:00:00:00:07:fe');
    if (conf === EXAMPLE)
      assert.equal(
        [given.get('connection.type'), given.get('vlan.parent'), given.get('vlan.id')],
        ['vlan', 'eth0', '7'],
      );
    else
      assert.equal(
        [given.get('connection.type'), given.get('macvlan.parent'), given.get('macvlan.mode')],
        ['macvlan', 'eth0', '2'],
      );
    assert.equal(up, ['nmcli', 'connection', 'up', 'clusternet-krg0']);
  }
});

test('networkd (vlan): systemd-networkd parses the files without a complaint', async () => {
  const { networkdLog } = await import('./networkd.js');
  const dir = tempDir();
  const r = clusternet([
    '-c',
    EXAMPLE,
    'server-config',
    '--address',
    '10.4.135.254',
    '--format',
    'networkd',
    '--output-dir',
    dir,
  ]);
  assert.is(r.code, 0, show(r));
  const log = await networkdLog(dir, 3000);
  // This kernel has no 802.1q, so the VLAN cannot be made; what matters is that networkd
  // read every file and every key of ours without a warning.
  assert.match(log, /krg0: loaded "?vlan"?/);
  assert.match(log, /eth0: Configuring with \/etc\/systemd\/network\/49-clusternet-eth0\.network/);
  assert.match(log, /krg0: Using MAC address: f0:00:00:00:07:fe/);
  const complaints = log
    .split('\n')
    .filter(
      (l) =>
        /50-clusternet|49-clusternet/.test(l) &&
        /[Uu]nknown|ignoring|[Ff]ailed to parse|[Ii]nvalid/.test(l),
    );
  assert.equal(complaints, []);
  // The checker is real: a misspelt key is reported.
  writeFileSync(
    join(dir, '50-clusternet-krg0.netdev'),
    readFileSync(join(dir, '50-clusternet-krg0.netdev'), 'utf8').replace('MTUBytes', 'MTUByte'),
  );
  assert.match(
    await networkdLog(dir, 3000),
    /50-clusternet-krg0\.netdev:6: Unknown key 'MTUByte' in section \[NetDev\]/,
  );
});

/** A node's two forwarding entries (flood, its MAC), as bridge lines. */
const fdbLines = (node: number, vtep: string) => [
  `bridge fdb append 00:00:00:00:00:00 dev krg0 dst ${vtep} self permanent`,
  `bridge fdb replace 02:00:00:00:07:0${node} dev krg0 dst ${vtep} self permanent`,
];

test('vxlan: --underlay one of vxlan-peers; the link, then a flood and a MAC entry per node, in every format', async () => {
  const conf = writeConf(vxlanConf());
  const underlay = ['--underlay', '192.168.10.100'];
  const entries = [
    ...fdbLines(1, '192.168.10.1'),
    ...fdbLines(2, '192.168.10.2'),
    ...fdbLines(3, '192.168.20.3'),
  ];
  const ip = server(conf, 'ip', underlay);
  assert.is(ip.code, 0, show(ip));
  assert.equal(
    ip.stdout.split('\n').filter((l) => l && !l.startsWith('#')),
    [
      'ip link add name krg0 address 02:00:00:00:07:fe mtu 1450 type vxlan id 42 dev eth0 local 192.168.10.100 dstport 4789 nolearning',
      'ip address add 10.4.135.254/18 dev krg0',
      'ip link set dev krg0 up',
      ...entries,
    ],
  );
  for (const [extra, message] of [
    [[], /--underlay: a host joining a VXLAN needs its VTEP address/],
    [
      ['--underlay', '192.168.10.99'],
      /--underlay: 192\.168\.10\.99 is not in net\.vxlan-peers; add it to net\.vxlan-peers so the nodes send to it/,
    ],
    [['--underlay', 'x'], /--underlay: "x" is not an IP address/],
  ] as const) {
    const r = server(conf, 'ip', [...extra]);
    assert.is(r.code, 2, show(r));
    assert.match(r.stderr, message);
  }
  const notVxlan = server(EXAMPLE, 'ip', underlay);
  assert.is(notVxlan.code, 2);
  assert.match(notVxlan.stderr, /--underlay: applies only to link = (bridge or )?vxlan/);

  // ifupdown: Debian's ifquery reads the link as pre-up and each entry as post-up (up).
  const stanza = server(conf, 'ifupdown', underlay);
  const file = join(tempDir(), 'interfaces');
  writeFileSync(file, stanza.stdout);
  const options = execFileSync(
    join(unpacked('ifupdown'), 'sbin', 'ifquery'),
    ['-i', file, 'krg0'],
    { encoding: 'utf8' },
  );
  assert.match(
    options,
    /^pre-up: ip link add name krg0 .* type vxlan id 42 dev eth0 local 192\.168\.10\.100 dstport 4789 nolearning$/m,
  );
  // ifupdown files post-up under its synonym, up.
  assert.equal(
    options
      .split('\n')
      .filter((l) => l.startsWith('up: '))
      .map((l) => l.slice(4)),
    entries,
  );

  // nmcli: NetworkManager's own properties; what it cannot hold is said, then printed.
  const nm = server(conf, 'nmcli', underlay);
  assert.is(nm.code, 0, show(nm));
  const lines = nm.stdout.split('\n').filter(Boolean);
  const add = lines[1]!.split(' ');
  const props = nmProperties();
  const given = new Map<string, string>();
  for (let i = 3; i < add.length; i += 2) {
    assert.ok(props.has(add[i]!), `${add[i]} is a NetworkManager property`);
    given.set(add[i]!, add[i + 1]!);
  }
  assert.equal(
    [
      'connection.type',
      'vxlan.id',
      'vxlan.local',
      'vxlan.remote',
      'vxlan.parent',
      'vxlan.learning',
    ].map((k) => given.get(k)),
    ['vxlan', '42', '192.168.10.100', '192.168.10.1', 'eth0', 'no'],
  );
  assert.match(
    lines[3]!,
    /^# nmcli cannot say all of it: NetworkManager holds no static forwarding entries/,
  );
  assert.equal(lines.slice(4), entries);

  // networkd: [VXLAN] in the .netdev, a [BridgeFDB] per entry, parsed by networkd itself.
  const { networkdLog } = await import('./networkd.js');
  const dir = tempDir();
  const r = clusternet([
    '-c',
    conf,
    'server-config',
    '--address',
    '10.4.135.254',
    '--format',
    'networkd',
    '--output-dir',
    dir,
    ...underlay,
  ]);
  assert.is(r.code, 0, show(r));
  const network = readFileSync(join(dir, '50-clusternet-krg0.network'), 'utf8');
  assert.is(network.split('[BridgeFDB]').length - 1, 6);
  assert.match(
    network,
    /\[BridgeFDB\]\nMACAddress=02:00:00:00:07:03\nDestination=192\.168\.20\.3\n/,
  );
  assert.match(
    readFileSync(join(dir, '50-clusternet-krg0.netdev'), 'utf8'),
    /\[VXLAN\]\nVNI=42\nLocal=192\.168\.10\.100\nDestinationPort=4789\nMacLearning=no\n/,
  );
  const log = await networkdLog(dir, 3000);
  assert.match(log, /krg0: loaded "?vxlan"?/);
  const complaints = log
    .split('\n')
    .filter(
      (l) =>
        /50-clusternet|49-clusternet/.test(l) &&
        /[Uu]nknown|ignoring|[Ff]ailed to parse|[Ii]nvalid/.test(l),
    );
  assert.equal(complaints, []);
});

test.run();
