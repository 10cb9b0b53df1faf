// Every way net.conf is refused, each located as `file:line: key: ` with the right line
// and the key as the user wrote it.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { parseConfig } from '../../lib/config/load.js';
import { InputError } from '../../lib/errors.js';
import { deriveNode } from '../../lib/derive/node.js';
import { LEGACY_CONF, conf, lineOf } from '../helpers/fixtures.js';
import { throwsInput } from '../helpers/errors.js';

const F = 'net.conf';
const parse = (text: string) => () => parseConfig(text, F);

const nodes = suite('reject: node ids');

nodes('node id 0 in cluster.nodes', () => {
  const text = conf({ nodes: '0-4' });
  throwsInput(parse(text), {
    file: F,
    line: lineOf(text, 'nodes ='),
    key: 'cluster.nodes',
    message: '0 is out of range; allowed: 1 to 65535',
  });
});

nodes('a range that runs backwards, an id listed twice, a word', () => {
  for (const [list, message] of [
    ['4-1', 'range 4-1 runs backwards'],
    ['1-4,3', 'node 3 is listed twice'],
    ['1-4,x', '"x" is not a node id or range'],
    ['1-70000', 'out of range'],
  ]) {
    const text = conf({ nodes: list });
    throwsInput(parse(text), { file: F, line: 2, key: 'cluster.nodes', message });
  }
});

nodes('a [node N] section for a node outside cluster.nodes', () => {
  const text = conf({ nodes: '1-16', extra: '[node 20]\ndevice = eth1\n' });
  throwsInput(parse(text), {
    file: F,
    line: lineOf(text, '[node 20]'),
    key: '[node 20]',
    message: 'node 20 is not in cluster.nodes',
  });
});

nodes('cluster.nodes missing', () => {
  const text = conf().replace('nodes = 1-16\n', '');
  throwsInput(parse(text), {
    file: F,
    line: lineOf(text, '[cluster]'),
    key: 'cluster.nodes',
    message: 'missing; this key is required in [cluster]',
  });
});

const values = suite('reject: values');

values('VLAN id outside 1..4094, or not a number', () => {
  for (const [vlan, message] of [
    ['0', '0 is out of range; allowed: 1 to 4094'],
    ['4095', '4095 is out of range; allowed: 1 to 4094'],
    ['-1', 'is not a VLAN id'],
    ['seven', '"seven" is not a VLAN id'],
  ]) {
    const text = conf({ net: { vlan } });
    throwsInput(parse(text), { file: F, line: lineOf(text, 'vlan ='), key: 'net.vlan', message });
  }
  for (const vlan of ['1', '4094'])
    assert.is(parseConfig(conf({ net: { vlan } }), F).net.linkKeys.get('vlan'), Number(vlan));
});

values('link = vlan without a VLAN id, and a VLAN id with link = macvlan', () => {
  const missing = conf({ net: { vlan: undefined } });
  throwsInput(parse(missing), {
    file: F,
    line: lineOf(missing, '[net]'),
    key: 'net.vlan',
    message: 'link = vlan needs a VLAN id',
  });
  const extra = conf({ net: { link: 'macvlan' } });
  throwsInput(parse(extra), {
    file: F,
    line: lineOf(extra, 'vlan ='),
    key: 'net.vlan',
    message: 'applies only to link = vlan',
  });
});

values('interface names longer than 15 bytes', () => {
  const text = conf({ net: { interface: 'krg0-abcdefghijk' } });
  throwsInput(parse(text), {
    file: F,
    line: lineOf(text, 'interface ='),
    key: 'net.interface',
    message: 'is 16 bytes long; allowed: at most 15 bytes',
  });
  // 9 characters but 18 bytes: the kernel counts bytes.
  const wide = conf({ net: { device: 'ééééééééé' } });
  throwsInput(parse(wide), {
    file: F,
    line: lineOf(wide, 'device ='),
    key: 'net.device',
    message: 'is 18 bytes long',
  });
  assert.is(
    parseConfig(conf({ net: { interface: 'krg0-abcdefghij' } }), F).net.interface,
    'krg0-abcdefghij',
    '15 bytes is fine',
  );
});

values("interface names with '/', ':' or white space", () => {
  for (const name of ['eth/0', 'eth0:1', 'eth 0', 'eth\t0', '..']) {
    for (const key of ['device', 'interface']) {
      const text = conf({ net: { [key]: name } });
      throwsInput(parse(text), {
        file: F,
        line: lineOf(text, `${key} =`),
        key: `net.${key}`,
        message: 'is not a valid interface name',
      });
    }
  }
  const node = conf({ extra: '[node 4]\ndevice = eth/1\n' });
  throwsInput(parse(node), {
    file: F,
    line: lineOf(node, 'device = eth/1'),
    key: 'node.4.device',
    message: 'is not a valid interface name',
  });
});

values('MTU below 68 or above 65535, in [net] and in [node N]', () => {
  for (const [mtu, message] of [
    ['67', '67 is out of range; allowed: 68 to 65535'],
    ['65536', '65536 is out of range; allowed: 68 to 65535'],
    ['0', 'out of range'],
    ['big', '"big" is not an MTU'],
  ]) {
    const text = conf({ net: { mtu } });
    throwsInput(parse(text), { file: F, line: lineOf(text, 'mtu ='), key: 'net.mtu', message });
  }
  const node = conf({ extra: '[node 4]\nmtu = 65536\n' });
  throwsInput(parse(node), {
    file: F,
    line: lineOf(node, 'mtu = 65536'),
    key: 'node.4.mtu',
    message: 'out of range; allowed: 68 to 65535',
  });
  assert.is(parseConfig(conf({ net: { mtu: '68' } }), F).net.mtu, 68);
  assert.is(parseConfig(conf({ net: { mtu: '65535' } }), F).net.mtu, 65535);
  assert.is(parseConfig(conf({ net: { mtu: 'AUTO' } }), F).net.mtu, 'auto');
});

values('a node MAC template with the multicast bit set', () => {
  for (const mac of ['01:00:00:00:07:00', 'f1:00:00:00:07:00', 'ff:ff:ff:ff:ff:00']) {
    const text = conf({ net: { mac } });
    throwsInput(parse(text), {
      file: F,
      line: lineOf(text, 'mac ='),
      key: 'net.mac',
      message: 'has the multicast bit set; node MACs must be unicast',
    });
  }
});

values('a MAC that is not six hex pairs', () => {
  for (const mac of [
    'f0:00:00:00:07',
    'f0:00:00:00:07:0g',
    'f000.0000.0700',
    'f0:00:00:00:07:00:00',
  ]) {
    const text = conf({ net: { mac } });
    throwsInput(parse(text), {
      file: F,
      line: lineOf(text, 'mac ='),
      key: 'net.mac',
      message: 'is not a MAC address',
    });
  }
});

values('a cluster MAC without the multicast bit', () => {
  const text = conf({ extra: '[clusterip]\naddress = 10.4.192.1\nmac = 00:00:5e:00:00:20\n' });
  throwsInput(parse(text), {
    file: F,
    line: lineOf(text, 'mac = 00:00:5e'),
    key: 'clusterip.mac',
    message: 'is not a multicast MAC',
  });
  const named = conf({ extra: '[clusterip web]\naddress = 10.4.192.1\nmac = 02:00:5e:00:00:20\n' });
  throwsInput(parse(named), {
    file: F,
    line: lineOf(named, 'mac = 02:00:5e'),
    key: 'clusterip.web.mac',
    message: 'is not a multicast MAC',
  });
});

values('addresses: no prefix, prefix too long or zero, not IPv4, bad address6', () => {
  for (const [address, message] of [
    ['10.4.135.0', 'is not an address with a prefix length'],
    ['10.4.135.0/31', 'prefix length /31 leaves no room for nodes'],
    ['10.4.135.0/32', 'leaves no room'],
    ['10.4.135.0/0', 'leaves no room'],
    ['10.4.135/18', 'is not an IP address'],
    ['fd00::/64', 'is not an IP address; allowed: an IPv4 address'],
    ['10.4.135.0/18/1', 'is not an address with a prefix length'],
  ]) {
    const text = conf({ net: { address } });
    throwsInput(parse(text), {
      file: F,
      line: lineOf(text, 'address ='),
      key: 'net.address',
      message,
    });
  }
  const v6 = conf({ net: { address6: 'fd00:4:135::/127' } });
  throwsInput(parse(v6), {
    file: F,
    line: lineOf(v6, 'address6 ='),
    key: 'net.address6',
    message: 'leaves no room',
  });
  const v4in6 = conf({ net: { address6: '10.4.135.0/18' } });
  throwsInput(parse(v4in6), {
    file: F,
    line: lineOf(v4in6, 'address6 ='),
    key: 'net.address6',
    message: 'is not an IP address',
  });
});

values('a gateway outside the node network', () => {
  const text = conf({ net: { gateway: '10.4.7.254' } });
  throwsInput(parse(text), {
    file: F,
    line: lineOf(text, 'gateway ='),
    key: 'net.gateway',
    message: 'is outside the node network 10.4.135.0/18',
  });
});

values("gateway6: outside address6, without address6, IPv4, a node's own address", () => {
  const outside = conf({ net: { address6: 'fd00:4:135::/64', gateway6: 'fd00:9::fe' } });
  throwsInput(parse(outside), {
    file: F,
    line: lineOf(outside, 'gateway6 ='),
    key: 'net.gateway6',
    message:
      'fd00:9::fe is outside the node network fd00:4:135::/64; allowed: an address inside it',
  });
  const alone = conf({ net: { address6: undefined, gateway6: 'fd00:4:135::fe' } });
  throwsInput(parse(alone), {
    file: F,
    line: lineOf(alone, 'gateway6 ='),
    key: 'net.gateway6',
    message:
      'an IPv6 default route needs IPv6 node addresses; set address6 too, or remove gateway6',
  });
  const v4 = conf({ net: { address6: 'fd00:4:135::/64', gateway6: '10.4.135.254' } });
  throwsInput(parse(v4), {
    file: F,
    line: lineOf(v4, 'gateway6 ='),
    key: 'net.gateway6',
    message: 'allowed: an IPv6 address like fd00:4::1',
  });
  const own = conf({ net: { address6: 'fd00:4:135::/64', gateway6: 'fd00:4:135::3' } });
  assert.throws(
    () => deriveNode(parseConfig(own, F), 3),
    (e: unknown) =>
      e instanceof InputError &&
      /net\.gateway6: node 3: fd00:4:135::3 is node 3's own address/.test(e.message),
  );
});

values('choices, booleans and seeds', () => {
  const cases: [Record<string, string>, string, string][] = [
    [
      { link: 'ipvlan' },
      'net.link',
      '"ipvlan" is not allowed; allowed: vlan, macvlan, bridge, vxlan',
    ],
    [{ enable: 'maybe' }, 'net.enable', '"maybe" is not a boolean'],
  ];
  for (const [net, key, message] of cases) {
    const text = conf({ net });
    throwsInput(parse(text), {
      file: F,
      line: lineOf(text, `${key.split('.')[1]} =`),
      key,
      message,
    });
  }
  const cip = (line: string) =>
    conf({ extra: `[clusterip]\naddress = 10.4.192.1\nmac = 01:00:5e:00:00:20\n${line}\n` });
  for (const [line, message] of [
    [
      'hash = roundrobin',
      '"roundrobin" is not allowed; allowed: sourceip, sourceip-sourceport, sourceip-sourceport-destport',
    ],
    ['backend = ipvs', '"ipvs" is not allowed'],
    ['seed = 0x100000000', 'out of range; allowed: 0 to 4294967295'],
    ['seed = -1', 'is not a hash seed'],
  ] as const) {
    const text = cip(line);
    throwsInput(parse(text), {
      file: F,
      line: lineOf(text, line),
      key: `clusterip.${line.split(' ')[0]}`,
      message,
    });
  }
});

values('two cluster sections with one address, two nodes with one host name', () => {
  const text = conf({
    extra:
      '[clusterip a]\naddress = 10.4.192.1\nmac = 01:00:5e:00:00:20\n\n[clusterip b]\naddress = 10.4.192.1\nmac = 01:00:5e:00:00:21\n',
  });
  throwsInput(parse(text), {
    file: F,
    line: lineOf(text, 'address = 10.4.192.1', lineOf(text, '[clusterip b]')),
    key: 'clusterip.b.address',
    message: 'is also the address of [clusterip a]',
  });
  const hosts = conf({ extra: '[node 1]\nhostname = n1\n\n[node 2]\nhostname = n1\n' });
  throwsInput(parse(hosts), {
    file: F,
    line: lineOf(hosts, 'hostname = n1', lineOf(hosts, '[node 2]')),
    key: 'node.2.hostname',
    message: "host name n1 is already node 1's",
  });
});

const structure = suite('reject: sections, keys and lines');

structure('an unknown section, with a "did you mean" suggestion', () => {
  const text = `${conf()}\n[nett]\n`;
  throwsInput(parse(text), {
    file: F,
    line: lineOf(text, '[nett]'),
    key: '[nett]',
    message: 'unknown section; did you mean [net]?',
  });
  const cluster = conf().replace('[cluster]', '[clusters]');
  throwsInput(parse(cluster), {
    file: F,
    line: 1,
    key: '[clusters]',
    message: 'did you mean [cluster]?',
  });
  const node = `${conf()}\n[nodes 4]\n`;
  throwsInput(parse(node), {
    file: F,
    line: lineOf(node, '[nodes 4]'),
    key: '[nodes 4]',
    message: 'did you mean [node N]?',
  });
  const word = `${conf()}\n[node four]\n`;
  throwsInput(parse(word), {
    file: F,
    line: lineOf(word, '[node four]'),
    key: '[node four]',
    message:
      'unknown section; allowed: [cluster], [net], [clusterip], [clusterip NAME], [cni], [node N]',
  });
});

structure('an unknown key, with a "did you mean" suggestion', () => {
  const text = conf({ net: { adress6: 'fd00::/64' } });
  throwsInput(parse(text), {
    file: F,
    line: lineOf(text, 'adress6'),
    key: 'net.adress6',
    message: 'unknown key; did you mean address6?',
  });
  const nodeKey = conf().replace('nodes = 1-16', 'node = 1-16');
  throwsInput(parse(nodeKey), {
    file: F,
    line: 2,
    key: 'cluster.node',
    message: 'did you mean nodes?',
  });
  const inNode = conf({ extra: '[node 4]\ndevcie = eth1\n' });
  throwsInput(parse(inNode), {
    file: F,
    line: lineOf(inNode, 'devcie'),
    key: 'node.4.devcie',
    message: 'did you mean device?',
  });
  const cip = conf({
    extra: '[clusterip]\naddress = 10.4.192.1\nmac = 01:00:5e:00:00:20\nhahs = sourceip\n',
  });
  throwsInput(parse(cip), {
    file: F,
    line: lineOf(cip, 'hahs'),
    key: 'clusterip.hahs',
    message: 'did you mean hash?',
  });
});

structure(
  'an unknown key far from every known one gets no suggestion, but the allowed list',
  () => {
    const text = conf({ net: { frobnicate: 'yes' } });
    const line = throwsInput(parse(text), {
      file: F,
      line: lineOf(text, 'frobnicate'),
      key: 'net.frobnicate',
      message: 'unknown key; allowed in [net]: enable, link, device',
    }).message;
    assert.not.match(line, /did you mean/);
  },
);

structure('a duplicate key is refused at its second line, naming the first', () => {
  const text = conf({ extra: '' }).replace('vlan = 7\n', 'vlan = 7\nvlan = 8\n');
  throwsInput(parse(text), {
    file: F,
    line: lineOf(text, 'vlan = 8'),
    key: 'net.vlan',
    message: `duplicate key (first at line ${lineOf(text, 'vlan = 7')})`,
  });
});

structure('a duplicate section is refused at its second header, naming the first', () => {
  const text = `${conf()}\n[net]\nmtu = 1500\n`;
  const second = lineOf(text, '[net]', lineOf(text, '[net]') + 1);
  throwsInput(parse(text), {
    file: F,
    line: second,
    key: '[net]',
    message: `duplicate section (first at line ${lineOf(text, '[net]')})`,
  });
  const nodes = `${conf()}\n[node 4]\n[node  4]\n`;
  throwsInput(parse(nodes), {
    file: F,
    line: lineOf(nodes, '[node  4]'),
    key: '[node 4]',
    message: 'duplicate section',
  });
});

structure('a key outside any section in a native file', () => {
  const text = `vlan = 7\n${conf()}`;
  throwsInput(parse(text), { file: F, line: 1, key: 'vlan', message: 'key outside any section' });
});

structure('a line that is neither a key = value nor a header; text after a header', () => {
  const text = conf().replace('vlan = 7', 'vlan 7');
  throwsInput(parse(text), {
    file: F,
    line: lineOf(text, 'vlan 7'),
    message: 'not a "key = value" line or a [section] header: "vlan 7"',
  });
  const header = conf().replace('[net]', '[net] extra');
  throwsInput(parse(header), {
    file: F,
    line: lineOf(header, '[net] extra'),
    key: '[net]',
    message: 'unexpected text after the section header: "extra"',
  });
  const eq = conf().replace('vlan = 7', '= 7');
  throwsInput(parse(eq), { file: F, line: lineOf(eq, '= 7'), message: 'not a "key = value" line' });
});

structure('missing sections and missing required keys', () => {
  throwsInput(parse('[cluster]\nnodes = 1-4\n'), {
    file: F,
    key: '[net]',
    message: 'missing section',
  });
  throwsInput(
    parse('[net]\ndevice = eth0\nvlan = 7\nmac = f0:00:00:00:07:00\naddress = 10.4.135.0/18\n'),
    { file: F, key: '[cluster]', message: 'missing section' },
  );
  const text = conf({ net: { device: undefined } });
  throwsInput(parse(text), {
    file: F,
    line: lineOf(text, '[net]'),
    key: 'net.device',
    message: 'missing; this key is required in [net]',
  });
  const cip = conf({ extra: '[clusterip]\naddress = 10.4.192.1\n' });
  throwsInput(parse(cip), {
    file: F,
    line: lineOf(cip, '[clusterip]'),
    key: 'clusterip.mac',
    message: 'missing',
  });
});

structure('every problem of a file is reported at once, in line order', () => {
  const text = conf({ net: { mac: 'f0:00', mtu: '10', interface: 'a/b' } });
  let error: InputError | undefined;
  try {
    parseConfig(text, F);
  } catch (e) {
    error = e as InputError;
  }
  assert.instance(error, InputError);
  assert.equal(
    error!.problems.map((p) => [p.line, p.key]),
    [
      [lineOf(text, 'interface ='), 'net.interface'],
      [lineOf(text, 'mac ='), 'net.mac'],
      [lineOf(text, 'mtu ='), 'net.mtu'],
    ],
  );
  assert.is(error!.message.split('\n').length, 3);
});

structure('an invalid VLAN id is reported once, as invalid, not also as missing', () => {
  const text = conf({ net: { vlan: '5000' } });
  const error = throwsInput(parse(text), {
    file: F,
    line: lineOf(text, 'vlan ='),
    key: 'net.vlan',
    message: '5000 is out of range',
  });
  assert.equal(
    error.problems.map((p) => p.message),
    ['5000 is out of range; allowed: 1 to 4094'],
  );
});

const legacy = suite('reject: legacy files name Kerrighed variables and their lines');

legacy('an unknown Kerrighed variable, with a "did you mean" suggestion', () => {
  const text = `${LEGACY_CONF}VLAN_ID=8\n`;
  throwsInput(parse(text), {
    file: F,
    line: lineOf(text, 'VLAN_ID'),
    key: 'VLAN_ID',
    message: 'unknown Kerrighed variable; did you mean VLANID?',
  });
});

legacy('bad legacy values are reported under the legacy name', () => {
  const cases: [string, string, string, string][] = [
    ['VLANID=7', 'VLANID=4095', 'VLANID', 'out of range; allowed: 1 to 4094'],
    ['VIRTMAC=f0:00:00:00:07:00', 'VIRTMAC=f1:00:00:00:07:00', 'VIRTMAC', 'multicast bit'],
    [
      'CLUSTERMAC=01:00:5E:00:00:20',
      'CLUSTERMAC=00:00:5E:00:00:20',
      'CLUSTERMAC',
      'is not a multicast MAC',
    ],
    ['PHYS=eth0', 'PHYS=eth0:1', 'PHYS', 'is not a valid interface name'],
    ['VIRT=krg0', 'VIRT=krg0-interface-x', 'VIRT', 'at most 15 bytes'],
    [
      'VIRTPREFIX=10.4.135.0/18',
      'VIRTPREFIX=10.4.135.0',
      'VIRTPREFIX',
      'is not an address with a prefix length',
    ],
  ];
  for (const [from, to, key, message] of cases) {
    const text = LEGACY_CONF.replace(from, to);
    throwsInput(parse(text), { file: F, line: lineOf(text, to), key, message });
  }
});

legacy('a duplicate legacy variable', () => {
  const text = `${LEGACY_CONF}PHYS=eth1\n`;
  throwsInput(parse(text), {
    file: F,
    line: lineOf(text, 'PHYS=eth1'),
    key: 'PHYS',
    message: `duplicate key (first at line ${lineOf(text, 'PHYS=eth0')})`,
  });
});

legacy('a duplicate legacy variable written once with export', () => {
  // `export PHYS=eth1` assigns PHYS as much as `PHYS=eth1` does: the second must not win silently.
  const text = `${LEGACY_CONF}export PHYS=eth1\n`;
  throwsInput(parse(text), {
    file: F,
    line: lineOf(text, 'export PHYS'),
    key: 'PHYS',
    message: 'duplicate key',
  });
});

nodes.run();
values.run();
structure.run();
legacy.run();
