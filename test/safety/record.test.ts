// Adversarial: the node's record as input (edited, corrupted), and runs that name another
// node than the one whose container they act on. A running node 1 in real namespaces;
// every case must end with exit 2, a message naming the file or the node, no stack trace,
// and node 1 exactly as it was. Needs root.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { SIM_CONF } from '../helpers/fixtures.js';
import {
  BOOT_PHASES,
  createSimCluster,
  onNode,
  runPhase,
  snapshot,
  writeConfig,
  type CliResult,
  type SimCluster,
} from '../sim/cluster.js';

const CONFIG = SIM_CONF.replace('nodes = 1-16', 'nodes = 1-2');

let sim: SimCluster;
let config: string;
let recordFile: string;
let original: string;
let clean: string;

const c1 = () => sim.container(1);
const state = async () =>
  `${await snapshot(sim, c1())}\n${(await sim.exec(c1(), ['nft', 'list', 'ruleset'])).stdout}\n${(await sim.exec(c1(), ['sysctl', '-n', 'net.ipv4.ip_forward'])).stdout}`;
const stop = (node = 1) =>
  sim.cli(sim.host(1), ['run', 'stop', '--node', String(node), '-c', config, '--netns', c1()]);
const reload = (node = 1) =>
  sim.cli(sim.host(1), ['reload', '--node', String(node), '-c', config, '--netns', c1()]);
const takeover = (self = 1, dead = 2) =>
  sim.cli(c1(), ['takeover', '--node', String(dead), '-c', config], {
    CLUSTERNET_NODE_ID: String(self),
  });
const release = (self = 1, back = 2) =>
  sim.cli(c1(), ['release', '--node', String(back), '-c', config], {
    CLUSTERNET_NODE_ID: String(self),
  });

/** Exit 2, the expected words, no stack trace, and node 1 as it was. */
async function refusedCleanly(r: CliResult, words: RegExp, what: string): Promise<void> {
  assert.is(r.exitCode, 2, `${what}: exit ${r.exitCode}\n${r.stderr}`);
  assert.match(r.stderr, words, what);
  assert.not.match(r.stderr, /internal error|    at /, `${what}: no stack trace`);
  assert.is(await state(), clean, `${what}: node 1 unchanged`);
}

const R = suite('record: the record is input');
R.before(async () => {
  sim = await createSimCluster({ nodes: [1, 2] });
  config = writeConfig(CONFIG);
  for (const phase of BOOT_PHASES) {
    const r = await runPhase(sim, config, 1, phase);
    assert.is(r.exitCode, 0, `${phase}: ${r.stderr}`);
  }
  const name = readdirSync(sim.runDir).find((f) => /^node-1-netns-.*\.json$/.test(f));
  assert.ok(name, 'node 1 keeps a record');
  recordFile = join(sim.runDir, name!);
  original = readFileSync(recordFile, 'utf8');
  clean = await state();
});
R.after(async () => {
  await sim?.destroy();
});
R.after.each(() => {
  writeFileSync(recordFile, original);
});

R(
  'buckets assigned by the cluster manager are input too: a bucket out of range or a name no section has is refused',
  async () => {
    for (const [assigned, words] of [
      [{ main: [0] }, /assigned\.main\[0\]/],
      [{ main: ['1; flush ruleset'] }, /assigned\.main\[0\]/],
      [{ 'x\ny': [1] }, /is not a cluster address name/],
      [[1, 2], /assigned: not an object/],
    ] as const) {
      const rec = JSON.parse(original) as Record<string, unknown>;
      rec.assigned = assigned;
      writeFileSync(recordFile, JSON.stringify(rec));
      await refusedCleanly(
        await stop(),
        new RegExp(`node 1's record is not one clusternet wrote \\(.*${words.source}`),
        JSON.stringify(assigned),
      );
    }
  },
);

R(
  'an op added to the record (a sysctl with any key and undo) is refused, not run by stop',
  async () => {
    const rec = JSON.parse(original) as { phases: Record<string, unknown[]> };
    rec.phases['init-pre']!.push({
      op: 'sysctl',
      ns: { kind: 'netns', name: '@container' },
      key: 'net.ipv4.conf.all.rp_filter',
      value: '0',
      undo: '1',
    });
    writeFileSync(recordFile, JSON.stringify(rec));
    await refusedCleanly(
      await stop(),
      new RegExp(
        `${recordFile}: node 1's record is not one clusternet wrote \\(phases\\.init-pre\\[\\d+\\]\\.key: not a sysctl clusternet sets`,
      ),
      'sysctl op',
    );
  },
);

R(
  'a record string that would reach an ip -batch line (a newline and a netns exec) is refused',
  async () => {
    const rec = JSON.parse(original) as { phases: Record<string, { op: string; dev?: string }[]> };
    const addr = rec.phases['init-pre']!.find((op) => op.op === 'addr-add')!;
    addr.dev = 'krg0\nnetns exec @container touch /tmp/owned';
    writeFileSync(recordFile, JSON.stringify(rec));
    await refusedCleanly(
      await stop(),
      /phases\.init-pre\[\d+\]\.dev: "krg0\\nnetns exec @container touch \/tmp\/owned" is \d+ bytes long/,
      'batch injection',
    );
  },
);

R(
  'a link-create whose link names a kind clusternet does not make, or a field its kind has not, is refused',
  async () => {
    for (const [link, words] of [
      [{ kind: 'ipvlan' }, /link\.kind: not one of vlan, macvlan/],
      [{ kind: 'macvlan', id: 7 }, /link: unknown field "id"/],
      [{ kind: 'veth', peer: 'cnh1', bridge: 'br0 x' }, /link\.bridge: /],
      [{ kind: 'bridge', peer: 'cnh1' }, /link: unknown field "peer"/],
      [{ kind: 'vxlan', vni: 0, port: 4789, local: '192.168.10.1', flood: [] }, /link\.vni: /],
      [
        {
          kind: 'vxlan',
          vni: 42,
          port: 4789,
          local: '192.168.10.1',
          flood: ['192.168.10.100\nlink del eth0'],
        },
        /link\.flood\[0\]: /,
      ],
      [{ kind: 'vxlan', vni: 42, port: 4789, local: '192.168.10.1' }, /link: /],
    ] as const) {
      const rec = JSON.parse(original) as {
        phases: Record<string, { op: string; link?: unknown }[]>;
      };
      rec.phases['boot-post']!.find((op) => op.op === 'link-create')!.link = link;
      writeFileSync(recordFile, JSON.stringify(rec));
      await refusedCleanly(
        await stop(),
        new RegExp(
          `node 1's record is not one clusternet wrote \\(phases\\.boot-post\\[\\d+\\]\\.${words.source}`,
        ),
        JSON.stringify(link),
      );
    }
  },
);

R(
  'a record written before link kinds were drivers (link-create with type and vlan) still stops the node',
  async () => {
    const rec = JSON.parse(original) as { phases: Record<string, Record<string, unknown>[]> };
    const create = rec.phases['boot-post']!.find((op) => op.op === 'link-create')!;
    const link = create.link as { kind: string };
    delete create.link;
    Object.assign(create, { type: link.kind, vlan: null });
    writeFileSync(recordFile, JSON.stringify(rec));
    const r = await stop();
    assert.is(r.exitCode, 0, r.stderr);
    const inside = await sim.exec(c1(), ['ip', '-o', 'link', 'show']);
    assert.equal(
      inside.stdout
        .trim()
        .split('\n')
        .map((l) => l.split(':')[1]!.trim()),
      ['lo'],
      'the link made under the old record is gone',
    );
    for (const phase of BOOT_PHASES) assert.is((await runPhase(sim, config, 1, phase)).exitCode, 0);
    original = readFileSync(recordFile, 'utf8');
    clean = await state();
  },
);

const malformed: [string, string][] = [
  ['{}', '{}'],
  ['null', 'null'],
  ['a list', '[]'],
  ['phases of the wrong type', '{"phases":5}'],
  ['an op with no fields', '{"phases":{"init-pre":[{"op":"addr-add"}]}}'],
  [
    'an unknown op',
    '{"phases":{"init-pre":[{"op":"exec","ns":{"kind":"current"},"argv":["sh"]}]}}',
  ],
  ['a journal of the wrong type', '{"phases":{},"journal":"x"}'],
  ['takenOver out of range', '{"phases":{},"takenOver":[0]}'],
  ['not JSON', '{"phases":'],
];
for (const [what, text] of malformed) {
  R(
    `a malformed record (${what}): stop, reload, takeover and release name the file, with no stack trace`,
    async () => {
      writeFileSync(recordFile, text);
      for (const [verb, run] of [
        ['stop', stop],
        ['reload', reload],
        ['takeover', takeover],
        ['release', release],
      ] as const) {
        await refusedCleanly(
          await run(),
          new RegExp(
            `${recordFile}: node 1's record is not one clusternet wrote .*rm ${recordFile}`,
          ),
          `${what}: ${verb}`,
        );
      }
    },
  );
}

R(
  "stop --node 2 in node 1's container is refused (the link's MAC and the record say node 1); node 1 stays up and recorded",
  async () => {
    await refusedCleanly(
      await stop(2),
      /node 2 did not make this container's network: krg0 .* has node 1's MAC 02:00:00:00:07:01/,
      'stop --node 2',
    );
    assert.is(readFileSync(recordFile, 'utf8'), original, "node 1's record untouched");
  },
);

R(
  "takeover, release and reload with another node's id in node 1's container are refused",
  async () => {
    await refusedCleanly(
      await takeover(2, 1),
      /node 2 did not make this container's network/,
      'takeover as node 2',
    );
    await refusedCleanly(
      await release(2, 1),
      /node 2 did not make this container's network/,
      'release as node 2',
    );
    await refusedCleanly(
      await reload(2),
      /node 2 did not make this container's network/,
      'reload --node 2',
    );
  },
);

R(
  'the ops of new link kinds are input too: an fdb entry, a neighbour or a route carrying a second batch line is refused',
  async () => {
    const at = { kind: 'netns', name: '@container' };
    for (const [op, words] of [
      [
        {
          op: 'fdb-add',
          ns: at,
          dev: 'krg0',
          mac: '00:00:00:00:00:00',
          dst: '10.4.135.9\nlink del eth0',
        },
        /\.dst: "10\.4\.135\.9\\nlink del eth0" is not an IP address/,
      ],
      [
        {
          op: 'neigh-add',
          ns: at,
          dev: 'krg0',
          address: '10.4.135.9',
          lladdr: '02:00:00:00:00:09 nud noarp',
        },
        /\.lladdr: /,
      ],
      [
        { op: 'route-add', ns: at, dst: 'default table 7', via: '10.4.135.254', dev: 'krg0' },
        /\.dst: /,
      ],
      [{ op: 'link-master', ns: at, dev: 'krg0', master: 'br0 nomaster' }, /\.master: /],
    ] as const) {
      const rec = JSON.parse(original) as { phases: Record<string, unknown[]> };
      rec.phases['init-pre']!.push(op);
      writeFileSync(recordFile, JSON.stringify(rec));
      await refusedCleanly(
        await stop(),
        new RegExp(
          `node 1's record is not one clusternet wrote \\(phases\\.init-pre\\[\\d+\\]${words.source}`,
        ),
        op.op,
      );
    }
  },
);

R(
  'a record written before routes had a destination ({via, dev}: a default route) still lets stop remove the route',
  async () => {
    const route = await sim.exec(c1(), [
      'ip',
      'route',
      'add',
      'default',
      'via',
      '10.4.135.254',
      'dev',
      'krg0',
      'proto',
      '211',
    ]);
    assert.is(route.exitCode, 0, route.stderr);
    const rec = JSON.parse(original) as { phases: Record<string, unknown[]> };
    rec.phases['init-pre']!.push({
      op: 'route-add',
      ns: { kind: 'netns', name: '@container' },
      dev: 'krg0',
      via: '10.4.135.254',
    });
    writeFileSync(recordFile, JSON.stringify(rec));
    const r = await onNode(sim, config, 1, ['run', 'stop', '-v']);
    assert.is(r.exitCode, 0, r.stderr);
    assert.match(
      r.stderr,
      /changed: \[netns \S+\] ip route del default via 10\.4\.135\.254 dev krg0 proto 211/,
    );
    const routes = await sim.exec(c1(), ['ip', '-json', 'route', 'show']);
    assert.is(routes.stdout.trim(), '[]');
    for (const phase of BOOT_PHASES) assert.is((await runPhase(sim, config, 1, phase)).exitCode, 0);
    original = readFileSync(recordFile, 'utf8');
    clean = await state();
  },
);

R('the control: stop as node 1 still works, and leaves the container clean', async () => {
  const r = await stop(1);
  assert.is(r.exitCode, 0, r.stderr);
  assert.not.ok(
    readdirSync(sim.runDir).some((f) => /^node-1-/.test(f)),
    'no record left',
  );
  // Bring it back for any later case.
  for (const phase of BOOT_PHASES) assert.is((await runPhase(sim, config, 1, phase)).exitCode, 0);
  original = readFileSync(recordFile, 'utf8');
});

R.run();
