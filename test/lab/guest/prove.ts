// The lab's proof, run inside a guest (one TypeScript program per boot):
//   node --import tsx test/lab/guest/prove.ts --backends clusterip
//   node --import tsx test/lab/guest/prove.ts --backends cluster-match,nft
// It starts the lab cluster (guest/lab.ts) and gathers facts; it asserts nothing itself.
// Each part prints one line `LAB-RESULT {"part": …}` that the host-side tests
// (test/lab/*.test.ts) assert on, so a failing fact is named on the host with its data.
// Parts, per backend (the first backend also proves the VLAN):
//   boot        every phase on every node: exit codes and what each run printed
//   vlan        each container's and each node's own links, the lower device's MTU, show --json
//   reach       ping matrix: server → nodes, node ↔ node, untagged hosts → nodes and server
//   rerun       every phase again on every node (init-post only after the first backend),
//               and the state before and after
//   cip         the cluster IP: 32 sources answered once each, takeover, release
//   stop        stop on every node (twice, the last time), and what is left
import { parseArgs } from 'node:util';
import {
  BOOT_PHASES,
  bringUp,
  links,
  reaches,
  runHooks,
  snapshot,
  writeConfig,
  type BootPhase,
  type SimCluster,
} from '../../sim/cluster.js';
import {
  probe,
  setupClient,
  startListeners,
  verdict,
  type ClientSetup,
} from '../../sim/clients.js';
import {
  CLIENT_ADDRESS,
  CLUSTER_IP,
  NODES,
  SERVER_ADDRESS,
  UNTAGGED_ADDRESSES,
  firewall,
  labConfigText,
  macToNode,
  startLab,
} from './lab.js';

const { values } = parseArgs({
  options: { backends: { type: 'string', default: 'cluster-match' } },
});
const backends = values.backends.split(',');
const started = Date.now();
const elapsed = () => Math.round((Date.now() - started) / 100) / 10;

function emit(part: string, data: Record<string, unknown>): void {
  process.stdout.write(`LAB-RESULT ${JSON.stringify({ part, seconds: elapsed(), ...data })}\n`);
}
const progress = (what: string) => process.stdout.write(`lab: ${elapsed()} s: ${what}\n`);

/** The state of every namespace a node has: links, routes, packet filters. */
async function nodeState(sim: SimCluster): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  await Promise.all(
    NODES.flatMap((id) => [
      (async () => (out[`host ${id}`] = await snapshot(sim, sim.host(id))))(),
      (async () =>
        (out[`container ${id}`] =
          `${await snapshot(sim, sim.container(id))}\n${await firewall(sim, sim.container(id))}`))(),
    ]),
  );
  return out;
}

async function vlanFacts(sim: SimCluster, config: string) {
  const shown = await sim.cli(sim.host(1), ['show', '--all', '--json', '-c', config]);
  const derived = JSON.parse(shown.stdout) as { node: number }[];
  return Promise.all(
    NODES.map(async (id) => {
      const hostLinks = await links(sim, sim.host(id));
      return {
        node: id,
        show: derived.find((d) => d.node === id),
        container: await links(sim, sim.container(id)),
        hostLinks: hostLinks.map((l) => l.ifname).sort(),
        lowerMtu: hostLinks.find((l) => l.ifname === 'eth0')?.mtu,
      };
    }),
  );
}

async function reachability(sim: SimCluster) {
  const pairs: { from: string; to: string; ns: string; address: string }[] = [];
  for (const id of NODES)
    pairs.push({ from: 'server', to: `node ${id}`, ns: sim.server, address: `10.4.135.${id}` });
  for (const a of NODES)
    for (const b of NODES)
      if (a !== b)
        pairs.push({
          from: `node ${a}`,
          to: `node ${b}`,
          ns: sim.container(a),
          address: `10.4.135.${b}`,
        });
  for (const id of NODES)
    pairs.push({
      from: `node ${id}`,
      to: 'server',
      ns: sim.container(id),
      address: SERVER_ADDRESS,
    });
  for (const id of NODES)
    pairs.push({
      from: 'untagged',
      to: `node ${id}`,
      ns: sim.untagged(1),
      address: `10.4.135.${id}`,
    });
  pairs.push({ from: 'untagged', to: 'server', ns: sim.untagged(1), address: SERVER_ADDRESS });
  // The control: the untagged segment itself works, so a failure above is the VLAN's doing.
  pairs.push({
    from: 'untagged',
    to: 'untagged 2',
    ns: sim.untagged(1),
    address: UNTAGGED_ADDRESSES[1]!,
  });
  return Promise.all(
    pairs.map(async (p) => ({
      from: p.from,
      to: p.to,
      address: p.address,
      ok: await reaches(sim, p.ns, p.address),
    })),
  );
}

async function rerun(sim: SimCluster, config: string, phases: readonly string[]) {
  const before = await nodeState(sim);
  const runs = [];
  for (const phase of phases) {
    const done = await Promise.all(
      NODES.map(async (node) => ({
        node,
        phase,
        ...(await runHooks(sim, config, node, phase as BootPhase)),
      })),
    );
    runs.push(...done);
  }
  const after = await nodeState(sim);
  const changed = Object.keys(before)
    .filter((k) => before[k] !== after[k])
    .map((k) => ({ where: k, before: before[k], after: after[k] }));
  return {
    runs: runs.map(({ node, phase, exitCode, stderr, ms }) => ({
      node,
      phase,
      exitCode,
      stderr,
      ms,
    })),
    changed,
  };
}

const procClusterip = async (sim: SimCluster) =>
  Object.fromEntries(
    await Promise.all(
      NODES.map(
        async (id) =>
          [
            id,
            (
              await sim.exec(sim.container(id), ['cat', `/proc/net/ipt_CLUSTERIP/${CLUSTER_IP}`])
            ).stdout.trim() || null,
          ] as const,
      ),
    ),
  );

async function clusterIp(sim: SimCluster, config: string, setup: ClientSetup, backend: string) {
  const stopListeners = startListeners(sim, NODES);
  try {
    await new Promise((r) => setTimeout(r, 2000)); // node starts slowly in an emulated guest
    const summary = (v: ReturnType<typeof verdict>) => ({
      answeredOnce: v.answeredOnce,
      spread: v.spread,
      owners: v.owners,
      problems: v.problems,
    });
    const first = verdict(setup, await probe(sim, setup, macToNode));
    const arp = (await sim.exec(sim.client, ['ip', '-json', 'neigh', 'show', CLUSTER_IP])).stdout;
    const procFirst = backend === 'clusterip' ? await procClusterip(sim) : null;
    progress(`${backend}: first probe ${first.answeredOnce}/32`);
    const stop = await runHooks(sim, config, 3, 'stop');
    const gap = verdict(setup, await probe(sim, setup, macToNode));
    const takeover = await sim.cli(sim.container(1), ['takeover', '--node', '3', '-c', config], {
      CLUSTERNET_NODE_ID: '1',
    });
    const procTaken = backend === 'clusterip' ? await procClusterip(sim) : null;
    const taken = verdict(setup, await probe(sim, setup, macToNode));
    progress(`${backend}: after takeover ${taken.answeredOnce}/32`);
    const release = await sim.cli(sim.container(1), ['release', '--node', '3', '-c', config], {
      CLUSTERNET_NODE_ID: '1',
    });
    const back = await bringUp(sim, config, [3]);
    const procBack = backend === 'clusterip' ? await procClusterip(sim) : null;
    const after = verdict(setup, await probe(sim, setup, macToNode));
    const cli = (r: { exitCode: number; stderr: string; ms?: number }) => ({
      exitCode: r.exitCode,
      stderr: r.stderr,
      ms: r.ms,
    });
    return {
      backend,
      sources: setup.sources.length,
      first: summary(first),
      arp,
      stop: cli(stop),
      gap: summary(gap),
      takeover: cli(takeover),
      taken: summary(taken),
      release: cli(release),
      back: back.map(({ node, phase, exitCode, stderr, ms }) => ({
        node,
        phase,
        exitCode,
        stderr,
        ms,
      })),
      after: summary(after),
      proc: { first: procFirst, taken: procTaken, back: procBack },
    };
  } finally {
    stopListeners();
  }
}

async function stopAll(sim: SimCluster, config: string, twice: boolean) {
  const runs = await Promise.all(
    NODES.map(async (node) => ({ node, ...(await runHooks(sim, config, node, 'stop')) })),
  );
  const again = twice
    ? await Promise.all(
        NODES.map(async (node) => ({ node, ...(await runHooks(sim, config, node, 'stop')) })),
      )
    : [];
  const left = await Promise.all(
    NODES.map(async (id) => ({
      node: id,
      containerLinks: (await links(sim, sim.container(id))).map((l) => l.ifname),
      containerRoutes: (
        await sim.exec(sim.container(id), ['ip', '-json', 'route', 'show'])
      ).stdout.trim(),
      firewall: await firewall(sim, sim.container(id)),
      hostLinks: (await links(sim, sim.host(id))).map((l) => l.ifname).sort(),
      records: (await sim.exec(sim.host(id), ['ls', sim.runDirOf(sim.host(id))])).stdout
        .split('\n')
        .filter((f) => /^node-/.test(f)),
    })),
  );
  const cli = (r: { node: number; exitCode: number; stderr: string; ms?: number }) => ({
    node: r.node,
    exitCode: r.exitCode,
    stderr: r.stderr,
    ms: r.ms,
  });
  return { runs: runs.map(cli), again: again.map(cli), left };
}

let failed = false;
const lab = await startLab({ backend: backends[0], mtu: { 2: 1450 } });
progress(`lab started, nodes booted in ${lab.bootSeconds} s`);
const { sim } = lab;
try {
  let config = lab.config;
  const clientSetup = await setupClient(sim, CLUSTER_IP, 32, 'krg0');
  for (const [i, backend] of backends.entries()) {
    const boot =
      i === 0
        ? lab.boot
        : await bringUp(sim, (config = writeConfig(labConfigText(backend))), NODES);
    emit('boot', {
      backend,
      runs: boot.map(({ node, phase, exitCode, stderr, ms }) => ({
        node,
        phase,
        exitCode,
        stderr,
        ms,
      })),
      serverCommands: lab.serverCommands,
      clientCommands: lab.clientCommands,
      configText: i === 0 ? lab.configText : labConfigText(backend),
    });
    if (boot.some((r) => r.exitCode !== 0)) throw new Error(`boot with backend ${backend} failed`);
    if (i === 0) {
      emit('vlan', { nodes: await vlanFacts(sim, config) });
      emit('reach', { pairs: await reachability(sim) });
      progress('vlan facts and reachability gathered');
    }
    emit('rerun', {
      backend,
      ...(await rerun(sim, config, i === 0 ? BOOT_PHASES : ['init-post'])),
    });
    progress(`${backend}: re-run done`);
    emit('cip', await clusterIp(sim, config, clientSetup, backend));
    emit('stop', { backend, ...(await stopAll(sim, config, i === backends.length - 1)) });
    progress(`${backend}: stopped`);
  }
} catch (error) {
  failed = true;
  process.stdout.write(
    `LAB-ERROR ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`,
  );
} finally {
  await sim.destroy();
}
progress('done');
process.exit(failed ? 1 : 0);
