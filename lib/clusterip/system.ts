// The cluster-IP layer's contact with the system: which backends this kernel and these
// tools can run (probed without changing anything), what is installed, and applying ops.
import { ApplyError } from '../errors.js';
import { commandTimeoutMs, runChecked, showCommand, type Runner } from '../system/runner.js';
import type { BackendLive } from './live.js';
import {
  TABLE,
  XT_ARP_TABLE,
  arpRemove,
  arpTable,
  emptyMangleRemove,
  hasArpTable,
  nftBuckets,
  nftInstall,
  nftRemove,
  parseArpTable,
  parseNft,
  setOf,
  type NftJson,
} from './nft.js';
import {
  FLAVOUR,
  PARENT,
  chainOf,
  parseClusteripProc,
  parseXt,
  xtBuckets,
  xtInstall,
  xtRemove,
} from './xt.js';
import type { CipBackend, CipOp, CipSpec } from './types.js';
import { cipSteps } from './steps.js';
import { inNs, type Ns } from '../system/ns.js';

/**
 * How long a probe may take. Its first `iptables -C` or `nft --check` makes the kernel load
 * the modules (xt_cluster, nf_conntrack, nf_tables…), which on a loaded or emulated machine
 * takes seconds, and at boot several nodes' hooks probe at once.
 */
export const PROBE_TIMEOUT_MS = 60_000;

/**
 * Why each backend cannot run here (absent: it can). Probes never change anything. A
 * probe that did not answer in time is no answer about the kernel: it fails the run
 * (ApplyError) rather than let `auto` pick another backend on this node only.
 */
export async function probeBackend(
  runner: Runner,
  ns: Ns,
  backend: CipBackend,
): Promise<string | undefined> {
  const run = async (argv: string[], input?: string) => {
    const r = await runner.run(inNs(ns, argv), {
      timeoutMs: Math.max(PROBE_TIMEOUT_MS, commandTimeoutMs()),
      ...(input === undefined ? {} : { input }),
    });
    if (r.timedOut)
      throw new ApplyError(
        `${showCommand(inNs(ns, argv))} (probing backend ${backend})`,
        r.stderr.trim(),
      );
    return r;
  };
  // `-C` of a rule that is not there: "Bad rule" when the kernel and iptables know the
  // extension, an extension error when they do not.
  const known = (r: { exitCode: number; stderr: string }) =>
    r.exitCode === 1 && /Bad rule|does a matching rule exist/i.test(r.stderr);
  if (backend === 'cluster-match') {
    // ARP replies get the cluster MAC from an nftables arp table of ours. Both probes at
    // once: `nft --check` waits for an RCU grace period in the kernel (its transaction is
    // aborted), 10 to 20 ms of nothing that the iptables probe can use.
    const probe =
      'add table arp clusternet_probe\nadd chain arp clusternet_probe c { type filter hook output priority filter; }\nadd rule arp clusternet_probe c arp saddr ip 192.0.2.1 arp saddr ether set 01:00:5e:00:00:01\n';
    const [r, arp] = await Promise.all([
      run([
        'iptables',
        '-w',
        '-t',
        'mangle',
        '-C',
        'PREROUTING',
        '-m',
        'cluster',
        '--cluster-total-nodes',
        '2',
        '--cluster-local-node',
        '1',
        '--cluster-hash-seed',
        '1',
        '-j',
        'RETURN',
      ]),
      run(['nft', '--check', '-f', '-'], probe),
    ]);
    if (!known(r))
      return `iptables cannot use the cluster match (xt_cluster): ${r.stderr.trim() || `exit ${r.exitCode}`}`;
    if (arp.exitCode !== 0)
      return `nft cannot mangle ARP here (needed to give ARP replies the cluster MAC): ${arp.stderr.trim() || `exit ${arp.exitCode}`}`;
    return undefined;
  }
  if (backend === 'nft') {
    const probe =
      'add table inet clusternet_probe\nadd chain inet clusternet_probe c\nadd rule inet clusternet_probe c jhash ct original ip saddr mod 2 seed 0x1 0 meta pkttype set host\n';
    const r = await run(['nft', '--check', '-f', '-'], probe);
    return r.exitCode === 0
      ? undefined
      : `nft cannot load a jhash rule here: ${r.stderr.trim() || `exit ${r.exitCode}`}`;
  }
  const r = await run([
    'iptables-legacy',
    '-w',
    '-C',
    'INPUT',
    '-d',
    '192.0.2.1/32',
    '-j',
    'CLUSTERIP',
    '--new',
    '--hashmode',
    'sourceip',
    '--clustermac',
    '01:00:5E:00:00:01',
    '--total-nodes',
    '2',
    '--local-node',
    '1',
  ]);
  if (known(r)) return undefined;
  if (/No such file|ENOENT|not found/i.test(r.stderr) || r.exitCode === 127) {
    return 'CLUSTERIP works only through iptables-legacy, which is not installed (through iptables-nft the kernel answers "cannot use CLUSTERIP target from nftables compat")';
  }
  // iptables-legacy 1.8.9 answers a -C of an absent rule with "No chain/target/match by that
  // name" whether or not the kernel has the target (measured under Debian's 6.1 and 6.12),
  // so its answer cannot tell. The -C made the kernel load ipt_CLUSTERIP where it exists:
  // the kernel's list of targets says.
  const targets = await run(['cat', '/proc/net/ip_tables_targets']);
  if (targets.exitCode === 0 && targets.stdout.split('\n').includes('CLUSTERIP')) return undefined;
  return `this kernel has no CLUSTERIP target (it was removed in Linux 6.3; use backend cluster-match or nft): ${r.stderr.trim()}`;
}

async function nftJson(runner: Runner, ns: Ns): Promise<NftJson> {
  const { stdout } = await runChecked(runner, inNs(ns, ['nft', '-j', 'list', 'ruleset']));
  return JSON.parse(stdout) as NftJson;
}

/** What one backend has installed in a namespace: one read, or two side by side. */
export async function readBackendLive(
  runner: Runner,
  ns: Ns,
  backend: CipBackend,
  addresses: readonly string[],
): Promise<BackendLive> {
  if (backend === 'nft') return parseNft(await nftJson(runner, ns));
  if (backend === 'cluster-match') {
    const [save, json] = await Promise.all([
      runner.run(inNs(ns, FLAVOUR[backend].save)),
      nftJson(runner, ns),
    ]);
    return {
      ...parseXt(backend, save.stdout, parseArpTable(json, XT_ARP_TABLE)),
      tables: hasArpTable(json, XT_ARP_TABLE),
    };
  }
  const save = (await runner.run(inNs(ns, FLAVOUR[backend].save))).stdout;
  // The nodes CLUSTERIP answers for live in /proc/net/ipt_CLUSTERIP/<address>.
  const proc =
    addresses.length === 0
      ? ''
      : (
          await runner.run(
            inNs(ns, ['tail', '-n', '+1', ...addresses.map((a) => `/proc/net/ipt_CLUSTERIP/${a}`)]),
          )
        ).stdout;
  const buckets = parseClusteripProc(
    addresses.length === 1 ? `==> /proc/net/ipt_CLUSTERIP/${addresses[0]} <==\n${proc}` : proc,
  );
  return parseXt('clusterip', save, new Map(), buckets);
}

/**
 * Only the buckets of the address named `name`, with the least the kernel can be asked:
 * its chain (`iptables -S`) or its bucket set (`nft -j list set`), read by the same
 * parsers as the whole state. What a cluster manager's monitor asks every few seconds.
 * Nothing installed: no bucket. CLUSTERIP keeps them in /proc: the whole read.
 */
export async function readBucketsOf(
  runner: Runner,
  ns: Ns,
  backend: CipBackend,
  name: string,
  address: string,
): Promise<number[]> {
  if (backend === 'clusterip')
    return (await readBackendLive(runner, ns, backend, [address])).byName.get(name)?.buckets ?? [];
  const argv =
    backend === 'nft'
      ? ['nft', '-j', 'list', 'set', 'inet', TABLE, setOf(name)]
      : [...FLAVOUR[backend].iptables, '-t', FLAVOUR[backend].table, '-S', chainOf(name)];
  const r = await runner.run(inNs(ns, argv));
  if (r.exitCode !== 0) {
    if (/No such file|No chain|does not exist/i.test(r.stderr)) return [];
    throw new ApplyError(showCommand(inNs(ns, argv)), r.stderr || `exit ${r.exitCode}`);
  }
  const live =
    backend === 'nft' ? parseNft(JSON.parse(r.stdout) as NftJson) : parseXt(backend, r.stdout);
  return live.byName.get(name)?.buckets ?? [];
}

async function feed(runner: Runner, ns: Ns, argv: readonly string[], input: string): Promise<void> {
  const r = await runner.run(inNs(ns, argv), { input });
  if (r.exitCode !== 0)
    throw new ApplyError(
      `${showCommand(inNs(ns, argv))} <<EOF\n${input}EOF`,
      r.stderr || `exit ${r.exitCode}`,
    );
}

export async function applyCipOp(op: CipOp, runner: Runner): Promise<void> {
  const { ns, backend } = op;
  const { feeds, fromKernel } = cipSteps(op);
  // Side by side; either failing fails the op, which then counts as applied, so rollback
  // removes whatever half is there.
  const fed = await Promise.allSettled(feeds.map((f) => feed(runner, ns, f.argv, f.input)));
  for (const r of fed) if (r.status === 'rejected') throw r.reason;
  if (fromKernel === 'clusterip-buckets') return setClusteripBuckets(runner, ns, op.specs);
  if (fromKernel === 'removal') return removeFromKernel(op, runner);
}

/** A cip-rules-delete's input, built from what the tables hold: tolerant of anything already gone. */
async function removeFromKernel(op: CipOp, runner: Runner): Promise<void> {
  const { ns, backend } = op;
  const names = op.specs.map((s) => s.name);
  if (backend === 'nft') {
    const input = nftRemove(names, await nftJson(runner, ns));
    if (input) await feed(runner, ns, ['nft', '-f', '-'], input);
    return;
  }
  const removal = xtRemove(
    backend,
    names,
    (await runner.run(inNs(ns, FLAVOUR[backend].save))).stdout,
  );
  for (const input of removal) await feed(runner, ns, FLAVOUR[backend].restore, input);
  if (backend === 'cluster-match') {
    const json = await nftJson(runner, ns);
    // Our parent chain went in this removal: the mangle table iptables-nft made for it goes
    // too when nothing else is in it, in the same transaction as the ARP table.
    const lastGone = removal.some((input) => input.includes(`-X ${PARENT}\n`));
    const input = [arpRemove(names, json, XT_ARP_TABLE), lastGone ? emptyMangleRemove(json) : null]
      .filter((x) => x !== null)
      .join('');
    if (input) await feed(runner, ns, ['nft', '-f', '-'], input);
  }
}

/**
 * CLUSTERIP takes one change per write: "+N" adds a local node, "-N" drops one. What the
 * kernel has is read first: a rule re-installed over a live address keeps its nodes.
 */
async function setClusteripBuckets(
  runner: Runner,
  ns: Ns,
  specs: readonly CipSpec[],
): Promise<void> {
  const live = await readBackendLive(
    runner,
    ns,
    'clusterip',
    specs.map((s) => s.address),
  );
  for (const s of specs) {
    const before = new Set(live.byName.get(s.name)?.buckets ?? []);
    const changes = [
      ...s.buckets.filter((b) => !before.has(b)).map((b) => `+${b}`),
      ...[...before].filter((b) => !s.buckets.includes(b)).map((b) => `-${b}`),
    ];
    for (const change of changes) {
      await runChecked(runner, inNs(ns, ['tee', `/proc/net/ipt_CLUSTERIP/${s.address}`]), {
        input: `${change}\n`,
      });
    }
  }
}
