// The [cni] section: what it reads (defaults included) and every way it is refused,
// located as `file:line: key: ` (lib/config/cni.ts).
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { parseConfig } from '../../lib/config/load.js';
import { lineOf } from '../helpers/fixtures.js';
import { throwsInput } from '../helpers/errors.js';
import { routedConf } from '../helpers/fixtures.js';

const F = 'net.conf';
const text = (cni: string, nodes = '1-4') => `[cluster]
nodes = ${nodes}
[net]
device = eth0
vlan = 7
mac = f0:00:00:00:07:00
address = 10.4.135.0/24
address6 = fd00:4::/64
[clusterip]
address = 10.4.192.1
mac = 01:00:5e:04:c0:01
[cni]
${cni}
`;

test('defaults: bridge cni0, network name clusternet, the Debian plugin folder, no MTU', () => {
  const c = parseConfig(text('network = 10.244.0.0/16\nnode-prefix = 24'), F);
  assert.equal(c.cni, {
    enable: true,
    name: 'clusternet',
    routed: false,
    network: { family: 4, address: '10.244.0.0', prefix: 16 },
    nodePrefix: 24,
    network6: undefined,
    nodePrefix6: undefined,
    bridge: 'cni0',
    delegate: 'bridge',
    master: undefined,
    mtu: undefined,
    binDir: '/usr/lib/cni',
    leaseDir: '/var/lib/cni/networks',
  });
  assert.is(
    parseConfig(text('network = 10.244.0.0/16\nnode-prefix = 24').replace(/\[cni\][^]*/, ''), F)
      .cni,
    undefined,
  );
});

test('enable = false requires nothing more', () => {
  assert.is(parseConfig(text('enable = false'), F).cni?.enable, false);
});

const refused = (
  cni: string,
  key: string,
  message: string | RegExp,
  nodes?: string,
  at?: string,
) => {
  const t = text(cni, nodes);
  throwsInput(() => parseConfig(t, F), {
    file: F,
    line: lineOf(t, at ?? (key.startsWith('[') ? key : `${key.split('.')[1]} =`)),
    key,
    message,
  });
};

test('a range too small for the node ids, and a node prefix not longer than the network', () => {
  refused(
    'network = 10.244.0.0/16\nnode-prefix = 20',
    'cni.node-prefix',
    '10.244.0.0/16 at /20 holds 16 node ranges (0 to 15); node 16 has none; allowed: a node prefix of at least /21',
    '1-16',
  );
  refused(
    'network = 10.244.0.0/24\nnode-prefix = 24',
    'cni.node-prefix',
    "is not longer than the network's /24",
  );
  refused(
    'network = 10.244.0.0/16\nnode-prefix = 24\nnetwork6 = fd05::/64\nnode-prefix6 = 66',
    'cni.node-prefix6',
    'holds 4 node ranges (0 to 3); node 4 has none; allowed: a node prefix of at least /67',
  );
  refused(
    'network = 10.244.0.0/16\nnode-prefix = 31',
    'cni.node-prefix',
    '31 is out of range; allowed: 2 to 30',
  );
});

test('network6 without node-prefix6, node-prefix6 alone; missing required keys', () => {
  refused(
    'network = 10.244.0.0/16\nnode-prefix = 24\nnetwork6 = fd05::/48',
    'cni.node-prefix6',
    'missing; network6 needs the per-node IPv6 prefix length',
    undefined,
    '[cni]',
  );
  refused(
    'network = 10.244.0.0/16\nnode-prefix = 24\nnode-prefix6 = 64',
    'cni.node-prefix6',
    'applies only with network6',
  );
  refused(
    'node-prefix = 24',
    'cni.network',
    'missing; this key is required in [cni]',
    undefined,
    '[cni]',
  );
});

test('overlaps: with the node network, with a cluster address', () => {
  refused(
    'network = 10.4.0.0/16\nnode-prefix = 24',
    'cni.network',
    '10.4.0.0/16 overlaps the node network 10.4.135.0/24',
  );
  refused(
    'network = 10.4.192.0/20\nnode-prefix = 26',
    'cni.network',
    'holds the cluster address 10.4.192.1',
  );
  refused(
    'network = 10.244.0.0/16\nnode-prefix = 24\nnetwork6 = fd00::/16\nnode-prefix6 = 64',
    'cni.network6',
    'overlaps the node network fd00:4::/64',
  );
});

test('delegates: vlan refused (one container per node), master only for macvlan; ipvlan refused (no ipvlan in this kernel), a bridge of its own', () => {
  refused(
    'network = 10.244.0.0/16\nnode-prefix = 24\ndelegate = vlan',
    'cni.delegate',
    'allowed: bridge, macvlan',
  );
  refused(
    'network = 10.244.0.0/16\nnode-prefix = 24\nmaster = eth1',
    'cni.master',
    'applies only to delegate = macvlan',
  );
  refused(
    'network = 10.244.0.0/16\nnode-prefix = 24\nbridge = krg0',
    'cni.bridge',
    "krg0 is also the cluster's net.interface",
  );
  refused(
    'network = 10.244.0.0/16\nnode-prefix = 24\nname = a/b',
    'cni.name',
    'is not a CNI network name',
  );
  refused(
    'network = 10.244.0.0/16\nnode-prefix = 24\nbin-dir = usr/lib/cni',
    'cni.bin-dir',
    'is not an absolute folder path',
  );
  refused(
    'network = 10.244.0.0/16\nnode-prefix = 24\nlease-dir = /var/../tmp',
    'cni.lease-dir',
    'is not an absolute folder path',
  );
  refused(
    'network = 10.244.0.0/16\nnode-prefix = 24\nnetwrok = 1',
    'cni.netwrok',
    'did you mean network?',
  );
});

test("routing = per-node: network, prefixes and bridge are the routed segment's; the same values written are accepted, others refused", () => {
  const routed = (cni: string) => `${routedConf()}\n[cni]\n${cni}\n`;
  const c = parseConfig(routed(''), F).cni!;
  assert.equal(
    [c.routed, c.network, c.nodePrefix, c.network6, c.nodePrefix6, c.bridge],
    [
      true,
      { family: 4, address: '10.5.0.0', prefix: 16 },
      24,
      { family: 6, address: 'fd05::', prefix: 48 },
      64,
      'cnbr0',
    ],
  );
  assert.equal(
    parseConfig(routed('network = 10.5.0.0/16\nnode-prefix = 24\nbridge = cnbr0'), F).cni,
    c,
  );
  const refusedRouted = (cni: string, key: string, message: string | RegExp) => {
    const t = routed(cni);
    throwsInput(() => parseConfig(t, F), {
      file: F,
      line: t.split('\n').lastIndexOf(cni) + 1,
      key,
      message,
    });
  };
  refusedRouted(
    'network = 10.60.0.0/16',
    'cni.network',
    /10\.60\.0\.0\/16 differs from the routed segment's 10\.5\.0\.0\/16: with \[net\] routing = per-node .*net\.address\); allowed: remove network/,
  );
  refusedRouted('node-prefix6 = 80', 'cni.node-prefix6', "differs from the routed segment's 64");
  refusedRouted('bridge = cni0', 'cni.bridge', "cni0 differs from the routed segment's cnbr0");
  refusedRouted(
    'delegate = macvlan',
    'cni.delegate',
    "the node's subnet lives on its bridge; allowed: bridge",
  );
});

test.run();
