// The product's main path on real Debian kernels, in two guests booted at the same time
// (two qemu processes: the 2-core host is then busy while either guest waits):
//   Linux 6.1  (needs 8021q, ipt_CLUSTERIP):  link = vlan, cluster IP backend clusterip
//   Linux 6.12 (needs 8021q, xt_cluster, nftables): link = vlan, backends cluster-match, then nft
// In each guest (test/lab/guest/prove.ts, one boot): 4 nodes and their containers, a server
// and a client joined to VLAN 7 as `clusternet server-config` prints, two untagged hosts;
// every node runs every phase for real (run-parts over the shipped hooks/<phase>.d, as an
// init system does) from the shipped etc/net.conf, narrowed to nodes 1-4 (node 2's eth0 has
// MTU 1450, to show the VLAN's MTU follows its lower device).
// Needs root, qemu and the kernel cache (downloaded by the first run: about 100 MB).
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { PROJECT_ROOT } from './harness.js';
import type { Series } from './kernels.js';
import { prove, type Proof, type Run, type Spread } from './proof.js';

const NODES = [1, 2, 3, 4];
const CLUSTER_MAC = '01:00:5e:04:c0:01';
const PLAN: Record<Series, string[]> = { '6.1': ['clusterip'], '6.12': ['cluster-match', 'nft'] };
const NEEDS: Record<Series, string> = {
  '6.1': 'Linux 6.1 (8021q, ipt_CLUSTERIP)',
  '6.12': 'Linux 6.12 (8021q, xt_cluster)',
};

// Both guests start now; each test waits for the one it needs.
const proofs = Object.fromEntries(
  (Object.keys(PLAN) as Series[]).map((k) => {
    const p = prove(k, PLAN[k]!);
    p.catch(() => {}); // reported by the tests that await it
    return [k, p];
  }),
) as Record<Series, Promise<Proof>>;

const mac = (id: number) => `f0:00:00:00:07:0${id}`;
const runsOk = (runs: Run[], why: string) => {
  for (const r of runs)
    assert.is(
      r.exitCode,
      0,
      `node ${r.node} ${r.phase ?? ''}: exit ${r.exitCode}\n${r.stderr}${why}`,
    );
};
const allAnswered = (s: Spread, what: string, why: string) => {
  assert.equal(s.problems, [], `${what}: every source exactly one answer${why}`);
  assert.is(s.answeredOnce, 32, `${what}: 32 of 32 sources${why}`);
};

for (const kernel of Object.keys(PLAN) as Series[]) {
  const name = NEEDS[kernel];

  test(`${name}: every phase's hooks run on every node with its own id, from the shipped net.conf with only nodes narrowed`, async () => {
    const p = await proofs[kernel];
    // A hook that failed is named with its own output first: that is the cause to read.
    if (p.parts.boot[0]) runsOk(p.parts.boot[0].runs, p.why);
    assert.is(p.error, undefined, `the guest program failed${p.why}`);
    assert.is(p.guest.exitCode, 0, `guest exit code${p.why}`);
    const when = (label: string, x: { seconds: number } | undefined) =>
      x ? `${label} ${x.seconds} s` : `${label} -`;
    const marks = [
      when('booted', p.parts.boot[0]),
      ...p.parts.cip.map((c) => when(`cluster IP ${c.backend}`, c)),
      when('stopped', p.parts.stop.at(-1)),
    ];
    console.log(
      `      Linux ${kernel}: guest ran ${p.guest.seconds.toFixed(0)} s (boot to power-off); its program: ${marks.join(', ')}`,
    );
    const boot = p.parts.boot[0];
    assert.ok(boot, `no boot result${p.why}`);
    runsOk(boot.runs, p.why);
    for (const phase of ['boot-pre', 'boot-post', 'init-pre', 'init-post']) {
      for (const id of NODES) {
        const r = boot.runs.find((x) => x.node === id && x.phase === phase);
        assert.ok(r, `${phase} ran on node ${id}`);
        assert.match(
          r.stderr,
          new RegExp(`^clusternet\\[${phase} \\w+ node ${id}\\]: changed: `, 'm'),
          `${phase}'s hook on node ${id} made changes:\n${r.stderr}`,
        );
      }
    }
    assert.match(
      boot.runs.find((r) => r.node === 4 && r.phase === 'boot-post')!.stderr,
      /ip link add link eth0 name cnt4 netns \S+ address f0:00:00:00:07:04 mtu 1496 type vlan id 7/,
    );
    // The config differs from etc/net.conf in `nodes` (and the backend under test) only.
    const shipped = readFileSync(join(PROJECT_ROOT, 'etc', 'net.conf'), 'utf8').split('\n');
    const lab = boot.configText.split('\n');
    assert.is(lab.length, shipped.length);
    const changed = lab.filter((l, i) => l !== shipped[i]);
    assert.equal(changed, ['nodes = 1-4', `backend = ${PLAN[kernel]![0]}`]);
    // The server joined as the seed says, with what server-config printed.
    assert.match(
      boot.serverCommands,
      /^ip link add link eth0 name krg0 address f0:00:00:00:07:fe mtu 1496 type vlan id 7$/m,
    );
    assert.match(boot.serverCommands, /^ip address add 10\.4\.135\.254\/18 dev krg0$/m);
  });

  test(`${name}: each container has the 802.1Q interface, VLAN 7, the derived MAC, address and MTU (eth0 − 4); the node's own namespace has none`, async () => {
    const p = await proofs[kernel];
    const vlan = p.parts.vlan;
    assert.ok(vlan, `no vlan result${p.why}`);
    assert.equal(
      vlan.nodes.map((n) => n.node),
      NODES,
    );
    for (const n of vlan.nodes) {
      const krg0 = n.container.find((l) => l.ifname === 'krg0');
      assert.ok(krg0, `krg0 in node ${n.node}'s container`);
      assert.equal(n.container.map((l) => l.ifname).sort(), ['krg0', 'lo']);
      assert.is(krg0.linkinfo?.info_kind, 'vlan');
      assert.is(krg0.linkinfo?.info_data?.protocol, '802.1Q');
      assert.is(krg0.linkinfo?.info_data?.id, 7);
      assert.is(krg0.address, mac(n.node));
      assert.is(krg0.address, n.show.mac, 'the MAC clusternet show derives');
      assert.is(n.lowerMtu, n.node === 2 ? 1450 : 1500);
      assert.is(krg0.mtu, n.lowerMtu - 4, `node ${n.node}: MTU = eth0's ${n.lowerMtu} − 4`);
      assert.ok(krg0.flags.includes('UP'));
      assert.is(krg0.ifalias, 'clusternet');
      const v4 = krg0.addr_info
        .filter((a) => a.family === 'inet')
        .map((a) => `${a.local}/${a.prefixlen}`);
      assert.ok(v4.includes(`10.4.135.${n.node}/18`), `node ${n.node}'s address: ${v4.join(' ')}`);
      assert.ok(v4.includes(n.show.address));
      assert.ok(v4.includes('10.4.192.1/32'), 'the cluster address (init-post)');
      assert.equal(
        n.hostLinks,
        ['eth0', 'lo'],
        `nothing of krg0 is left in node ${n.node}'s own namespace`,
      );
    }
  });

  test(`${name}: the server reaches every container, containers reach each other; untagged hosts reach no one on the VLAN`, async () => {
    const p = await proofs[kernel];
    const reach = p.parts.reach;
    assert.ok(reach, `no reach result${p.why}`);
    const wrong = reach.pairs.filter(
      (x) => x.ok !== (x.from !== 'untagged' || x.to === 'untagged 2'),
    );
    assert.equal(
      wrong.map((x) => `${x.from} → ${x.to} (${x.address}): ${x.ok ? 'answered' : 'no answer'}`),
      [],
      'reachability',
    );
    // 4 from the server, 12 between nodes, 4 back to the server, 5 refused, 1 control.
    assert.is(reach.pairs.length, 26);
  });

  test(`${name}: a re-run of every phase on every node changes nothing`, async () => {
    const p = await proofs[kernel];
    const first = p.parts.rerun[0];
    assert.ok(first, `no rerun result${p.why}`);
    assert.is(first.runs.length, 16);
    for (const rerun of p.parts.rerun) {
      runsOk(rerun.runs, p.why);
      for (const r of rerun.runs) {
        assert.not.match(
          r.stderr,
          /changed:/,
          `${r.phase} on node ${r.node} (${rerun.backend}) changed something`,
        );
        assert.match(r.stderr, /nothing to change/);
      }
      assert.equal(
        rerun.changed.map((c) => c.where),
        [],
        `state changed (${rerun.backend}): ${JSON.stringify(rerun.changed).slice(0, 3000)}`,
      );
    }
    assert.is(p.parts.rerun.length, PLAN[kernel]!.length, 'init-post re-run with every backend');
  });

  for (const backend of PLAN[kernel]!) {
    const cipOf = async () => {
      const p = await proofs[kernel];
      const c = p.parts.cip.find((x) => x.backend === backend);
      assert.ok(c, `no cluster-IP result for ${backend}${p.why}`);
      return { p, c };
    };

    test(`${name}: cluster IP, backend ${backend}: 32 sources, each answered exactly once (ICMP and TCP) by one node, all 4 nodes share`, async () => {
      const { p, c } = await cipOf();
      allAnswered(c.first, 'first probe', p.why);
      assert.equal(
        Object.keys(c.first.spread).map(Number).sort(),
        NODES,
        `spread ${JSON.stringify(c.first.spread)}`,
      );
      assert.match(
        c.arp,
        `"lladdr":"${CLUSTER_MAC}"`,
        'ARP for the cluster address answers with the cluster MAC',
      );
      if (backend === 'clusterip')
        assert.equal(
          c.proc.first,
          { 1: '1', 2: '2', 3: '3', 4: '4' },
          '/proc/net/ipt_CLUSTERIP: each node its own bucket',
        );
    });

    test(`${name}: cluster IP, backend ${backend}: node 3 stops, node 1 takes over: every source once again; release restores the spread`, async () => {
      const { p, c } = await cipOf();
      runsOk([{ node: 3, ...c.stop }], p.why);
      const ofNode3 = Object.keys(c.first.owners).filter((s) => c.first.owners[s] === 3);
      assert.ok(ofNode3.length > 0);
      assert.is(
        c.gap.answeredOnce,
        32 - ofNode3.length,
        'with node 3 stopped, exactly its sources go unanswered',
      );
      assert.not.ok(c.gap.spread[3]);
      runsOk([{ node: 1, ...c.takeover }], p.why);
      allAnswered(c.taken, 'after takeover', p.why);
      assert.not.ok(c.taken.spread[3]);
      for (const [src, owner] of Object.entries(c.first.owners))
        assert.is(c.taken.owners[src], owner === 3 ? 1 : owner, `${src} after takeover`);
      runsOk([{ node: 1, ...c.release }], p.why);
      runsOk(c.back, p.why);
      assert.is(c.back.length, 4, 'node 3 ran every phase again');
      allAnswered(c.after, 'after release and node 3 back', p.why);
      assert.equal(c.after.owners, c.first.owners, 'the original spread returns');
      if (backend === 'clusterip') {
        assert.equal(
          c.proc.taken,
          { 1: '1,3', 2: '2', 3: null, 4: '4' },
          'node 1 answers bucket 3 too',
        );
        assert.equal(c.proc.back, c.proc.first);
      }
    });
  }

  test(`${name}: stop on every node leaves nothing behind, and a second stop changes nothing`, async () => {
    const p = await proofs[kernel];
    assert.is(p.parts.stop.length, PLAN[kernel]!.length, `a stop after each backend${p.why}`);
    for (const stop of p.parts.stop) {
      runsOk(stop.runs, p.why);
      for (const n of stop.left) {
        const where = `node ${n.node} after stop (${stop.backend})`;
        assert.equal(n.containerLinks, ['lo'], where);
        assert.is(n.containerRoutes, '[]', where);
        assert.equal(n.hostLinks, ['eth0', 'lo'], where);
        assert.equal(n.records, [], `${where}: no node record left`);
        assert.not.match(
          n.firewall,
          /clusternet/i,
          `${where}: no chain, rule or table of ours\n${n.firewall}`,
        );
        assert.not.match(n.firewall, /^-A /m, `${where}: no iptables rule at all\n${n.firewall}`);
        assert.match(
          n.firewall,
          /## ipt_CLUSTERIP\n## tcp_loose 1\n?$/,
          `${where}: no CLUSTERIP address, conntrack loose again\n${n.firewall}`,
        );
      }
    }
    const last = p.parts.stop.at(-1)!;
    assert.is(last.again.length, 4);
    runsOk(last.again, p.why);
    for (const r of last.again) assert.match(r.stderr, /stop: nothing to change/);
  });
}

test.run();
