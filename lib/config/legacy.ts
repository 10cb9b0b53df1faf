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
 * What a legacy file leaves implicit. Kerrighed hard-coded 16 nodes (CLUSTERIP's limit)
 * and always used a VLAN.
 */
export const LEGACY_DEFAULTS: Entry[] = [
  { section: 'cluster', key: 'nodes', value: '1-16', line: 0 },
  { section: 'net', key: 'link', value: 'vlan', line: 0 },
];

/** A flat file is legacy when it assigns at least one of Kerrighed's variables. */
export function isLegacy(entries: readonly Entry[]): boolean {
  return entries.some((e) => e.section === '' && e.key.replace(/^export\s+/, '') in LEGACY_KEYS);
}

export interface MappedEntry extends Entry {
  /** The name as the user wrote it, for error messages. */
  shown: string;
}

export function mapLegacy(entries: readonly Entry[]): { mapped: MappedEntry[]; unknown: Entry[] } {
  const mapped: MappedEntry[] = LEGACY_DEFAULTS.map((e) => ({ ...e, shown: `${e.section}.${e.key}` }));
  const unknown: Entry[] = [];
  for (const entry of entries) {
    const name = entry.key.replace(/^export\s+/, '');
    const target = LEGACY_KEYS[name];
    if (!target) {
      unknown.push({ ...entry, key: name });
      continue;
    }
    let value = entry.value;
    // Kerrighed wrote the cluster address bare or with a prefix; the native key is bare.
    if (name === 'CLUSTERADDR') value = value.replace(/\/\d+$/, '');
    mapped.push({ section: target[0], key: target[1], value, line: entry.line, shown: name });
  }
  return { mapped, unknown };
}
