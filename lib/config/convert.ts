// A Config written out in the native format: what `clusternet convert` prints for a
// legacy Kerrighed file (or to normalise a native one).
import type { Config } from './types.js';
import { LINK_NET_KEYS, LINK_NODE_KEYS } from '../link/index.js';
import { formatNodeList, hostPrefix } from '../value/parse.js';

/** `key = value` when there is a value: a disabled section may leave keys unset. */
const line = (key: string, value: string | number | undefined) =>
  value === undefined || value === '' ? [] : [`${key} = ${value}`];

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
    // Kerrighed's legacy files replace the last byte with the id: `convert` keeps that.
    `template = ${net.template}`,
    `link = ${net.link}`,
    ...line('device', net.device),
    `interface = ${net.interface}`,
    ...[...net.linkKeys].flatMap(([key, value]) =>
      line(key, LINK_NET_KEYS.get(key)?.spec.show?.(value) ?? String(value)),
    ),
    ...line('mac', net.mac),
    ...line('address', net.address && `${net.address.address}/${net.address.prefix}`),
    ...line('address6', net.address6 && `${net.address6.address}/${net.address6.prefix}`),
    `mtu = ${net.mtu}`,
    ...line('gateway', net.gateway),
    ...line('gateway6', net.gateway6),
  ];
  for (const cip of config.clusterIps) {
    lines.push(
      '',
      cip.name ? `[clusterip ${cip.name}]` : '[clusterip]',
      `enable = ${cip.enable}`,
      // The prefix only when written: a bare address is installed as /32 (/128).
      ...line(
        'address',
        cip.address &&
          (cip.prefix === hostPrefix(cip.address) ? cip.address : `${cip.address}/${cip.prefix}`),
      ),
      ...line('mac', cip.mac),
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
    for (const [key, value] of node.linkKeys)
      lines.push(...line(key, LINK_NODE_KEYS.get(key)?.spec.show?.(value) ?? String(value)));
  }
  return `${lines.join('\n')}\n`;
}
