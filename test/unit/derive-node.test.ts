// Node id → MAC, addresses, device and MTU: arithmetic, every result checked.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { parseConfig } from '../../lib/config/load.js';
import { deriveAll, deriveNode } from '../../lib/derive/node.js';
import { InputError } from '../../lib/errors.js';
import {
  CLUSTERIP_KEYS,
  LEGACY_CONF,
  NATIVE_CONF,
  conf,
  lineOf,
  pick,
} from '../helpers/fixtures.js';
import { throwsInput } from '../helpers/errors.js';

const F = 'net.conf';
const native = parseConfig(NATIVE_CONF, F);

const values = suite('derive: a node from the full config');

values('node 4: the values of Kerrighed documentation', () => {
  const v = deriveNode(native, 4);
  const keys = [
    'node',
    'enable',
    'kind',
    'link',
    'device',
    'interface',
    'mac',
    'address',
    'address6',
    'mtu',
    'gateway',
  ] as const;
  assert.equal(pick(v, keys), {
    node: 4,
    enable: true,
    kind: 'vlan',
    link: { kind: 'vlan', id: 7 },
    device: 'eth0',
    interface: 'krg0',
    mac: 'f0:00:00:00:07:04',
    address: '10.4.135.4/18',
    address6: 'fd00:4:135::4/64',
    mtu: 'auto',
    gateway: '10.4.135.254',
  });
  assert.equal(
    v.clusterIps.map((c) => pick(c, CLUSTERIP_KEYS)),
    native.clusterIps.map((c) => pick(c, CLUSTERIP_KEYS)),
  );
});

values('node 1', () => {
  const v = deriveNode(native, 1);
  assert.equal(
    [v.mac, v.address, v.address6],
    ['f0:00:00:00:07:01', '10.4.135.1/18', 'fd00:4:135::1/64'],
  );
});

values('[node 16] overrides the device and the MTU, nothing else', () => {
  const v = deriveNode(native, 16);
  assert.is(v.device, 'eth1');
  assert.is(v.mtu, 1400);
  assert.is(v.interface, 'krg0');
  assert.is(v.mac, 'f0:00:00:00:07:10');
  assert.is(v.address, '10.4.135.16/18');
  const other = deriveNode(native, 15);
  assert.equal([other.device, other.mtu], ['eth0', 'auto'], 'other nodes keep [net]');
});

values('[node N] mtu = auto overrides an explicit [net] mtu', () => {
  const c = parseConfig(conf({ net: { mtu: '9000' }, extra: '[node 2]\nmtu = auto\n' }), F);
  assert.is(deriveNode(c, 1).mtu, 9000);
  assert.is(deriveNode(c, 2).mtu, 'auto');
});

values('macvlan has no VLAN; enable = false is carried; no address6, no gateway → null', () => {
  const c = parseConfig(conf({ net: { link: 'macvlan', vlan: undefined, enable: 'false' } }), F);
  const v = deriveNode(c, 3);
  assert.is(v.kind, 'macvlan');
  assert.equal(v.link, { kind: 'macvlan' });
  assert.is(v.enable, false);
  assert.is(v.address6, null);
  assert.is(v.gateway, null);
});

values('only enabled cluster addresses reach the node', () => {
  const c = parseConfig(
    conf({
      extra:
        '[clusterip a]\naddress = 10.4.192.1\nmac = 01:00:5e:00:00:20\n\n[clusterip b]\nenable = no\naddress = 10.4.192.2\nmac = 01:00:5e:00:00:21\n',
    }),
    F,
  );
  assert.equal(
    deriveNode(c, 1).clusterIps.map((x) => x.name),
    ['a'],
  );
});

values('a legacy file derives node 4 as Kerrighed did', () => {
  const v = deriveNode(parseConfig(LEGACY_CONF, 'legacy.conf'), 4);
  assert.equal(
    [v.device, v.interface, v.link, v.mac, v.address],
    ['eth0', 'krg0', { kind: 'vlan', id: 7 }, 'f0:00:00:00:07:04', '10.4.135.4/18'],
  );
});

const wide = suite('derive: MAC and address arithmetic at the edges');
const big = parseConfig(conf({ nodes: '1-300,65535', net: { address: '10.4.0.0/16' } }), F);
const mac = (id: number) => deriveNode(big, id).mac;

wide('node 255: last MAC of the template byte, 10.4.135.255/18 is a host address in a /18', () => {
  assert.is(mac(255), 'f0:00:00:00:07:ff');
  assert.is(deriveNode(native, 255).address, '10.4.135.255/18');
});

wide('node 256 carries into the 5th byte: f0:00:00:00:08:00', () => {
  assert.is(mac(256), 'f0:00:00:00:08:00');
  assert.is(deriveNode(native, 256).address, '10.4.136.0/18');
});

wide('node 300: f0:00:00:00:08:2c, 10.4.136.44', () => {
  assert.is(mac(300), 'f0:00:00:00:08:2c');
  assert.is(deriveNode(native, 300).address, '10.4.136.44/18');
  assert.is(deriveNode(native, 300).address6, 'fd00:4:135::12c/64');
});

wide('a carry across several bytes', () => {
  const c = parseConfig(conf({ net: { mac: 'f0:00:00:ff:ff:ff' } }), F);
  assert.is(deriveNode(c, 1).mac, 'f0:00:01:00:00:00');
});

wide('10.4.135.0/18: node 14590 is the last, 10.4.191.254', () => {
  const c = parseConfig(conf({ nodes: '14590' }), F);
  const v = deriveNode(c, 14590);
  assert.is(v.address, '10.4.191.254/18');
  assert.is(v.mac, 'f0:00:00:00:3f:fe');
  assert.equal(
    deriveAll(c).map((x) => x.address),
    ['10.4.191.254/18'],
  );
});

wide('10.4.135.0/18: node 14591 would be the broadcast address', () => {
  const text = conf({ nodes: '14591' });
  throwsInput(() => deriveNode(parseConfig(text, F), 14591), {
    file: F,
    line: lineOf(text, 'address ='),
    key: 'net.address',
    message: 'node 14591: 10.4.191.255 is the broadcast address of 10.4.128.0/18',
  });
});

wide('10.4.135.0/18: node 14592 is past the end of the subnet', () => {
  const text = conf({ nodes: '14592' });
  throwsInput(() => deriveNode(parseConfig(text, F), 14592), {
    file: F,
    line: lineOf(text, 'address ='),
    key: 'net.address',
    message: 'node 14592: 10.4.135.0 + 14592 is past the end of 10.4.128.0/18',
  });
});

wide('a /24: .254 is fine, .255 is broadcast (a Kerrighed defect), 256 is outside', () => {
  const text = conf({ nodes: '250-260', net: { address: '10.4.135.0/24' } });
  const c = parseConfig(text, F);
  assert.is(deriveNode(c, 254).address, '10.4.135.254/24');
  const line = lineOf(text, 'address =');
  throwsInput(() => deriveNode(c, 255), {
    file: F,
    line,
    key: 'net.address',
    message: 'node 255: 10.4.135.255 is the broadcast address of 10.4.135.0/24',
  });
  throwsInput(() => deriveNode(c, 256), {
    file: F,
    line,
    key: 'net.address',
    message: 'node 256: 10.4.135.0 + 256 is past the end of 10.4.135.0/24',
  });
});

wide('a prefix longer than /24 keeps nodes inside it (a Kerrighed defect)', () => {
  const text = conf({ nodes: '1-64', net: { address: '10.4.135.0/26' } });
  const c = parseConfig(text, F);
  const line = lineOf(text, 'address =');
  assert.is(deriveNode(c, 62).address, '10.4.135.62/26');
  throwsInput(() => deriveNode(c, 63), {
    file: F,
    line,
    key: 'net.address',
    message: 'broadcast address of 10.4.135.0/26',
  });
  throwsInput(() => deriveNode(c, 64), {
    file: F,
    line,
    key: 'net.address',
    message: 'past the end of 10.4.135.0/26',
  });
});

wide('a base that is not the network address: the end is the subnet’s, not base + size', () => {
  const text = conf({ nodes: '1-60', net: { address: '10.4.135.200/24' } });
  const c = parseConfig(text, F);
  const line = lineOf(text, 'address =');
  assert.is(deriveNode(c, 54).address, '10.4.135.254/24');
  throwsInput(() => deriveNode(c, 55), {
    file: F,
    line,
    key: 'net.address',
    message: '10.4.135.255 is the broadcast address of 10.4.135.0/24',
  });
  throwsInput(() => deriveNode(c, 60), {
    file: F,
    line,
    key: 'net.address',
    message: '10.4.135.200 + 60 is past the end of 10.4.135.0/24',
  });
});

wide('the network address itself is refused (reachable only as node 0 on a network base)', () => {
  const text = conf({ net: { address: '10.4.128.0/18' } });
  throwsInput(() => deriveNode(parseConfig(text, F), 0), {
    file: F,
    line: lineOf(text, 'address ='),
    key: 'net.address',
    message: 'node 0: 10.4.128.0 is the network address of 10.4.128.0/18',
  });
});

wide('deriveAll reports every bad node of the cluster at once', () => {
  const c = parseConfig(conf({ nodes: '250-260', net: { address: '10.4.135.0/24' } }), F);
  let error: unknown;
  try {
    deriveAll(c);
  } catch (e) {
    error = e;
  }
  assert.instance(error, InputError);
  assert.equal(
    (error as InputError).problems.map((p) => Number(/node (\d+):/.exec(p.message)?.[1])),
    [255, 256, 257, 258, 259, 260],
  );
});

const v6 = suite('derive: IPv6');

v6('address6 = base + id, compressed like ip prints it', () => {
  const c = parseConfig(
    conf({ nodes: '1-4,65535', net: { address: '10.0.0.0/8', address6: 'fd00:4:135::/64' } }),
    F,
  );
  assert.is(deriveNode(c, 4).address6, 'fd00:4:135::4/64');
  assert.is(deriveNode(c, 65535).address6, 'fd00:4:135::ffff/64');
  const odd = parseConfig(conf({ net: { address6: 'FD00:0004:0135:0000::/64' } }), F);
  assert.is(deriveNode(odd, 10).address6, 'fd00:4:135::a/64');
});

v6('a /126 holds nodes 1 to 3 (no broadcast in IPv6); node 4 is outside', () => {
  const text = conf({ nodes: '1-4', net: { address6: 'fd00:4::/126' } });
  const c = parseConfig(text, F);
  assert.is(deriveNode(c, 3).address6, 'fd00:4::3/126');
  throwsInput(() => deriveNode(c, 4), {
    file: F,
    line: lineOf(text, 'address6 ='),
    key: 'net.address6',
    message: 'node 4: fd00:4:: + 4 is past the end of fd00:4::/126',
  });
});

const clash = suite('derive: a node address must not be the gateway or the cluster address');

clash('a derived address equal to the gateway', () => {
  const text = conf({ net: { gateway: '10.4.135.4' } });
  const c = parseConfig(text, F);
  assert.is(deriveNode(c, 3).gateway, '10.4.135.4');
  throwsInput(() => deriveNode(c, 4), {
    file: F,
    line: lineOf(text, 'gateway ='),
    key: 'net.gateway',
    message: "node 4: 10.4.135.4 is node 4's own address; the gateway must be another host",
  });
});

clash('a derived address equal to the cluster address', () => {
  const text = conf({ extra: '[clusterip]\naddress = 10.4.135.3\nmac = 01:00:5e:00:00:20\n' });
  const c = parseConfig(text, F);
  throwsInput(() => deriveNode(c, 3), {
    file: F,
    line: lineOf(text, 'address = 10.4.135.3'),
    key: 'clusterip.address',
    message: "node 3: 10.4.135.3 is also node 3's own address",
  });
  assert.is(deriveNode(c, 2).address, '10.4.135.2/18');
});

clash('a named or disabled cluster address clashes too; an IPv6 one against address6', () => {
  const text = conf({
    net: { address6: 'fd00:4:135::/64' },
    extra:
      '[clusterip web]\nenable = false\naddress = 10.4.135.5\nmac = 01:00:5e:00:00:20\n\n[clusterip v6]\naddress = fd00:4:135::6\nmac = 33:33:00:00:00:06\n',
  });
  const c = parseConfig(text, F);
  throwsInput(() => deriveNode(c, 5), {
    file: F,
    line: lineOf(text, 'address = 10.4.135.5'),
    key: 'clusterip.web.address',
    message: 'node 5:',
  });
  throwsInput(() => deriveNode(c, 6), {
    file: F,
    line: lineOf(text, 'address = fd00:4:135::6'),
    key: 'clusterip.v6.address',
    message: "node 6: fd00:4:135::6 is also node 6's own address",
  });
});

clash('legacy: the clash is reported under CLUSTERADDR and its line', () => {
  const text = LEGACY_CONF.replace('CLUSTERADDR=10.4.192.1', 'CLUSTERADDR=10.4.135.2');
  throwsInput(() => deriveNode(parseConfig(text, 'legacy.conf'), 2), {
    file: 'legacy.conf',
    line: lineOf(text, 'CLUSTERADDR='),
    key: 'CLUSTERADDR',
    message: 'node 2:',
  });
});

const macs = suite('derive: MAC checks');

macs('a carry into the first byte that sets the multicast bit', () => {
  const text = conf({ net: { mac: 'fe:ff:ff:ff:ff:f0' } });
  const c = parseConfig(text, F);
  assert.is(deriveNode(c, 15).mac, 'fe:ff:ff:ff:ff:ff');
  throwsInput(() => deriveNode(c, 16), {
    file: F,
    line: lineOf(text, 'mac ='),
    key: 'net.mac',
    message:
      'node 16: ff:00:00:00:00:00 has the multicast bit set (the id carried into the first byte)',
  });
  const lowText = conf({ net: { mac: '00:ff:ff:ff:ff:ff' } });
  throwsInput(() => deriveNode(parseConfig(lowText, F), 1), {
    file: F,
    line: lineOf(lowText, 'mac ='),
    key: 'net.mac',
    message: '01:00:00:00:00:00 has the multicast bit set',
  });
});

macs('legacy: the id replaces the last byte, so nothing carries into the first', () => {
  const text = LEGACY_CONF.replace('VIRTMAC=f0:00:00:00:07:00', 'VIRTMAC=00:ff:ff:ff:ff:f8');
  assert.is(deriveNode(parseConfig(text, 'legacy.conf'), 8).mac, '00:ff:ff:ff:ff:08');
});

macs('a MAC past 48 bits is refused (a guard: a unicast template + 65535 cannot get there)', () => {
  const text = conf();
  const c = parseConfig(text, F);
  // The file-level check refuses every multicast template first, so the guard is reached
  // only with a Config built in code.
  const forged = { ...c, net: { ...c.net, mac: 'ff:ff:ff:ff:ff:fe' } };
  throwsInput(() => deriveNode(forged, 2), {
    file: F,
    line: lineOf(text, 'mac ='),
    key: 'net.mac',
    message: 'node 2: template ff:ff:ff:ff:ff:fe + 2 overflows 48 bits',
  });
});

values.run();
wide.run();
v6.run();
clash.run();
macs.run();
