// Calling clusternet-cni (and the reference plugins) exactly as a runtime does, inside a
// namespace that plays the node's host: the bridge plugin makes its bridge in the
// namespace it runs in, so the plugin runs there (`ip netns exec`), never in the root one.
// Container namespaces are made here and removed by destroy(); everything else is the
// simulated cluster's (test/sim/cluster.ts).
import { spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync, chmodSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { $ } from 'zx';
import { createSimCluster, writeConfig, type SimCluster, type SimOptions } from '../sim/cluster.js';

export const PLUGIN = join(import.meta.dirname, '..', '..', 'bin', 'clusternet-cni');
export const CNI_BIN = '/usr/lib/cni';

export interface Call {
  exitCode: number;
  stdout: string;
  stderr: string;
  ms: number;
  json: Record<string, unknown> | undefined;
}

/** Runs `argv` in namespace `ns` with exactly `env` (and PATH), `input` on stdin. */
export function runIn(
  ns: string,
  argv: string[],
  env: Record<string, string>,
  input: string,
): Promise<Call> {
  const started = process.hrtime.bigint();
  return new Promise((resolve) => {
    const assignments = Object.entries({ PATH: process.env.PATH ?? '/usr/bin:/bin', ...env }).map(
      ([k, v]) => `${k}=${v}`,
    );
    const child = spawn('ip', ['netns', 'exec', ns, 'env', '-i', ...assignments, ...argv], {
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout.on('data', (c: Buffer) => out.push(c));
    child.stderr.on('data', (c: Buffer) => err.push(c));
    child.stdin.end(input);
    child.on('close', (code) => {
      const stdout = Buffer.concat(out).toString('utf8');
      let json: Record<string, unknown> | undefined;
      try {
        json = JSON.parse(stdout) as Record<string, unknown>;
      } catch {
        json = undefined;
      }
      resolve({
        exitCode: code ?? 1,
        stdout,
        stderr: Buffer.concat(err).toString('utf8'),
        ms: Number(process.hrtime.bigint() - started) / 1e6,
        json,
      });
    });
  });
}

export interface CniLab {
  sim: SimCluster;
  prefix: string;
  config: string;
  leaseDir: string;
  /** The CNI network name (random: its lease folder is this test's alone). */
  name: string;
  /** A new empty container namespace (its path is CNI_NETNS). */
  container: () => Promise<string>;
  /** One CNI call of clusternet-cni on node `node`, for container namespace `ns`. */
  call: (
    node: number,
    command: string,
    ns: string,
    extra?: {
      ifname?: string;
      conf?: Record<string, unknown>;
      env?: Record<string, string>;
      plugin?: string;
      stdin?: string;
    },
  ) => Promise<Call>;
  /** The leases host-local holds for this network (files named after an address). */
  leases: () => string[];
  destroy: () => Promise<void>;
}

/** A simulated cluster plus a net.conf whose [cni] section is `cni` (lease-dir and name added). */
export async function createCniLab(
  nodes: number[],
  cni: string,
  net = 'link = macvlan\ndevice = eth0\nmac = 02:00:00:00:07:00\naddress = 10.4.135.0/24',
  simOptions: Partial<SimOptions> = {},
): Promise<CniLab> {
  const sim = await createSimCluster({ ...simOptions, nodes });
  const leaseDir = mkdtempSync(join(tmpdir(), `${sim.prefix}-leases-`));
  chmodSync(leaseDir, 0o755);
  const name = `${sim.prefix}-net`;
  const runDir = join(leaseDir, 'run');
  const config = writeConfig(
    `[cluster]\nnodes = ${nodes.join(',')}\n[net]\n${net}\n[cni]\nname = ${name}\nlease-dir = ${leaseDir}\n${cni}\n`,
  );
  const containers: string[] = [];
  let count = 0;
  const container = async () => {
    const ns = `${sim.prefix}-k${++count}`;
    await $`ip netns add ${ns}`;
    containers.push(ns);
    await $`ip -n ${ns} link set lo up`;
    return ns;
  };
  const call: CniLab['call'] = (node, command, ns, extra = {}) =>
    runIn(
      sim.host(node),
      [extra.plugin ?? PLUGIN],
      {
        CNI_COMMAND: command,
        CNI_CONTAINERID: `${ns}-id`,
        CNI_NETNS: `/run/netns/${ns}`,
        CNI_IFNAME: extra.ifname ?? 'eth0',
        CNI_PATH: CNI_BIN,
        CLUSTERNET_CONFIG: config,
        CLUSTERNET_NODE_ID: String(node),
        // The bundle's code cache (bin/clusternet-cni) goes to the run dir: this test's own.
        CLUSTERNET_RUN_DIR: runDir,
        ...extra.env,
      },
      extra.stdin ??
        JSON.stringify({ cniVersion: '1.0.0', name, type: 'clusternet-cni', ...extra.conf }),
    );
  const leases = () => {
    try {
      return readdirSync(join(leaseDir, name)).filter(
        (f) => /^[0-9a-f.:]+$/.test(f) && /[.:]/.test(f),
      );
    } catch {
      return [];
    }
  };
  const destroy = async () => {
    for (const ns of containers) await $({ nothrow: true })`ip netns del ${ns}`;
    await sim.destroy();
    rmSync(leaseDir, { recursive: true, force: true });
  };
  return { sim, prefix: sim.prefix, config, leaseDir, name, container, call, leases, destroy };
}

/** The addresses (ADDR/PREFIX) of a CNI result. */
export const resultIps = (json: Record<string, unknown> | undefined): string[] =>
  ((json?.ips as { address: string }[] | undefined) ?? []).map((i) => i.address);

/** The ports of bridge `bridge` in namespace `ns` (the containers' host ends). */
export async function bridgePorts(ns: string, bridge = 'cni0'): Promise<string[]> {
  const r = await $({ nothrow: true })`ip -n ${ns} -json link show master ${bridge}`;
  return (JSON.parse(r.stdout || '[]') as { ifname: string }[]).map((l) => l.ifname);
}
