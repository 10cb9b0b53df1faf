// A real corosync 3 + Pacemaker 2.1 cluster on this machine, every node a machine of its
// own made of namespaces (facts: ../shared/docs/pacemaker-in-namespaces.md), on top of
// the simulated cluster of test/sim:
//   <p>-n<i>   node i's network namespace: eth0 on the data segment (its container's
//              macvlan, the client), eth1 on the corosync ring, a bridge of its own
//   <p>-c<i>   node i's container, seen inside the node as /run/netns/cluster
//   <p>-ring   the corosync ring's bridge
// Each node runs under a small shell, PID 1 of its own PID namespace, with private mount
// (an overlay /etc holding its net.conf and corosync.conf; /run, /dev/shm, /tmp fresh;
// /var/lib/pacemaker, /var/lib/corosync, /var/log its own; the agent in an overlay of
// /usr/lib/ocf/resource.d), IPC and UTS (host name pm<i>) namespaces. That shell boots the
// node as a machine does: clusternet's four phases, corosync, then pacemakerd. Killing its
// process group kills the whole node. Nothing is made in the machine's root namespace;
// every file lives under one folder in /var/tmp, removed at the end.
import { spawn, type ChildProcess } from 'node:child_process';
import {
  chmodSync,
  chownSync,
  existsSync,
  mkdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { join } from 'node:path';
import { $ } from 'zx';
import { renderTemplate } from '../../lib/install/templates.js';
import { systemRunner } from '../../lib/system/runner.js';
import { CLI, createSimCluster, type CliResult, type SimCluster } from '../sim/cluster.js';
import { hiddenBy, PROJECT_ROOT } from '../helpers/project.js';
import { PORT } from '../sim/clients.js';

$.verbose = false;
$.quiet = true;

/** The container's name inside every node: the same on all, as in production. */
export const CONTAINER = 'cluster';
export const AGENT = '/usr/lib/ocf/resource.d/clusternet/clusterip';
/** corosync's token timeout (ms); with 3 nodes the effective token is 1650 ms, consensus 1980 ms. */
export const TOKEN_MS = 1000;
const PATH = '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';

export interface PcmkCluster {
  sim: SimCluster;
  nodes: number[];
  name: (id: number) => string;
  /** The folder of all files (under /var/tmp). */
  base: string;
  /** Boots node `id`: a fresh container, clusternet's phases, corosync, pacemakerd. */
  boot: (id: number) => Promise<void>;
  /** SIGKILLs node `id` whole (corosync, Pacemaker, its listener) and removes its container. */
  crash: (id: number) => Promise<void>;
  /** Takes node `id`'s corosync link down (true) or up (false); its data link stays. */
  cut: (id: number, down: boolean) => Promise<void>;
  /** Runs argv inside node `id` (all its namespaces), with a clean environment. */
  exec: (id: number, argv: string[], input?: string) => Promise<CliResult>;
  /** Whether node `id` is running. */
  running: (id: number) => boolean;
  /** Starts the TCP listener answering "node<id>" in node `id`'s container (test/sim/clients.ts's port). */
  listen: (id: number) => void;
  destroy: () => Promise<void>;
}

export interface PcmkOptions {
  nodes: number[];
  /** net.conf's text (the same on every node); each node also gets `[node i] hostname = pm<i>`. */
  netConf: string;
}

const corosyncConf = (nodes: number[], ring: (id: number) => string) => `totem {
  version: 2
  cluster_name: clusternet
  transport: knet
  crypto_cipher: none
  crypto_hash: none
  token: ${TOKEN_MS}
}
nodelist {
${nodes.map((id) => `  node {\n    ring0_addr: ${ring(id)}\n    name: pm${id}\n    nodeid: ${id}\n  }`).join('\n')}
}
quorum {
  provider: corosync_votequorum
}
logging {
  to_logfile: yes
  logfile: /var/log/corosync/corosync.log
  to_syslog: no
  to_stderr: no
  timestamp: on
}
system {
  move_to_root_cgroup: no
  sched_rr: no
}
`;

/** What each node mounts afresh (boot's script): a project under one of them is not there. */
const FRESH_IN_NODE = ['/run', '/dev/shm', '/tmp'];

export async function createPcmkCluster(options: PcmkOptions): Promise<PcmkCluster> {
  const hidden = hiddenBy(FRESH_IN_NODE);
  if (hidden)
    throw new Error(
      `the Pacemaker nodes cannot run a project under ${hidden} (${PROJECT_ROOT}): each mounts a fresh ${hidden} over the host's; check the project out elsewhere`,
    );
  const { nodes } = options;
  const sim = await createSimCluster({ nodes, client: true });
  const ringNs = `${sim.prefix}-ring`;
  const base = join('/var/tmp', `${sim.prefix}-pcmk`);
  const children = new Map<number, ChildProcess>();
  const exits = new Map<number, Promise<void>>();
  const name = (id: number) => `pm${id}`;
  const ring = (id: number) => `172.31.77.${id}`;
  const dir = (id: number, ...sub: string[]) => join(base, `n${id}`, ...sub);
  let ringMade = false;

  const listeners: ChildProcess[] = [];
  const destroy = async () => {
    for (const l of listeners) l.kill('SIGKILL');
    for (const id of [...children.keys()]) await kill(id);
    if (ringMade) await $({ nothrow: true })`ip netns del ${ringNs}`;
    await sim.destroy();
    rmSync(base, { recursive: true, force: true });
  };

  // The init (PID 1) of node `id`, as the harness sees it: the child of unshare.
  const initPid = (id: number): number => {
    const child = children.get(id);
    if (!child?.pid) throw new Error(`node ${id} is not running`);
    const kids = readFileSync(`/proc/${child.pid}/task/${child.pid}/children`, 'utf8')
      .trim()
      .split(/\s+/)
      .filter(Boolean);
    if (kids.length !== 1) throw new Error(`node ${id}: unshare has ${kids.length} children`);
    return Number(kids[0]);
  };

  const exec = async (id: number, argv: string[], input?: string): Promise<CliResult> => {
    const started = Date.now();
    const r = await systemRunner.run(
      [
        'nsenter',
        '-t',
        String(initPid(id)),
        '-m',
        '-u',
        '-i',
        '-n',
        '-p',
        '--',
        'env',
        '-i',
        `PATH=${PATH}`,
        'HOME=/root',
        'LANG=C',
        ...argv,
      ],
      { timeoutMs: 120_000, ...(input === undefined ? {} : { input }) },
    );
    return { exitCode: r.exitCode, stdout: r.stdout, stderr: r.stderr, ms: Date.now() - started };
  };

  async function kill(id: number): Promise<void> {
    const child = children.get(id);
    if (!child?.pid) return;
    try {
      process.kill(-child.pid, 'SIGKILL');
    } catch {
      // already gone
    }
    await exits.get(id);
    children.delete(id);
  }

  const boot = async (id: number) => {
    if (children.has(id)) throw new Error(`node ${id} is already running`);
    if (!existsSync(`/run/netns/${sim.container(id)}`)) await $`ip netns add ${sim.container(id)}`;
    const d = (...sub: string[]) => dir(id, ...sub);
    // Every boot is a machine's: /run and the node's record start empty.
    rmSync(d('booted'), { force: true });
    const script = `set -e
hostname ${name(id)}
exec 3</run/netns/${sim.container(id)}
mount -t tmpfs -o mode=755 tmpfs /run
mkdir -p /run/netns /run/resource-agents /run/crm
chmod 1755 /run/resource-agents
touch /run/netns/${CONTAINER}
mount --bind /proc/self/fd/3 /run/netns/${CONTAINER}
exec 3<&-
mount -t tmpfs tmpfs /dev/shm
mount -t overlay overlay -o lowerdir=/etc,upperdir=${d('etc')},workdir=${d('etc-work')} /etc
mount -t overlay overlay -o lowerdir=${d('ocf')}:/usr/lib/ocf/resource.d /usr/lib/ocf/resource.d
mount --bind ${d('pacemaker')} /var/lib/pacemaker
mount --bind ${d('corosync')} /var/lib/corosync
mount --bind ${d('log')} /var/log
mount -t tmpfs -o mode=1777 tmpfs /tmp
export PATH=${PATH}
for phase in boot-pre boot-post init-pre init-post; do
  ${process.execPath} ${CLI} run $phase --netns ${CONTAINER} >>/var/log/clusternet-boot.log 2>&1
done
corosync -f &
i=0
until corosync-cfgtool -s >/dev/null 2>&1; do i=$((i+1)); [ $i -lt 100 ] || exit 1; sleep 0.1; done
pacemakerd &
touch ${d('booted')}
wait
`;
    const child = spawn(
      'ip',
      [
        'netns',
        'exec',
        sim.host(id),
        'unshare',
        '--mount',
        '--ipc',
        '--uts',
        '--pid',
        '--fork',
        '--mount-proc',
        '--propagation',
        'private',
        'sh',
        '-c',
        script,
      ],
      {
        detached: true,
        stdio: ['ignore', 'ignore', 'pipe'],
        env: { PATH, HOME: '/root', LANG: 'C' },
      },
    );
    let stderr = '';
    child.stderr!.on('data', (c: Buffer) => (stderr += c.toString()));
    children.set(id, child);
    exits.set(id, new Promise((resolve) => child.once('exit', () => resolve())));
    const deadline = Date.now() + 60_000;
    while (!existsSync(d('booted'))) {
      if (child.exitCode !== null || child.signalCode !== null) {
        const log = existsSync(d('log', 'clusternet-boot.log'))
          ? readFileSync(d('log', 'clusternet-boot.log'), 'utf8')
          : '';
        throw new Error(`node ${id} did not boot: ${stderr}\n${log}`);
      }
      if (Date.now() > deadline) throw new Error(`node ${id} did not boot in 60 s: ${stderr}`);
      await new Promise((r) => setTimeout(r, 100));
    }
  };

  try {
    await $`ip netns add ${ringNs}`;
    ringMade = true;
    await $`ip -n ${ringNs} link add br0 type bridge`;
    await $`ip -n ${ringNs} link set br0 up`;
    const seed = join(base, 'cib.xml');
    mkdirSync(base, { recursive: true, mode: 0o755 });
    chmodSync(base, 0o755);
    writeFileSync(seed, (await $`cibadmin --empty`).stdout);
    for (const [key, value] of [
      ['dc-deadtime', '2s'],
      ['stonith-enabled', 'false'],
    ]) {
      await $({
        env: { ...process.env, CIB_file: seed },
      })`crm_attribute --type crm_config --name ${key} --update ${value}`;
    }
    const agent = renderTemplate('ocf/clusterip.in', { NODE: process.execPath, CLI });
    const ids = await hacluster();
    for (const id of nodes) {
      await $`ip -n ${ringNs} link add r${id} type veth peer name eth1 netns ${sim.host(id)}`;
      await $`ip -n ${ringNs} link set r${id} master br0 up`;
      await $`ip -n ${sim.host(id)} address add ${ring(id)}/24 dev eth1`;
      await $`ip -n ${sim.host(id)} link set eth1 up`;
      await $`ip -n ${sim.host(id)} link set eth0 up`;
      for (const sub of ['etc/corosync', 'etc-work', 'ocf/clusternet', 'corosync', 'log/corosync'])
        mkdirSync(dir(id, sub), { recursive: true, mode: 0o755 });
      chmodSync(dir(id), 0o755);
      writeFileSync(
        dir(id, 'etc', 'net.conf'),
        `${options.netConf}\n${nodes.map((n) => `[node ${n}]\nhostname = ${name(n)}\n`).join('\n')}`,
        { mode: 0o644 },
      );
      writeFileSync(dir(id, 'etc', 'corosync', 'corosync.conf'), corosyncConf(nodes, ring), {
        mode: 0o644,
      });
      writeFileSync(dir(id, 'ocf', 'clusternet', 'clusterip'), agent, { mode: 0o755 });
      for (const sub of [
        'pacemaker/cib',
        'pacemaker/pengine',
        'pacemaker/blackbox',
        'pacemaker/cores',
        'log/pacemaker/bundles',
      ]) {
        mkdirSync(dir(id, sub), { recursive: true });
        chownSync(dir(id, sub), ids.uid, ids.gid);
        chmodSync(dir(id, sub), 0o750);
      }
      for (const sub of ['pacemaker', 'log/pacemaker']) chownSync(dir(id, sub), ids.uid, ids.gid);
      const cib = dir(id, 'pacemaker', 'cib', 'cib.xml');
      writeFileSync(cib, readFileSync(seed), { mode: 0o600 });
      chownSync(cib, ids.uid, ids.gid);
    }
  } catch (error) {
    await destroy();
    throw error;
  }

  return {
    sim,
    nodes,
    name,
    base,
    boot,
    crash: async (id) => {
      await kill(id);
      // The machine is gone, and its container with it: nothing of it answers any more.
      await $({ nothrow: true })`ip netns pids ${sim.container(id)}`.then(async (r) => {
        for (const pid of r.stdout.split('\n').filter(Boolean))
          await $({ nothrow: true })`kill -9 ${pid}`;
      });
      await $`ip netns del ${sim.container(id)}`;
    },
    cut: async (id, down) => {
      await $`ip -n ${ringNs} link set r${id} ${down ? 'down' : 'up'}`;
    },
    exec,
    running: (id) => children.has(id),
    listen: (id) => {
      const l = spawn(
        'ip',
        [
          'netns',
          'exec',
          sim.container(id),
          process.execPath,
          '-e',
          `require('net').createServer((s) => { s.on('error', () => {}); s.end('node${id}\\n'); }).listen(${PORT}, '0.0.0.0'); setTimeout(() => process.exit(0), 3600e3);`,
        ],
        { stdio: 'ignore' },
      );
      listeners.push(l);
    },
    destroy,
  };
}

async function hacluster(): Promise<{ uid: number; gid: number }> {
  const uid = Number((await $`id -u hacluster`).stdout.trim());
  const gid = Number((await $`id -g hacluster`).stdout.trim());
  return { uid, gid };
}

/** What crm_mon says: online nodes, and where each clone instance runs. */
export interface ClusterView {
  online: string[];
  /** Instance id (cip-bucket:0) → the node names it is started on (no action pending). */
  instances: Map<string, string[]>;
  quorum: boolean;
}

export async function view(cluster: PcmkCluster, id: number): Promise<ClusterView> {
  const r = await cluster.exec(id, ['crm_mon', '-1', '--output-as=xml']);
  if (r.exitCode !== 0) throw new Error(`crm_mon on node ${id}: ${r.stderr}`);
  const xml = r.stdout;
  const online = [...xml.matchAll(/<node name="([^"]+)"[^>]*\bonline="true"/g)].map((m) => m[1]!);
  const instances = new Map<string, string[]>();
  for (const m of xml.matchAll(/<resource id="([^"]+)"([^>]*?)(\/>|>([\s\S]*?)<\/resource>)/g)) {
    // Started and done: an action still pending (record-pending) does not count.
    const started =
      /\brole="Started"/.test(m[2]!) &&
      !/\bpending="/.test(m[2]!) &&
      /\bfailed="false"/.test(m[2]!);
    const on = started ? [...(m[4] ?? '').matchAll(/<node name="([^"]+)"/g)].map((n) => n[1]!) : [];
    instances.set(m[1]!, on);
  }
  const quorum = /<current_dc [^>]*with_quorum="true"/.test(xml);
  return { online, instances, quorum };
}

/** How long each completed `task` (start, monitor…) of the clone's instances took on node `id`, as Pacemaker recorded it (exec-time, ms). */
export async function execTimes(cluster: PcmkCluster, id: number, task: string): Promise<number[]> {
  const r = await cluster.exec(id, ['crm_mon', '-1', '--output-as=xml', '--include=operations']);
  if (r.exitCode !== 0) throw new Error(`crm_mon on node ${id}: ${r.stderr}`);
  return [
    ...r.stdout.matchAll(
      /<operation_history [^>]*\btask="([^"]+)"[^>]*\brc="0"[^>]*\bexec-time="(\d+)ms"/g,
    ),
  ]
    .filter((m) => m[1] === task)
    .map((m) => Number(m[2]));
}

/** Polls `check` every 200 ms until it is true; throws with `what` after `ms`. */
export async function waitUntil(
  what: string,
  ms: number,
  check: () => Promise<boolean>,
): Promise<number> {
  const started = Date.now();
  for (;;) {
    let ok = false;
    try {
      ok = await check();
    } catch {
      ok = false;
    }
    if (ok) return Date.now() - started;
    if (Date.now() - started > ms) throw new Error(`${what}: not after ${ms} ms`);
    await new Promise((r) => setTimeout(r, 200));
  }
}
