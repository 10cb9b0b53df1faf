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

const example = readFileSync(EXAMPLE, 'utf8');
const macvlan = example.replace('link = vlan', 'link = macvlan').replace('\nvlan = 7\n', '\n');
const server = (conf: string, format: string, extra: string[] = []) => clusternet(['-c', conf, 'server-config', '--address', '10.4.135.254', '--format', format, ...extra]);

test('ip: the seed README\'s commands: MAC from the template and the address, MTU − 4, address, up', () => {
  const r = server(EXAMPLE, 'ip');
  assert.is(r.code, 0, show(r));
  assert.equal(r.stdout.split('\n').filter((l) => l && !l.startsWith('#')), [
    'ip link add link eth0 name krg0 address f0:00:00:00:07:fe mtu 1496 type vlan id 7',
    'ip address add 10.4.135.254/18 dev krg0',
    'ip link set dev krg0 up',
  ]);
  const mv = server(writeConf(macvlan), 'ip', ['--interface', 'cl0', '--device', 'eth1']);
  assert.match(mv.stdout, /^ip link add link eth1 name cl0 address f0:00:00:00:07:fe type macvlan mode bridge$/m);
});

test('link = bridge: a host on the segment joins with a macvlan, and every format says why', () => {
  const bridge = writeConf(example.replace('link = vlan', 'link = bridge').replace('\nvlan = 7\n', '\n'));
  for (const format of ['ip', 'ifupdown', 'networkd', 'nmcli']) {
    const r = server(bridge, format);
    assert.is(r.code, 0, show(r));
    assert.match(r.stdout, /^# the nodes reach the segment through a bridge of their own; a host on the segment needs none: a macvlan on its NIC joins it\.$/m);
    assert.match(r.stdout, /macvlan/);
    assert.not.match(r.stdout, /veth|cnbr0/);
  }
  assert.match(server(bridge, 'ip').stdout, /^ip link add link eth0 name krg0 address f0:00:00:00:07:fe type macvlan mode bridge$/m);
});

test('the values\' rules: inside the network, no node\'s or cluster address, a MAC that follows', () => {
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
  const mac = clusternet(['-c', EXAMPLE, 'server-config', '--address', '10.4.130.1', '--mac', '02:00:00:00:00:01']);
  assert.is(mac.code, 0, show(mac));
  assert.match(mac.stdout, /address 02:00:00:00:00:01 /);
  const multicast = clusternet(['-c', EXAMPLE, 'server-config', '--address', '10.4.130.1', '--mac', '01:00:00:00:00:01']);
  assert.is(multicast.code, 2);
  assert.match(multicast.stderr, /--mac: .* multicast/);
  const fmt = clusternet(['-c', EXAMPLE, 'server-config', '--address', '10.4.135.254', '--format', 'yaml']);
  assert.is(fmt.code, 2);
});

test('ifupdown: Debian\'s ifquery reads the stanza back with the address and the link commands', () => {
  const ifquery = join(unpacked('ifupdown'), 'sbin', 'ifquery');
  for (const conf of [EXAMPLE, writeConf(macvlan)]) {
    const r = server(conf, 'ifupdown');
    assert.is(r.code, 0, show(r));
    const file = join(tempDir(), 'interfaces');
    writeFileSync(file, r.stdout);
    // ifupdown always lists lo besides what the file marks auto.
    assert.equal(execFileSync(ifquery, ['-i', file, '--list', '--allow', 'auto'], { encoding: 'utf8' }).trim().split('\n'), ['lo', 'krg0']);
    const options = execFileSync(ifquery, ['-i', file, 'krg0'], { encoding: 'utf8' });
    assert.match(options, /^address: 10\.4\.135\.254$/m);
    assert.match(options, /^netmask: 255\.255\.192\.0$/m);
    assert.match(options, conf === EXAMPLE ? /^pre-up: ip link add link eth0 name krg0 address f0:00:00:00:07:fe mtu 1496 type vlan id 7$/m : /^pre-up: .* type macvlan mode bridge$/m);
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
  const man = gunzipSync(readFileSync(join(unpacked('network-manager'), 'usr', 'share', 'man', 'man5', 'nm-settings-nmcli.5.gz'))).toString('utf8');
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
    const [add, up] = r.stdout.split('\n').filter((l) => l && !l.startsWith('#')).map((l) => l.split(' '));
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
    if (conf === EXAMPLE) assert.equal([given.get('connection.type'), given.get('vlan.parent'), given.get('vlan.id')], ['vlan', 'eth0', '7']);
    else assert.equal([given.get('connection.type'), given.get('macvlan.parent'), given.get('macvlan.mode')], ['macvlan', 'eth0', '2']);
    assert.equal(up, ['nmcli', 'connection', 'up', 'clusternet-krg0']);
  }
});

test('networkd (vlan): systemd-networkd parses the files without a complaint', async () => {
  const { networkdLog } = await import('./networkd.js');
  const dir = tempDir();
  const r = clusternet(['-c', EXAMPLE, 'server-config', '--address', '10.4.135.254', '--format', 'networkd', '--output-dir', dir]);
  assert.is(r.code, 0, show(r));
  const log = await networkdLog(dir, 3000);
  // This kernel has no 802.1q, so the VLAN cannot be made; what matters is that networkd
  // read every file and every key of ours without a warning.
  assert.match(log, /krg0: loaded "?vlan"?/);
  assert.match(log, /eth0: Configuring with \/etc\/systemd\/network\/49-clusternet-eth0\.network/);
  assert.match(log, /krg0: Using MAC address: f0:00:00:00:07:fe/);
  const complaints = log.split('\n').filter((l) => /50-clusternet|49-clusternet/.test(l) && /[Uu]nknown|ignoring|[Ff]ailed to parse|[Ii]nvalid/.test(l));
  assert.equal(complaints, []);
  // The checker is real: a misspelt key is reported.
  writeFileSync(join(dir, '50-clusternet-krg0.netdev'), readFileSync(join(dir, '50-clusternet-krg0.netdev'), 'utf8').replace('MTUBytes', 'MTUByte'));
  assert.match(await networkdLog(dir, 3000), /50-clusternet-krg0\.netdev:6: Unknown key 'MTUByte' in section \[NetDev\]/);
});

test.run();
