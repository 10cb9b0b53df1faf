// A simulated cluster made only of network namespaces this code creates and removes:
//   <p>-seg   the ethernet segment: a bridge br0
//   <p>-n<i>  node i's host: eth0, a veth whose peer sits on the bridge
//   <p>-c<i>  node i's cluster container (empty until the hooks run)
//   <p>-srv   an optional server host on the same segment
//   <p>-cli   an optional client host (for cluster-IP tests)
// Nothing is ever created in, or sent to, the machine's root namespace. Used by the
// namespace tests on this machine and inside the lab's guests alike.
import { mkdtempSync, writeFileSync, chmodSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { $ } from 'zx';

$.verbose = false;
$.quiet = true;

export const CLI = join(import.meta.dirname, '..', '..', 'dist', 'lib', 'cli', 'main.js');

export interface SimOptions {
  nodes: number[];
  server?: boolean;
  client?: boolean;
  /** MTU of each node's eth0, by node id (default 1500). */
  mtu?: Record<number, number>;
}

export interface SimCluster {
  prefix: string;
  seg: string;
  host: (id: number) => string;
  container: (id: number) => string;
  server: string;
  client: string;
  nodes: number[];
  /** CLUSTERNET_RUN_DIR of every CLI run: the lock and the node records. */
  runDir: string;
  /** Runs the built clusternet CLI inside namespace `ns`; never throws. */
  cli: (ns: string, args: string[], env?: Record<string, string>) => Promise<CliResult>;
  /** Runs a command inside namespace `ns` (argv, escaped by zx); never throws. */
  exec: (ns: string, argv: string[]) => Promise<CliResult>;
  destroy: () => Promise<void>;
}

export interface CliResult {
  exitCode: number;
  stdout: string;
  stderr: string;
}

export async function createSimCluster(options: SimOptions): Promise<SimCluster> {
  const prefix = `cnt${randomBytes(3).toString('hex')}`;
  const seg = `${prefix}-seg`;
  const host = (id: number) => `${prefix}-n${id}`;
  const container = (id: number) => `${prefix}-c${id}`;
  const server = `${prefix}-srv`;
  const client = `${prefix}-cli`;
  const made: string[] = [];
  const addNs = async (name: string) => {
    await $`ip netns add ${name}`;
    made.push(name);
  };
  const exec = async (ns: string, argv: string[]): Promise<CliResult> => {
    const r = await $({ nothrow: true })`ip netns exec ${ns} ${argv}`;
    return { exitCode: r.exitCode ?? 1, stdout: r.stdout, stderr: r.stderr };
  };
  const destroy = async () => {
    for (const name of made.reverse()) await $({ nothrow: true })`ip netns del ${name}`;
  };
  try {
    await addNs(seg);
    await $`ip -n ${seg} link add br0 type bridge`;
    await $`ip -n ${seg} link set br0 up`;
    // A port on the bridge whose other end is `eth0` in namespace `ns`.
    const plug = async (port: string, ns: string, mtu = 1500) => {
      await $`ip -n ${seg} link add ${port} mtu ${mtu} type veth peer name eth0 netns ${ns}`;
      await $`ip -n ${seg} link set ${port} master br0 up`;
      await $`ip -n ${ns} link set eth0 mtu ${mtu}`;
      await $`ip -n ${ns} link set lo up`;
    };
    for (const id of options.nodes) {
      await addNs(host(id));
      await addNs(container(id));
      await plug(`n${id}`, host(id), options.mtu?.[id] ?? 1500);
    }
    if (options.server) {
      await addNs(server);
      await plug('srv', server);
      await $`ip -n ${server} link set eth0 up`;
    }
    if (options.client) {
      await addNs(client);
      await plug('cli', client);
      await $`ip -n ${client} link set eth0 up`;
    }
  } catch (error) {
    await destroy();
    throw error;
  }
  // Each simulated cluster keeps its own lock and records, like a machine of its own.
  const runDir = mkdtempSync(join(tmpdir(), `${prefix}-run-`));
  const cli = (ns: string, args: string[], env: Record<string, string> = {}) => {
    const assignments = Object.entries({ CLUSTERNET_RUN_DIR: runDir, ...env }).map(([k, v]) => `${k}=${v}`);
    return exec(ns, ['env', ...assignments, process.execPath, CLI, ...args]);
  };
  return { prefix, seg, host, container, server, client, nodes: options.nodes, runDir, cli, exec, destroy };
}

/** Writes a config file a root hook accepts (owned by us, mode 0644). */
export function writeConfig(text: string): string {
  const dir = mkdtempSync(join(tmpdir(), 'cnsim-conf-'));
  const path = join(dir, 'net.conf');
  writeFileSync(path, text);
  chmodSync(dir, 0o755);
  chmodSync(path, 0o644);
  return path;
}

/** The links of a namespace as `ip -json -details address show` reports them. */
export async function links(sim: SimCluster, ns: string): Promise<IpLink[]> {
  const r = await sim.exec(ns, ['ip', '-json', '-details', 'address', 'show']);
  if (r.exitCode !== 0) throw new Error(`ip address show in ${ns}: ${r.stderr}`);
  return JSON.parse(r.stdout) as IpLink[];
}

export interface IpLink {
  ifname: string;
  mtu: number;
  address: string;
  flags: string[];
  ifalias?: string;
  linkinfo?: { info_kind?: string; info_data?: { id?: number; protocol?: string } };
  addr_info: { family: string; local: string; prefixlen: number }[];
}

/** What identifies a namespace's network state, without counters or timers. */
export async function snapshot(sim: SimCluster, ns: string): Promise<string> {
  const state = (await links(sim, ns)).map((l) => ({
    name: l.ifname,
    mtu: l.mtu,
    mac: l.address,
    up: l.flags.includes('UP'),
    alias: l.ifalias,
    kind: l.linkinfo?.info_kind,
    vlan: l.linkinfo?.info_data?.id,
    addresses: l.addr_info.filter((a) => a.family === 'inet' || !a.local.startsWith('fe80')).map((a) => `${a.local}/${a.prefixlen}`),
  }));
  const routes = await sim.exec(ns, ['ip', '-json', 'route', 'show']);
  return JSON.stringify({ state, routes: routes.stdout.trim() });
}

/** True when `from` gets an echo reply from `to` (one packet, one second). */
export async function reaches(sim: SimCluster, from: string, to: string): Promise<boolean> {
  const r = await sim.exec(from, ['ping', '-c', '1', '-W', '1', '-q', to]);
  return r.exitCode === 0;
}
