// Every link kind clusternet knows, listed explicitly: a new kind is one file and one line here.
import type { KindParams, LinkDriver, LinkKind, LinkParams } from './driver.js';
import type { KeySpec } from '../value/spec.js';
import { bridgeDriver } from './bridge.js';
import { macvlanDriver } from './macvlan.js';
import { vlanDriver } from './vlan.js';
import { vxlanDriver } from './vxlan.js';

export const DRIVERS: { [K in LinkKind]: LinkDriver<KindParams<K>> } = {
  vlan: vlanDriver,
  macvlan: macvlanDriver,
  bridge: bridgeDriver,
  vxlan: vxlanDriver,
};

/** net.conf's `link =` choices, in the order messages list them. */
export const LINK_KINDS: readonly LinkKind[] = ['vlan', 'macvlan', 'bridge', 'vxlan'];

/** Every kind of kernel link some kind makes (a stored link-create's `link.kind`). */
export const LINK_PARAM_KINDS: readonly LinkParams['kind'][] = LINK_KINDS.flatMap((k) => [
  k,
  ...(Object.keys(DRIVERS[k].makes ?? {}) as LinkParams['kind'][]),
]);

const OWNERS = new Map<string, LinkDriver>(
  LINK_KINDS.flatMap((k) =>
    [k, ...Object.keys(DRIVERS[k].makes ?? {})].map((p) => [p, DRIVERS[k] as LinkDriver] as const),
  ),
);

/** The default `link` (Kerrighed's: always a VLAN). */
export const DEFAULT_LINK: LinkKind = 'vlan';

/** The driver of a kind of net.conf, or of a kernel link it makes (veth: bridge's), typed for any of its params. */
export function ownerOf(kind: LinkKind | LinkParams['kind']): LinkDriver {
  const driver = OWNERS.get(kind);
  if (!driver) throw new Error(`no link driver makes ${kind}`);
  return driver;
}

type OwnedKeys = ReadonlyMap<string, { spec: KeySpec; owners: LinkKind[] }>;

/** The keys of one section every kind owns, with the kinds that own each (config/load.ts merges them). */
function ownedKeys(section: 'netKeys' | 'nodeKeys'): OwnedKeys {
  const keys = new Map<string, { spec: KeySpec; owners: LinkKind[] }>();
  for (const kind of LINK_KINDS) {
    for (const [key, spec] of Object.entries(DRIVERS[kind][section]))
      keys.set(key, { spec, owners: [...(keys.get(key)?.owners ?? []), kind] });
  }
  return keys;
}

/** Every kind's [net] keys. */
export const LINK_NET_KEYS: OwnedKeys = ownedKeys('netKeys');
/** Every kind's [node N] keys. */
export const LINK_NODE_KEYS: OwnedKeys = ownedKeys('nodeKeys');

/** Every kind's `show` columns, in kind order: each shows '-' where the node's kind has none. */
export const LINK_FIELDS: readonly string[] = [
  ...new Set(LINK_KINDS.flatMap((k) => DRIVERS[k].fieldNames)),
];

/** Every kernel link type some kind needs, by type (record-schema checks stored probes by it). */
export const KERNEL_NEEDS: ReadonlyMap<string, { module: string; hint: string }> = new Map(
  LINK_KINDS.flatMap((k) =>
    DRIVERS[k].kernel.map((n) => [n.type, { module: n.module, hint: n.hint }] as const),
  ),
);

/**
 * A link-create's `type` and `vlan` fields as clusternet wrote them before link kinds were
 * drivers, as LinkParams (record-schema.ts checks the result like any other).
 */
export const legacyLinkParams = (type: unknown, vlan: unknown): unknown =>
  type === 'vlan' ? { kind: type, id: vlan } : { kind: type };

/** Every kind's `show` columns for one link: its own values, null for the other kinds' names. */
export function fieldsOf(link: LinkParams | null): Record<string, string | number | null> {
  const own: Record<string, string | number> = link ? ownerOf(link.kind).fields(link) : {};
  return Object.fromEntries(LINK_FIELDS.map((name) => [name, own[name] ?? null]));
}
