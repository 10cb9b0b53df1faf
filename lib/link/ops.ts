// The two ops whose shape a link kind decides: the kernel probe and the link's creation.
// plan/ops.ts puts them in its Op union; they live here so drivers can name them.
import type { Ns } from '../system/ns.js';
import type { Drift, LinkParams } from './driver.js';
import type { LinkState, NsState } from '../system/state.js';

/** Fail early and clearly when the kernel cannot make a link type (no 802.1q): `hint` says what to do. */
export interface RequireLinkTypeOp {
  op: 'require-link-type';
  ns: Ns;
  type: string;
  module: string;
  hint: string;
}

/** Create the cluster link directly inside `target` under a temporary name. */
export interface LinkCreateOp {
  op: 'link-create';
  ns: Ns;
  target: Ns;
  /** The lower device in `ns`; null for a kind that has none. */
  lower: string | null;
  tmpName: string;
  name: string;
  link: LinkParams;
  mac: string;
  mtu: number;
  /** Set on a journal's intent: the link is ours even before it carries our tag. */
  owned?: boolean;
}

/**
 * A probe that never creates anything: with `mtu 1` a type the kernel knows is refused
 * for the MTU ("mtu less than device minimum", "MTU must be between 68 and 65535",
 * "Invalid argument"), one it lacks with "Unknown device type". (Without a lower device,
 * `type bridge` or `type veth` would be created.)
 */
export const probeArgs = (type: string): string[] => ['link', 'add', 'name', 'cnprobe', 'mtu', '1', 'type', type];

/**
 * `link add [link L] name N [netns T] [address M] [mtu X]` and the kind's own words
 * (`type vlan id 7`): the one argv head every kind's createArgs shares, in the order the
 * tests and the lab match byte for byte.
 */
export function addArgs(c: { lower: string | null; name: string; netns: string | null; mac: string | null; mtu: number }, type: string[]): string[] {
  return [
    'link', 'add',
    ...(c.lower === null ? [] : ['link', c.lower]),
    'name', c.name,
    ...(c.netns === null ? [] : ['netns', c.netns]),
    ...(c.mac === null ? [] : ['address', c.mac]),
    ...(c.mtu > 0 ? ['mtu', String(c.mtu)] : []),
    ...type,
  ];
}

/** The lower device a live link names, as want/have words: `lower eth0 (ifindex 2)`. */
export const lowerWords = (name: string | null, index: number | null): string =>
  `lower ${name ?? '?'}${index === null ? '' : ` (ifindex ${index})`}`;

/**
 * A vlan or macvlan made from `lower` in the host and moved into the container: the
 * container's read shows the lower device by ifindex and namespace id only (by name when
 * both are in one namespace), so it is compared with the host's device of that name.
 * Nothing to compare when the kernel names no parent.
 */
export function lowerDrift(lower: string | null, live: LinkState, host: NsState): Drift[] {
  const parent = live.parent;
  if (lower === null || parent === null) return [];
  const device = host.links.get(lower);
  if (parent.netnsid === null ? parent.name === lower : device?.index === parent.index) return [];
  const have =
    parent.name !== null
      ? lowerWords(parent.name, host.links.get(parent.name)?.index ?? null)
      : lowerWords([...host.links.values()].find((l) => l.index === parent.index)?.name ?? null, parent.index);
  return [{ attribute: 'lower', want: lowerWords(lower, device?.index ?? null), have, inPlace: false }];
}
