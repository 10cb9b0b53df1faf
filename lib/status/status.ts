// `clusternet status`: the cluster's networks as OpenSVC's `om net status` shows them
// (name, type, network, size, used, free, pct), every node and cluster address, and for
// this node what the kernel has: the interface, the cluster addresses' buckets, and
// whether the running state matches the plan.
import { inSubnet, subnetOf } from '../value/arith.js';
import { table } from '../value/table.js';
import { ownerOf } from '../link/index.js';
import type { Routing } from '../link/driver.js';
import type { Config } from '../config/types.js';
import { deriveAll, type NodeValues } from '../derive/node.js';
import { preparePhase } from '../apply/phase.js';
import { RecordStore } from '../apply/record.js';
import type { Logger } from '../log.js';
import { type Phase } from '../plan/ops.js';
import { summarizeOp } from '../plan/render.js';
import type { Runner } from '../system/runner.js';
import { readNsState, type NsState } from '../system/state.js';
import { readBuckets, type Buckets } from './buckets.js';
import { nsLabel, type Ns } from '../system/ns.js';
import { rangeUse, type RangeUse } from '../cni/leases.js';

export interface NetworkRow {
  name: string;
  type: string;
  network: string;
  size: number;
  used: number;
  free: number;
  pct: number;
}

export interface AddressRow {
  node: number | 'cluster';
  interface: string;
  mac: string;
  address: string;
  /** Where it lives: this node's namespace, or another node (not visible from here). */
  where: string;
  /** true/false when we can see it (this node), null for other nodes. */
  configured: boolean | null;
}

export interface ClusterIpRow {
  name: string;
  address: string;
  mac: string;
  backend: string;
  /** This node's own bucket and the number of buckets, as planned (null without a node). */
  bucket: number | null;
  /** Who assigns the buckets (net.conf `buckets`): with `manager`, no bucket is the node's own. */
  assignedBy: 'rank' | 'manager';
  total: number | null;
  installed: boolean | null;
  buckets: Buckets | null;
}

export interface StatusReport {
  config: string;
  node: number | null;
  networks: NetworkRow[];
  /** Each node's container range ([cni]); the leases counted for this node only. */
  ranges: RangeUse[];
  addresses: AddressRow[];
  clusterips: ClusterIpRow[];
  interface: {
    name: string;
    where: string;
    exists: boolean;
    up: boolean;
    addresses: string[];
  } | null;
  plan: { ok: boolean; problems: string[] } | null;
  /** What of this node is not set up at all, in plain words (empty when it is, or without a node). */
  notSetUp: string[];
}

/** Used: every node's address, the gateway and cluster addresses inside the subnet. */
export function networkRows(config: Config, nodes: NodeValues[]): NetworkRow[] {
  const { net } = config;
  const driver = ownerOf(net.link);
  const link = nodes.find((v) => v.link)?.link;
  const type = link ? driver.describe(link) : net.link;
  // Routed per-node segments: each node's subnet is a network of its own (the host's bridge address and the container's used).
  if (nodes.some((v) => v.routing))
    return nodes.flatMap((v) => (v.routing ? routedRows(v.node, v.routing) : []));
  const rows: NetworkRow[] = [];
  for (const [name, cidr] of [
    ['net', net.address],
    ['net6', net.address6],
  ] as const) {
    if (!cidr) continue;
    const { cidr: network, size } = subnetOf(cidr.address, cidr.prefix);
    const others = [
      net.gateway,
      ...config.clusterIps.filter((c) => c.enable).map((c) => c.address),
    ].filter((ip): ip is string => ip !== undefined && inSubnet(ip, cidr.address, cidr.prefix));
    const used = nodes.length + new Set(others).size;
    rows.push({
      name,
      type,
      network,
      size,
      used,
      free: size - used,
      pct: Math.round((used / size) * 10000) / 100,
    });
  }
  return rows;
}

/** A node's routed subnets (routing = per-node), one row each: `net/N`, `net6/N`. */
function routedRows(node: number, r: Routing): NetworkRow[] {
  return [
    ['net', r.subnet],
    ['net6', r.subnet6],
  ].flatMap(([name, cidr]) => {
    if (!cidr) return [];
    const [base, prefix] = cidr.split('/');
    const { size } = subnetOf(base!, Number(prefix));
    const used = 2;
    return [
      {
        name: `${name}/${node}`,
        type: `routed /${prefix}`,
        network: cidr,
        size,
        used,
        free: size - used,
        pct: Math.round((used / size) * 10000) / 100,
      },
    ];
  });
}

export interface LocalView {
  values: NodeValues;
  container: Ns;
  runner: Runner;
  log: Logger;
}

export async function buildStatus(
  config: Config,
  local: LocalView | undefined,
): Promise<StatusReport> {
  const nodes = deriveAll(config);
  let state: NsState | undefined;
  let where = '';
  if (local) {
    where = nsLabel(local.container);
    try {
      state = await readNsState(local.runner, local.container);
    } catch {
      state = undefined; // the container does not exist (yet)
    }
  }
  const link = local && state ? state.links.get(local.values.interface) : undefined;
  const addresses: AddressRow[] = [];
  for (const v of nodes) {
    const mine = local?.values.node === v.node;
    for (const address of [v.address, v.address6]) {
      if (!address) continue;
      addresses.push({
        node: v.node,
        interface: v.interface,
        mac: v.mac,
        address,
        where: mine ? where : `node ${v.node}`,
        configured: mine ? (link?.addresses.includes(address) ?? false) : null,
      });
    }
  }
  const clusterips: ClusterIpRow[] = [];
  for (const cip of config.clusterIps.filter((c) => c.enable)) {
    const installed = local
      ? (link?.addresses.some((a) => a.split('/')[0] === cip.address) ?? false)
      : null;
    addresses.push({
      node: 'cluster',
      interface: config.net.interface,
      mac: cip.mac,
      address: cip.address,
      where: local ? where : 'every node',
      configured: installed,
    });
    const buckets =
      local && state ? await readBuckets(local.runner, local.container, cip.address) : null;
    const planned = local?.values.clusterIps.find((c) => c.address === cip.address);
    const manager = cip.buckets === 'manager';
    clusterips.push({
      name: cip.name,
      address: cip.address,
      mac: cip.mac,
      backend: cip.backend,
      bucket: manager ? null : (planned?.bucket ?? null),
      total: planned?.total ?? null,
      assignedBy: cip.buckets,
      installed,
      buckets,
    });
  }
  return {
    config: config.file,
    node: local?.values.node ?? null,
    networks: networkRows(config, nodes),
    ranges: config.cni?.enable ? rangeUse(config, local?.values.node) : [],
    addresses,
    clusterips,
    interface: local
      ? {
          name: local.values.interface,
          where,
          exists: link !== undefined,
          up: link?.up ?? false,
          addresses: link?.addresses ?? [],
        }
      : null,
    plan: !local
      ? null
      : state
        ? await planState(config, local)
        : { ok: false, problems: [`cannot read ${where}: it does not exist (yet)`] },
    notSetUp: !local
      ? []
      : !state
        ? [`${where} does not exist`]
        : !link
          ? [`${local.values.interface} does not exist in ${where}`]
          : [],
  };
}

/** Compares the phases whose result lives on with the kernel, as `check` does. */
async function planState(
  config: Config,
  local: LocalView,
): Promise<{ ok: boolean; problems: string[] }> {
  const phases: Phase[] =
    local.container.kind === 'current'
      ? ['init-pre', 'init-post']
      : ['boot-post', 'init-pre', 'init-post'];
  const problems: string[] = [];
  // Buckets moved since boot (takeover, or the cluster manager's) are in the record.
  const record = new RecordStore(local.values.node, local.container).load();
  for (const phase of phases) {
    try {
      const { assessed, strays } = await preparePhase(
        {
          config,
          phase,
          values: local.values,
          container: local.container,
          runner: local.runner,
          log: local.log,
        },
        record,
      );
      for (const stray of strays) problems.push(`${phase}: ${stray.item}: unexpected`);
      for (const { op, assessment: a } of assessed) {
        if (op.op === 'link-rename' || a.state === 'ok') continue;
        const why =
          a.state === 'pending'
            ? 'missing'
            : a.state === 'differs'
              ? `differs: want ${a.want}, have ${a.have}`
              : a.reason;
        // One line per item: a rule set is named, not printed whole.
        problems.push(`${phase}: ${summarizeOp(op)}: ${why}`);
      }
    } catch (error) {
      problems.push(`${phase}: ${(error as Error).message.split('\n')[0]}`);
    }
  }
  return { ok: problems.length === 0, problems };
}

/** The report as text: the networks table, with --verbose the address rows. */
export function formatStatus(r: StatusReport, verbose: boolean): string {
  const out: string[] = [];
  const ranges = r.ranges.map((c) => {
    const use =
      c.used === null
        ? ['-', '-', '-']
        : [
            String(c.used),
            String(c.size - c.used),
            `${Math.round((c.used / c.size) * 10000) / 100}%`,
          ];
    return [
      `cni${c.family === 6 ? '6' : ''}/${c.node}`,
      `cni ${c.delegate}`,
      c.subnet,
      String(c.size),
      ...use,
    ];
  });
  out.push(
    table(
      ['name', 'type', 'network', 'size', 'used', 'free', 'pct'],
      [
        ...r.networks.map((n) => [
          n.name,
          n.type,
          n.network,
          String(n.size),
          String(n.used),
          String(n.free),
          `${n.pct}%`,
        ]),
        ...ranges,
      ],
    ),
  );
  if (verbose) {
    out.push(
      '',
      table(
        ['node', 'interface', 'mac', 'address', 'where', 'configured'],
        r.addresses.map((a) => [
          String(a.node),
          a.interface,
          a.mac,
          a.address,
          a.where,
          a.configured === null ? '-' : a.configured ? 'yes' : 'no',
        ]),
      ),
    );
  }
  for (const c of r.clusterips) {
    const buckets = c.buckets
      ? `${c.buckets.backend} buckets ${c.buckets.buckets.join(',')}`
      : 'no buckets found';
    const own =
      c.assignedBy === 'manager'
        ? ` (buckets assigned by the cluster manager${c.total === null ? '' : `, of ${c.total}`})`
        : c.bucket === null
          ? ''
          : ` (own bucket ${c.bucket} of ${c.total})`;
    const here =
      c.installed === null
        ? "this node's share: give --node N to see it"
        : `${c.installed ? 'installed' : 'not installed'}; ${buckets}`;
    out.push(
      `clusterip${c.name ? ` ${c.name}` : ''}: ${c.address} mac ${c.mac} backend ${c.backend}${own}; ${here}`,
    );
  }
  if (r.notSetUp.length > 0) {
    // Nothing to compare item by item: say so, once.
    out.push(
      `node ${r.node}: not set up: ${r.notSetUp.join('; ')}; run \`clusternet service start\` (or the phases with \`clusternet run\`)`,
    );
    return `${out.join('\n')}\n`;
  }
  if (r.interface) {
    const i = r.interface;
    out.push(
      `node ${r.node}: ${i.name} in ${i.where}: ${i.exists ? `${i.up ? 'up' : 'down'} ${i.addresses.join(' ')}`.trim() : 'missing'}`,
    );
  }
  if (r.plan)
    out.push(
      r.plan.ok
        ? 'plan: the running state matches'
        : `plan: ${r.plan.problems.length} difference${r.plan.problems.length === 1 ? '' : 's'}:\n${r.plan.problems.map((p) => `  ${p}`).join('\n')}`,
    );
  return `${out.join('\n')}\n`;
}
