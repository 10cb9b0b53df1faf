// Kerrighed's own net.conf: flat shell assignments. Accepted as it is and read as the
// native keys it means, so everything downstream sees one format.
import type { Entry } from './lines.js';

/** Legacy variable → [section, key] of the native format. */
export const LEGACY_KEYS: Record<string, [string, string]> = {
  NETCONF_ENABLE: ['net', 'enable'],
  PHYS: ['net', 'device'],
  VIRT: ['net', 'interface'],
  VLANID: ['net', 'vlan'],
  VIRTMAC: ['net', 'mac'],
  VIRTPREFIX: ['net', 'address'],
  CLUSTERADDR_ENABLE: ['clusterip', 'enable'],
  CLUSTERADDR: ['clusterip', 'address'],
  CLUSTERMAC: ['clusterip', 'mac'],
};

/**
 * What a legacy file leaves implicit, as Kerrighed's hooks (kerrighed-tools, upstream/xos)
 * did it: 16 nodes (20clusterip: `NR_NODES=16`), always a VLAN (50net: `type vlan id
 * $VLANID`), the id in the last byte of VIRTMAC and VIRTPREFIX (`${VIRTMAC%:*}:$(printf
 * %02x $node_id)`, `${VIRTPREFIX%.*}.$node_id`), and both switches off unless written
 * `true` (`[ "$NETCONF_ENABLE" = true ] || exit 0`).
 */
export const LEGACY_DEFAULTS: (Entry & { shown: string })[] = [
  { section: 'cluster', key: 'nodes', value: '1-16', line: 0, shown: 'cluster.nodes' },
  { section: 'net', key: 'link', value: 'vlan', line: 0, shown: 'net.link' },
  { section: 'net', key: 'template', value: 'replace', line: 0, shown: 'net.template' },
  { section: 'net', key: 'enable', value: 'false', line: 0, shown: 'NETCONF_ENABLE' },
  { section: 'clusterip', key: 'enable', value: 'false', line: 0, shown: 'CLUSTERADDR_ENABLE' },
];

/** The switches: the shell test `[ "$X" = true ]`, so anything but `true` is off. */
const SWITCHES = new Set(['NETCONF_ENABLE', 'CLUSTERADDR_ENABLE']);

/** A flat file is legacy when it assigns at least one of Kerrighed's variables. */
export function isLegacy(entries: readonly Entry[]): boolean {
  return entries.some((e) => e.section === '' && e.key.replace(/^export\s+/, '') in LEGACY_KEYS);
}

export interface MappedEntry extends Entry {
  /** The name as the user wrote it, for error messages. */
  shown: string;
}

export function mapLegacy(entries: readonly Entry[]): { mapped: MappedEntry[]; unknown: Entry[] } {
  const mapped: MappedEntry[] = LEGACY_DEFAULTS.map((e) => ({ ...e }));
  const unknown: Entry[] = [];
  for (const entry of entries) {
    const name = entry.key.replace(/^export\s+/, '');
    const target = LEGACY_KEYS[name];
    if (!target) {
      unknown.push({ ...entry, key: name });
      continue;
    }
    // CLUSTERADDR keeps its prefix: 20clusterip ran `ip addr add $CLUSTERADDR dev $VIRT`.
    const value = SWITCHES.has(name) ? String(entry.value === 'true') : entry.value;
    mapped.push({ section: target[0], key: target[1], value, line: entry.line, shown: name });
  }
  return { mapped, unknown };
}
