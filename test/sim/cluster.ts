// A simulated cluster made only of network namespaces this code creates and removes:
//   <p>-seg   the ethernet segment (segment a): a bridge br0
//   <p>-segb  with `router` or a node on segment b: a second segment, its own bridge br0
//   <p>-rt    with `router`: a router joining segment a (eth0 192.168.10.254/24,
//             fd10:a::fe/64) and segment b (eth1 192.168.20.254/24, fd10:b::fe/64),
//             forwarding on in its own namespace only
//   <p>-n<i>  node i's host: eth0, a veth whose peer sits on its segment's bridge; with
//             `router`, eth0 up with its underlay address (node i on segment a:
//             192.168.10.i/24 + fd10:a::i/64, on b: 192.168.20.i/24 + fd10:b::i/64) and
//             default routes (v4, v6) via the router
//   <p>-c<i>  node i's cluster container (empty until the hooks run)
//   <p>-srv   an optional server host on the same segment
//   <p>-cli   an optional client host (for cluster-IP tests)
//   <p>-u<k>  optional plain hosts on the segment, untagged (e.g. to show a VLAN keeps them out)
// Nothing is ever created in, or sent to, the machine's root namespace. Used by the
// namespace tests on this machine and inside the lab's guests alike.
import { mkdirSync, mkdtempSync, writeFileSync, chmodSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { systemRunner } from '../../lib/system/runner.js';
import { $ } from 'zx';
import * as assert from 'uvu/assert';

$.verbose = false;
$.quiet = true;

/** How long one command in a namespace may run (a whole phase, in an emulated guest). */
const SIM_EXEC_TIMEOUT_MS = 10 * 60_000;

export const CLI = join(import.meta.dirname, '..', '..', 'dist', 'lib', 'cli', 'main.js');
/** The shipped hook folders (hooks/<phase>.d), as the init system runs them. */
export const HOOKS_DIR = join(import.meta.dirname, '..', '..', 'hooks');

/** The phases a node runs at boot, in order. */
export const BOOT_PHASES = ['boot-pre', 'boot-post', 'init-pre', 'init-post'] as const;
export type BootPhase = (typeof BOOT_PHASES)[number];

export interface SimOptions {
  nodes: number[];
  server?: boolean;
  client?: boolean;
  /** MTU of each node's eth0, by node id (default 1500). */
  mtu?: Record<number, number>;
  /** How many plain, untagged hosts `<p>-u1`.. to put on the segment (default 0). */
  untagged?: number;
  /**
   * Give each node its own run dir (lock, records), as separate machines have, so the
   * nodes can run their phases at the same time (default: one run dir for the cluster).
   */
  runDirPerNode?: boolean;
  /** The segment of each node, by id (default a). */
  segments?: Record<number, 'a' | 'b'>;
  /** A router namespace between segments a and b; node hosts get underlay addresses. */
  router?: boolean;
}

/** A host's address on a segment (its underlay), with its prefix length. */
export interface Underlay {
  v4: string;
  v6: string;
}

/** The router's address on each segment: the next hop of every underlay host. */
export const ROUTER = {
  a: { v4: '192.168.10.254', v6: 'fd10:a::fe' },
  b: { v4: '192.168.20.254', v6: 'fd10:b::fe' },
} as const;
const SEGMENT_NET = {
  a: { v4: '192.168.10', v6: 'fd10:a::' },
  b: { v4: '192.168.20', v6: 'fd10:b::' },
} as const;
const underlayOf = (segment: 'a' | 'b', host: number): Underlay => ({
  v4: `${SEGMENT_NET[segment].v4}.${host}/24`,
  v6: `${SEGMENT_NET[segment].v6}${host.toString(16)}/64`,
});

export interface SimCluster {
  prefix: string;
  seg: string;
  host: (id: number) => string;
  container: (id: number) => string;
  server: string;
  client: string;
  /** The k-th untagged host (1-based). */
  untagged: (k: number) => string;
  /** The router namespace (with `router`). */
  router: string;
  /** Node i's host addresses on its segment (with `router`). */
  underlay: (id: number) => Underlay;
  nodes: number[];
  /** CLUSTERNET_RUN_DIR of every CLI run: the lock and the node records. */
  runDir: string;
  /** The run dir of the CLI runs in `ns` (node i's own with runDirPerNode). */
  runDirOf: (ns: string) => string;
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
  /** Wall time of the call, in milliseconds. */
  ms?: number;
}

export async function createSimCluster(options: SimOptions): Promise<SimCluster> {
  const prefix = `cnt${randomBytes(3).toString('hex')}`;
  const seg = `${prefix}-seg`;
  const host = (id: number) => `${prefix}-n${id}`;
  const container = (id: number) => `${prefix}-c${id}`;
  const server = `${prefix}-srv`;
  const client = `${prefix}-cli`;
  const untagged = (k: number) => `${prefix}-u${k}`;
  const router = `${prefix}-rt`;
  const segOf = (id: number) => options.segments?.[id] ?? 'a';
  const segNs = { a: seg, b: `${prefix}-segb` } as const;
  const underlay = (id: number) => underlayOf(segOf(id), id);
  const made: string[] = [];
  const addNs = async (name: string) => {
    await $`ip netns add ${name}`;
    made.push(name);
  };
  // `ip netns exec NS ARGV…` through the project's own runner: an argument array, no shell
  // between (a shell per call is a tenth of a second in the lab's emulated guests, and the
  // lab makes hundreds of calls). Never throws; bounded only by SIM_EXEC_TIMEOUT_MS, since
  // a hook run here may rightly take long in a guest.
  const exec = async (ns: string, argv: string[]): Promise<CliResult> => {
    const started = Date.now();
    const r = await systemRunner.run(['ip', 'netns', 'exec', ns, ...argv], {
      timeoutMs: SIM_EXEC_TIMEOUT_MS,
    });
    return { exitCode: r.exitCode, stdout: r.stdout, stderr: r.stderr, ms: Date.now() - started };
  };
  const destroy = async () => {
    for (const name of made.reverse()) await $({ nothrow: true })`ip netns del ${name}`;
  };
  try {
    const segments =
      options.router || options.nodes.some((id) => segOf(id) === 'b')
        ? (['a', 'b'] as const)
        : (['a'] as const);
    for (const s of segments) {
      await addNs(segNs[s]);
      await $`ip -n ${segNs[s]} link add br0 type bridge`;
      await $`ip -n ${segNs[s]} link set br0 up`;
    }
    // A port on segment `s`'s bridge whose other end is `dev` (eth0) in namespace `ns`.
    const plug = async (port: string, ns: string, mtu = 1500, s: 'a' | 'b' = 'a', dev = 'eth0') => {
      await $`ip -n ${segNs[s]} link add ${port} mtu ${mtu} type veth peer name ${dev} netns ${ns}`;
      await $`ip -n ${segNs[s]} link set ${port} master br0 up`;
      await $`ip -n ${ns} link set ${dev} mtu ${mtu}`;
      await $`ip -n ${ns} link set lo up`;
    };
    // An underlay host: up, addressed (nodad: usable at once), defaults via the router.
    const address = async (ns: string, at: Underlay, s: 'a' | 'b') => {
      await $`ip -n ${ns} link set eth0 up`;
      await $`ip -n ${ns} address add ${at.v4} dev eth0`;
      await $`ip -n ${ns} address add ${at.v6} dev eth0 nodad`;
      await $`ip -n ${ns} route add default via ${ROUTER[s].v4}`;
      await $`ip -n ${ns} -6 route add default via ${ROUTER[s].v6}`;
    };
    if (options.router) {
      await addNs(router);
      for (const [s, dev] of [
        ['a', 'eth0'],
        ['b', 'eth1'],
      ] as const) {
        await plug(`rt${s}`, router, 1500, s, dev);
        await $`ip -n ${router} link set ${dev} up`;
        await $`ip -n ${router} address add ${ROUTER[s].v4}/24 dev ${dev}`;
        await $`ip -n ${router} address add ${ROUTER[s].v6}/64 dev ${dev} nodad`;
      }
      await $`ip netns exec ${router} sysctl -q -w net.ipv4.ip_forward=1 net.ipv6.conf.all.forwarding=1`;
    }
    for (const id of options.nodes) {
      await addNs(host(id));
      await addNs(container(id));
      await plug(`n${id}`, host(id), options.mtu?.[id] ?? 1500, segOf(id));
      if (options.router) await address(host(id), underlay(id), segOf(id));
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
      if (options.router) await address(client, underlayOf('a', 100), 'a');
    }
    for (let k = 1; k <= (options.untagged ?? 0); k++) {
      await addNs(untagged(k));
      await plug(`u${k}`, untagged(k));
      await $`ip -n ${untagged(k)} link set eth0 up`;
    }
  } catch (error) {
    await destroy();
    throw error;
  }
  // Each simulated cluster keeps its own lock and records, like a machine of its own.
  const runDir = mkdtempSync(join(tmpdir(), `${prefix}-run-`));
  const nodeOf = (ns: string) =>
    options.nodes.find((id) => ns === host(id) || ns === container(id));
  const runDirOf = (ns: string) => {
    const id = options.runDirPerNode ? nodeOf(ns) : undefined;
    if (id === undefined) return runDir;
    const dir = join(runDir, `node${id}`);
    mkdirSync(dir, { recursive: true });
    return dir;
  };
  const cli = (ns: string, args: string[], env: Record<string, string> = {}) => {
    const all = { CLUSTERNET_RUN_DIR: runDirOf(ns), ...env };
    const assignments = Object.entries(all).map(([k, v]) => `${k}=${v}`);
    return exec(ns, ['env', ...assignments, process.execPath, CLI, ...args]);
  };
  return {
    prefix,
    seg,
    host,
    container,
    server,
    client,
    untagged,
    router,
    underlay,
    nodes: options.nodes,
    runDir,
    runDirOf,
    cli,
    exec,
    destroy,
  };
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
  ifindex: number;
  ifname: string;
  mtu: number;
  address: string;
  flags: string[];
  ifalias?: string;
  linkinfo?: {
    info_kind?: string;
    info_data?: { id?: number; protocol?: string; local?: string; local6?: string };
  };
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
    addresses: l.addr_info
      .filter((a) => a.family === 'inet' || !a.local.startsWith('fe80'))
      .map((a) => `${a.local}/${a.prefixlen}`),
  }));
  const routes = await sim.exec(ns, ['ip', '-json', 'route', 'show']);
  const routes6 = await sim.exec(ns, ['ip', '-json', '-6', 'route', 'show']);
  const neighbors = await sim.exec(ns, ['ip', '-json', 'neigh', 'show', 'nud', 'permanent']);
  // Permanent entries only: learned ones come and go with traffic.
  const fdb = await sim.exec(ns, ['bridge', '-json', 'fdb', 'show']);
  const permanent = (JSON.parse(fdb.stdout || '[]') as { state?: string }[]).filter(
    (e) => e.state === 'permanent' || e.state === 'static',
  );
  return JSON.stringify({
    state,
    routes: routes.stdout.trim(),
    routes6: routes6.stdout.trim(),
    neighbors: neighbors.stdout.trim(),
    fdb: permanent,
  });
}

/** True when `from` gets an echo reply from `to` (one packet, one second). */
export async function reaches(sim: SimCluster, from: string, to: string): Promise<boolean> {
  const r = await sim.exec(from, ['ping', '-c', '1', '-W', '1', '-q', to]);
  return r.exitCode === 0;
}

/**
 * Runs one phase on node `id` as the init system would: boot-pre, boot-post and stop in
 * the node's own namespace naming the container (--netns), init-pre and init-post inside
 * the container.
 */
export function runPhase(
  sim: SimCluster,
  config: string,
  id: number,
  phase: string,
  extra: string[] = [],
  env?: Record<string, string>,
): Promise<CliResult> {
  const inside = phase === 'init-pre' || phase === 'init-post';
  return inside
    ? sim.cli(sim.container(id), ['run', phase, '--node', String(id), '-c', config, ...extra], env)
    : onNode(sim, config, id, ['run', phase, ...extra], env);
}

/**
 * `clusternet ARGS --node ID -c CONFIG --netns <its container>` in node `id`'s own
 * namespace: a command run on a node by hand, or by its init system.
 */
export function onNode(
  sim: SimCluster,
  config: string,
  id: number,
  args: string[],
  env?: Record<string, string>,
): Promise<CliResult> {
  return sim.cli(
    sim.host(id),
    [...args, '--node', String(id), '-c', config, '--netns', sim.container(id)],
    env,
  );
}

/** Boots node `id` through the CLI: the four phases in order (runPhase), each one must succeed. */
export async function bootWithCli(sim: SimCluster, config: string, id: number): Promise<void> {
  for (const phase of BOOT_PHASES) {
    const r = await runPhase(sim, config, id, phase);
    assert.is(r.exitCode, 0, `${phase} on node ${id}: ${r.stderr}`);
  }
}

/**
 * Runs one phase on node `id` as the init system does at boot, Kerrighed's way: `run-parts`
 * over the shipped hooks/<phase>.d, each hook a process of its own (the hooks' own fast
 * entry, not the CLI), with CLUSTERNET_CONFIG and CLUSTERNET_NODE_ID in the environment.
 * Where and with what argument: boot-pre in the node's namespace (none), boot-post and stop
 * there with the container (its netns name), init-pre inside the container with a path
 * (as Kerrighed's krginit_helper gave its conf file: ignored), init-post inside the
 * container (none).
 */
export function runHooks(
  sim: SimCluster,
  config: string,
  id: number,
  phase: BootPhase | 'stop',
): Promise<CliResult> {
  const inside = phase === 'init-pre' || phase === 'init-post';
  const ns = inside ? sim.container(id) : sim.host(id);
  const arg =
    phase === 'boot-post' || phase === 'stop'
      ? [`--arg=${sim.container(id)}`]
      : phase === 'init-pre'
        ? [`--arg=${config}`]
        : [];
  const env = {
    CLUSTERNET_RUN_DIR: sim.runDirOf(ns),
    CLUSTERNET_CONFIG: config,
    CLUSTERNET_NODE_ID: String(id),
  };
  return sim.exec(ns, [
    'env',
    ...Object.entries(env).map(([k, v]) => `${k}=${v}`),
    'run-parts',
    ...arg,
    join(HOOKS_DIR, `${phase}.d`),
  ]);
}

export interface PhaseRun extends CliResult {
  node: number;
  phase: BootPhase | 'stop';
}

/**
 * Boots nodes with their hooks (runHooks): every phase in order, each phase on all `ids` at
 * once (separate machines boot independently). Stops after the first phase that failed
 * anywhere; returns every run.
 */
export async function bringUp(
  sim: SimCluster,
  config: string,
  ids: readonly number[],
): Promise<PhaseRun[]> {
  const runs: PhaseRun[] = [];
  for (const phase of BOOT_PHASES) {
    const done = await Promise.all(
      ids.map(async (node) => ({ node, phase, ...(await runHooks(sim, config, node, phase)) })),
    );
    runs.push(...done);
    if (done.some((r) => r.exitCode !== 0)) break;
  }
  return runs;
}

/**
 * Joins namespace `ns` to the cluster network as a server (not a node) would: the commands
 * `clusternet server-config --address ADDRESS [extra]` prints, run as printed by a shell in `ns`.
 */
export async function joinAsServer(
  sim: SimCluster,
  ns: string,
  config: string,
  address: string,
  extra: string[] = [],
): Promise<{ commands: string; result: CliResult }> {
  const printed = await sim.cli(ns, [
    'server-config',
    '--address',
    address,
    '-c',
    config,
    ...extra,
  ]);
  if (printed.exitCode !== 0)
    throw new Error(`server-config --address ${address}: ${printed.stderr}`);
  const r = await $({ nothrow: true, input: printed.stdout })`ip netns exec ${ns} sh -e`;
  return {
    commands: printed.stdout,
    result: { exitCode: r.exitCode ?? 1, stdout: r.stdout, stderr: r.stderr },
  };
}
