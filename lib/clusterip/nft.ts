// The nftables backend: everything in two tables clusternet owns, `inet clusternet` (the
// hash) and `arp clusternet` (the cluster MAC on outgoing ARP), replaced as a whole in one
// transaction ("add table; delete table; table {…}": create-or-replace).
// Two traps, both measured: a jhash without `seed` gets a random seed per rule (nodes then
// disagree), and xt_cluster's node K is jhash value K−1 (iptables-translate gets it wrong).
import type { HashMode } from '../config/types.js';
import { addedOnly, emptyLive, type BackendLive, type CipLive } from './live.js';
import type { CipSpec } from './types.js';

export const TABLE = 'clusternet';
/** The cluster match's own ARP table: the nft backend's is replaced wholesale, so they must differ. */
export const XT_ARP_TABLE = 'clusternet_xt';
export const setOf = (name: string) => `b_${name}`;
const chainOf = (name: string) => `c_${name}`;
const PORT_PROTOCOLS = '{ tcp, udp, sctp, dccp }';

/** The hashed part of a connection: its original source, as xt_cluster hashes it. */
function hashRules(s: CipSpec): string[] {
  const tail = `mod ${s.total} seed 0x${s.seed.toString(16)} @${setOf(s.name)} meta pkttype set host return`;
  const src = 'ct original ip saddr';
  if (s.hash === 'sourceip') return [`jhash ${src} ${tail}`];
  const ports =
    s.hash === 'sourceip-sourceport'
      ? ' . ct original proto-src'
      : ' . ct original proto-src . ct original proto-dst';
  // Ports exist only for these protocols; the rest (ICMP…) hash on the source alone, as
  // CLUSTERIP hashed them with ports of 0.
  return [
    `meta l4proto ${PORT_PROTOCOLS} jhash ${src}${ports} ${tail}`,
    `meta l4proto != ${PORT_PROTOCOLS} jhash ${src} ${tail}`,
  ];
}

/** How many rules an address's chain holds once installed: the hash rule(s) and the drop. */
export const nftRuleCount = (s: CipSpec) => hashRules(s).length + 1;

const elements = (s: CipSpec) => s.buckets.map((b) => b - 1).join(', ');

/** "add; delete": what makes the table declaration after it a create-or-replace. */
const replacing = (family: string, table: string, fresh: boolean) =>
  fresh ? [] : [`add table ${family} ${table}`, `delete table ${family} ${table}`];

/** nft -f input replacing both tables with these addresses (`fresh`: creating them, known absent). */
export function nftInstall(specs: readonly CipSpec[], fresh = false): string {
  const inet = [
    ...replacing('inet', TABLE, fresh),
    `table inet ${TABLE} {`,
    ...specs.flatMap((s) => [
      `  set ${setOf(s.name)} {`,
      `    typeof numgen inc mod ${s.total}`,
      ...(s.buckets.length > 0 ? [`    elements = { ${elements(s)} }`] : []),
      '  }',
    ]),
    '  chain prerouting {',
    '    type filter hook prerouting priority mangle; policy accept;',
    ...specs.map(
      (s) =>
        `    iifname "${s.dev}" ip daddr ${s.address} jump ${chainOf(s.name)} comment "${s.name}"`,
    ),
    '  }',
    ...specs.flatMap((s) => [
      `  chain ${chainOf(s.name)} {`,
      ...hashRules(s).map((r) => `    ${r}`),
      '    drop',
      '  }',
    ]),
    '}',
  ];
  return `${inet.join('\n')}\n${arpTable(specs, TABLE, fresh)}`;
}

/**
 * Our own ARP table: every ARP we send with the cluster address as sender carries the
 * cluster MAC (replies and our own requests), so switches flood it to every node.
 * Replaced whole, atomically; other ARP rules on the machine are never touched.
 */
export function arpTable(specs: readonly CipSpec[], table: string, fresh = false): string {
  return `${[
    ...replacing('arp', table, fresh),
    `table arp ${table} {`,
    '  chain output {',
    '    type filter hook output priority filter; policy accept;',
    ...specs.map(
      (s) =>
        `    oifname "${s.dev}" arp htype 1 arp ptype ip arp hlen 6 arp plen 4 arp saddr ip ${s.address} arp saddr ether set ${s.mac} comment "${s.name}"`,
    ),
    '  }',
    '}',
  ].join('\n')}\n`;
}

/** The cluster MAC set on outgoing ARP, by address name, in one of our ARP tables. */
export function parseArpTable(j: NftJson, table: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const item of j.nftables) {
    const r = item.rule;
    if (!r || r.family !== 'arp' || r.table !== table || !r.comment) continue;
    const mangle = find(r.expr, 'mangle') as { value?: string } | undefined;
    if (mangle?.value) out.set(r.comment, mangle.value.toLowerCase());
  }
  return out;
}

/** nft -f input removing these names' ARP rules from one of our tables (the table once empty). */
export function arpRemove(names: readonly string[], j: NftJson, table: string): string | null {
  const rules = j.nftables.filter((i) => i.rule?.family === 'arp' && i.rule.table === table);
  const doomed = rules.filter((i) => names.includes(i.rule!.comment ?? ''));
  if (
    doomed.length === 0 &&
    !(
      rules.length === 0 &&
      j.nftables.some((i) => i.table?.family === 'arp' && i.table.name === table)
    )
  )
    return null;
  if (doomed.length === rules.length) return `add table arp ${table}\ndelete table arp ${table}\n`;
  return `${doomed.map((i) => `delete rule arp ${table} output handle ${i.rule!.handle}`).join('\n')}\n`;
}

/**
 * `delete table ip mangle` when the cluster match's rules were the last thing in it:
 * iptables-nft makes the table (with its base chains) for our first rule and leaves it,
 * empty, after our last one goes. Only a table holding nothing — no rule, no chain of its
 * own, every base chain accepting — is removed; anything else in it is someone's.
 */
export function emptyMangleRemove(j: NftJson): string | null {
  const mine = (i: { family: string; table: string }) => i.family === 'ip' && i.table === 'mangle';
  if (!j.nftables.some((i) => i.table?.family === 'ip' && i.table.name === 'mangle')) return null;
  if (j.nftables.some((i) => i.rule && mine(i.rule))) return null;
  const chains = j.nftables.flatMap((i) => (i.chain && mine(i.chain) ? [i.chain] : []));
  if (chains.some((c) => !c.hook || (c.policy ?? 'accept') !== 'accept')) return null;
  return 'delete table ip mangle\n';
}

/**
 * Only the bucket sets: a takeover or release, one transaction. `was`: what the sets hold
 * now (read just before); when buckets are only added, they are added alone (no flush,
 * whose deletions make the kernel wait).
 */
export function nftBuckets(specs: readonly CipSpec[], was?: readonly number[][]): string {
  const added = was && addedOnly(specs, was);
  if (added) {
    const adds = specs.flatMap((s, i) =>
      added[i]!.length > 0
        ? [
            `add element inet ${TABLE} ${setOf(s.name)} { ${added[i]!.map((b) => b - 1).join(', ')} }`,
          ]
        : [],
    );
    return `${adds.join('\n')}\n`;
  }
  return `${specs.flatMap((s) => [`flush set inet ${TABLE} ${setOf(s.name)}`, ...(s.buckets.length > 0 ? [`add element inet ${TABLE} ${setOf(s.name)} { ${elements(s)} }`] : [])]).join('\n')}\n`;
}

/** nft -f input removing these addresses (or both tables, once none is left), from the JSON listing. */
export function nftRemove(names: readonly string[], listing: NftJson): string | null {
  const live = parseNft(listing);
  if (live.byName.size === 0 && !hasTables(listing)) return null;
  const remaining = [...live.byName.keys()].filter((n) => !names.includes(n));
  if (remaining.length === 0) {
    return (
      ['inet', 'arp']
        .flatMap((family) => [`add table ${family} ${TABLE}`, `delete table ${family} ${TABLE}`])
        .join('\n') + '\n'
    );
  }
  const out: string[] = [];
  for (const item of listing.nftables) {
    const r = item.rule;
    if (r && r.table === TABLE && names.includes(r.comment ?? ''))
      out.push(`delete rule ${r.family} ${TABLE} ${r.chain} handle ${r.handle}`);
  }
  for (const name of names) {
    if (live.byName.has(name))
      out.push(
        `delete chain inet ${TABLE} ${chainOf(name)}`,
        `delete set inet ${TABLE} ${setOf(name)}`,
      );
  }
  return out.length === 0 ? null : `${out.join('\n')}\n`;
}

export interface NftJson {
  nftables: {
    table?: { family: string; name: string };
    chain?: { family: string; table: string; name: string; hook?: string; policy?: string };
    set?: { family: string; table: string; name: string; elem?: (number | unknown)[] };
    rule?: {
      family: string;
      table: string;
      chain: string;
      handle: number;
      comment?: string;
      expr: unknown[];
    };
  }[];
}

const hasTables = (j: NftJson, table = TABLE) => j.nftables.some((i) => i.table?.name === table);

/** Whether one of our ARP tables exists (the cluster match's own: XT_ARP_TABLE). */
export const hasArpTable = (j: NftJson, table: string) =>
  j.nftables.some((i) => i.table?.family === 'arp' && i.table.name === table);

/** Finds the first object under `key` anywhere in a JSON value. */
function find(value: unknown, key: string): unknown {
  if (value === null || typeof value !== 'object') return undefined;
  if (key in value) return (value as Record<string, unknown>)[key];
  for (const v of Object.values(value)) {
    const hit = find(v, key);
    if (hit !== undefined) return hit;
  }
  return undefined;
}

/** Reads `nft -j list ruleset` into the live state per address. */
export function parseNft(j: NftJson): BackendLive {
  const live = emptyLive();
  live.parentJump = true;
  live.tables = hasTables(j);
  const get = (name: string): CipLive => {
    if (!live.byName.has(name)) live.byName.set(name, { buckets: [], drop: false, rules: 0 });
    return live.byName.get(name)!;
  };
  for (const item of j.nftables) {
    if (
      item.set &&
      item.set.table === TABLE &&
      item.set.family === 'inet' &&
      item.set.name.startsWith('b_')
    ) {
      get(item.set.name.slice(2)).buckets = (item.set.elem ?? [])
        .filter((e): e is number => typeof e === 'number')
        .map((e) => e + 1)
        .sort((a, b) => a - b);
    }
    const r = item.rule;
    if (!r || r.table !== TABLE) continue;
    const text = JSON.stringify(r.expr);
    if (r.family === 'inet' && r.chain === 'prerouting' && r.comment) {
      const l = get(r.comment);
      l.dev = find(r.expr, 'right') as string | undefined;
      const daddr = r.expr.find((e) => JSON.stringify(e).includes('"daddr"'));
      l.address = find(daddr, 'right') as string | undefined;
    } else if (r.family === 'inet' && r.chain.startsWith('c_')) {
      const l = get(r.chain.slice(2));
      l.rules++;
      const jhash = find(r.expr, 'jhash') as { mod?: number; seed?: number } | undefined;
      if (jhash) {
        const hash: HashMode = text.includes('proto-dst')
          ? 'sourceip-sourceport-destport'
          : text.includes('proto-src')
            ? 'sourceip-sourceport'
            : 'sourceip';
        // Port modes have a second rule for port-less protocols: the port mode wins.
        if (!l.hash || l.hash === 'sourceip')
          Object.assign(l, { total: jhash.mod, seed: jhash.seed, hash });
      }
      if (text === '[{"drop":null}]') l.drop = true;
    }
  }
  for (const [name, mac] of parseArpTable(j, TABLE)) get(name).mac = mac;
  return live;
}
