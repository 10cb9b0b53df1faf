// Reading both formats: native ini with sections, and Kerrighed's flat shell file.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { parseConfig } from '../../lib/config/load.js';
import { toNative } from '../../lib/config/convert.js';
import type { Config } from '../../lib/config/types.js';
import { deriveAll } from '../../lib/derive/node.js';
import {
  CLUSTERIP_KEYS,
  LEGACY_AS_NATIVE,
  LEGACY_CONF,
  LEGACY_CONF_QUOTED,
  NATIVE_CONF,
  NODE_SETTING_KEYS,
  conf,
  lineOf,
  pick,
} from '../helpers/fixtures.js';

/** What a Config means, without where it was read from (file, format, key lines). */
const meaning = (c: Config) => ({
  nodes: c.nodes,
  net: c.net,
  clusterIps: c.clusterIps,
  nodeSettings: c.nodeSettings,
});

const native = suite('config: native format');

native('every key of a full native file is read and typed', () => {
  const c = parseConfig(NATIVE_CONF, 'net.conf');
  assert.is(c.format, 'native');
  assert.is(c.file, 'net.conf');
  assert.equal(c.nodes, [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16]);
  assert.equal(c.net, {
    enable: true,
    link: 'vlan',
    device: 'eth0',
    interface: 'krg0',
    linkKeys: new Map([['vlan', 7]]),
    mac: 'f0:00:00:00:07:00',
    address: { family: 4, address: '10.4.135.0', prefix: 18 },
    address6: { family: 6, address: 'fd00:4:135::', prefix: 64 },
    mtu: 'auto',
    gateway: '10.4.135.254',
    gateway6: undefined,
    template: 'add',
  });
  assert.equal(
    c.clusterIps.map((x) => pick(x, CLUSTERIP_KEYS)),
    [
      {
        name: '',
        enable: true,
        address: '10.4.192.1',
        mac: '01:00:5e:04:c0:01',
        hash: 'sourceip',
        backend: 'auto',
        seed: 0x4b52470c,
      },
    ],
  );
  assert.equal(
    [...c.nodeSettings.entries()].map(([id, n]) => [id, pick(n, NODE_SETTING_KEYS)]),
    [[16, { id: 16, hostname: 'n16', device: 'eth1', mtu: 1400 }]],
  );
});

native('Config.keys records the line and the name of every key written', () => {
  const c = parseConfig(NATIVE_CONF, 'net.conf');
  assert.equal(c.keys.get('net.vlan'), {
    line: lineOf(NATIVE_CONF, 'vlan = 7'),
    shown: 'net.vlan',
  });
  assert.equal(c.keys.get('cluster.nodes'), {
    line: lineOf(NATIVE_CONF, 'nodes = 1-16'),
    shown: 'cluster.nodes',
  });
  assert.equal(c.keys.get('node.16.mtu'), {
    line: lineOf(NATIVE_CONF, 'mtu = 1400'),
    shown: 'node.16.mtu',
  });
});

native('defaults: enable, link, interface, mtu, and the cluster address hash/backend/seed', () => {
  const text = `[cluster]\nnodes = 1-4\n\n[net]\ndevice = eth0\nvlan = 7\nmac = f0:00:00:00:07:00\naddress = 10.4.135.0/18\n\n[clusterip]\naddress = 10.4.192.1\nmac = 01:00:5e:00:00:20\n`;
  const c = parseConfig(text, 'f');
  assert.is(c.net.enable, true);
  assert.is(c.net.link, 'vlan');
  assert.is(c.net.interface, 'krg0');
  assert.is(c.net.mtu, 'auto');
  assert.is(c.net.address6, undefined);
  assert.is(c.net.gateway, undefined);
  assert.equal(
    c.clusterIps.map((x) => pick(x, CLUSTERIP_KEYS)),
    [
      {
        name: '',
        enable: true,
        address: '10.4.192.1',
        mac: '01:00:5e:00:00:20',
        hash: 'sourceip',
        backend: 'auto',
        seed: 0,
      },
    ],
  );
});

native('node lists with ranges and single ids, sorted', () => {
  assert.equal(parseConfig(conf({ nodes: '7, 1-3 ,10-11' }), 'f').nodes, [1, 2, 3, 7, 10, 11]);
});

native(
  'macvlan without a VLAN id; booleans yes/no/on/off/1/0; MAC with dashes and capitals',
  () => {
    const c = parseConfig(
      conf({ net: { link: 'MacVLAN', vlan: undefined, enable: 'no', mac: 'F2-00-00-00-07-00' } }),
      'f',
    );
    assert.is(c.net.link, 'macvlan');
    assert.is(c.net.linkKeys.get('vlan'), undefined);
    assert.is(c.net.enable, false);
    assert.is(c.net.mac, 'f2:00:00:00:07:00');
    for (const [raw, value] of [
      ['yes', true],
      ['on', true],
      ['1', true],
      ['off', false],
      ['0', false],
      ['FALSE', false],
    ] as const) {
      assert.is(parseConfig(conf({ net: { enable: raw } }), 'f').net.enable, value, raw);
    }
  },
);

native('named cluster addresses [clusterip NAME] with every hash mode and backend', () => {
  const text = conf({
    extra: `[clusterip web]\naddress = 10.4.192.1\nmac = 01:00:5e:00:00:20\nhash = sourceip-sourceport\nbackend = nft\nseed = 42\n\n[clusterip db]\nenable = off\naddress = fd00:4:192::1\nmac = 33:33:00:00:00:01\nhash = sourceip-sourceport-destport\nbackend = cluster-match\n`,
  });
  const c = parseConfig(text, 'f');
  assert.equal(
    c.clusterIps.map((x) => [x.name, x.enable, x.address, x.hash, x.backend, x.seed]),
    [
      ['web', true, '10.4.192.1', 'sourceip-sourceport', 'nft', 42],
      ['db', false, 'fd00:4:192::1', 'sourceip-sourceport-destport', 'cluster-match', 0],
    ],
  );
});

native('quoted values lose their quotes', () => {
  const c = parseConfig(
    conf({ net: { device: '"eth0"', interface: "'krg0'", address: '"10.4.135.0/18"' } }),
    'f',
  );
  assert.is(c.net.device, 'eth0');
  assert.is(c.net.interface, 'krg0');
  assert.equal(c.net.address, { family: 4, address: '10.4.135.0', prefix: 18 });
});

const layout = suite('config: file layout is read, not refused');

layout('CRLF line endings give the same config, and the same line numbers', () => {
  const crlf = NATIVE_CONF.replace(/\n/g, '\r\n');
  const c = parseConfig(crlf, 'f');
  assert.equal(meaning(c), meaning(parseConfig(NATIVE_CONF, 'f')));
  assert.equal(c.keys.get('net.vlan')?.line, lineOf(NATIVE_CONF, 'vlan = 7'));
});

layout('trailing spaces and tabs after values and section headers are ignored', () => {
  const spaced = NATIVE_CONF.split('\n')
    .map((l) => (l === '' ? l : `${l}  \t `))
    .join('\n');
  assert.equal(meaning(parseConfig(spaced, 'f')), meaning(parseConfig(NATIVE_CONF, 'f')));
});

layout('inline ; and # comments after values and after section headers', () => {
  const text = `[cluster] ; the node list\nnodes = 1-16 ; sixteen\n\n[net] # the interface\ndevice = eth0 # physical\nvlan = 7 ;tag\nmac = f0:00:00:00:07:00 # template\naddress = 10.4.135.0/18 ; base\n  ; indented comment\n\t# tab-indented comment\n`;
  const c = parseConfig(text, 'f');
  assert.is(c.net.device, 'eth0');
  assert.is(c.net.linkKeys.get('vlan'), 7);
  assert.is(c.net.mac, 'f0:00:00:00:07:00');
  assert.equal(c.net.address, { family: 4, address: '10.4.135.0', prefix: 18 });
  assert.equal(c.nodes.length, 16);
});

layout('a quoted value followed by an inline comment loses its quotes and the comment', () => {
  // Shell and ini users write `VIRT="krg0"  # comment`; the value is krg0.
  const c = parseConfig(
    conf({ net: { device: '"eth0"  # the physical one', interface: "'krg0' ; inside" } }),
    'f',
  );
  assert.is(c.net.device, 'eth0');
  assert.is(c.net.interface, 'krg0');
});

layout('white space around = and around section names', () => {
  const text = `[ cluster ]\nnodes=1-4\n[net]\n   device   =   eth0\nvlan=7\nmac= f0:00:00:00:07:00\naddress =10.4.135.0/18\n`;
  const c = parseConfig(text, 'f');
  assert.equal(c.nodes, [1, 2, 3, 4]);
  assert.is(c.net.device, 'eth0');
});

const legacy = suite('config: legacy Kerrighed format');

legacy('a flat file of Kerrighed variables is read as the legacy format', () => {
  const c = parseConfig(LEGACY_CONF, 'legacy.conf');
  assert.is(c.format, 'legacy');
  assert.equal(
    c.nodes,
    Array.from({ length: 16 }, (_, i) => i + 1),
    'Kerrighed hard-coded 16 nodes',
  );
  assert.equal(c.net, {
    enable: true,
    link: 'vlan',
    device: 'eth0',
    interface: 'krg0',
    linkKeys: new Map([['vlan', 7]]),
    mac: 'f0:00:00:00:07:00',
    address: { family: 4, address: '10.4.135.0', prefix: 18 },
    address6: undefined,
    mtu: 'auto',
    gateway: undefined,
    gateway6: undefined,
    template: 'replace',
  });
  assert.equal(
    c.clusterIps.map((x) => pick(x, CLUSTERIP_KEYS)),
    [
      {
        name: '',
        enable: true,
        address: '10.4.192.1',
        mac: '01:00:5e:00:00:20',
        hash: 'sourceip',
        backend: 'auto',
        seed: 0,
      },
    ],
  );
});

legacy('each legacy key remembers its own line and its Kerrighed name for messages', () => {
  const c = parseConfig(LEGACY_CONF, 'legacy.conf');
  assert.equal(c.keys.get('net.vlan'), { line: lineOf(LEGACY_CONF, 'VLANID='), shown: 'VLANID' });
  assert.equal(c.keys.get('net.address'), {
    line: lineOf(LEGACY_CONF, 'VIRTPREFIX='),
    shown: 'VIRTPREFIX',
  });
  assert.equal(c.keys.get('clusterip.mac'), {
    line: lineOf(LEGACY_CONF, 'CLUSTERMAC='),
    shown: 'CLUSTERMAC',
  });
});

legacy(
  'quotes, export, comments and CLUSTERADDR with a prefix are accepted; the prefix is kept',
  () => {
    const c = parseConfig(LEGACY_CONF_QUOTED, 'legacy.conf');
    assert.is(c.format, 'legacy');
    const plain = meaning(parseConfig(LEGACY_CONF, 'legacy.conf'));
    // 20clusterip: `$IP addr add $CLUSTERADDR dev $VIRT`, so 10.4.192.1/18 stays /18.
    assert.equal(meaning(c), {
      ...plain,
      clusterIps: plain.clusterIps.map((x) => ({ ...x, prefix: 18 })),
    });
  },
);

legacy('a quoted legacy value followed by a shell comment is read without quotes', () => {
  const text = LEGACY_CONF.replace('VIRT=krg0', 'VIRT="krg0"   # the container side').replace(
    'VIRTMAC=f0:00:00:00:07:00',
    "VIRTMAC='f0:00:00:00:07:00' # template",
  );
  const c = parseConfig(text, 'legacy.conf');
  assert.is(c.net.interface, 'krg0');
  assert.is(c.net.mac, 'f0:00:00:00:07:00');
});

legacy('NETCONF_ENABLE=false and CLUSTERADDR_ENABLE=false are read', () => {
  const c = parseConfig(
    LEGACY_CONF.replace('NETCONF_ENABLE=true', 'NETCONF_ENABLE=false').replace(
      'CLUSTERADDR_ENABLE=true',
      'CLUSTERADDR_ENABLE=false',
    ),
    'l',
  );
  assert.is(c.net.enable, false);
  assert.is(c.clusterIps[0]!.enable, false);
});

legacy('a legacy file means the same as its native equivalent', () => {
  const old = parseConfig(LEGACY_CONF, 'legacy.conf');
  const now = parseConfig(LEGACY_AS_NATIVE, 'native.conf');
  assert.equal(meaning(old), meaning(now));
  assert.equal(deriveAll(old), deriveAll(now), 'every node derives the same values');
});

legacy('the quoted legacy variant with CRLF endings means the same too', () => {
  const crlf = parseConfig(LEGACY_CONF_QUOTED.replace(/\n/g, '\r\n'), 'l');
  assert.equal(
    meaning(crlf),
    meaning(
      parseConfig(LEGACY_AS_NATIVE.replace('address = 10.4.192.1', 'address = 10.4.192.1/18'), 'n'),
    ),
  );
});

const convert = suite('config: toNative round trip');

convert('legacy → native text → parse gives the same config', () => {
  const old = parseConfig(LEGACY_CONF, 'legacy.conf');
  const text = toNative(old);
  assert.match(text, /^# Converted by clusternet from legacy\.conf \(legacy format\)\./);
  const again = parseConfig(text, 'converted.conf');
  assert.is(again.format, 'native');
  assert.equal(meaning(again), meaning(old));
});

convert('the converted legacy file names the implicit settings', () => {
  const text = toNative(parseConfig(LEGACY_CONF, 'legacy.conf'));
  for (const line of [
    '[cluster]',
    'nodes = 1-16',
    '[net]',
    'link = vlan',
    'vlan = 7',
    'device = eth0',
    'mac = f0:00:00:00:07:00',
    'address = 10.4.135.0/18',
    'template = replace',
    '[clusterip]',
    'address = 10.4.192.1',
    'mac = 01:00:5e:00:00:20',
  ]) {
    assert.ok(text.split('\n').includes(line), `converted text has "${line}":\n${text}`);
  }
});

convert('a full native config round-trips: address6, gateway, seed, [node N] overrides', () => {
  const c = parseConfig(NATIVE_CONF, 'net.conf');
  const again = parseConfig(toNative(c), 'again.conf');
  assert.equal(meaning(again), meaning(c));
});

convert('macvlan, non-contiguous nodes, named and disabled cluster addresses round-trip', () => {
  const text = conf({
    nodes: '1-4,7,9-10',
    net: { link: 'macvlan', vlan: undefined, mtu: '9000', enable: 'false' },
    extra: `[clusterip web]\nenable = false\naddress = 10.4.192.2\nmac = 01:00:5e:00:00:21\nhash = sourceip-sourceport\nbackend = clusterip\nseed = 0xffffffff\n\n[node 7]\nmtu = auto\n\n[node 9]\n`,
  });
  const c = parseConfig(text, 'f');
  const out = toNative(c);
  assert.ok(out.includes('nodes = 1-4,7,9-10\n'), out);
  assert.ok(!/^vlan =/m.test(out), 'no vlan key for macvlan');
  assert.equal(meaning(parseConfig(out, 'g')), meaning(c));
});

convert('converting twice is stable', () => {
  const once = toNative(parseConfig(LEGACY_CONF, 'legacy.conf'));
  const twice = toNative(parseConfig(once, 'legacy.conf'));
  assert.is(twice.split('\n').slice(1).join('\n'), once.split('\n').slice(1).join('\n'));
});

native.run();
layout.run();
legacy.run();
convert.run();
