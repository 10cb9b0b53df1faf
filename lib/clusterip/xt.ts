// The xtables backends: `cluster-match` (xt_cluster in mangle PREROUTING, plus ARP
// mangling) and the legacy `clusterip` (ipt_CLUSTERIP in filter INPUT, iptables-legacy
// only). Layout, so a re-run never duplicates anything:
//   <built-in chain> → CLUSTERNET (one tagged jump) → one jump per address → CLUSTERNET-<name>
// Declaring a user chain in `iptables-restore --noflush` empties it, so rewriting our
// chains is one atomic, idempotent transaction; only the single jump from the built-in
// chain is added when absent.
import type { HashMode } from '../config/types.js';
import { addedOnly, emptyLive, type BackendLive, type CipLive } from './live.js';
import type { CipBackend, CipSpec } from './types.js';

export const PARENT = 'CLUSTERNET';
export const chainOf = (name: string) => `CLUSTERNET-${name}`;
const tag = (name: string) => `clusternet:${name}`;
const hex = (n: number) => `0x${n.toString(16).padStart(8, '0')}`;

export interface XtFlavour {
  table: 'mangle' | 'filter';
  hook: 'PREROUTING' | 'INPUT';
  restore: string[];
  save: string[];
  iptables: string[];
}

export const FLAVOUR: Record<'cluster-match' | 'clusterip', XtFlavour> = {
  'cluster-match': {
    table: 'mangle',
    hook: 'PREROUTING',
    restore: ['iptables-restore', '-w', '--noflush'],
    save: ['iptables-save', '-t', 'mangle'],
    iptables: ['iptables', '-w'],
  },
  // CLUSTERIP never worked through iptables-nft ("cannot use CLUSTERIP target from nftables compat").
  clusterip: {
    table: 'filter',
    hook: 'INPUT',
    restore: ['iptables-legacy-restore', '-w', '--noflush'],
    save: ['iptables-legacy-save', '-t', 'filter'],
    iptables: ['iptables-legacy', '-w'],
  },
};

const jumpRule = (s: CipSpec) =>
  `-A ${PARENT} -d ${s.address}/32 -i ${s.dev} -m comment --comment ${tag(s.name)} -j ${chainOf(s.name)}`;
const parentJump = (f: XtFlavour) => `-I ${f.hook} 1 -m comment --comment clusternet -j ${PARENT}`;

/** The RETURN rule of one bucket, after its chain's name. */
const bucketRule = (s: CipSpec, b: number) =>
  `-m cluster --cluster-total-nodes ${s.total} --cluster-local-node ${b} --cluster-hash-seed ${hex(s.seed)} -m comment --comment ${tag(s.name)} -j RETURN`;

/** The rules of one address's chain. */
function chainRules(backend: 'cluster-match' | 'clusterip', s: CipSpec): string[] {
  const c = chainOf(s.name);
  if (backend === 'clusterip') {
    // CLUSTERIP takes one local node; the others a node answers for live in
    // /proc/net/ipt_CLUSTERIP/<address> and are set there (takeover).
    return [
      `-A ${c} -d ${s.address}/32 -i ${s.dev} -m comment --comment ${tag(s.name)} -j CLUSTERIP --new --hashmode ${s.hash} --clustermac ${s.mac.toUpperCase()} --total-nodes ${s.total} --local-node ${s.bucket} --hash-init ${s.seed}`,
    ];
  }
  // One RETURN per bucket: iptables parses --cluster-local-nodemask as a number from 1 to
  // 32, so a mask of several nodes cannot always be written; separate rules always can.
  return [
    ...s.buckets.map((b) => `-A ${c} ${bucketRule(s, b)}`),
    `-A ${c} -m comment --comment ${tag(s.name)} -j DROP`,
  ];
}

/** How many rules an address's chain holds once installed. */
export const xtRuleCount = (backend: 'cluster-match' | 'clusterip', s: CipSpec) =>
  chainRules(backend, s).length;

/** iptables-restore input installing (or replacing) every address of this backend. */
export function xtInstall(
  backend: 'cluster-match' | 'clusterip',
  specs: readonly CipSpec[],
  addParentJump: boolean,
): string {
  const f = FLAVOUR[backend];
  const lines = [
    `*${f.table}`,
    `:${PARENT} - [0:0]`,
    ...specs.map((s) => `:${chainOf(s.name)} - [0:0]`),
    ...specs.map(jumpRule),
  ];
  for (const s of specs) lines.push(...chainRules(backend, s));
  if (addParentJump) lines.push(parentJump(f));
  return `${[...lines, 'COMMIT'].join('\n')}\n`;
}

/**
 * Only the addresses' own chains: a takeover or release, atomic. `was`: the buckets the
 * chains hold now (read just before); when buckets are only added, their RETURN rules are
 * inserted alone (no chain rewrite, whose deletions make the kernel wait), else every chain
 * is rewritten.
 */
export function xtBuckets(specs: readonly CipSpec[], was?: readonly number[][]): string {
  const added = was && addedOnly(specs, was);
  if (added)
    return `${['*mangle', ...specs.flatMap((s, i) => added[i]!.map((b) => `-I ${chainOf(s.name)} 1 ${bucketRule(s, b)}`)), 'COMMIT'].join('\n')}\n`;
  const lines = ['*mangle', ...specs.map((s) => `:${chainOf(s.name)} - [0:0]`)];
  for (const s of specs) lines.push(...chainRules('cluster-match', s));
  return `${[...lines, 'COMMIT'].join('\n')}\n`;
}

/**
 * iptables-restore inputs removing these addresses, built from what `save` shows is there
 * (a -D of a missing rule would fail the whole transaction), and the parent hook and
 * chain once no address is left. Two transactions: iptables-nft refuses to delete a chain
 * (EBUSY) in the transaction that removes the last jump to it.
 */
export function xtRemove(
  backend: 'cluster-match' | 'clusterip',
  names: readonly string[],
  save: string,
): string[] {
  const f = FLAVOUR[backend];
  const lines = save.split('\n');
  const doomed = new Set(names.map(chainOf));
  const unhook: string[] = [];
  const drop: string[] = [];
  for (const line of lines) {
    const m = /^-A CLUSTERNET (.*-j (CLUSTERNET-\S+))$/.exec(line);
    if (m && doomed.has(m[2]!)) unhook.push(`-D ${PARENT} ${m[1]}`);
  }
  for (const chain of doomed) {
    if (lines.includes(`:${chain} - [0:0]`)) {
      unhook.push(`-F ${chain}`);
      drop.push(`-X ${chain}`);
    }
  }
  const remaining = lines.filter(
    (l) => /^-A CLUSTERNET /.test(l) && !doomed.has(/-j (\S+)$/.exec(l)?.[1] ?? ''),
  ).length;
  if (remaining === 0) {
    for (const line of lines)
      if (line.startsWith(`-A ${f.hook} `) && line.endsWith(`-j ${PARENT}`))
        unhook.push(line.replace(/^-A/, '-D'));
    if (lines.includes(`:${PARENT} - [0:0]`)) {
      unhook.push(`-F ${PARENT}`);
      drop.push(`-X ${PARENT}`);
    }
  }
  const wrap = (body: string[]) => `${[`*${f.table}`, ...body, 'COMMIT'].join('\n')}\n`;
  return [unhook, drop].filter((body) => body.length > 0).map(wrap);
}

/**
 * Reads `iptables-save` output into the live state per address; for the cluster match,
 * `arp` is the cluster MAC its ARP table sets, by address name.
 */
export function parseXt(
  backend: 'cluster-match' | 'clusterip',
  save: string,
  arp: Map<string, string> = new Map(),
  procBuckets: Map<string, number[]> = new Map(),
): BackendLive {
  const f = FLAVOUR[backend];
  const live = emptyLive();
  const get = (name: string): CipLive => {
    if (!live.byName.has(name)) live.byName.set(name, { buckets: [], drop: false, rules: 0 });
    return live.byName.get(name)!;
  };
  for (const line of save.split('\n')) {
    if (line.startsWith(`-A ${f.hook} `) && line.endsWith(`-j ${PARENT}`)) live.parentJump = true;
    const own = /^-A CLUSTERNET-(\S+) /.exec(line);
    if (own) get(own[1]!).rules++;
    let m = /^-A CLUSTERNET -d (\S+)\/32 -i (\S+) .*-j CLUSTERNET-(\S+)$/.exec(line);
    if (m) Object.assign(get(m[3]!), { address: m[1], dev: m[2] });
    m =
      /^-A CLUSTERNET-(\S+) .*--cluster-local-nodemask (0x[0-9a-f]+) --cluster-total-nodes (\d+) --cluster-hash-seed (0x[0-9a-f]+).* -j RETURN$/.exec(
        line,
      );
    if (m) {
      const l = get(m[1]!);
      const mask = Number(m[2]);
      for (let b = 1; b <= 32; b++) if (mask & (2 ** (b - 1))) l.buckets.push(b);
      Object.assign(l, { total: Number(m[3]), seed: Number(m[4]), hash: 'sourceip' as HashMode });
    }
    m = /^-A CLUSTERNET-(\S+) .*-j DROP$/.exec(line);
    if (m) get(m[1]!).drop = true;
    // iptables-legacy-save prints `--new` too (1.8.9: "-j CLUSTERIP --new --hashmode …").
    m =
      /^-A CLUSTERNET-(\S+) -d \S+ -i \S+ .*-j CLUSTERIP (?:--new )?--hashmode (\S+) --clustermac (\S+) --total-nodes (\d+) --local-node (\d+) --hash-init (\d+)/.exec(
        line,
      );
    if (m) {
      const l = get(m[1]!);
      Object.assign(l, {
        hash: m[2] as HashMode,
        mac: m[3]!.toLowerCase(),
        total: Number(m[4]),
        seed: Number(m[6]),
      });
      l.buckets = procBuckets.get(l.address ?? '') ?? [Number(m[5])];
    }
  }
  for (const [name, l] of live.byName) {
    if (backend === 'cluster-match') {
      l.mac = arp.get(name);
      if (l.mac && l.address) live.arp.set(l.address, l.mac);
    }
    l.buckets.sort((a, b) => a - b);
  }
  return live;
}

/** /proc/net/ipt_CLUSTERIP files as `tail -n +1` prints several: "==> path <==" then "1,3". */
export function parseClusteripProc(text: string): Map<string, number[]> {
  const out = new Map<string, number[]>();
  let current: string | undefined;
  for (const line of text.split('\n')) {
    const head = /^==> \/proc\/net\/ipt_CLUSTERIP\/(\S+) <==$/.exec(line);
    if (head) current = head[1];
    else if (current && line.trim())
      out.set(
        current,
        line
          .split(',')
          .map(Number)
          .filter((n) => n > 0),
      );
  }
  return out;
}

export type XtBackend = Extract<CipBackend, 'cluster-match' | 'clusterip'>;
