// The demo, inside the guest: the lab cluster from the shipped etc/net.conf (nodes 1-4),
// every phase on every node, then what a person wants to see. Writes its report to the
// guest's console (the host's `npm run demo` prints it as it comes) and to stdout, and
// ends with `DEMO-VERDICT PASS|FAIL …`; exit 0 only on PASS.
import { openSync, writeSync } from 'node:fs';
import { release } from 'node:os';
import { BOOT_PHASES, links, reaches, runHooks, type PhaseRun } from '../../sim/cluster.js';
import { probe, setupClient, startListeners, verdict } from '../../sim/clients.js';
import {
  CLIENT_ADDRESS,
  CLUSTER_IP,
  NODES,
  SERVER_ADDRESS,
  UNTAGGED_ADDRESSES,
  firewall,
  macToNode,
  startLab,
} from './lab.js';

const started = Date.now();
let console_: number | undefined;
try {
  console_ = openSync('/dev/console', 'w');
} catch {
  console_ = undefined; // not in a guest: stdout alone
}
function say(text = ''): void {
  for (const line of text.split('\n')) {
    process.stdout.write(`${line}\n`);
    if (console_ !== undefined) writeSync(console_, `demo| ${line}\n`);
  }
}
const problems: string[] = [];
const check = (ok: boolean, problem: string) => {
  if (!ok) problems.push(problem);
  return ok;
};
const seconds = () => `${Math.round((Date.now() - started) / 1000)} s`;

say(
  `Linux ${release()} in qemu; starting 4 nodes (each a host namespace + its container), a server, a client and 2 untagged hosts on one bridge.`,
);
say(
  'Config: etc/net.conf as shipped, with `nodes = 1-16` narrowed to `nodes = 1-4` (the cluster-IP hash has one bucket per listed node).',
);
say(
  'Every node runs every hook of every phase for real, as its init system would: `run-parts hooks/<phase>.d`,',
);
say(
  "boot-pre and boot-post in the node's own namespace (boot-post given the container), init-pre and init-post inside the container.",
);
const lab = await startLab().catch((error: unknown) => {
  say(
    `DEMO-VERDICT FAIL: the lab did not start: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`,
  );
  process.exit(1);
});
const { sim, config } = lab;
let exit = 1;
try {
  say(
    `\n== Derived values (clusternet show --all)    [lab up after ${seconds()}; the nodes booted in ${Math.round(lab.bootSeconds)} s]`,
  );
  say((await sim.cli(sim.host(1), ['show', '--all', '-c', config])).stdout.trimEnd());

  say(
    '\n== The server joins VLAN 7 with what `clusternet server-config --address 10.4.135.254` prints:',
  );
  say(lab.serverCommands.trimEnd());

  say(
    '\n== What each phase ran, per node (the changes, in order; input fed to a tool shown in full for node 1)',
  );
  for (const phase of BOOT_PHASES) {
    const runs = lab.boot.filter((x: PhaseRun) => x.phase === phase);
    say(`-- ${phase} (hooks/${phase}.d, ${Math.max(...runs.map((r) => r.ms ?? 0)) / 1000} s)`);
    for (const r of runs) {
      check(
        r.exitCode === 0,
        `${phase} on node ${r.node} exited ${r.exitCode}: ${r.stderr.trim()}`,
      );
      let text = r.stderr
        .replace(
          new RegExp(`^clusternet\\[${phase} \\S+ node ${r.node}\\]: (changed: )?`, 'gm'),
          '',
        )
        .trimEnd();
      // Other nodes: the same tool input with their own values; one line each.
      if (r.node !== 1)
        text = text.replace(
          /<<'EOF'\n[\s\S]*?\nEOF/g,
          "<<'EOF' … EOF (as node 1's, with its own values)",
        );
      say(`node ${r.node}: ${text.split('\n').join('\n        ')}`);
    }
  }

  say("\n== Each container's interface (ip -d address show krg0)");
  for (const id of NODES) {
    const inside = await links(sim, sim.container(id));
    const k = inside.find((l) => l.ifname === 'krg0');
    const eth0 = (await links(sim, sim.host(id))).find((l) => l.ifname === 'eth0');
    const addr =
      k?.addr_info
        .filter((a) => a.family === 'inet')
        .map((a) => `${a.local}/${a.prefixlen}`)
        .join(' ') ?? '-';
    say(
      `node ${id}: ${k ? `krg0 ${k.linkinfo?.info_kind} ${k.linkinfo?.info_data?.protocol} id ${k.linkinfo?.info_data?.id} mac ${k.address} mtu ${k.mtu} (eth0 ${eth0?.mtu}) ${addr}` : 'no krg0!'}`,
    );
    check(
      k?.linkinfo?.info_data?.id === 7 &&
        k.address === `f0:00:00:00:07:0${id}` &&
        k.mtu === (eth0?.mtu ?? 0) - 4 &&
        addr.includes(`10.4.135.${id}/18`),
      `node ${id}: krg0 is not as derived`,
    );
  }

  say('\n== Reachability (ping; ✓ answered, · no answer)');
  const who = [
    { name: 'server', ns: sim.server, address: SERVER_ADDRESS },
    ...NODES.map((id) => ({
      name: `node ${id}`,
      ns: sim.container(id),
      address: `10.4.135.${id}`,
    })),
    { name: 'untagged', ns: sim.untagged(1), address: UNTAGGED_ADDRESSES[0]! },
  ];
  const targets = who.filter((w) => w.name !== 'untagged');
  const cells = await Promise.all(
    who.map((from) =>
      Promise.all(
        targets.map(async (to) => (from === to ? null : await reaches(sim, from.ns, to.address))),
      ),
    ),
  );
  say(`${'from \\ to'.padEnd(10)}${targets.map((t) => t.name.padEnd(8)).join('')}`);
  who.forEach((from, i) => {
    say(
      `${from.name.padEnd(10)}${cells[i]!.map((c) => (c === null ? '-' : c ? '✓' : '·').padEnd(8)).join('')}`,
    );
    cells[i]!.forEach((c, j) => {
      if (c !== null)
        check(
          c === (from.name !== 'untagged'),
          `${from.name} → ${targets[j]!.name}: ${c ? 'answered' : 'no answer'}`,
        );
    });
  });
  say(
    `(untagged: a host on the bare segment with ${UNTAGGED_ADDRESSES[0]}/18, in the cluster's subnet but not on VLAN 7)`,
  );

  const init = lab.boot.find((r) => r.phase === 'init-post')?.stderr ?? '';
  const backend = /iptables-legacy-restore/.test(init)
    ? 'clusterip'
    : /jhash/.test(init)
      ? 'nft'
      : 'cluster-match';
  say(
    `\n== Cluster IP ${CLUSTER_IP} (backend auto → ${backend}): 32 client source addresses, one ping and one TCP connection each`,
  );
  const setup = await setupClient(sim, CLUSTER_IP, 32, 'krg0');
  say(`(the client joined VLAN 7 as ${CLIENT_ADDRESS}, with sources 10.4.140.1-32)`);
  const stopListeners = startListeners(sim, NODES);
  await new Promise((r) => setTimeout(r, 2000));
  const v = verdict(setup, await probe(sim, setup, macToNode));
  stopListeners();
  for (const id of NODES)
    say(
      `node ${id}: ${String(v.spread[id] ?? 0).padStart(2)} sources ${'█'.repeat(v.spread[id] ?? 0)}`,
    );
  say(
    `${v.answeredOnce}/32 sources answered exactly once, by one node, for ICMP and TCP${v.problems.length ? `; problems: ${v.problems.join('; ')}` : ''}`,
  );
  check(
    v.answeredOnce === 32 && v.problems.length === 0,
    `cluster IP: ${v.answeredOnce}/32 answered exactly once`,
  );
  check(
    NODES.every((id) => (v.spread[id] ?? 0) > 0),
    'cluster IP: not every node has a share',
  );

  say('\n== stop on every node');
  const stops = await Promise.all(NODES.map((id) => runHooks(sim, config, id, 'stop')));
  for (const [i, r] of stops.entries()) {
    check(r.exitCode === 0, `stop on node ${NODES[i]} exited ${r.exitCode}: ${r.stderr.trim()}`);
    const undone = (r.stderr.match(/changed:/g) ?? []).length;
    const inside = (await links(sim, sim.container(NODES[i]!))).map((l) => l.ifname);
    const rules =
      (await firewall(sim, sim.container(NODES[i]!))).match(/clusternet/gi)?.length ?? 0;
    say(
      `node ${NODES[i]}: ${undone} changes undone; container now holds ${inside.join(', ')}; ${rules} rule(s) of clusternet left`,
    );
    check(inside.join() === 'lo' && rules === 0, `node ${NODES[i]}: stop left something behind`);
  }
  exit = problems.length === 0 ? 0 : 1;
} catch (error) {
  problems.push(
    `the demo itself failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`,
  );
} finally {
  await sim.destroy();
}
if (problems.length > 0) say(`\nProblems:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
say(
  exit === 0
    ? `DEMO-VERDICT PASS: 4 nodes on VLAN 7 under Linux ${release()}: every phase ran, every container reached, untagged traffic kept out, the cluster IP answered all 32 sources exactly once, stop left nothing (${seconds()} in the guest)`
    : `DEMO-VERDICT FAIL: ${problems.length} problem(s) under Linux ${release()} (${seconds()} in the guest)`,
);
process.exit(exit);
