import type { CommandModule } from 'yargs';
import { loadConfig } from '../../context.js';
import { resolveNodeId } from '../../derive/node-id.js';
import { deriveAll, deriveNode, type NodeValues } from '../../derive/node.js';
import { withJson, withNode, type GlobalArgs } from '../options.js';

interface ShowArgs extends GlobalArgs {
  node?: string;
  all: boolean;
  json: boolean;
}

export const showCommand: CommandModule<GlobalArgs, ShowArgs> = {
  command: 'show',
  describe: "a node's derived values (MAC, address, MTU…), or a table of every node with --all",
  builder: (y) => withJson(withNode(y)).option('all', { type: 'boolean', default: false, describe: 'every node of the cluster' }),
  handler: (args) => {
    const config = loadConfig(args);
    if (args.all) {
      const nodes = deriveAll(config);
      process.stdout.write(args.json ? `${JSON.stringify(nodes.map(asJson), null, 2)}\n` : table(nodes));
      return;
    }
    const { id, source } = resolveNodeId(config, { flag: args.node });
    const values = deriveNode(config, id);
    if (args.json) {
      process.stdout.write(`${JSON.stringify({ ...asJson(values), source }, null, 2)}\n`);
      return;
    }
    const rows: [string, string][] = [
      ['node', `${values.node} (from ${source})`],
      ['link', values.link],
      ['device', values.device],
      ['interface', values.interface],
      ['vlan', values.vlan === null ? '-' : String(values.vlan)],
      ['mac', values.mac],
      ['address', values.address],
      ['address6', values.address6 ?? '-'],
      ['mtu', String(values.mtu) + (values.mtu === 'auto' ? (values.link === 'vlan' ? ` (${values.device}'s MTU − 4)` : ` (${values.device}'s MTU)`) : '')],
      ['gateway', values.gateway ?? '-'],
      ...values.clusterIps.map((c): [string, string] => [`clusterip${c.name ? ` ${c.name}` : ''}`, `${c.address} mac ${c.mac} hash ${c.hash} backend ${c.backend} seed 0x${c.seed.toString(16)}`]),
    ];
    const width = Math.max(...rows.map(([k]) => k.length));
    process.stdout.write(rows.map(([k, v]) => `${k.padEnd(width)}  ${v}\n`).join(''));
  },
};

function asJson(v: NodeValues) {
  return {
    node: v.node,
    link: v.link,
    device: v.device,
    interface: v.interface,
    vlan: v.vlan,
    mac: v.mac,
    address: v.address,
    address6: v.address6,
    mtu: v.mtu,
    gateway: v.gateway,
    clusterips: v.clusterIps.map((c) => ({ name: c.name, address: c.address, mac: c.mac, hash: c.hash, backend: c.backend, seed: c.seed })),
  };
}

function table(nodes: NodeValues[]): string {
  const head = ['node', 'device', 'interface', 'vlan', 'mac', 'address', 'mtu'];
  const rows = nodes.map((v) => [String(v.node), v.device, v.interface, v.vlan === null ? '-' : String(v.vlan), v.mac, v.address, String(v.mtu)]);
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (cells: string[]) => `${cells.map((c, i) => c.padEnd(widths[i]!)).join('  ').trimEnd()}\n`;
  return [head, ...rows].map(line).join('');
}
