// The built command, run as a process: exit codes (0 ok, 1 failed while applying, 2 bad
// input or usage), stdout and stderr. Nothing here reaches the kernel: the commands are
// offline (validate, show, plan, convert) or refused before any state is read.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { readFileSync } from 'node:fs';
import { parseConfig } from '../../lib/config/load.js';
import { CLI, EXAMPLE_CONF, buildOnce, cli, show } from '../helpers/cli.js';
import { LEGACY_CONF, LEGACY_AS_NATIVE, lineOf } from '../helpers/fixtures.js';
import { TempDir } from '../helpers/temp.js';
import { RecordStore } from '../../lib/apply/record.js';
import type { Op } from '../../lib/plan/ops.js';
import { CURRENT_NS } from '../../lib/system/ns.js';

let tmp: TempDir;
let made: TempDir | undefined;
const EXAMPLE = readFileSync(EXAMPLE_CONF, 'utf8');
const C = ['--config', EXAMPLE_CONF];

const setup = (s: ReturnType<typeof suite>) => {
  s.before(() => {
    buildOnce();
    tmp = made = new TempDir('clusternet-cli-');
  });
  s.after(() => {
    made?.remove();
    made = undefined;
  });
};

const validate = suite('cli: validate');
setup(validate);

validate('the example net.conf is valid: exit 0, a one-line summary', () => {
  const r = cli(['validate', ...C]);
  assert.is(r.code, 0, show(r));
  assert.is(
    r.stdout,
    `${EXAMPLE_CONF}: ok (native format): 16 nodes (1-16), link vlan, 1 cluster address\n`,
  );
  assert.is(r.stderr, '');
});

validate('a broken copy: exit 2, `file:line: key:` on stderr, nothing on stdout', () => {
  const broken = EXAMPLE.replace('mac = f0:00:00:00:07:00', 'mac = f1:00:00:00:07:00');
  const path = tmp.write('broken.conf', broken);
  const r = cli(['validate', '--config', path]);
  assert.is(r.code, 2, show(r));
  assert.is(r.stdout, '');
  assert.is(
    r.stderr,
    `clusternet: ${path}:${lineOf(broken, 'mac = f1:')}: net.mac: f1:00:00:00:07:00 has the multicast bit set; node MACs must be unicast (first byte even)\n`,
  );
});

validate('several problems are all listed, one per line, in line order', () => {
  const broken = EXAMPLE.replace('device = eth0', 'device = eth0:1')
    .replace('mtu = auto', 'mtu = 10')
    .replace('[clusterip]', '[clusterips]');
  const path = tmp.write('many.conf', broken);
  const r = cli(['validate', '--config', path]);
  assert.is(r.code, 2, show(r));
  const lines = r.stderr.trimEnd().split('\n');
  assert.is(lines.length, 3, r.stderr);
  assert.match(
    lines[0]!,
    new RegExp(`^clusternet: ${path}:${lineOf(broken, 'device = eth0:1')}: net.device: `),
  );
  assert.match(lines[1]!, new RegExp(`^${path}:${lineOf(broken, 'mtu = 10')}: net.mtu: `));
  assert.match(
    lines[2]!,
    new RegExp(
      `^${path}:${lineOf(broken, '[clusterips]')}: \\[clusterips\\]: unknown section; did you mean \\[clusterip\\]\\?`,
    ),
  );
});

validate('problems of derived nodes: a /24 too small for its nodes', () => {
  const text = EXAMPLE.replace('nodes = 1-16', 'nodes = 250-256').replace(
    'address = 10.4.135.0/18',
    'address = 10.4.135.0/24',
  );
  const path = tmp.write('small.conf', text);
  const r = cli(['validate', '--config', path]);
  assert.is(r.code, 2, show(r));
  const line = lineOf(text, 'address = 10.4.135.0/24');
  assert.ok(
    r.stderr.includes(
      `${path}:${line}: net.address: node 255: 10.4.135.255 is the broadcast address of 10.4.135.0/24`,
    ),
    r.stderr,
  );
  assert.ok(
    r.stderr.includes(
      `${path}:${line}: net.address: node 256: 10.4.135.0 + 256 is past the end of 10.4.135.0/24`,
    ),
    r.stderr,
  );
});

validate('a legacy file validates as legacy', () => {
  const path = tmp.write('legacy.conf', LEGACY_CONF);
  const r = cli(['validate', '--config', path]);
  assert.is(r.code, 0, show(r));
  assert.is(
    r.stdout,
    `${path}: ok (legacy format): 16 nodes (1-16), link vlan, 1 cluster address\n`,
  );
});

validate('a group-writable config is refused (exit 2)', () => {
  const path = tmp.write('loose.conf', EXAMPLE, 0o664);
  const r = cli(['validate', '--config', path]);
  assert.is(r.code, 2, show(r));
  assert.is(
    r.stderr,
    `clusternet: ${path}: the config file has mode 0664: it is writable by group or others; allowed: not group/world-writable (e.g. chmod 0644)\n`,
  );
});

validate('a missing config file (exit 2)', () => {
  const r = cli(['validate', '--config', tmp.path('none.conf')]);
  assert.is(r.code, 2, show(r));
  assert.is(
    r.stderr,
    `clusternet: ${tmp.path('none.conf')}: cannot read the config file (ENOENT)\n`,
  );
});

const where = suite('cli: which config');
setup(where);

where('CLUSTERNET_CONFIG is read when there is no --config', () => {
  const path = tmp.write('env.conf', EXAMPLE);
  const r = cli(['validate'], { env: { CLUSTERNET_CONFIG: path } });
  assert.is(r.code, 0, show(r));
  assert.ok(r.stdout.startsWith(`${path}: ok`), r.stdout);
});

where('--config beats CLUSTERNET_CONFIG (both ways round)', () => {
  const good = tmp.write('good.conf', EXAMPLE);
  const bad = tmp.write('bad.conf', EXAMPLE.replace('vlan = 7', 'vlan = 0'));
  const r1 = cli(['validate', '--config', good], { env: { CLUSTERNET_CONFIG: bad } });
  assert.is(r1.code, 0, show(r1));
  assert.ok(r1.stdout.startsWith(`${good}: ok`), r1.stdout);
  const r2 = cli(['validate', '-c', bad], { env: { CLUSTERNET_CONFIG: good } });
  assert.is(r2.code, 2, show(r2));
  assert.ok(r2.stderr.includes(`${bad}:`), r2.stderr);
});

where('neither: /etc/net.conf', () => {
  const r = cli(['validate']);
  assert.ok(`${r.stdout}${r.stderr}`.includes('/etc/net.conf'), show(r));
});

const showCmd = suite('cli: show');
setup(showCmd);

showCmd('show --node 4: one line per value', () => {
  const r = cli(['show', '--node', '4', ...C]);
  assert.is(r.code, 0, show(r));
  const rows = Object.fromEntries(
    r.stdout
      .trimEnd()
      .split('\n')
      .map((l) => [l.split(/\s+/)[0], l.replace(/^\S+\s+/, '')]),
  );
  assert.equal(
    {
      node: rows.node,
      link: rows.link,
      device: rows.device,
      interface: rows.interface,
      vlan: rows.vlan,
      mac: rows.mac,
      address: rows.address,
      address6: rows.address6,
    },
    {
      node: '4 (from --node)',
      link: 'vlan',
      device: 'eth0',
      interface: 'krg0',
      vlan: '7',
      mac: 'f0:00:00:00:07:04',
      address: '10.4.135.4/18',
      address6: '-',
    },
  );
  assert.match(rows.mtu!, /^auto \(eth0's MTU − 4\)$/);
  assert.match(
    r.stdout,
    /^clusterip\s+10\.4\.192\.1\/32 mac 01:00:5e:04:c0:01 hash sourceip backend auto seed 0x4b52470c$/m,
  );
});

showCmd('show --node 4 --json: plain data with the derived values', () => {
  const r = cli(['show', '--node', '4', '--json', ...C]);
  assert.is(r.code, 0, show(r));
  const data = JSON.parse(r.stdout) as Record<string, unknown>;
  for (const key of ['node', 'link', 'device', 'interface', 'vlan', 'mac', 'address', 'mtu'])
    assert.ok(key in data, `key ${key}`);
  assert.equal(
    {
      node: data.node,
      link: data.link,
      device: data.device,
      interface: data.interface,
      vlan: data.vlan,
      mac: data.mac,
      address: data.address,
      mtu: data.mtu,
      source: data.source,
    },
    {
      node: 4,
      link: 'vlan',
      device: 'eth0',
      interface: 'krg0',
      vlan: 7,
      mac: 'f0:00:00:00:07:04',
      address: '10.4.135.4/18',
      mtu: 'auto',
      source: '--node',
    },
  );
  // What this node would run on: probed on this kernel (cluster-match here; the choice and
  // its reason are the phase's own, clusterip/choose.ts), or "not probed" without root.
  const clusterips = data.clusterips as Record<string, unknown>[];
  assert.match(
    String(clusterips[0]?.backendHere),
    /^(cluster-match \(auto; the first choice\)|nft \(auto; not cluster-match: .+\)|clusterip \(auto; .+\)|auto \(not probed: run as root.*\))$/,
  );
  delete clusterips[0]!.backendHere;
  assert.equal(clusterips, [
    {
      name: '',
      address: '10.4.192.1',
      prefix: 32,
      mac: '01:00:5e:04:c0:01',
      hash: 'sourceip',
      backend: 'auto',
      seed: 0x4b52470c,
      buckets: 'rank',
    },
  ]);
});

showCmd('CLUSTERNET_NODE_ID gives the node when there is no --node; --node wins', () => {
  const r = cli(['show', '--json', ...C], { env: { CLUSTERNET_NODE_ID: '9' } });
  assert.is(r.code, 0, show(r));
  assert.equal([JSON.parse(r.stdout).node, JSON.parse(r.stdout).source], [9, 'CLUSTERNET_NODE_ID']);
  const both = cli(['show', '--json', '-n', '3', ...C], { env: { CLUSTERNET_NODE_ID: '9' } });
  assert.is(JSON.parse(both.stdout).node, 3);
});

showCmd('show --all: a table with a row for every node', () => {
  const r = cli(['show', '--all', ...C]);
  assert.is(r.code, 0, show(r));
  const lines = r.stdout.trimEnd().split('\n');
  assert.equal(lines[0]!.split(/\s+/), [
    'node',
    'device',
    'interface',
    'vlan',
    'mac',
    'address',
    'mtu',
  ]);
  assert.is(lines.length, 17);
  for (let id = 1; id <= 16; id++) {
    const hex = id.toString(16).padStart(2, '0');
    assert.equal(lines[id]!.split(/\s+/), [
      String(id),
      'eth0',
      'krg0',
      '7',
      `f0:00:00:00:07:${hex}`,
      `10.4.135.${id}/18`,
      'auto',
    ]);
  }
});

showCmd('show --all --json: an array of every node', () => {
  const r = cli(['show', '--all', '--json', ...C]);
  assert.is(r.code, 0, show(r));
  const nodes = JSON.parse(r.stdout) as { node: number; address: string }[];
  assert.equal(
    nodes.map((n) => n.node),
    Array.from({ length: 16 }, (_, i) => i + 1),
  );
  assert.is(nodes[15]!.address, '10.4.135.16/18');
});

showCmd('a node outside the cluster, node 0, a word: exit 2', () => {
  for (const [node, text] of [
    [
      '17',
      `${EXAMPLE_CONF}:${lineOf(EXAMPLE, 'nodes = 1-16')}: cluster.nodes: node 17 (from --node) is not in the cluster; allowed: 1-16`,
    ],
    ['0', 'node 0 (from --node) is not in the cluster'],
    ['four', '--node: "four" is not a node id'],
  ]) {
    const r = cli(['show', '--node', node!, ...C]);
    assert.is(r.code, 2, show(r));
    assert.is(r.stdout, '');
    assert.ok(r.stderr.includes(text!), r.stderr);
  }
});

showCmd('no node id from anywhere: exit 2, and the sources are named', () => {
  const r = cli(['show', ...C]);
  if (r.code === 0) {
    // This machine may say which node it is (clusternet.node= on its kernel command line).
    assert.match(r.stdout, /^node\s+\d+ \(from /);
  } else {
    assert.is(r.code, 2, show(r));
    assert.match(r.stderr, /node id: unknown: give --node N, set CLUSTERNET_NODE_ID/);
  }
});

const plan = suite('cli: plan');
setup(plan);

plan('plan boot-post --node 4 --netns X: the commands, prefixed by where they run', () => {
  const r = cli(['plan', 'boot-post', '--node', '4', '--netns', 'X', ...C]);
  assert.is(r.code, 0, show(r));
  assert.is(
    r.stdout,
    [
      '# boot-post for node 4',
      'ip link add link eth0 name cnt4 netns X address f0:00:00:00:07:04 mtu auto type vlan id 7',
      '[netns X] ip link set dev cnt4 name krg0 alias clusternet',
      '',
    ].join('\n'),
  );
});

plan('plan boot-post --pid: the link goes to the process’s namespace', () => {
  const r = cli(['plan', 'boot-post', '--node', '2', '--pid', '4242', ...C]);
  assert.is(r.code, 0, show(r));
  assert.ok(
    r.stdout.includes(
      'ip link add link eth0 name cnt2 netns 4242 address f0:00:00:00:07:02 mtu auto type vlan id 7\n[pid 4242] ip link set dev cnt2 name krg0 alias clusternet',
    ),
    r.stdout,
  );
});

plan('plan boot-pre, init-pre, init-post, stop for node 4', () => {
  const out = (phase: string, ...more: string[]) => {
    const r = cli(['plan', phase, '--node', '4', ...more, ...C]);
    assert.is(r.code, 0, show(r));
    return r.stdout;
  };
  assert.is(
    out('boot-pre'),
    '# boot-pre for node 4\nip link add name cnprobe mtu 1 type vlan  # probe: the kernel must know link type vlan (modprobe 8021q)\nip link set dev eth0 up\n',
  );
  assert.is(
    out('init-pre'),
    '# init-pre for node 4\nip link set dev lo up\nip address add 10.4.135.4/18 dev krg0\nip link set dev krg0 up\n',
  );
  // The example has a cluster address: init-post ends by putting it on the interface, and
  // its multicast MAC with it (one bridge batch).
  const post = out('init-post').trimEnd().split('\n');
  assert.is(post[0], '# init-post for node 4');
  assert.equal(post.slice(-2), [
    'ip address add 10.4.192.1/32 dev krg0',
    'bridge fdb add 01:00:5e:04:c0:01 dev krg0 self permanent',
  ]);
  // stop ends with the node's own network, latest first.
  const stop = out('stop', '--netns', 'X').trimEnd().split('\n');
  assert.equal(stop.slice(0, 2), [
    '# stop for node 4',
    '# no record of node 4 in netns X: what net.conf would make',
  ]);
  assert.equal(stop.slice(-4), [
    '[netns X] ip address del 10.4.135.4/18 dev krg0',
    '[netns X] ip link set dev krg0 down',
    '[netns X] ip link del dev krg0',
    '[netns X] ip link del dev cnt4',
  ]);
  assert.equal(
    stop.slice(2, 4),
    [
      '[netns X] bridge fdb del 01:00:5e:04:c0:01 dev krg0 self',
      '[netns X] ip address del 10.4.192.1/32 dev krg0',
    ],
    'the cluster MAC and address go first',
  );
});

plan('without a cluster address: init-post has nothing to do, stop undoes the node network', () => {
  const path = tmp.write('no-cip.conf', EXAMPLE.slice(0, EXAMPLE.indexOf('[clusterip]')));
  const post = cli(['plan', 'init-post', '--node', '4', '--config', path]);
  assert.is(post.code, 0, show(post));
  assert.is(post.stdout, '# init-post for node 4: nothing to do\n');
  const stop = cli(['plan', 'stop', '--node', '4', '--netns', 'X', '--config', path]);
  assert.is(
    stop.stdout,
    '# stop for node 4\n# no record of node 4 in netns X: what net.conf would make\n[netns X] ip address del 10.4.135.4/18 dev krg0\n[netns X] ip link set dev krg0 down\n[netns X] ip link del dev krg0\n[netns X] ip link del dev cnt4\n',
  );
});

plan('plan stop reads the record: an address made under an older net.conf is undone too', () => {
  const env = { CLUSTERNET_RUN_DIR: tmp.path('run-plan-stop') };
  const old: Op = { op: 'addr-add', ns: CURRENT_NS, dev: 'krg0', address: '10.9.9.9/24' };
  new RecordStore(4, CURRENT_NS, env).save({ phases: { 'init-pre': [old] } });
  const stop = cli(['plan', 'stop', '--node', '4', ...C], { env });
  assert.is(stop.code, 0, show(stop));
  const lines = stop.stdout.split('\n');
  assert.is(lines[1], '# from the record of node 4 in this namespace, and what net.conf plans');
  assert.ok(lines.includes('ip address del 10.9.9.9/24 dev krg0'), stop.stdout);
  assert.ok(lines.includes('ip address del 10.4.135.4/18 dev krg0'), stop.stdout);
});

plan('plan init-pre --node 4 --json: plain data', () => {
  const r = cli(['plan', 'init-pre', '--node', '4', '--json', ...C]);
  assert.is(r.code, 0, show(r));
  const current = { kind: 'current' };
  assert.equal(JSON.parse(r.stdout), {
    phase: 'init-pre',
    node: 4,
    ops: [
      { op: 'link-up', ns: current, dev: 'lo', shared: true },
      { op: 'addr-add', ns: current, dev: 'krg0', address: '10.4.135.4/18' },
      { op: 'link-up', ns: current, dev: 'krg0', shared: false },
    ],
    siteHooks: [],
  });
});

plan('a disabled network plans nothing', () => {
  const path = tmp.write('off.conf', EXAMPLE.replace('enable = true', 'enable = false'));
  const r = cli(['plan', 'boot-post', '--node', '4', '--netns', 'X', '--config', path]);
  assert.is(r.code, 0, show(r));
  assert.is(r.stdout, '# boot-post for node 4: nothing to do\n');
});

plan('site hooks of a --hooks-dir are listed after the plan', () => {
  tmp.write('hooks/init-pre.d/60site', '#!/bin/sh\nexit 0\n', 0o755);
  tmp.write('hooks/init-pre.d/60site.dpkg-old', '#!/bin/sh\nexit 0\n', 0o755);
  const r = cli(['plan', 'init-pre', '--node', '4', '--hooks-dir', tmp.path('hooks'), ...C]);
  assert.is(r.code, 0, show(r));
  assert.ok(
    r.stdout.endsWith(
      `# then site hook ${tmp.path('hooks/init-pre.d/60site')} (not clusternet's; runs as is)\n`,
    ),
    r.stdout,
  );
  assert.not.match(r.stdout, /dpkg-old/);
});

plan('a bad phase or a missing phase: exit 2', () => {
  const bad = cli(['plan', 'boot-middle', '--node', '4', ...C]);
  assert.is(bad.code, 2, show(bad));
  assert.match(bad.stderr, /Invalid values:[\s\S]*phase[\s\S]*"boot-middle"/);
  const none = cli(['plan', '--node', '4', ...C]);
  assert.is(none.code, 2, show(none));
});

plan('--pid and --netns together, or a bad netns name: exit 2', () => {
  const both = cli(['plan', 'boot-post', '--node', '4', '--pid', '1', '--netns', 'X', ...C]);
  assert.is(both.code, 2, show(both));
  const name = cli(['plan', 'boot-post', '--node', '4', '--netns', 'a/b', ...C]);
  assert.is(name.code, 2, show(name));
  assert.match(name.stderr, /--netns: "a\/b" is not a usable netns name/);
  const pid = cli(['plan', 'boot-post', '--node', '4', '--pid', '-3', ...C]);
  assert.is(pid.code, 2, show(pid));
});

const convert = suite('cli: convert');
setup(convert);

convert('a legacy file comes out native, and means the same', () => {
  const path = tmp.write('legacy.conf', LEGACY_CONF);
  const r = cli(['convert', '--config', path]);
  assert.is(r.code, 0, show(r));
  assert.match(
    r.stdout,
    new RegExp(`^# Converted by clusternet from ${path} \\(legacy format\\)\\.\\n`),
  );
  assert.ok(
    r.stdout.includes('\n[net]\n') &&
      r.stdout.includes('\nvlan = 7\n') &&
      r.stdout.includes('\n[clusterip]\n'),
    r.stdout,
  );
  const out = tmp.write('converted.conf', r.stdout);
  const v = cli(['validate', '--config', out]);
  assert.is(v.code, 0, show(v));
  assert.ok(v.stdout.includes('(native format)'), v.stdout);
  const a = parseConfig(r.stdout, 'a');
  const b = parseConfig(LEGACY_AS_NATIVE, 'b');
  assert.equal([a.nodes, a.net, a.clusterIps], [b.nodes, b.net, b.clusterIps]);
});

convert('show of the legacy file and of its conversion agree', () => {
  const legacy = tmp.write('legacy2.conf', LEGACY_CONF);
  const native = tmp.write('native2.conf', cli(['convert', '--config', legacy]).stdout);
  const a = JSON.parse(cli(['show', '--all', '--json', '--config', legacy]).stdout);
  const b = JSON.parse(cli(['show', '--all', '--json', '--config', native]).stdout);
  assert.equal(a, b);
});

convert('a broken legacy file: exit 2 naming the Kerrighed variable', () => {
  const text = LEGACY_CONF.replace('PHYS=eth0', 'PHYS=eth0:1');
  const path = tmp.write('legacy-bad.conf', text);
  const r = cli(['convert', '--config', path]);
  assert.is(r.code, 2, show(r));
  assert.is(r.stdout, '');
  assert.match(
    r.stderr,
    new RegExp(
      `^clusternet: ${path}:${lineOf(text, 'PHYS=eth0:1')}: PHYS: "eth0:1" is not a valid interface name`,
    ),
  );
});

const usage = suite('cli: usage');
setup(usage);

usage('--help for the program and for every command: exit 0, usage on stdout', () => {
  const top = cli(['--help']);
  assert.is(top.code, 0, show(top));
  for (const command of [
    'validate',
    'show',
    'plan <phase>',
    'run <phase>',
    'hook <path>',
    'check',
    'convert',
  ])
    assert.ok(top.stdout.includes(`clusternet ${command}`), `${command} in --help`);
  for (const command of ['validate', 'show', 'plan', 'run', 'hook', 'check', 'convert']) {
    const r = cli([command, '--help']);
    assert.is(r.code, 0, `${command} --help\n${show(r)}`);
    assert.ok(r.stdout.startsWith(`clusternet ${command}`), `${command} --help:\n${r.stdout}`);
    assert.ok(r.stdout.includes('--config'), `${command} --help lists the global options`);
  }
  const run = cli(['run', '--help']);
  for (const option of ['--node', '--pid', '--netns', '--dry-run', '--hooks-dir'])
    assert.ok(run.stdout.includes(option), `run --help has ${option}`);
});

usage('no command, an unknown command, an unknown option: exit 2 with a hint', () => {
  for (const args of [
    [],
    ['frobnicate'],
    ['validate', '--frobnicate', ...C],
    ['show', '--node', '4', '--bogus', ...C],
  ]) {
    const r = cli(args);
    assert.is(r.code, 2, `${args.join(' ')}\n${show(r)}`);
    assert.is(r.stdout, '');
    // The command's own help when there is a command.
    assert.match(
      r.stderr,
      new RegExp(
        `^clusternet: .+\\n\\(see clusternet ${args[0] === 'validate' || args[0] === 'show' ? `${args[0]} ` : ''}--help\\)\\n$`,
      ),
    );
  }
  assert.match(cli(['frobnicate']).stderr, /Unknown argument: frobnicate/);
});

usage('--verbose and --quiet conflict: exit 2', () => {
  const r = cli(['validate', '--verbose', '--quiet', ...C]);
  assert.is(r.code, 2, show(r));
});

usage('run boot-post without --pid or --netns: exit 2, before anything is read', () => {
  const r = cli(['run', 'boot-post', '--node', '4', '--dry-run', ...C]);
  assert.is(r.code, 2, show(r));
  assert.is(
    r.stderr,
    'clusternet: boot-post: needs the container: give --pid PID (its init) or --netns NAME\n',
  );
});

usage('run for a node outside the cluster: exit 2 before any hook runs', () => {
  const r = cli(['run', 'init-pre', '--node', '99', '--dry-run', ...C]);
  assert.is(r.code, 2, show(r));
  assert.match(r.stderr, /cluster\.nodes: node 99 \(from --node\) is not in the cluster/);
});

usage('hook with a file outside a <phase>.d folder: exit 2', () => {
  const path = tmp.write('somewhere/10net', '#!/bin/sh\n', 0o755);
  const r = cli(['hook', path, '--node', '4', '--dry-run', ...C]);
  assert.is(r.code, 2, show(r));
  assert.ok(r.stderr.includes(`${path}: is not in a <phase>.d folder`), r.stderr);
});

usage('the built file is the package bin', () => {
  const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as {
    bin: Record<string, string>;
  };
  assert.ok(CLI.endsWith(pkg.bin.clusternet!), `${CLI} vs ${pkg.bin.clusternet}`);
});

validate.run();
where.run();
showCmd.run();
plan.run();
convert.run();
usage.run();
