// A legacy net.conf means what it meant to Kerrighed. The expected values of this table
// come from Kerrighed's own hooks (kerrighed-tools, branch upstream/xos), not from our
// code; every one of them is also computed by those hooks' own shell lines (below, run
// with /bin/sh on the same file) so the table cannot drift from them:
//
//   tools-host/krgboot_helper-post.d/50net.in (boot-post, on the host):
//     [ "$NETCONF_ENABLE" = true ] || exit 0
//     mac=${VIRTMAC%:*}:$(printf %02x $node_id)
//     $IP link add link $PHYS address $mac $VIRT type vlan id $VLANID
//   tools/krginit_helper-pre.d/10net.in (init-pre, in the container):
//     [ "$NETCONF_ENABLE" = true ] || exit 0
//     # Substitude last byte of VIRTPREFIX while keeping mask length
//     addr=${VIRTPREFIX%.*}.$node_id/${VIRTPREFIX#*/}
//     $IP addr add $addr dev $ifname
//   tools/krginit_helper-post.d/20clusterip.in (init-post, in the container):
//     [ "$CLUSTERADDR_ENABLE" = true ] || exit 0
//     addr=${CLUSTERADDR%/*}
//     NR_NODES=16
//     $IPTABLES -I INPUT -i $VIRT -d $addr -j CLUSTERIP --new --total-nodes $NR_NODES --local-node $node_id ...
//     $IP addr add $CLUSTERADDR dev $VIRT
//
// Where those lines give something undefined or broken (node 0: the template itself;
// node 256: `printf %02x 256` makes a 7-byte MAC; a VIRTPREFIX without "/len"; an id the
// prefix has no room for), clusternet refuses with `file:line: key:`.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { execFileSync } from 'node:child_process';
import { toNative } from '../../lib/config/convert.js';
import { parseConfig } from '../../lib/config/load.js';
import type { Config } from '../../lib/config/types.js';
import { checkNodeId } from '../../lib/derive/node-id.js';
import { deriveAll, deriveNode } from '../../lib/derive/node.js';
import { buildPlan } from '../../lib/plan/phases.js';
import { lineOf } from '../helpers/fixtures.js';
import { throwsInput } from '../helpers/errors.js';
import { TempDir } from '../helpers/temp.js';
import { CURRENT_NS } from '../../lib/system/ns.js';

/** Kerrighed's shipped tools/net.conf (upstream/xos), with NETCONF_ENABLE and CLUSTERADDR_ENABLE on. */
const BASE: Record<string, string> = {
  NETCONF_ENABLE: 'true',
  PHYS: 'eth0',
  VIRT: 'krg0',
  VLANID: '7',
  VIRTMAC: 'f0:00:00:00:07:00',
  VIRTPREFIX: '10.4.135.0/18',
  CLUSTERADDR_ENABLE: 'true',
  CLUSTERADDR: '10.4.199.1/18',
  CLUSTERMAC: '01:00:00:00:07:00',
};

/** A legacy file: BASE with some variables changed or (undefined) left out. */
function legacy(change: Record<string, string | undefined> = {}): string {
  const vars = { ...BASE, ...change };
  return `${Object.entries(vars)
    .filter(([, v]) => v !== undefined)
    .map(([k, v]) => `${k}=${v}`)
    .join('\n')}\n`;
}

/** What a node ends up with, in the terms of Kerrighed's three hooks. */
interface Outcome {
  /** boot-post: the link made on PHYS (lower, name, MAC, VLAN id), or none. */
  link: string | null;
  /** init-pre: the node's address on the link, or none. */
  address: string | null;
  /** init-post: the cluster address as installed, and the device it goes on, or none. */
  cluster: string | null;
}

/** clusternet's plan for `node`, read back as an Outcome. */
function ours(config: Config, node: number): Outcome {
  const v = deriveNode(config, node);
  const ctx = { host: CURRENT_NS, container: { kind: 'pid' as const, pid: 1 } };
  const link = buildPlan('boot-post', v, ctx).ops.find((op) => op.op === 'link-create');
  const address = buildPlan('init-pre', v, ctx).ops.find((op) => op.op === 'addr-add');
  const cluster = buildPlan('init-post', v, ctx).ops.find((op) => op.op === 'addr-add');
  return {
    link:
      link?.op === 'link-create'
        ? `${link.lower} ${link.name} ${link.mac} ${link.link.kind === 'vlan' ? link.link.id : null}`
        : null,
    address: address?.op === 'addr-add' ? `${address.address} dev ${address.dev}` : null,
    cluster: cluster?.op === 'addr-add' ? `${cluster.address} dev ${cluster.dev}` : null,
  };
}

/**
 * The same Outcome computed by Kerrighed's own lines (quoted above), sourced by /bin/sh as
 * its hooks did. `ip addr add` of a bare address installs a /32: that is the one step
 * added here.
 */
const tmp = new TempDir();

function kerrighed(text: string, node: number): Outcome {
  const file = tmp.write('net.conf', text);
  const script = [
    'node_id=$2',
    '. "$1"',
    'if [ "$NETCONF_ENABLE" = true ]; then',
    '  mac=${VIRTMAC%:*}:$(printf %02x $node_id)',
    '  echo "link=$PHYS $VIRT $mac $VLANID"',
    '  addr=${VIRTPREFIX%.*}.$node_id/${VIRTPREFIX#*/}',
    '  echo "address=$addr dev $VIRT"',
    'fi',
    'if [ "$CLUSTERADDR_ENABLE" = true ]; then',
    '  case $CLUSTERADDR in */*) a=$CLUSTERADDR ;; *) a=$CLUSTERADDR/32 ;; esac',
    '  echo "cluster=$a dev $VIRT"',
    'fi',
  ].join('\n');
  const out = execFileSync('sh', ['-c', script, 'sh', file, String(node)], { encoding: 'utf8' });
  const got = Object.fromEntries(
    out
      .trim()
      .split('\n')
      .filter(Boolean)
      .map((l) => [l.slice(0, l.indexOf('=')), l.slice(l.indexOf('=') + 1)]),
  );
  return {
    link: got.link?.toLowerCase() ?? null,
    address: got.address ?? null,
    cluster: got.cluster ?? null,
  };
}

interface Row {
  what: string;
  file: string;
  node: number;
  want: Outcome;
}

const LINK4 = 'eth0 krg0 f0:00:00:00:07:04 7';
const ADDR4 = '10.4.135.4/18 dev krg0';
const CLUSTER = '10.4.199.1/18 dev krg0';

const TABLE: Row[] = [
  // 1. Templates: the id replaces the last byte / octet (clusternet used to add it).
  {
    what: 'template ending in :10 / .100 is replaced, not added to',
    file: legacy({ VIRTMAC: '02:16:3e:00:2a:10', VIRTPREFIX: '192.168.50.100/24' }),
    node: 4,
    want: {
      link: 'eth0 krg0 02:16:3e:00:2a:04 7',
      address: '192.168.50.4/24 dev krg0',
      cluster: CLUSTER,
    },
  },
  {
    what: 'template ending in :00 / .0: replace and add agree',
    file: legacy(),
    node: 4,
    want: { link: LINK4, address: ADDR4, cluster: CLUSTER },
  },
  {
    what: 'node 16 gets :10 and .16 (printf %02x, decimal octet)',
    file: legacy(),
    node: 16,
    want: {
      link: 'eth0 krg0 f0:00:00:00:07:10 7',
      address: '10.4.135.16/18 dev krg0',
      cluster: CLUSTER,
    },
  },
  {
    what: 'upper-case template: the same MAC',
    file: legacy({ VIRTMAC: 'F0:00:00:00:07:FF' }),
    node: 4,
    want: { link: LINK4, address: ADDR4, cluster: CLUSTER },
  },
  // 2. Switches: only the word true turns a hook on.
  ...['yes', '1', 'on', 'True', 'TRUE', 'false', ''].map((value): Row => ({
    what: `NETCONF_ENABLE=${value} is off`,
    file: legacy({ NETCONF_ENABLE: value }),
    node: 4,
    want: { link: null, address: null, cluster: CLUSTER },
  })),
  {
    what: 'NETCONF_ENABLE missing is off',
    file: legacy({ NETCONF_ENABLE: undefined }),
    node: 4,
    want: { link: null, address: null, cluster: CLUSTER },
  },
  {
    what: 'NETCONF_ENABLE="true" (quoted) is on',
    file: legacy({ NETCONF_ENABLE: '"true"' }),
    node: 4,
    want: { link: LINK4, address: ADDR4, cluster: CLUSTER },
  },
  ...['yes', '1', 'on', 'True', 'false'].map((value): Row => ({
    what: `CLUSTERADDR_ENABLE=${value} is off`,
    file: legacy({ CLUSTERADDR_ENABLE: value }),
    node: 4,
    want: { link: LINK4, address: ADDR4, cluster: null },
  })),
  {
    what: 'CLUSTERADDR_ENABLE missing is off',
    file: legacy({ CLUSTERADDR_ENABLE: undefined }),
    node: 4,
    want: { link: LINK4, address: ADDR4, cluster: null },
  },
  {
    what: 'both missing: nothing at all',
    file: legacy({ NETCONF_ENABLE: undefined, CLUSTERADDR_ENABLE: undefined }),
    node: 4,
    want: { link: null, address: null, cluster: null },
  },
  // 3. The cluster address does not depend on the node network.
  {
    what: 'NETCONF_ENABLE=false, CLUSTERADDR_ENABLE=true: the cluster address alone, on $VIRT',
    file: legacy({ NETCONF_ENABLE: 'false' }),
    node: 4,
    want: { link: null, address: null, cluster: CLUSTER },
  },
  {
    what: 'node network off: its keys may be left out',
    file: legacy({
      NETCONF_ENABLE: 'false',
      PHYS: undefined,
      VLANID: undefined,
      VIRTMAC: undefined,
      VIRTPREFIX: undefined,
    }),
    node: 4,
    want: { link: null, address: null, cluster: CLUSTER },
  },
  // 4. The prefix of CLUSTERADDR is kept; a bare address is a /32.
  {
    what: 'CLUSTERADDR with /18 is installed as /18',
    file: legacy({ CLUSTERADDR: '10.4.199.1/18' }),
    node: 2,
    want: {
      link: 'eth0 krg0 f0:00:00:00:07:02 7',
      address: '10.4.135.2/18 dev krg0',
      cluster: '10.4.199.1/18 dev krg0',
    },
  },
  {
    what: 'a bare CLUSTERADDR is installed as /32',
    file: legacy({ CLUSTERADDR: '10.4.199.1' }),
    node: 2,
    want: {
      link: 'eth0 krg0 f0:00:00:00:07:02 7',
      address: '10.4.135.2/18 dev krg0',
      cluster: '10.4.199.1/32 dev krg0',
    },
  },
  // Kerrighed's shipped file as it is: cluster address off.
  {
    what: 'the shipped tools/net.conf (CLUSTERADDR_ENABLE=false)',
    file: legacy({ CLUSTERADDR_ENABLE: 'false' }),
    node: 7,
    want: {
      link: 'eth0 krg0 f0:00:00:00:07:07 7',
      address: '10.4.135.7/18 dev krg0',
      cluster: null,
    },
  },
];

const table = suite("kerrighed: a legacy file gives what Kerrighed's hooks gave");

for (const row of TABLE) {
  table(`${row.what} (node ${row.node})`, () => {
    assert.equal(kerrighed(row.file, row.node), row.want, "Kerrighed's own lines");
    const config = parseConfig(row.file, 'net.conf');
    assert.equal(ours(config, row.node), row.want, 'clusternet');
    // convert carries the meaning: the native file gives every node the same.
    const native = parseConfig(toNative(config), 'converted.conf');
    assert.is(native.format, 'native');
    assert.equal(ours(native, row.node), row.want, 'clusternet, after convert');
    assert.equal(deriveAll(native), deriveAll(config), 'every node, after convert');
  });
}

const refused = suite(
  "kerrighed: where Kerrighed's lines were undefined or broken, a clear refusal",
);

refused('node 0: Kerrighed gave it the template itself; not a cluster node', () => {
  const file = legacy();
  assert.equal(kerrighed(file, 0).link, 'eth0 krg0 f0:00:00:00:07:00 7', 'the template itself');
  throwsInput(() => checkNodeId(parseConfig(file, 'net.conf'), '0', '/sys/kerrighed/node_id'), {
    file: 'net.conf',
    key: 'cluster.nodes',
    message:
      'node 0 (from /sys/kerrighed/node_id) is not in the cluster; allowed: 1-16 (implied by the legacy Kerrighed format',
  });
});

refused('node 256: printf %02x makes a 7-byte MAC; template = replace holds ids 1 to 255', () => {
  assert.is(kerrighed(legacy(), 256).link, 'eth0 krg0 f0:00:00:00:07:100 7', 'not a MAC');
  const text = `[cluster]\nnodes = 1-300\n\n[net]\ntemplate = replace\nlink = macvlan\ndevice = eth0\nmac = 02:00:00:00:00:00\naddress = 10.4.0.0/16\n`;
  throwsInput(() => deriveNode(parseConfig(text, 'net.conf'), 256), {
    file: 'net.conf',
    line: lineOf(text, 'mac ='),
    key: 'net.mac',
    message:
      'node 256: template = replace puts the node id in the last byte of the MAC, which holds 1 to 255',
  });
  throwsInput(() => deriveNode(parseConfig(text, 'net.conf'), 256), {
    file: 'net.conf',
    line: lineOf(text, 'address ='),
    key: 'net.address',
    message: 'node 256: template = replace',
  });
});

refused('a VIRTPREFIX without /len: Kerrighed made "10.4.135.4/10.4.135.0"', () => {
  const file = legacy({ VIRTPREFIX: '10.4.135.0' });
  assert.is(kerrighed(file, 4).address, '10.4.135.4/10.4.135.0 dev krg0');
  throwsInput(() => parseConfig(file, 'net.conf'), {
    file: 'net.conf',
    line: lineOf(file, 'VIRTPREFIX='),
    key: 'VIRTPREFIX',
    message: 'is not an address with a prefix length',
  });
});

refused('an id past the prefix: 10.4.135.4 is not in 10.4.135.0/30', () => {
  const file = legacy({ VIRTPREFIX: '10.4.135.0/30' });
  assert.is(
    kerrighed(file, 4).address,
    '10.4.135.4/30 dev krg0',
    'outside the subnet the file names',
  );
  throwsInput(() => deriveAll(parseConfig(file, 'net.conf')), {
    file: 'net.conf',
    line: lineOf(file, 'VIRTPREFIX='),
    key: 'VIRTPREFIX',
    message: 'node 4: 10.4.135.4 is outside 10.4.135.0/30',
  });
});

refused('an id that lands on the broadcast address of the prefix', () => {
  const file = legacy({ VIRTPREFIX: '10.4.135.0/28' });
  throwsInput(() => deriveAll(parseConfig(file, 'net.conf')), {
    file: 'net.conf',
    line: lineOf(file, 'VIRTPREFIX='),
    key: 'VIRTPREFIX',
    message: 'node 15: 10.4.135.15 is the broadcast address of 10.4.135.0/28',
  });
});

refused('VIRT missing while a hook is on: Kerrighed ran `ip addr add … dev` with no device', () => {
  throwsInput(() => parseConfig(legacy({ VIRT: undefined }), 'net.conf'), {
    file: 'net.conf',
    key: 'VIRT',
    message: 'missing',
  });
  // Both switches off: nothing uses it, nothing to refuse.
  assert.is(
    parseConfig(
      legacy({ VIRT: undefined, NETCONF_ENABLE: 'false', CLUSTERADDR_ENABLE: 'false' }),
      'net.conf',
    ).net.enable,
    false,
  );
});

refused(
  'a CLUSTERADDR network that overlaps VIRTPREFIX ("The IP network must differ from $VIRTPREFIX")',
  () => {
    const file = legacy({ CLUSTERADDR: '10.4.135.200/18' });
    throwsInput(() => parseConfig(file, 'net.conf'), {
      file: 'net.conf',
      line: lineOf(file, 'CLUSTERADDR='),
      key: 'CLUSTERADDR',
      message: '10.4.135.200/18 overlaps the node network 10.4.135.0/18',
    });
  },
);

const native = suite('kerrighed: the native format says the same');

native('template = add (the native default) still adds the id', () => {
  const text = `[cluster]\nnodes = 1-8\n\n[net]\nlink = vlan\nvlan = 7\ndevice = eth0\nmac = 02:16:3e:00:2a:10\naddress = 192.168.50.100/24\n`;
  const v = deriveNode(parseConfig(text, 'net.conf'), 4);
  assert.equal([v.mac, v.address], ['02:16:3e:00:2a:14', '192.168.50.104/24']);
  const replaced = deriveNode(
    parseConfig(text.replace('[net]\n', '[net]\ntemplate = replace\n'), 'net.conf'),
    4,
  );
  assert.equal([replaced.mac, replaced.address], ['02:16:3e:00:2a:04', '192.168.50.4/24']);
});

native('[clusterip] address = A/len keeps the prefix; a bare address is /32', () => {
  const base = `[cluster]\nnodes = 1-4\n\n[net]\nlink = macvlan\ndevice = eth0\nmac = 02:00:00:00:00:00\naddress = 10.4.135.0/24\n\n[clusterip]\nmac = 01:00:5e:00:00:20\n`;
  const withPrefix = parseConfig(`${base}address = 10.4.199.1/18\n`, 'net.conf');
  assert.equal(
    [withPrefix.clusterIps[0]!.address, withPrefix.clusterIps[0]!.prefix],
    ['10.4.199.1', 18],
  );
  assert.is(ours(withPrefix, 1).cluster, '10.4.199.1/18 dev krg0');
  assert.is(
    ours(parseConfig(`${base}address = 10.4.199.1\n`, 'net.conf'), 1).cluster,
    '10.4.199.1/32 dev krg0',
  );
  const text = `${base}address = 10.4.199.1/33\n`;
  throwsInput(() => parseConfig(text, 'net.conf'), {
    file: 'net.conf',
    line: lineOf(text, 'address = 10.4.199'),
    key: 'clusterip.address',
    message: 'allowed: an address alone, or with /1 to /32',
  });
});

native('a section with enable = false needs no other key', () => {
  const text = `[cluster]\nnodes = 1-4\n\n[net]\nenable = false\n\n[clusterip]\nenable = false\n\n[clusterip web]\nenable = false\n`;
  const c = parseConfig(text, 'net.conf');
  assert.equal([c.net.enable, c.clusterIps.map((x) => x.enable)], [false, [false, false]]);
  for (const phase of ['boot-pre', 'boot-post', 'init-pre', 'init-post', 'stop'] as const) {
    assert.equal(
      buildPlan(phase, deriveNode(c, 2), { host: CURRENT_NS, container: CURRENT_NS }).ops,
      [],
      phase,
    );
  }
  // Enabled, the same keys are required again.
  const on = text.replace('[clusterip]\nenable = false', '[clusterip]\nenable = true');
  throwsInput(() => parseConfig(on, 'net.conf'), {
    file: 'net.conf',
    line: lineOf(on, '[clusterip]'),
    key: 'clusterip.address',
    message: 'missing; this key is required in [clusterip]',
  });
});

native.after(() => tmp.remove());

table.run();
refused.run();
native.run();
