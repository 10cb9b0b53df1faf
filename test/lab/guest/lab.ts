// The lab's cluster, started inside a guest in one call: 4 nodes (each a host namespace
// with eth0 on a bridge, and its container namespace), a server and a client that join
// VLAN 7 with the commands `clusternet server-config` prints, and two plain hosts left on
// the untagged segment. Every node boots with the real hooks (all phases, its own node id)
// from the shipped etc/net.conf with only `nodes` narrowed to 1-4, run as an init system
// runs them: `run-parts` over the shipped hook folders (sim/cluster.ts runHooks).
// Runs in the guest (root, a kernel with 802.1q); used by the lab tests and the demo.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { $ } from 'zx';
import {
  bringUp,
  createSimCluster,
  joinAsServer,
  writeConfig,
  type PhaseRun,
  type SimCluster,
} from '../../sim/cluster.js';

export const PROJECT = join(import.meta.dirname, '..', '..', '..');
export const SHIPPED_CONFIG = join(PROJECT, 'etc', 'net.conf');
export const NODES = [1, 2, 3, 4];
export const SERVER_ADDRESS = '10.4.135.254';
export const CLIENT_ADDRESS = '10.4.135.253';
/** The untagged hosts' addresses: inside the cluster's subnet 10.4.128.0/18, but on no VLAN. */
export const UNTAGGED_ADDRESSES = ['10.4.135.201', '10.4.135.202'];
export const CLUSTER_IP = '10.4.192.1';

/**
 * The shipped etc/net.conf, changed in `nodes` only (the cluster-IP hash has one bucket
 * per listed node, so a 4-node lab must list 4), and in `backend` when one is asked for.
 */
export function labConfigText(backend?: string): string {
  let text = readFileSync(SHIPPED_CONFIG, 'utf8');
  const swap = (from: RegExp, to: string) => {
    if (!from.test(text))
      throw new Error(`etc/net.conf no longer has ${from}; the lab cannot narrow it`);
    text = text.replace(from, to);
  };
  swap(/^nodes = 1-16$/m, `nodes = 1-${NODES.length}`);
  if (backend) swap(/^backend = auto$/m, `backend = ${backend}`);
  return text;
}

export interface LabOptions {
  /** The cluster-IP backend to write into the config (default: the shipped `auto`). */
  backend?: string;
  /** eth0's MTU of some nodes (default 1500 everywhere). */
  mtu?: Record<number, number>;
  /** Boot the nodes (default true). */
  boot?: boolean;
}

export interface Lab {
  sim: SimCluster;
  /** Path of the lab's net.conf (in the guest). */
  config: string;
  configText: string;
  /** What `server-config` printed for the server, and for the client. */
  serverCommands: string;
  clientCommands: string;
  /** Every phase run of the boot, in order. */
  boot: PhaseRun[];
  /** Seconds the boot of all nodes took. */
  bootSeconds: number;
}

/** The one call that starts the simulated cluster in a guest. Throws when a step fails. */
export async function startLab(options: LabOptions = {}): Promise<Lab> {
  const sim = await createSimCluster({
    nodes: NODES,
    server: true,
    client: true,
    untagged: UNTAGGED_ADDRESSES.length,
    mtu: options.mtu,
    runDirPerNode: true,
  });
  try {
    const configText = labConfigText(options.backend);
    const config = writeConfig(configText);
    const [server, client] = await Promise.all([
      joinAsServer(sim, sim.server, config, SERVER_ADDRESS),
      joinAsServer(sim, sim.client, config, CLIENT_ADDRESS),
    ]);
    for (const [ns, r] of [
      [sim.server, server],
      [sim.client, client],
    ] as const) {
      if (r.result.exitCode !== 0)
        throw new Error(`joining ${ns} to the VLAN failed: ${r.result.stderr}`);
    }
    for (const [i, address] of UNTAGGED_ADDRESSES.entries()) {
      await $`ip -n ${sim.untagged(i + 1)} address add ${address}/18 dev eth0`;
    }
    const started = Date.now();
    const boot = options.boot === false ? [] : await bringUp(sim, config, NODES);
    return {
      sim,
      config,
      configText,
      serverCommands: server.commands,
      clientCommands: client.commands,
      boot,
      bootSeconds: (Date.now() - started) / 1000,
    };
  } catch (error) {
    await sim.destroy();
    throw error;
  }
}

/** The packet-filter state of a namespace, without counters and dates: every tool's view. */
export async function firewall(sim: SimCluster, ns: string): Promise<string> {
  const r = await sim.exec(ns, [
    'sh',
    '-c',
    [
      'echo "## iptables-legacy-save"; iptables-legacy-save 2>/dev/null',
      'echo "## iptables-save"; iptables-save 2>/dev/null',
      'echo "## arptables-nft-save"; arptables-nft-save 2>/dev/null',
      'echo "## nft list ruleset"; nft list ruleset 2>/dev/null',
      'echo "## ipt_CLUSTERIP"; for f in /proc/net/ipt_CLUSTERIP/*; do [ -e "$f" ] && echo "$f: $(cat "$f")"; done',
      'echo "## tcp_loose $(sysctl -n net.netfilter.nf_conntrack_tcp_loose 2>/dev/null)"',
    ].join('; '),
  ]);
  return r.stdout
    .split('\n')
    .filter((l) => !l.startsWith('# '))
    .map((l) =>
      l.replace(/\[\d+:\d+\]/g, '[-]').replace(/counter packets \d+ bytes \d+/g, 'counter'),
    )
    .join('\n');
}

/** Node ids from the answering frame's source MAC: node MACs are f0:00:00:00:07:0N. */
export const macToNode = (mac: string) => parseInt(mac.split(':')[5]!, 16);
