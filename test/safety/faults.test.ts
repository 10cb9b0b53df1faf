// "All or nothing per phase", proven by injecting a fault at every mutating step of every
// phase with real commands in real namespaces (see shim.ts):
//  - refused before it runs, or killed after it ran: the phase exits 1 naming the command
//    and the node is exactly as before the phase;
//  - clusternet itself killed mid-phase: the next `run` converges to the full state, and
//    `stop` then leaves nothing behind.
// `stop` rolls forward: a failed stop is completed by the next stop. Once with macvlan,
// once with a vxlan (its forwarding entries are `bridge -batch` steps). Needs root.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import {
  createSimCluster,
  runPhase,
  writeConfig,
  type SimCluster,
  type SimOptions,
} from '../sim/cluster.js';
import { makeShim, type FaultMode, type Shim } from './shim.js';
import { routedConf, vxlanConf } from '../helpers/fixtures.js';

const CONFIG = `
[cluster]
nodes = 1-4

[net]
link = macvlan
device = eth0
mac = 02:00:00:00:07:00
address = 10.4.135.0/18
gateway = 10.4.135.254

[clusterip]
address = 10.4.192.1
mac = 01:00:5e:04:c0:01
backend = cluster-match
seed = 0xdeadbeef

[clusterip web]
address = 10.4.192.2
mac = 01:00:5e:04:c0:01
backend = nft
seed = 7
`;
/** Node 1 of four over a VXLAN: the host's eth0 carries its VTEP (the sim's router gives it one). */
const VXLAN_CONFIG = vxlanConf({
  nodes: '1-4',
  net: 'address6 = fd00:4:135::/64\ngateway = 10.4.135.254',
  rest: '[clusterip]\naddress = 10.4.192.1\nmac = 01:00:5e:04:c0:01\nbackend = nft\nseed = 0xdeadbeef\n',
});
const PHASES = ['boot-pre', 'boot-post', 'init-pre', 'init-post'] as const;

/** Figures for the README's reliability section. */
export const figures = { faults: 0, dirty: 0 };

/** `idle`: phases that change nothing with this config (boot-pre once probed; init-post without a cluster address). */
function faultSuite(
  name: string,
  text: string,
  options: SimOptions,
  idle: readonly string[] = ['boot-pre'],
) {
  const test = suite(name);
  let sim: SimCluster;
  let config: string;
  let shim: Shim;

  test.before(async () => {
    sim = await createSimCluster(options);
    config = writeConfig(text);
    shim = makeShim();
  });
  test.after(async () => {
    console.log(`${name}: faults injected: ${figures.faults}, states left dirty: ${figures.dirty}`);
    await sim?.destroy();
  });

  const run = (phase: string, env: Record<string, string> = {}) =>
    runPhase(sim, config, 1, phase, [], env);

  /** Which normalisation a command's output gets. */
  const kindOf = (cmd: readonly string[]): string =>
    cmd.includes('maddr')
      ? 'maddr'
      : cmd[0] === 'ip' && cmd.includes('-br') && cmd.includes('link')
        ? 'links'
        : cmd.includes('-6')
          ? 'routes6'
          : cmd[0]!;

  /** Everything a phase may touch, in both namespaces, without counters or timers. */
  async function snapshot(): Promise<string> {
    const parts: string[] = [];
    for (const [ns, cmds] of [
      [
        sim.host(1),
        [
          ['ip', '-br', 'link'],
          ['ip', '-br', 'link', 'show', 'master', 'cnbr0'],
          ['ip', 'route'],
          ['ip', '-6', 'route'],
          ['ip', 'neigh', 'show', 'nud', 'permanent'],
          ['bridge', 'fdb', 'show', 'dev', 'cnvx0'],
        ],
      ],
      [
        sim.container(1),
        [
          ['ip', '-br', '-d', 'link'],
          ['ip', '-br', 'address'],
          ['ip', 'route'],
          ['ip', 'maddr', 'show', 'dev', 'krg0'],
          ['bridge', 'fdb', 'show', 'dev', 'krg0'],
          ['iptables-save'],
          ['arptables-nft-save'],
          ['nft', '-j', 'list', 'ruleset'],
          ['sysctl', '-n', 'net.netfilter.nf_conntrack_tcp_loose'],
        ],
      ],
    ] as const) {
      for (const cmd of cmds) {
        const r = await sim.exec(ns, [...cmd]);
        parts.push(`## ${cmd.join(' ')}\n${normalize(kindOf(cmd), r.stdout)}`);
      }
    }
    return parts.join('\n');
  }

  /**
   * Rules only: once iptables-nft or arptables-nft has been used in a namespace, empty
   * built-in tables and chains stay behind; they are the tools', not state we made.
   */
  function normalize(tool: string, out: string): string {
    // A link's name, MAC and flags we set (UP); its carrier and operational state follow
    // its peer and a bridge's ports, settling in their own time.
    if (tool === 'links') {
      return out
        .split('\n')
        .map((l) => l.split(/\s+/))
        .map(
          ([name, , mac, flags]) =>
            `${name} ${mac ?? ''} ${(flags ?? '').replace(/NO-CARRIER,|,LOWER_UP|,M-DOWN/g, '')}`,
        )
        .join('\n');
    }
    // The kernel's own routes (link-local, connected) come with links and carrier.
    if (tool === 'routes6')
      return out
        .split('\n')
        .filter((l) => !l.includes('proto kernel'))
        .join('\n');
    // The kernel's own multicast entries come and go with link state; ours is the cluster MAC.
    if (tool === 'maddr')
      return out
        .split('\n')
        .filter((l) => l.includes('01:00:5e:04:c0'))
        .join('\n');
    // Forwarding entries with a destination: a VXLAN's (a macvlan's list is its multicast joins).
    if (tool === 'bridge')
      return out
        .split('\n')
        .filter((l) => l.includes(' dst '))
        .join('\n');
    if (tool === 'iptables-save' || tool === 'arptables-nft-save')
      return out
        .split('\n')
        .filter((l) => l.startsWith('-A'))
        .join('\n');
    if (tool === 'nft') {
      const items = (
        JSON.parse(out) as {
          nftables: Record<string, { table?: string; name?: string; handle?: number }>[];
        }
      ).nftables;
      return items
        .filter((i) => i.rule || i.set || i.table?.name === 'clusternet')
        .map((i) =>
          JSON.stringify(i, (k, v) => (k === 'handle' || k === 'counter' ? undefined : v)),
        )
        .join('\n');
    }
    return out;
  }

  async function phaseWithFaults(phase: (typeof PHASES)[number], mode: FaultMode) {
    const before = await snapshot();
    for (let at = 1; at < 50; at++) {
      const r = await run(phase, shim.env(at, mode));
      const hit = shim.hit();
      if (!hit) {
        // Fewer mutating calls than `at`: the phase ran clean; every step has been faulted.
        assert.is(r.exitCode, 0, r.stderr);
        assert.ok(at > 1 || idle.includes(phase), `${phase} made no change at all`);
        return;
      }
      figures.faults++;
      if (mode === 'crash') {
        assert.is.not(r.exitCode, 0, `${phase}: clusternet survived being killed at ${hit}`);
        // The next run completes the work from the journal and the state…
        const again = await run(phase);
        assert.is(again.exitCode, 0, `${phase} after a crash at ${hit}: ${again.stderr}`);
        const stop = await run('stop');
        assert.is(stop.exitCode, 0, stop.stderr);
        await bringUpTo(phase);
        continue;
      }
      assert.is(r.exitCode, 1, `${phase} with ${mode} at ${hit}: exit ${r.exitCode}\n${r.stderr}`);
      assert.match(r.stderr, /command failed|hook failed/);
      const after = await snapshot();
      if (after !== before) figures.dirty++;
      assert.fixture(after, before, `${phase}: ${mode} at ${hit} left the node changed`);
    }
    throw new Error(`${phase}: more than 50 mutating calls?`);
  }

  /** Runs the phases before `phase` (from a node with nothing), so `phase` starts from its own "before". */
  async function bringUpTo(phase: string) {
    for (const p of PHASES) {
      if (p === phase) return;
      const r = await run(p);
      assert.is(r.exitCode, 0, `${p}: ${r.stderr}`);
    }
  }

  for (const mode of ['fail-before', 'kill-after'] as const) {
    test(`a ${mode} fault at every step of every phase leaves the node as before`, async () => {
      for (const phase of PHASES) {
        await phaseWithFaults(phase, mode);
      }
      // Clean up for the next mode.
      const stop = await run('stop');
      assert.is(stop.exitCode, 0, stop.stderr);
    });
  }

  test('clusternet killed mid-phase: the next run converges, stop then cleans up', async () => {
    const empty = await snapshot();
    for (const phase of PHASES) {
      await bringUpTo(phase);
      await phaseWithFaults(phase, 'crash');
      const stop = await run('stop');
      assert.is(stop.exitCode, 0, stop.stderr);
    }
    const left = await snapshot();
    if (left !== empty) figures.dirty++;
    assert.fixture(left.replace(/## sysctl.*\n.*$/m, ''), empty.replace(/## sysctl.*\n.*$/m, ''));
  });

  test('a failed stop is completed by the next stop', async () => {
    const empty = await snapshot();
    for (const p of PHASES) assert.is((await run(p)).exitCode, 0);
    const failed = await run('stop', shim.env(2, 'fail-before'));
    assert.is(failed.exitCode, 1);
    figures.faults++;
    const again = await run('stop');
    assert.is(again.exitCode, 0, again.stderr);
    const left = await snapshot();
    if (left !== empty) figures.dirty++;
    assert.fixture(left, empty);
  });

  test.run();
}

faultSuite('faults: macvlan', CONFIG, { nodes: [1] });
faultSuite('faults: vxlan', VXLAN_CONFIG, { nodes: [1], router: true });
// link = bridge: our cnbr0 with eth0 as its port, the veth's host end on it.
faultSuite('faults: bridge', CONFIG.replace('link = macvlan', 'link = bridge'), { nodes: [1] });
// routing = per-node: node 1's bridge addresses, routes to its peers (on-link IPv4 via
// eth0, IPv6 through cnvx0: forwarding entries, neighbours), no cluster address.
const ROUTED_CONFIG = routedConf({ nodes: '1-4', node3: false });
faultSuite('faults: routed per-node', ROUTED_CONFIG, { nodes: [1], router: true }, [
  'boot-pre',
  'init-post',
]);
