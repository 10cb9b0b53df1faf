import type { CommandModule } from 'yargs';
import { containerNs, loadConfig } from '../../context.js';
import { resolveNodeId } from '../../derive/node-id.js';
import { deriveAll, deriveNode, type NodeValues } from '../../derive/node.js';
import { chooseBackend, describeChoice, probeOnce } from '../../clusterip/choose.js';
import { probeBackend } from '../../clusterip/system.js';
import { systemRunner } from '../../system/runner.js';
import { withContainer, withJson, withNode, type GlobalArgs } from '../options.js';
import type { NodeClusterIp } from '../../clusterip/types.js';
import type { Ns } from '../../system/ns.js';
import { table } from '../../value/table.js';
import { LINK_FIELDS, fieldsOf, ownerOf } from '../../link/index.js';
import type { LinkKind, LinkParams, Routing } from '../../link/driver.js';

interface ShowArgs extends GlobalArgs {
  node?: string;
  pid?: string;
  netns?: string;
  all: boolean;
  json: boolean;
}

export const showCommand: CommandModule<GlobalArgs, ShowArgs> = {
  command: 'show',
  describe: "a node's derived values (MAC, address, MTU…), or a table of every node with --all",
  builder: (y) =>
    withContainer(withJson(withNode(y))).option('all', {
      type: 'boolean',
      default: false,
      describe: 'every node of the cluster',
    }),
  handler: async (args) => {
    const config = loadConfig(args);
    if (args.all) {
      const nodes = deriveAll(config);
      process.stdout.write(
        args.json ? `${JSON.stringify(nodes.map(asJson), null, 2)}\n` : nodeTable(nodes),
      );
      return;
    }
    const { id, source } = resolveNodeId(config, { flag: args.node });
    const values = deriveNode(config, id);
    const backends = await backendsHere(values, containerNs(args));
    if (args.json) {
      const json = asJson(values);
      json.clusterips.forEach((c, i) => Object.assign(c, { backendHere: backends[i] }));
      process.stdout.write(`${JSON.stringify({ ...json, source }, null, 2)}\n`);
      return;
    }
    const rows: [string, string][] = [
      ['node', `${values.node} (from ${source})`],
      ['link', values.kind],
      ['device', values.device],
      ['interface', values.interface],
      ...kindFields(values.kind, values.link).map(([name, value]): [string, string] => [
        name,
        value,
      ]),
      ['mac', values.mac || '- (node network disabled)'],
      ['address', values.address || '- (node network disabled)'],
      ['address6', values.address6 ?? '-'],
      ['mtu', String(values.mtu) + (values.mtu === 'auto' ? autoMtu(values) : '')],
      ['gateway', values.gateway ?? '-'],
      ['gateway6', values.gateway6 ?? '-'],
      ...(values.routing ? routingRows(values.routing) : []),
      ...values.clusterIps.flatMap((c, i): [string, string][] => [
        [
          `clusterip${c.name ? ` ${c.name}` : ''}`,
          `${c.address}/${c.prefix} mac ${c.mac} hash ${c.hash} backend ${c.wanted} seed 0x${c.seed.toString(16)}${c.buckets === 'manager' ? ' buckets by manager' : ''}`,
        ],
        ['  backend here', backends[i]!],
        ...(c.wanted === 'clusterip' ? [['  note', CLUSTERIP_NOTE] as [string, string]] : []),
      ]),
    ];
    const width = Math.max(...rows.map(([k]) => k.length));
    process.stdout.write(rows.map(([k, v]) => `${k.padEnd(width)}  ${v}\n`).join(''));
  },
};

const CLUSTERIP_NOTE =
  'clusterip hashes the source in host byte order, cluster-match and nft in network byte order: they cannot share a cluster; move every node off clusterip at once';

/**
 * What each cluster address would run on here, probed without changing anything (the
 * same choice a phase makes, clusterip/choose.ts). Probing needs root; without it, say so.
 */
async function backendsHere(values: NodeValues, container: Ns): Promise<string[]> {
  if (process.getuid?.() !== 0)
    return values.clusterIps.map(
      (c) => `${c.wanted} (not probed: run as root to see what this kernel allows)`,
    );
  const probe = probeOnce((b) => probeBackend(systemRunner, container, b));
  return Promise.all(
    values.clusterIps.map(async (c: NodeClusterIp) =>
      describeChoice(c, await chooseBackend(c, probe)),
    ),
  );
}

/** A routed segment (routing = per-node): the node's subnets on its bridge, how peers reach it. */
function routingRows(r: Routing): [string, string][] {
  return [
    ['subnet', `${r.subnet} on ${r.bridge} (host ${r.hostAddress})`],
    ...(r.subnet6
      ? [
          ['subnet6', `${r.subnet6} on ${r.bridge} (host ${r.hostAddress6 ?? '-'})`] as [
            string,
            string,
          ],
        ]
      : []),
    ['underlay', r.underlay],
    [
      'overlay',
      r.overlay
        ? `vni ${r.overlay.vni} port ${r.overlay.port} (to peers not on ${r.underlay.split('/')[0]}'s subnet, and the other family)`
        : 'none',
    ],
  ];
}

/** What mtu = auto comes to: the device's MTU, less what the link kind takes (a VLAN tag: 4). */
function autoMtu(v: NodeValues): string {
  const overhead = v.link ? ownerOf(v.kind).overhead(v.link, v.routing) : 0;
  return overhead > 0 ? ` (${v.device}'s MTU − ${overhead})` : ` (${v.device}'s MTU)`;
}

function asJson(v: NodeValues) {
  return {
    node: v.node,
    link: v.kind,
    device: v.device,
    interface: v.interface,
    ...fieldsOf(v.link),
    params: v.link,
    mac: v.mac,
    address: v.address,
    address6: v.address6,
    mtu: v.mtu,
    gateway: v.gateway,
    gateway6: v.gateway6,
    routing: v.routing,
    clusterips: v.clusterIps.map((c) => ({
      name: c.name,
      address: c.address,
      prefix: c.prefix,
      mac: c.mac,
      hash: c.hash,
      backend: c.backend,
      seed: c.seed,
      buckets: c.buckets,
    })),
  };
}

/** The columns of the node's kind only (a vlan config shows no bridge column); '-' where unset. */
function kindFields(kind: LinkKind, link: LinkParams | null): [string, string][] {
  const all = fieldsOf(link);
  return ownerOf(kind).fieldNames.map((name) => [
    name,
    all[name] === null || all[name] === undefined ? '-' : String(all[name]),
  ]);
}

function nodeTable(nodes: NodeValues[]): string {
  // The columns of the cluster's kind only (every node has the same one).
  const fields = LINK_FIELDS.filter((name) =>
    nodes.some((v) => ownerOf(v.kind).fieldNames.includes(name)),
  );
  const head = ['node', 'device', 'interface', ...fields, 'mac', 'address', 'mtu'];
  const rows = nodes.map((v) => [
    String(v.node),
    v.device,
    v.interface,
    ...fields.map((name) => String(fieldsOf(v.link)[name] ?? '-')),
    v.mac,
    v.address,
    String(v.mtu),
  ]);
  return `${table(head, rows)}\n`;
}
