// Clients for cluster-IP tests: one client namespace on the segment holding many source
// addresses, listeners on every node's container, and a probe that counts — on the
// client, by the answering frame's source MAC — which node answered which source, for
// ICMP echo and for TCP SYN-ACK. "Exactly one answer from exactly one node" is read from
// those counters, so a duplicate answer cannot hide behind ping stopping at the first.
import { spawn, type ChildProcess } from 'node:child_process';
import { $ } from 'zx';
import type { SimCluster } from './cluster.js';

export const PORT = 7777;
/** The cluster address of the cluster-IP tests. */
export const CIP = '10.4.192.1';

/**
 * net.conf of the cluster-IP tests: macvlan nodes `nodes` ("1-4") whose MACs end in their
 * id (see macToNode), one cluster address with `backend`; `extra` is appended as written.
 */
export const clusterIpConf = (nodes: string, backend: string, extra = '') => `
[cluster]
nodes = ${nodes}

[net]
link = macvlan
device = eth0
mac = 02:00:00:00:07:00
address = 10.4.135.0/18

[clusterip]
address = ${CIP}
mac = 01:00:5e:04:c0:01
backend = ${backend}
seed = 0xdeadbeef
${extra}`;

export interface ClientSetup {
  sources: string[];
  clusterIp: string;
  /** The client's interface on the cluster network. */
  dev: string;
}

/**
 * `count` source addresses 10.4.140.1.. on the client's `dev` (eth0, or the VLAN interface
 * of a client that joined the cluster network), a route to the cluster address, accounting.
 */
export async function setupClient(
  sim: SimCluster,
  clusterIp: string,
  count = 32,
  dev = 'eth0',
): Promise<ClientSetup> {
  const sources = Array.from({ length: count }, (_, i) => `10.4.140.${i + 1}`);
  await $({
    input: sources.map((s) => `address add ${s}/18 dev ${dev}`).join('\n') + '\n',
  })`ip -n ${sim.client} -batch -`;
  await $`ip -n ${sim.client} route replace ${clusterIp}/32 dev ${dev}`;
  const accounting = `table ip clmon {
  set s_icmp { type ipv4_addr . ether_addr; flags dynamic; counter; }
  set s_synack { type ipv4_addr . ether_addr; flags dynamic; counter; }
  chain cin {
    type filter hook input priority -300;
    icmp type echo-reply ip saddr ${clusterIp} update @s_icmp { ip daddr . ether saddr }
    tcp flags & (syn | ack) == (syn | ack) ip saddr ${clusterIp} update @s_synack { ip daddr . ether saddr }
  }
}
`;
  await $({ input: accounting })`ip netns exec ${sim.client} nft -f -`;
  return { sources, clusterIp, dev };
}

/** The client on CIP (32 sources) and a listener in every node's container, settled. */
export async function startClient(
  sim: SimCluster,
  nodes: number[],
): Promise<{ setup: ClientSetup; stopListeners: () => void }> {
  const setup = await setupClient(sim, CIP);
  const stopListeners = startListeners(sim, nodes);
  await new Promise((r) => setTimeout(r, 500));
  return { setup, stopListeners };
}

/** A TCP listener in every node's container answering "node<id>". */
export function startListeners(sim: SimCluster, nodes: number[]): () => void {
  const children: ChildProcess[] = nodes.map((id) =>
    spawn(
      'ip',
      [
        'netns',
        'exec',
        sim.container(id),
        process.execPath,
        '-e',
        `require('net').createServer((s) => { s.on('error', () => {}); s.end('node${id}\\n'); }).listen(${PORT}, '0.0.0.0'); setTimeout(() => process.exit(0), 600e3);`,
      ],
      { stdio: 'ignore' },
    ),
  );
  return () => children.forEach((c) => c.kill('SIGKILL'));
}

export interface ProbeResult {
  /** Per source: the node ids that answered ICMP echo, one entry per answer. */
  icmp: Map<string, number[]>;
  /** Per source: the node ids that sent a SYN-ACK. */
  synack: Map<string, number[]>;
  /** Per source: what the TCP connection read ("node3"), or an error. */
  tcp: Map<string, string>;
}

/** The node whose container MAC sent a frame (node MACs end in the node id). */
export type MacToNode = (mac: string) => number;
/** MacToNode for clusterIpConf's MACs. */
export const macToNode: MacToNode = (mac) => parseInt(mac.split(':')[5]!, 16);

export async function probe(
  sim: SimCluster,
  setup: ClientSetup,
  macToNode: MacToNode,
): Promise<ProbeResult> {
  await $`ip -n ${sim.client} neigh flush dev ${setup.dev}`;
  await $`ip netns exec ${sim.client} nft flush set ip clmon s_icmp`;
  await $`ip netns exec ${sim.client} nft flush set ip clmon s_synack`;
  // One ping per source, all at once, each waiting three seconds at most; started by one
  // shell (the addresses are ours), not one `ip netns exec` each: far cheaper in a guest.
  const pings = setup.sources
    .map((src) => `ping -n -q -I ${src} -c 1 -W 3 ${setup.clusterIp} >/dev/null 2>&1 &`)
    .join('\n');
  await $({ nothrow: true })`ip netns exec ${sim.client} sh -c ${`${pings}\nwait`}`;
  const tcpScript = `
    const net = require('net'); const sources = ${JSON.stringify(setup.sources)}; const out = {}; let left = sources.length;
    for (const src of sources) {
      let data = ''; const s = net.connect({ host: '${setup.clusterIp}', port: ${PORT}, localAddress: src, timeout: 3000 });
      const done = (r) => { if (out[src] !== undefined) return; out[src] = r; s.destroy(); if (--left === 0) { console.log(JSON.stringify(out)); process.exit(0); } };
      s.on('data', (d) => (data += d)); s.on('end', () => done(data.trim() || 'EMPTY'));
      s.on('timeout', () => done('TIMEOUT')); s.on('error', (e) => done('ERR:' + e.code));
    }
    setTimeout(() => { console.log(JSON.stringify(out)); process.exit(0); }, 6000).unref();`;
  const tcp = await $`ip netns exec ${sim.client} ${process.execPath} -e ${tcpScript}`;
  await new Promise((r) => setTimeout(r, 300)); // late duplicates still count
  const read = async (set: string) => {
    const r = await $`ip netns exec ${sim.client} nft -j list set ip clmon ${set}`;
    const per = new Map<string, number[]>();
    for (const item of JSON.parse(r.stdout).nftables as { set?: { elem?: unknown[] } }[]) {
      for (const e of item.set?.elem ?? []) {
        const el = ((e as { elem?: unknown }).elem ?? e) as {
          val: { concat: [string, string] };
          counter: { packets: number };
        };
        const [ip, mac] = el.val.concat;
        const node = macToNode(mac);
        per.set(ip, [
          ...(per.get(ip) ?? []),
          ...Array.from({ length: el.counter.packets }, () => node),
        ]);
      }
    }
    return per;
  };
  return {
    icmp: await read('s_icmp'),
    synack: await read('s_synack'),
    tcp: new Map(Object.entries(JSON.parse(tcp.stdout) as Record<string, string>)),
  };
}

export interface Verdict {
  answeredOnce: number;
  /** Sources per answering node. */
  spread: Record<number, number>;
  owners: Record<string, number>;
  problems: string[];
}

/** Every source answered exactly once, by one node, for ICMP, SYN-ACK and the TCP reply. */
export function verdict(setup: ClientSetup, result: ProbeResult): Verdict {
  const problems: string[] = [];
  const spread: Record<number, number> = {};
  const owners: Record<string, number> = {};
  let answeredOnce = 0;
  for (const src of setup.sources) {
    const icmp = result.icmp.get(src) ?? [];
    const syn = result.synack.get(src) ?? [];
    const tcp = result.tcp.get(src) ?? 'none';
    const owner = icmp[0];
    if (icmp.length !== 1) problems.push(`${src}: ${icmp.length} ICMP answers (${icmp.join(',')})`);
    else if (syn.length !== 1 || syn[0] !== owner)
      problems.push(`${src}: SYN-ACKs from ${syn.join(',') || 'nobody'}, ICMP from ${owner}`);
    else if (tcp !== `node${owner}`) problems.push(`${src}: TCP read ${tcp}, ICMP from ${owner}`);
    else {
      answeredOnce++;
      spread[owner!] = (spread[owner!] ?? 0) + 1;
      owners[src] = owner!;
    }
  }
  return { answeredOnce, spread, owners, problems };
}
