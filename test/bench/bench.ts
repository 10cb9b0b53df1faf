// npm run bench: clusternet's hooks against the plain shell reference (reference.sh, the
// Kerrighed way: one process per command), on this machine, in network namespaces this
// script creates and removes (never the machine's root namespace). Needs root.
//
//   npm run bench                       the full run (cluster-match at k = 1, 16, 64, 256,
//                                       nft at k = 1, 64; processes per phase also with one
//                                       distinct cluster MAC per address at the same k);
//                                       rewrites README.md between
//                                       <!-- bench:start --> and <!-- bench:end -->
//   npm run bench -- --quick            2 rounds, k = 1 and 16, nft at k = 1 (a smoke run)
//   npm run bench -- --rounds 9 --ks 1,64 --nft 1 --no-readme
//   npm run bench -- --lab 6.12         the same inside the lab's Debian 6.12 (or 6.1) guest
//                                       under qemu, link = vlan (default there: 3 rounds,
//                                       k = 1, 16, 64; --timeout SECONDS bounds the guest);
//                                       README section bench-lab-6.12
//   npm run bench -- --cni              part 6 alone (CNI ADD/DEL); README section bench-cni
// Other options: --link macvlan|vlan; --no-build (time the repository's own dist/ as it
// is) or --pkg DIR (a package built elsewhere); --json (figures as one JSON line).
// By default the package is built privately (tsc, then scripts/bundle.mjs, as npm run
// build does) into a temporary folder, so a rebuild of the repository meanwhile cannot
// change what is measured.
//
// What is timed is what a boot runs: the compiled hook executables hooks/<phase>.d/*
// (node from dist/, never tsx) and `sh reference.sh PHASE`, each started by bash inside
// the namespace the phase runs in; bash's $EPOCHREALTIME is read just before the command
// starts and just after it ends, so nothing but the command itself is counted. Both sides
// get the same boot-like environment (PATH of the system directories, LC_ALL=C), a fresh
// container namespace, the lower device down, and a fresh run dir (/run at boot is empty:
// no probe cache, no record). Rounds alternate which side goes first; the first round is
// a warm-up and is not counted; figures are medians.
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import {
  chmodSync,
  existsSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { cpus, loadavg, release, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { measureCni, renderCni, type CniFigures } from './cni.js';

const ROOT = resolve(import.meta.dirname, '..', '..');
/**
 * The package whose hooks and CLI are timed: a private build (see privatePackage), so a
 * build someone else starts in the repository meanwhile cannot change what is measured.
 */
let PKG = ROOT;
const HOOK_FILES = {
  'boot-pre': 'boot-pre.d/50net',
  'boot-post': 'boot-post.d/50net',
  'init-pre': 'init-pre.d/10net',
  'init-post': 'init-post.d/20clusterip',
} as const;
const hook = (phase: PhaseName) => join(PKG, 'hooks', HOOK_FILES[phase]);
const cliPath = () => join(PKG, 'dist', 'lib', 'cli', 'main.js');
const REFERENCE = join(ROOT, 'test', 'bench', 'reference.sh');
const README = join(ROOT, 'README.md');
const BOOT_PATH = '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';

type PhaseName = keyof typeof HOOK_FILES;
const PHASES: PhaseName[] = ['boot-pre', 'boot-post', 'init-pre', 'init-post'];
type Side = 'cn' | 'sh';
type Backend = 'cluster-match' | 'nft';
type Link = 'macvlan' | 'vlan';
/** One cluster MAC shared by every cluster address, or one of its own each. */
type Macs = 'shared' | 'distinct';

const { values: opts } = parseArgs({
  options: {
    rounds: { type: 'string' },
    ks: { type: 'string' },
    nft: { type: 'string' },
    quick: { type: 'boolean', default: false },
    'no-readme': { type: 'boolean', default: false },
    json: { type: 'boolean', default: false },
    link: { type: 'string' },
    lab: { type: 'string' },
    timeout: { type: 'string' },
    'no-build': { type: 'boolean', default: false },
    pkg: { type: 'string' },
    cni: { type: 'boolean', default: false },
  },
});

const log = (line: string) => process.stderr.write(`bench: ${line}\n`);

// ---------------------------------------------------------------------------------------
// Processes

interface Ran {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs argv to completion (killed past timeoutMs); never throws for a failing command. */
function run(
  argv: string[],
  options: { env?: NodeJS.ProcessEnv; input?: string; timeoutMs?: number; fds?: number } = {},
): Promise<Ran & { extra: string }> {
  return new Promise((resolvePromise, reject) => {
    const stdio: ('pipe' | 'ignore')[] = [
      options.input === undefined ? 'ignore' : 'pipe',
      'pipe',
      'pipe',
    ];
    if (options.fds) stdio.push('pipe');
    const child = spawn(argv[0]!, argv.slice(1), { env: options.env ?? process.env, stdio });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    const extra: Buffer[] = [];
    child.stdout!.on('data', (b: Buffer) => out.push(b));
    child.stderr!.on('data', (b: Buffer) => err.push(b));
    (child.stdio[3] as NodeJS.ReadableStream | undefined)?.on('data', (b: Buffer) => extra.push(b));
    const timer = setTimeout(() => child.kill('SIGKILL'), options.timeoutMs ?? 300_000);
    child.once('error', (e) => {
      clearTimeout(timer);
      reject(e);
    });
    if (options.input !== undefined) child.stdin!.end(options.input);
    child.once('close', (code, signal) => {
      clearTimeout(timer);
      resolvePromise({
        code: code ?? (signal ? 128 : 1),
        stdout: Buffer.concat(out).toString(),
        stderr: Buffer.concat(err).toString(),
        extra: Buffer.concat(extra).toString(),
      });
    });
  });
}

async function must(argv: string[], options: Parameters<typeof run>[1] = {}): Promise<string> {
  const r = await run(argv, options);
  if (r.code !== 0) throw new Error(`${argv.join(' ')} → exit ${r.code}: ${r.stderr.trim()}`);
  return r.stdout;
}

const nsPath = (ns: string) => `/run/netns/${ns}`;

// bash reads the clock just before and just after the command, inside the namespace: the
// figure is the command's own wall time (fork, exec, run, exit), nothing of nsenter's.
const TIMER = 'a=$EPOCHREALTIME; "$@" 3>&-; rc=$?; b=$EPOCHREALTIME; echo "$rc $a $b" >&3';
const micros = (s: string) => Number(s.replace('.', ''));

interface Timed extends Ran {
  ms: number;
}

async function timedIn(
  ns: string,
  argv: string[],
  env: NodeJS.ProcessEnv,
  timeoutMs = 600_000,
  input?: string,
): Promise<Timed> {
  const r = await run(
    ['nsenter', `--net=${nsPath(ns)}`, '--', 'bash', '-c', TIMER, 'timer', ...argv],
    { env, fds: 4, timeoutMs, ...(input === undefined ? {} : { input }) },
  );
  const m = /^(\d+) (\d+\.\d+) (\d+\.\d+)/.exec(r.extra.trim());
  if (!m)
    throw new Error(
      `no timing from ${argv.join(' ')} in ${ns}: exit ${r.code}: ${r.stderr.trim()}`,
    );
  return {
    code: Number(m[1]),
    stdout: r.stdout,
    stderr: r.stderr,
    ms: (micros(m[3]!) - micros(m[2]!)) / 1000,
  };
}

async function ok(what: string, t: Promise<Timed>): Promise<Timed> {
  const r = await t;
  if (r.code !== 0) throw new Error(`${what} failed (exit ${r.code}):\n${r.stderr.trim()}`);
  return r;
}

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  if (s.length === 0) return NaN;
  const mid = Math.floor(s.length / 2);
  return s.length % 2 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
};
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

// ---------------------------------------------------------------------------------------
// The namespaces: <p>-seg (a bridge), <p>-h (the node's host: eth0 on the bridge), and the
// node's container <p>-c, made afresh for every run. Nothing in the root namespace.

class Fixture {
  readonly seg: string;
  readonly host: string;
  readonly container: string;
  private readonly made: string[] = [];

  constructor(readonly prefix: string) {
    this.seg = `${prefix}-seg`;
    this.host = `${prefix}-h`;
    this.container = `${prefix}-c`;
  }

  static async create(): Promise<Fixture> {
    const f = new Fixture(`cnb${randomBytes(3).toString('hex')}`);
    try {
      await f.addNs(f.seg);
      await must(['ip', '-n', f.seg, 'link', 'add', 'br0', 'type', 'bridge']);
      await must(['ip', '-n', f.seg, 'link', 'set', 'br0', 'up']);
      await f.addNs(f.host);
      await must([
        'ip',
        '-n',
        f.seg,
        'link',
        'add',
        'h0',
        'mtu',
        '1500',
        'type',
        'veth',
        'peer',
        'name',
        'eth0',
        'netns',
        f.host,
      ]);
      await must(['ip', '-n', f.seg, 'link', 'set', 'h0', 'master', 'br0', 'up']);
      await must(['ip', '-n', f.host, 'link', 'set', 'lo', 'up']);
    } catch (error) {
      await f.destroy();
      throw error;
    }
    return f;
  }

  private async addNs(name: string) {
    await must(['ip', 'netns', 'add', name]);
    this.made.push(name);
  }

  /** A new, empty container namespace, and the host's eth0 down again: a boot's start. */
  async fresh(): Promise<void> {
    await this.dropContainer();
    await this.addNs(this.container);
    await must(['ip', '-n', this.host, 'link', 'set', 'eth0', 'down']);
  }

  async dropContainer(): Promise<void> {
    if (!this.made.includes(this.container)) return;
    await run(['ip', 'netns', 'del', this.container]);
    this.made.splice(this.made.indexOf(this.container), 1);
    // The kernel tears a namespace down in the background: let it finish before timing.
    await sleep(150);
  }

  async destroy(): Promise<void> {
    for (const name of [...this.made].reverse()) await run(['ip', 'netns', 'del', name]);
    this.made.length = 0;
  }
}

// ---------------------------------------------------------------------------------------
// The node: node 1 of 4; k cluster addresses sharing one cluster MAC.

const NODE = {
  id: 1,
  total: 4,
  mac: '02:00:00:00:07:01',
  address: '10.4.135.1/18',
  seed: '0xdeadbeef',
  cmac: '01:00:5e:04:c0:01',
  vlan: 7,
};

function clusterAddresses(k: number): { name: string; address: string }[] {
  const base = (10 << 24) | (4 << 16) | (192 << 8) | 1;
  return Array.from({ length: k }, (_, i) => {
    const n = base + i;
    return {
      name: i === 0 ? 'main' : `a${i}`,
      address: [n >>> 24, (n >>> 16) & 255, (n >>> 8) & 255, n & 255].join('.'),
    };
  });
}

/** The i-th cluster address's own multicast MAC (Kerrighed-style configs give each one). */
const distinctMac = (i: number) =>
  `01:00:5e:05:${((i >> 8) & 255).toString(16).padStart(2, '0')}:${(i & 255).toString(16).padStart(2, '0')}`;

function netConf(k: number, backend: Backend, link: Link, macs: Macs = 'shared'): string {
  const cips = clusterAddresses(k).map(
    ({ name, address }, i) =>
      `[${name === 'main' ? 'clusterip' : `clusterip ${name}`}]\naddress = ${address}\nmac = ${macs === 'shared' ? NODE.cmac : distinctMac(i)}\nbackend = ${backend}\nseed = ${NODE.seed}\n`,
  );
  return [
    `[cluster]\nnodes = 1-${NODE.total}\n`,
    `[net]\nlink = ${link}\ndevice = eth0\ninterface = krg0\n${link === 'vlan' ? `vlan = ${NODE.vlan}\n` : ''}mac = 02:00:00:00:07:00\naddress = 10.4.135.0/18\n`,
    ...cips,
  ].join('\n');
}

function refConf(k: number, backend: Backend, link: Link): string {
  const addrs = clusterAddresses(k)
    .map((c) => `${c.name}:${c.address}`)
    .join(' ');
  return [
    'PHYS=eth0',
    'VIRT=krg0',
    `LINK=${link}`,
    `VLANID=${NODE.vlan}`,
    `VIRTMAC=${NODE.mac}`,
    `VIRTADDR=${NODE.address}`,
    `TOTAL=${NODE.total}`,
    `LOCAL=${NODE.id}`,
    `SEED=${NODE.seed}`,
    `CLUSTERMAC=${NODE.cmac}`,
    `BACKEND=${backend}`,
    `CLUSTERADDRS='${addrs}'`,
    '',
  ].join('\n');
}

/** A folder of its own for one configuration: net.conf (root-owned, 0644) and ref.conf. */
function writeConfigs(
  k: number,
  backend: Backend,
  link: Link,
  macs: Macs = 'shared',
): { dir: string; netConf: string; refConf: string } {
  const dir = mkdtempSync(join(tmpdir(), 'cnbench-'));
  chmodSync(dir, 0o755);
  const net = join(dir, 'net.conf');
  const ref = join(dir, 'ref.conf');
  writeFileSync(net, netConf(k, backend, link, macs), { mode: 0o644 });
  writeFileSync(ref, refConf(k, backend, link), { mode: 0o644 });
  return { dir, netConf: net, refConf: ref };
}

interface Configs {
  dir: string;
  netConf: string;
  refConf: string;
}

function envFor(side: Side, c: Configs, runDir: string): NodeJS.ProcessEnv {
  const base = { PATH: BOOT_PATH, LC_ALL: 'C', HOME: '/root' };
  return side === 'cn'
    ? {
        ...base,
        CLUSTERNET_CONFIG: c.netConf,
        CLUSTERNET_NODE_ID: String(NODE.id),
        CLUSTERNET_RUN_DIR: runDir,
      }
    : { ...base, REFCONF: c.refConf };
}

/** The argv of one phase on one side, and the namespace it runs in. */
function phaseCommand(f: Fixture, side: Side, phase: PhaseName): { ns: string; argv: string[] } {
  const inHost = phase === 'boot-pre' || phase === 'boot-post';
  const arg = phase === 'boot-post' ? [f.container] : [];
  const argv = side === 'cn' ? [hook(phase), ...arg] : ['/bin/sh', REFERENCE, phase, ...arg];
  return { ns: inHost ? f.host : f.container, argv };
}

// ---------------------------------------------------------------------------------------
// The end state, normalised: what both sides must have reached.

interface IpLink {
  ifname: string;
  mtu: number;
  address?: string;
  flags?: string[];
  ifalias?: string;
  linkinfo?: { info_kind?: string; info_data?: { id?: number; mode?: string } };
  addr_info?: { family: string; local: string; prefixlen: number }[];
}

async function endState(f: Fixture): Promise<string> {
  const inNs = (ns: string, argv: string[]) =>
    must(['nsenter', `--net=${nsPath(ns)}`, '--', ...argv]);
  const linksOf = async (ns: string) =>
    (JSON.parse(await inNs(ns, ['ip', '-json', '-details', 'address', 'show'])) as IpLink[]).map(
      (l) => ({
        name: l.ifname,
        kind: l.linkinfo?.info_kind ?? null,
        vlan: l.linkinfo?.info_data?.id ?? null,
        mode: l.linkinfo?.info_data?.mode ?? null,
        mac: l.address,
        mtu: l.mtu,
        up: (l.flags ?? []).includes('UP'),
        alias: l.ifalias ?? null,
        addresses: (l.addr_info ?? [])
          .filter((a) => !a.local.startsWith('fe80:'))
          .map((a) => `${a.local}/${a.prefixlen}`)
          .sort(),
      }),
    );
  const maddrs = JSON.parse(
    await inNs(f.container, ['ip', '-json', 'maddr', 'show', 'dev', 'krg0']),
  ) as { maddr?: { link?: string; family?: string }[] }[];
  const routes = JSON.parse(
    await inNs(f.container, ['ip', '-json', 'route', 'show', 'table', 'main']),
  ) as { dst: string; dev?: string; gateway?: string; protocol?: string }[];
  const strip = (text: string) =>
    text
      .split('\n')
      .filter((l) => l.trim() && !l.startsWith('#'))
      .map((l) => l.replace(/ \[\d+:\d+\]$/, '').trimEnd());
  // iptables (mangle), per chain the rules in their order, the chains sorted (their listing
  // order is not a rule); arptables; and every nftables table of ours, whole.
  const byChain = new Map<string, string[]>();
  const decl: string[] = [];
  for (const line of strip(await inNs(f.container, ['iptables-save', '-t', 'mangle']))) {
    if (line.startsWith(':')) decl.push(line);
    const m = /^-A (\S+) /.exec(line);
    if (m) byChain.set(m[1]!, [...(byChain.get(m[1]!) ?? []), line]);
  }
  const tables = strip(await inNs(f.container, ['nft', 'list', 'tables']))
    .filter((t) => /^table \S+ clusternet/.test(t))
    .sort();
  const nftTables: [string, string[]][] = [];
  for (const t of tables)
    nftTables.push([t, strip(await inNs(f.container, ['nft', 'list', ...t.split(' ')]))]);
  const rules = {
    decl: decl.sort(),
    chains: [...byChain].sort(([a], [b]) => a.localeCompare(b)),
    arptables: strip(await inNs(f.container, ['arptables-nft-save'])),
    nft: nftTables,
  };
  const sysctl = (
    await inNs(f.container, ['sysctl', '-n', 'net.netfilter.nf_conntrack_tcp_loose'])
  ).trim();
  return JSON.stringify(
    {
      host: await linksOf(f.host),
      container: await linksOf(f.container),
      maddr: (maddrs[0]?.maddr ?? [])
        .map((m) => m.link)
        .filter(Boolean)
        .sort(),
      routes: routes
        .map((r) => `${r.dst} ${r.dev ?? ''} ${r.gateway ?? ''} ${r.protocol ?? ''}`)
        .sort(),
      rules,
      sysctl,
    },
    null,
    1,
  );
}

function firstDifference(a: string, b: string): string {
  const x = a.split('\n');
  const y = b.split('\n');
  for (let i = 0; i < Math.max(x.length, y.length); i++)
    if (x[i] !== y[i])
      return `line ${i + 1}: clusternet ${x[i] ?? '(none)'} | shell ${y[i] ?? '(none)'}`;
  return 'none';
}

// ---------------------------------------------------------------------------------------
// Figures

interface PhaseFigures {
  /** Median per phase, and the median of the per-round totals. */
  phases: Record<PhaseName, number>;
  total: number;
}

interface BringUp {
  backend: Backend;
  k: number;
  rounds: number;
  cn: PhaseFigures;
  sh: PhaseFigures;
  node: number;
  /** The median of each round's clusternet/shell ratio: steadier when the load drifts. */
  paired: number;
  same: boolean;
  difference?: string;
}

interface Counted {
  procs: Record<PhaseName, number>;
  names: Record<PhaseName, string>;
  maxrssKb: Record<PhaseName, number>;
}

interface Results {
  meta: {
    date: string;
    kernel: string;
    node: string;
    cpus: number;
    load: string;
    link: Link;
    rounds: number;
    note: string;
  };
  bringups: BringUp[];
  counts: { backend: Backend; k: number; cn: Counted; sh: Counted }[];
  /** clusternet alone, one distinct cluster MAC per address (the shell reference has one MAC). */
  distinct: { backend: Backend; k: number; cn: Counted }[];
  rerun: { phase: PhaseName; hook: number; cli: number; node: number; said: boolean }[];
  rerunNode: number;
  takeover: {
    side: Side;
    backend: Backend;
    latency: number;
    exit: number;
    releaseLatency: number;
    node: number;
    verified: boolean;
  }[];
  /** Part 6 (not in the lab's run). */
  cni?: CniFigures;
}

/** One side's full bring-up in a fresh container: per phase ms. */
async function bringUp(f: Fixture, side: Side, c: Configs): Promise<Record<PhaseName, number>> {
  await f.fresh();
  const runDir = newRunDir();
  try {
    const env = envFor(side, c, runDir);
    const out = {} as Record<PhaseName, number>;
    for (const phase of PHASES) {
      const { ns, argv } = phaseCommand(f, side, phase);
      out[phase] = (
        await ok(`${side === 'cn' ? 'clusternet' : 'shell'} ${phase}`, timedIn(ns, argv, env))
      ).ms;
    }
    return out;
  } finally {
    rmSync(runDir, { recursive: true, force: true });
  }
}

async function measureBringUp(
  f: Fixture,
  k: number,
  backend: Backend,
  link: Link,
  rounds: number,
): Promise<BringUp> {
  const c = writeConfigs(k, backend, link);
  const got: Record<Side, Record<PhaseName, number>[]> = { cn: [], sh: [] };
  const nodeRuns: number[] = [];
  const states: Partial<Record<Side, string>> = {};
  try {
    for (let r = 0; r <= rounds; r++) {
      const order: Side[] = r % 2 === 0 ? ['cn', 'sh'] : ['sh', 'cn'];
      for (const side of order) {
        const t = await bringUp(f, side, c);
        if (r > 0) got[side].push(t);
        if (r === rounds) states[side] = await endState(f);
        await f.dropContainer();
      }
      const bare = await timedIn(f.host, ['node', '-e', ''], { PATH: BOOT_PATH });
      if (r > 0) nodeRuns.push(bare.ms);
      log(
        `${backend} k=${k} round ${r}${r === 0 ? ' (warm-up)' : ''}: clusternet ${sum(got.cn.at(-1))} ms, shell ${sum(got.sh.at(-1))} ms`,
      );
    }
  } finally {
    rmSync(c.dir, { recursive: true, force: true });
  }
  const figures = (runs: Record<PhaseName, number>[]): PhaseFigures => ({
    phases: Object.fromEntries(PHASES.map((p) => [p, median(runs.map((x) => x[p]))])) as Record<
      PhaseName,
      number
    >,
    total: median(runs.map(total)),
  });
  const same = states.cn === states.sh;
  return {
    backend,
    k,
    rounds,
    cn: figures(got.cn),
    sh: figures(got.sh),
    node: median(nodeRuns),
    paired: median(got.cn.map((c, i) => total(c) / total(got.sh[i]!))),
    same,
    ...(same ? {} : { difference: firstDifference(states.cn ?? '', states.sh ?? '') }),
  };
}

/**
 * A run dir as a boot has it: /run is a tmpfs, so the record's fsync costs nothing there.
 * /dev/shm is the tmpfs at hand (this machine's /tmp and /run are on disk).
 */
const newRunDir = () =>
  mkdtempSync(join(existsSync('/dev/shm') ? '/dev/shm' : tmpdir(), 'cnbench-run-'));

const total = (t: Record<PhaseName, number>) => PHASES.reduce((s, p) => s + t[p], 0);

const sum = (t: Record<PhaseName, number> | undefined) =>
  t ? Math.round(PHASES.reduce((s, p) => s + t[p], 0)) : '-';

/**
 * Processes and peak memory per phase: each phase once more under strace (execve of every
 * process started, counted as distinct pids that ran a program; /usr/bin/time's own left
 * out) and GNU time's maximum resident set (the largest process of the tree).
 */
async function countPhases(f: Fixture, side: Side, c: Configs): Promise<Counted> {
  await f.fresh();
  const runDir = newRunDir();
  const trace = join(runDir, 'trace');
  const mem = join(runDir, 'mem');
  const out: Counted = {
    procs: {} as Counted['procs'],
    names: {} as Counted['names'],
    maxrssKb: {} as Counted['maxrssKb'],
  };
  try {
    const env = envFor(side, c, runDir);
    for (const phase of PHASES) {
      const { ns, argv } = phaseCommand(f, side, phase);
      const r = await run(
        [
          'nsenter',
          `--net=${nsPath(ns)}`,
          '--',
          'strace',
          '-f',
          '-qq',
          '-e',
          'trace=execve',
          '-o',
          trace,
          '/usr/bin/time',
          '-f',
          '%M',
          '-o',
          mem,
          '--',
          ...argv,
        ],
        { env, timeoutMs: 900_000 },
      );
      if (r.code !== 0) throw new Error(`${side} ${phase} under strace failed: ${r.stderr.trim()}`);
      const pids = new Map<string, string>();
      for (const line of readFileSync(trace, 'utf8').split('\n')) {
        const m = /^(\d+)\s+execve\("([^"]+)".* = 0$/.exec(line);
        if (m && !m[2]!.endsWith('/time')) pids.set(m[1]!, m[2]!.split('/').at(-1)!);
      }
      out.procs[phase] = pids.size;
      const names = new Map<string, number>();
      for (const n of pids.values()) names.set(n, (names.get(n) ?? 0) + 1);
      out.names[phase] = [...names].map(([n, x]) => (x > 1 ? `${n}×${x}` : n)).join(', ');
      out.maxrssKb[phase] = Number(readFileSync(mem, 'utf8').trim().split('\n').at(-1));
    }
    return out;
  } finally {
    rmSync(runDir, { recursive: true, force: true });
    await f.dropContainer();
  }
}

/** A hook re-run at boot with nothing to change, against a bare `node -e ''`, and `clusternet run`. */
async function measureRerun(
  f: Fixture,
  c: Configs,
  rounds: number,
): Promise<{ rerun: Results['rerun']; node: number; runDir: string }> {
  await f.fresh();
  const runDir = newRunDir();
  const env = envFor('cn', c, runDir);
  for (const phase of PHASES) {
    const { ns, argv } = phaseCommand(f, 'cn', phase);
    await ok(`clusternet ${phase}`, timedIn(ns, argv, env));
  }
  const hook: Record<PhaseName, number[]> = {
    'boot-pre': [],
    'boot-post': [],
    'init-pre': [],
    'init-post': [],
  };
  const cli: Record<PhaseName, number[]> = {
    'boot-pre': [],
    'boot-post': [],
    'init-pre': [],
    'init-post': [],
  };
  const nodeRuns: number[] = [];
  const said: Record<PhaseName, boolean> = {
    'boot-pre': true,
    'boot-post': true,
    'init-pre': true,
    'init-post': true,
  };
  for (let r = 0; r <= rounds; r++) {
    for (const phase of PHASES) {
      const { ns, argv } = phaseCommand(f, 'cn', phase);
      const h = await ok(`re-run of ${phase}`, timedIn(ns, argv, env));
      // boot-pre always probes the link type: it has no "nothing to change" to say.
      if (phase !== 'boot-pre' && !/nothing to change/.test(h.stderr)) said[phase] = false;
      const extra = phase === 'boot-post' ? ['--netns', f.container] : [];
      const viaCli = await ok(
        `clusternet run ${phase}`,
        timedIn(ns, ['node', cliPath(), 'run', phase, ...extra], env),
      );
      const bare = await timedIn(ns, ['node', '-e', ''], env);
      if (r > 0) {
        hook[phase].push(h.ms);
        cli[phase].push(viaCli.ms);
        nodeRuns.push(bare.ms);
      }
    }
    log(`re-run round ${r}${r === 0 ? ' (warm-up)' : ''}`);
  }
  const node = median(nodeRuns);
  return {
    rerun: PHASES.map((phase) => ({
      phase,
      hook: median(hook[phase]),
      cli: median(cli[phase]),
      node,
      said: said[phase],
    })),
    node,
    runDir,
  };
}

/**
 * Takeover latency: `nft monitor` runs in the container; the clock starts when the
 * takeover command is started and stops when the monitor prints the first event of the
 * transaction that gives node 1 the dead node's bucket (events come at commit, so that is
 * when the kernel starts answering for it). Node 3 is the dead node.
 */
async function measureTakeover(
  f: Fixture,
  side: Side,
  backend: Backend,
  c: Configs,
  runDir: string,
  rounds: number,
): Promise<Results['takeover'][number]> {
  const env = { ...envFor(side, c, runDir), CLUSTERNET_NODE_ID: String(NODE.id) };
  const argv = (verb: 'takeover' | 'release') =>
    side === 'cn' ? ['node', cliPath(), verb, '--node', '3'] : ['/bin/sh', REFERENCE, verb, '3'];
  const marker = backend === 'nft' ? /b_main/ : /CLUSTERNET-main/;
  const monitor: ChildProcess = spawn(
    'nsenter',
    [`--net=${nsPath(f.container)}`, '--', 'nft', 'monitor'],
    { stdio: ['ignore', 'pipe', 'ignore'] },
  );
  let waiting: ((t: number) => void) | undefined;
  let buffered = '';
  monitor.stdout!.on('data', (b: Buffer) => {
    const now = performance.now();
    buffered += b.toString();
    const lines = buffered.split('\n');
    buffered = lines.pop() ?? '';
    if (waiting && lines.some((l) => marker.test(l) || /cnbenchready/.test(l))) {
      const w = waiting;
      waiting = undefined;
      w(now);
    }
  });
  const event = (timeoutMs: number) =>
    new Promise<number>((res, rej) => {
      const timer = setTimeout(() => rej(new Error('nft monitor saw no event in time')), timeoutMs);
      waiting = (t) => {
        clearTimeout(timer);
        res(t);
      };
    });
  const latency: number[] = [];
  const releaseLatency: number[] = [];
  const exits: number[] = [];
  const nodeRuns: number[] = [];
  let verified = true;
  try {
    // Ready when it reports a change of our own.
    for (let i = 0; i < 50; i++) {
      const seen = event(200).catch(() => undefined);
      await must([
        'nsenter',
        `--net=${nsPath(f.container)}`,
        '--',
        'nft',
        'add',
        'table',
        'inet',
        'cnbenchready',
      ]);
      await must([
        'nsenter',
        `--net=${nsPath(f.container)}`,
        '--',
        'nft',
        'delete',
        'table',
        'inet',
        'cnbenchready',
      ]);
      if ((await seen) !== undefined) break;
    }
    waiting = undefined;
    const once = async (verb: 'takeover' | 'release') => {
      const seen = event(60_000);
      const t0 = performance.now();
      const r = await run(['nsenter', `--net=${nsPath(f.container)}`, '--', ...argv(verb)], {
        env,
      });
      const t2 = performance.now();
      if (r.code !== 0) throw new Error(`${side} ${verb} failed: ${r.stderr.trim()}`);
      return { latency: (await seen) - t0, exit: t2 - t0 };
    };
    for (let r = 0; r <= rounds; r++) {
      const take = await once('takeover');
      if (r === rounds) verified = await answersFor(f, backend, 3);
      const rel = await once('release');
      if (r === rounds) verified = verified && !(await answersFor(f, backend, 3));
      const t0 = performance.now();
      await must(['nsenter', `--net=${nsPath(f.container)}`, '--', 'node', '-e', ''], {
        env: { PATH: BOOT_PATH },
      });
      const bare = performance.now() - t0;
      if (r > 0) {
        latency.push(take.latency);
        exits.push(take.exit);
        releaseLatency.push(rel.latency);
        nodeRuns.push(bare);
      }
    }
  } finally {
    monitor.kill('SIGKILL');
  }
  return {
    side,
    backend,
    latency: median(latency),
    exit: median(exits),
    releaseLatency: median(releaseLatency),
    node: median(nodeRuns),
    verified,
  };
}

/** Whether the container answers for bucket `node` of the main address. */
async function answersFor(f: Fixture, backend: Backend, node: number): Promise<boolean> {
  const inNs = (argv: string[]) => must(['nsenter', `--net=${nsPath(f.container)}`, '--', ...argv]);
  if (backend === 'nft')
    return new RegExp(`elements = \\{[^}]*\\b${node - 1}\\b`).test(
      await inNs(['nft', 'list', 'set', 'inet', 'clusternet', 'b_main']),
    );
  // iptables-save shows a rule's node as a mask: node N is bit N − 1.
  const mask = (1 << (node - 1)).toString(16).padStart(8, '0');
  return new RegExp(`-A CLUSTERNET-main .*--cluster-local-nodemask 0x${mask} `).test(
    await inNs(['iptables-save', '-t', 'mangle']),
  );
}

/**
 * A private build of the package: package.json, hooks/, node_modules (a link to the
 * repository's) and dist/ built by tsc and scripts/bundle.mjs, as `npm run build` does.
 */
async function privatePackage(base = tmpdir()): Promise<string> {
  const dir = mkdtempSync(join(base, 'cnbench-pkg-'));
  chmodSync(dir, 0o755);
  log(`building a private copy in ${dir} (tsc, then scripts/bundle.mjs)`);
  await must(['cp', '-a', join(ROOT, 'package.json'), join(ROOT, 'hooks'), join(ROOT, 'bin'), dir]);
  symlinkSync(join(ROOT, 'node_modules'), join(dir, 'node_modules'));
  await must(
    [
      process.execPath,
      join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc'),
      '-p',
      join(ROOT, 'tsconfig.json'),
      '--outDir',
      join(dir, 'dist'),
    ],
    { timeoutMs: 600_000 },
  );
  await must([process.execPath, join(ROOT, 'scripts', 'bundle.mjs'), join(dir, 'dist')], {
    timeoutMs: 600_000,
  });
  cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

const cleanups: (() => void)[] = [];
const bundled = () =>
  existsSync(join(PKG, 'dist', 'lib', 'hooks', 'entry.cjs')) &&
  /^\/\/ Built by scripts\/bundle\.mjs/.test(
    readFileSync(join(PKG, 'dist', 'lib', 'hooks', 'entry.cjs'), 'utf8'),
  );

// ---------------------------------------------------------------------------------------
// The run

async function local(): Promise<Results> {
  if (process.getuid?.() !== 0) throw new Error('needs root (it creates network namespaces)');
  const quick = opts.quick;
  const rounds = Number(opts.rounds ?? (quick ? 2 : 5));
  const ks = (opts.ks ?? (quick ? '1,16' : '1,16,64,256')).split(',').map(Number);
  const nftKs = (opts.nft ?? (quick ? '1' : '1,64')).split(',').filter(Boolean).map(Number);
  const link = (opts.link ?? 'macvlan') as Link;
  if (opts.pkg) PKG = resolve(opts.pkg);
  else if (!opts['no-build']) PKG = await privatePackage();
  if (!existsSync(cliPath())) throw new Error(`${cliPath()} is missing: npm run build`);
  log(
    `timing the hooks and CLI of ${PKG}${bundled() ? '' : ' (NOT bundled: scripts/bundle.mjs did not run)'}`,
  );
  const loadBefore = loadavg()[0]!.toFixed(1);
  const f = await Fixture.create();
  const stop = async () => {
    await f.destroy();
    cleanups.forEach((c) => c());
    process.exit(130);
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
  try {
    const bringups: BringUp[] = [];
    const counts: Results['counts'] = [];
    for (const [backend, list] of [
      ['cluster-match', ks],
      ['nft', nftKs],
    ] as const) {
      for (const k of list) {
        // The shell's cost grows with k (and iptables-nft's with the rules already there):
        // fewer rounds for the largest.
        const r = k >= 256 ? Math.min(rounds, 3) : rounds;
        const b = await measureBringUp(f, k, backend, link, r);
        bringups.push(b);
        if (!b.same) log(`END STATES DIFFER (${backend}, k=${k}): ${b.difference}`);
        const c = writeConfigs(k, backend, link);
        try {
          counts.push({
            backend,
            k,
            cn: await countPhases(f, 'cn', c),
            sh: await countPhases(f, 'sh', c),
          });
        } finally {
          rmSync(c.dir, { recursive: true, force: true });
        }
      }
    }
    const distinct: Results['distinct'] = [];
    for (const k of ks) {
      const c = writeConfigs(k, 'cluster-match', link, 'distinct');
      try {
        distinct.push({ backend: 'cluster-match', k, cn: await countPhases(f, 'cn', c) });
      } finally {
        rmSync(c.dir, { recursive: true, force: true });
      }
    }
    const c1 = writeConfigs(1, 'cluster-match', link);
    const takeover: Results['takeover'] = [];
    let rerun: Results['rerun'] = [];
    let rerunNode = NaN;
    try {
      const re = await measureRerun(f, c1, rounds);
      rerun = re.rerun;
      rerunNode = re.node;
      takeover.push(await measureTakeover(f, 'cn', 'cluster-match', c1, re.runDir, rounds));
      rmSync(re.runDir, { recursive: true, force: true });
      const shDir = newRunDir();
      await bringUp(f, 'sh', c1);
      // bringUp leaves the container as the shell made it: take over there.
      takeover.push(await measureTakeover(f, 'sh', 'cluster-match', c1, shDir, rounds));
      rmSync(shDir, { recursive: true, force: true });
      if (nftKs.length > 0) {
        const cn = writeConfigs(1, 'nft', link);
        try {
          const nftRun = newRunDir();
          await f.fresh();
          const env = envFor('cn', cn, nftRun);
          for (const phase of PHASES) {
            const { ns, argv } = phaseCommand(f, 'cn', phase);
            await ok(`clusternet ${phase}`, timedIn(ns, argv, env));
          }
          takeover.push(await measureTakeover(f, 'cn', 'nft', cn, nftRun, rounds));
          rmSync(nftRun, { recursive: true, force: true });
        } finally {
          rmSync(cn.dir, { recursive: true, force: true });
        }
      }
    } finally {
      rmSync(c1.dir, { recursive: true, force: true });
    }
    const meta: Results['meta'] = {
      date: new Date().toISOString().slice(0, 16).replace('T', ' '),
      kernel: release(),
      node: process.version,
      cpus: cpus().length,
      load: `${loadBefore} → ${loadavg()[0]!.toFixed(1)}`,
      link,
      rounds,
      note: bundled() ? '' : 'The hook entry was NOT bundled (tsc output only).',
    };
    const cni = await measureCni({
      timedIn: (ns, argv, env, input) => timedIn(ns, argv, env, 600_000, input),
      must,
      median,
      pkg: PKG,
      rounds,
    });
    return { meta, bringups, counts, distinct, rerun, rerunNode, takeover, cni };
  } finally {
    process.removeListener('SIGINT', stop);
    process.removeListener('SIGTERM', stop);
    await f.destroy();
  }
}

// ---------------------------------------------------------------------------------------
// The table

const ms = (x: number) => (Number.isFinite(x) ? (x >= 100 ? x.toFixed(0) : x.toFixed(1)) : '-');
const ratio = (a: number, b: number) => (b > 0 ? (a / b).toFixed(2) : '-');

function render(res: Results, title: string): string {
  const out: string[] = [];
  const m = res.meta;
  out.push(
    `${title}: ${m.date} UTC, Linux ${m.kernel}, Node ${m.node}, ${m.cpus} CPU${m.cpus === 1 ? '' : 's'}, load ${m.load}, link = ${m.link}, ${m.rounds} round${m.rounds === 1 ? '' : 's'} after a warm-up${res.bringups.some((b) => b.k >= 256 && b.rounds < m.rounds) ? ' (3 at k = 256)' : ''}, medians in ms.${m.note ? ` ${m.note}` : ''}`,
  );
  out.push('');
  const cm = res.bringups.filter((b) => b.backend === 'cluster-match');
  const k1 = cm.find((b) => b.k === 1);
  if (k1) {
    out.push(
      `**1. Full bring-up, one cluster address (cluster-match)** — target per hook: ≤ 1.3 × (bare \`node -e ''\` ${ms(k1.node)} + shell)`,
    );
    out.push('');
    out.push(
      '| phase | clusternet | shell | clusternet / shell | bound 1.3 × (node + shell) | within |',
    );
    out.push('| --- | ---: | ---: | ---: | ---: | :---: |');
    for (const p of PHASES) {
      const bound = 1.3 * (k1.node + k1.sh.phases[p]);
      out.push(
        `| ${p} | ${ms(k1.cn.phases[p])} | ${ms(k1.sh.phases[p])} | ${ratio(k1.cn.phases[p], k1.sh.phases[p])} | ${ms(bound)} | ${k1.cn.phases[p] <= bound ? 'yes' : 'no'} |`,
      );
    }
    out.push(
      `| all four | ${ms(k1.cn.total)} | ${ms(k1.sh.total)} | ${ratio(k1.cn.total, k1.sh.total)} | ${ms(1.3 * (4 * k1.node + k1.sh.total))} | ${k1.cn.total <= 1.3 * (4 * k1.node + k1.sh.total) ? 'yes' : 'no'} |`,
    );
    out.push('');
  }
  out.push(
    '**2. Full bring-up with k cluster addresses (one shared cluster MAC)** — target at k = 64: ratio ≤ 0.5',
  );
  out.push('');
  out.push(
    '| backend | k | clusternet | shell | ratio | ratio, paired by round | clusternet init-post | shell init-post | same end state |',
  );
  out.push('| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | :---: |');
  for (const b of res.bringups) {
    out.push(
      `| ${b.backend} | ${b.k} | ${ms(b.cn.total)} | ${ms(b.sh.total)} | ${ratio(b.cn.total, b.sh.total)} | ${Number.isFinite(b.paired) ? b.paired.toFixed(2) : '-'} | ${ms(b.cn.phases['init-post'])} | ${ms(b.sh.phases['init-post'])} | ${b.same ? 'yes' : `**no**: ${b.difference}`} |`,
    );
  }
  const cross = crossover(cm);
  out.push('');
  out.push(`clusternet overtakes the shell (cluster-match, full bring-up) ${cross}.`);
  out.push('');
  out.push(
    `**3. No-change re-run (boot after boot), one cluster address** — target: ≤ 1.3 × bare \`node -e ''\` (${ms(res.rerunNode)}, bound ${ms(1.3 * res.rerunNode)})`,
  );
  out.push('');
  out.push(
    '| hook | re-run | / node | within | `clusternet run PHASE` | says "nothing to change" |',
  );
  out.push('| --- | ---: | ---: | :---: | ---: | :---: |');
  for (const r of res.rerun) {
    out.push(
      `| ${r.phase} | ${ms(r.hook)} | ${ratio(r.hook, r.node)} | ${r.hook <= 1.3 * r.node ? 'yes' : 'no'} | ${ms(r.cli)} | ${r.phase === 'boot-pre' ? 'n/a (probes the link type)' : r.said ? 'yes' : 'no'} |`,
    );
  }
  out.push('');
  out.push(
    "**4. Takeover latency** (k = 1): from the command's start to `nft monitor` in the container printing the transaction that adds the dead node's bucket; target: ≤ node start + 50 ms",
  );
  out.push('');
  out.push(
    '| who | backend | to the rule change | command exit | release | bare node start | framework time above it | verified |',
  );
  out.push('| --- | --- | ---: | ---: | ---: | ---: | ---: | :---: |');
  for (const t of res.takeover) {
    const who =
      t.side === 'cn' ? '`clusternet takeover`' : 'shell (one `iptables -I` / `nft add element`)';
    out.push(
      `| ${who} | ${t.backend} | ${ms(t.latency)} | ${ms(t.exit)} | ${ms(t.releaseLatency)} | ${ms(t.node)} | ${t.side === 'cn' ? ms(t.latency - t.node) : '-'} | ${t.verified ? 'yes' : 'no'} |`,
    );
  }
  out.push('');
  out.push(
    '**5. Processes started per phase** (strace: distinct processes that ran a program) **and peak memory** (GNU time: largest process of the tree, MiB)',
  );
  out.push('');
  out.push(
    '| backend | k | side | boot-pre | boot-post | init-pre | init-post | peak MiB (per phase) |',
  );
  out.push('| --- | ---: | --- | ---: | ---: | ---: | ---: | --- |');
  for (const c of res.counts) {
    for (const side of ['cn', 'sh'] as const) {
      const x = c[side];
      out.push(
        `| ${c.backend} | ${c.k} | ${side === 'cn' ? 'clusternet' : 'shell'} | ${PHASES.map((p) => x.procs[p]).join(' | ')} | ${PHASES.map((p) => (x.maxrssKb[p] / 1024).toFixed(0)).join(' / ')} |`,
      );
    }
  }
  for (const c of res.distinct ?? []) {
    out.push(
      `| ${c.backend}, one MAC per address | ${c.k} | clusternet | ${PHASES.map((p) => c.cn.procs[p]).join(' | ')} | ${PHASES.map((p) => (c.cn.maxrssKb[p] / 1024).toFixed(0)).join(' / ')} |`,
    );
  }
  const first = res.counts.find((c) => c.backend === 'cluster-match');
  if (first) {
    out.push('');
    out.push(
      `What clusternet starts (cluster-match, k = ${first.k}): ${PHASES.map((p) => `${p}: ${first.cn.names[p]}`).join('; ')}.`,
    );
  }
  if (res.cni) out.push('', ...renderCni(res.cni, ms));
  return out.join('\n');
}

/** Where the clusternet/shell ratio crosses 1, interpolated on log k between measured points. */
function crossover(b: BringUp[]): string {
  const pts = [...b].sort((x, y) => x.k - y.k).map((x) => ({ k: x.k, r: x.cn.total / x.sh.total }));
  if (pts.length === 0) return 'at no measured k';
  if (pts[0]!.r < 1) return `already at k = ${pts[0]!.k} (ratio ${pts[0]!.r.toFixed(2)})`;
  for (let i = 1; i < pts.length; i++) {
    const a = pts[i - 1]!;
    const c = pts[i]!;
    if (c.r < 1) {
      const t = (a.r - 1) / (a.r - c.r);
      const k = Math.exp(Math.log(a.k) + t * (Math.log(c.k) - Math.log(a.k)));
      return `between k = ${a.k} and k = ${c.k} (about k = ${Math.round(k)}, interpolated on log k)`;
    }
  }
  return `at no measured k (up to ${pts.at(-1)!.k})`;
}

/** Rewrites the text between the markers of `section` in README.md, nothing else. */
function writeReadme(section: string, body: string): boolean {
  const start = `<!-- ${section}:start -->`;
  const end = `<!-- ${section}:end -->`;
  const text = readFileSync(README, 'utf8');
  const i = text.indexOf(start);
  const j = text.indexOf(end);
  if (i < 0 || j < i) return false;
  writeFileSync(README, `${text.slice(0, i + start.length)}\n${body}\n${text.slice(j)}`);
  return true;
}

// ---------------------------------------------------------------------------------------
// The lab: the same benchmark inside a Debian guest (qemu), link = vlan.

async function lab(series: string): Promise<void> {
  if (series !== '6.1' && series !== '6.12')
    throw new Error(`--lab takes 6.1 or 6.12, not ${series}`);
  // Built on the host (tsx and tsc are slow under TCG), where the guest sees it: the
  // guest's root is the host's, read-only, except its own fresh /tmp and /run.
  const pkg = opts.pkg ? resolve(opts.pkg) : await privatePackage('/var/tmp');
  const { runInGuest } = await import('../lab/harness.js');
  const rounds = opts.rounds ?? '3';
  const ks = opts.ks ?? '1,16,64';
  const args = [
    '--json',
    `--pkg=${pkg}`,
    '--link=vlan',
    `--rounds=${rounds}`,
    `--ks=${ks}`,
    `--nft=${opts.nft ?? '1'}`,
  ].map((a) => `'${a.replaceAll("'", `'\\''`)}'`);
  const script = [
    'set -e',
    'modprobe 8021q; modprobe xt_cluster; modprobe nf_tables || true',
    'export PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin',
    `node --import tsx test/bench/bench.ts ${args.join(' ')}`,
  ].join('\n');
  log(`booting Linux ${series} under qemu (slow: TCG); ${rounds} rounds, k = ${ks}`);
  const r = await runInGuest({
    kernel: series,
    script,
    timeoutMs: Number(opts.timeout ?? 5400) * 1000,
    verbose: false,
  });
  const line = r.output.split('\n').find((l) => l.startsWith('BENCH-RESULT '));
  if (!line) {
    process.stderr.write(r.output.slice(-4000));
    throw new Error(
      `the guest gave no result (exit ${r.exitCode}${r.timedOut ? ', timed out' : ''} after ${r.seconds.toFixed(0)} s)`,
    );
  }
  const res = JSON.parse(line.slice('BENCH-RESULT '.length)) as Results;
  res.meta.note = `In the lab's Debian guest (qemu TCG, 1 vCPU: every figure is many times this machine's).`;
  const table = render(res, `Lab, Linux ${series}`);
  process.stdout.write(`${table}\n`);
  if (!opts['no-readme'])
    log(
      writeReadme(`bench-lab-${series}`, table)
        ? `README.md section bench-lab-${series} rewritten`
        : `README.md has no <!-- bench-lab-${series}:start/end --> markers: not written`,
    );
}

/** Part 6 alone: clusternet-cni beside the reference plugins. */
async function cniOnly(): Promise<void> {
  if (opts.pkg) PKG = resolve(opts.pkg);
  else if (!opts['no-build']) PKG = await privatePackage();
  const rounds = Number(opts.rounds ?? (opts.quick ? 2 : 5));
  const c = await measureCni({
    timedIn: (ns, argv, env, input) => timedIn(ns, argv, env, 600_000, input),
    must,
    median,
    pkg: PKG,
    rounds,
  });
  const text = [
    `Measured: ${new Date().toISOString().slice(0, 16).replace('T', ' ')} UTC, Linux ${release()}, Node ${process.version}, ${cpus().length} CPUs, load ${loadavg()[0]!.toFixed(1)}, medians in ms.`,
    '',
    ...renderCni(c, ms),
  ].join('\n');
  process.stdout.write(`${text}\n`);
  if (!opts['no-readme'])
    log(
      writeReadme('bench-cni', text)
        ? 'README.md section bench-cni rewritten'
        : 'README.md has no <!-- bench-cni:start/end --> markers: not written',
    );
}

async function main() {
  if (opts.lab) return lab(opts.lab);
  if (opts.cni) return cniOnly();
  const res = await local();
  if (opts.json) {
    process.stdout.write(`BENCH-RESULT ${JSON.stringify(res)}\n`);
    return;
  }
  const table = render(res, 'Measured');
  process.stdout.write(`${table}\n`);
  if (!opts['no-readme'])
    log(
      writeReadme('bench', table)
        ? 'README.md section bench rewritten'
        : 'README.md has no <!-- bench:start/end --> markers: not written',
    );
  const differ = res.bringups.filter((b) => !b.same);
  if (differ.length > 0) {
    log(
      `the two sides did not reach the same end state: ${differ.map((b) => `${b.backend} k=${b.k}`).join(', ')}`,
    );
    process.exitCode = 1;
  }
}

await main()
  .catch((error: unknown) => {
    log(error instanceof Error ? (error.stack ?? error.message) : String(error));
    process.exitCode = 1;
  })
  .finally(() => cleanups.forEach((c) => c()));
