// A Config written out in the native format: what `clusternet convert` prints for a
// legacy Kerrighed file (or to normalise a native one).
import type { Config } from './types.js';
import { formatNodeList } from './values.js';

export function toNative(config: Config): string {
  const { net } = config;
  const lines = [
    `# Converted by clusternet from ${config.file} (${config.format} format).`,
    '',
    '[cluster]',
    `nodes = ${formatNodeList(config.nodes)}`,
    '',
    '[net]',
    `enable = ${net.enable}`,
    `link = ${net.link}`,
    `device = ${net.device}`,
    `interface = ${net.interface}`,
    ...(net.vlan !== undefined ? [`vlan = ${net.vlan}`] : []),
    `mac = ${net.mac}`,
    `address = ${net.address.address}/${net.address.prefix}`,
    ...(net.address6 ? [`address6 = ${net.address6.address}/${net.address6.prefix}`] : []),
    `mtu = ${net.mtu}`,
    ...(net.gateway ? [`gateway = ${net.gateway}`] : []),
  ];
  for (const cip of config.clusterIps) {
    lines.push(
      '',
      cip.name ? `[clusterip ${cip.name}]` : '[clusterip]',
      `enable = ${cip.enable}`,
      `address = ${cip.address}`,
      `mac = ${cip.mac}`,
      `hash = ${cip.hash}`,
      `backend = ${cip.backend}`,
      `seed = 0x${cip.seed.toString(16)}`,
    );
  }
  for (const node of config.nodeSettings.values()) {
    lines.push('', `[node ${node.id}]`);
    if (node.hostname) lines.push(`hostname = ${node.hostname}`);
    if (node.device) lines.push(`device = ${node.device}`);
    if (node.mtu !== undefined) lines.push(`mtu = ${node.mtu}`);
    if (node.backend !== undefined) lines.push(`backend = ${node.backend}`);
  }
  return `${lines.join('\n')}\n`;
}
