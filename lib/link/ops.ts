// The ops on kernel objects, as plain data: the two whose shape a link kind decides (the
// kernel probe and the link's creation) and those a kind's ops() returns. plan/ops.ts puts
// them in its Op union with the cluster-IP ops; they live here so drivers can name them.
import type { Ns } from '../system/ns.js';
import type { Drift, LinkAt, LinkNode, LinkParams } from './driver.js';
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
  /** null: the kernel's choice (a bridge of ours takes its ports'). */
  mac: string | null;
  mtu: number;
  /** Set on a journal's intent: the link is ours even before it carries our tag. */
  owned?: boolean;
}

/** Every op on kernel objects (links, addresses, routes, neighbours, fdb, sysctls): what a link kind's ops() returns; plan/ops.ts adds the cluster-IP ops. */
export type KernelOp =
  | RequireLinkTypeOp
  /** Bring a link up. `shared` links (the lower device, lo) are not ours to take down. */
  | { op: 'link-up'; ns: Ns; dev: string; shared: boolean }
  | { op: 'link-down'; ns: Ns; dev: string }
  | LinkCreateOp
  /** Give the link its real name and our tag, once it is complete. */
  | { op: 'link-rename'; ns: Ns; from: string; to: string }
  | { op: 'addr-add'; ns: Ns; dev: string; address: string }
  /** A route of ours (protocol 211): `dst` 'default' or a CIDR, its family that of `via`. */
  | { op: 'route-add'; ns: Ns; dst: string; via: string; dev: string; onlink?: boolean }
  /** Correct a link's MAC and MTU in place; `was` is what undo restores. */
  | {
      op: 'link-set';
      ns: Ns;
      dev: string;
      mac: string;
      mtu: number;
      was: { mac: string; mtu: number };
    }
  /** `owned`: known to be ours from the journal even before it carried our tag. */
  | { op: 'link-delete'; ns: Ns; dev: string; owned?: boolean }
  | { op: 'addr-delete'; ns: Ns; dev: string; address: string }
  | { op: 'route-delete'; ns: Ns; dst: string; via: string; dev: string; onlink?: boolean }
  /** A permanent neighbour entry of ours (protocol 211). */
  | { op: 'neigh-add'; ns: Ns; dev: string; address: string; lladdr: string }
  | { op: 'neigh-delete'; ns: Ns; dev: string; address: string; lladdr: string }
  /** A static forwarding entry on a VXLAN or bridge port (`bridge fdb … self permanent`). */
  | { op: 'fdb-add'; ns: Ns; dev: string; mac: string; dst: string }
  | { op: 'fdb-delete'; ns: Ns; dev: string; mac: string; dst: string }
  /** Enslave a link to a bridge; undo releases it. */
  | { op: 'link-master'; ns: Ns; dev: string; master: string }
  | { op: 'link-nomaster'; ns: Ns; dev: string }
  /** Join a multicast MAC on a link, so the NIC accepts frames sent to the cluster MAC. */
  | { op: 'maddr-add'; ns: Ns; dev: string; mac: string }
  | { op: 'maddr-delete'; ns: Ns; dev: string; mac: string }
  /** Set a sysctl of the namespace (net.netfilter.*, forwarding); undo writes `undo` (null: left as set). */
  | { op: 'sysctl'; ns: Ns; key: string; value: string; undo: string | null };

/** The FDB entry that floods broadcast and multicast frames to a destination. */
export const ZERO_MAC = '00:00:00:00:00:00';

/**
 * A probe that never creates anything: with `mtu 1` a type the kernel knows is refused
 * for the MTU ("mtu less than device minimum", "MTU must be between 68 and 65535",
 * "Invalid argument"), one it lacks with "Unknown device type". (Without a lower device,
 * `type bridge` or `type veth` would be created.)
 */
export const probeArgs = (type: string): string[] => [
  'link',
  'add',
  'name',
  'cnprobe',
  'mtu',
  '1',
  'type',
  type,
];

/**
 * `link add [link L] name N [netns T] [address M] [mtu X]` and the kind's own words
 * (`type vlan id 7`): the one argv head every kind's createArgs shares, in the order the
 * tests and the lab match byte for byte.
 */
export function addArgs(
  c: { lower: string | null; name: string; netns: string | null; mac: string | null; mtu: number },
  type: string[],
): string[] {
  return [
    'link',
    'add',
    ...(c.lower === null ? [] : ['link', c.lower]),
    'name',
    c.name,
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
      : lowerWords(
          [...host.links.values()].find((l) => l.index === parent.index)?.name ?? null,
          parent.index,
        );
  return [
    { attribute: 'lower', want: lowerWords(lower, device?.index ?? null), have, inPlace: false },
  ];
}

/** The temporary name a node's link is made under (renamed once complete: a half-made link never has the real name). */
export const tmpLinkName = (node: number): string => `cnt${node}`;

/**
 * A link made from the lower device in the host, directly inside the container under a
 * temporary name, then renamed (vlan, macvlan): the boot ops of every kind whose link is
 * one kernel device moved into the container.
 */
export function movedLinkOps(n: LinkNode, at: LinkAt): KernelOp[] {
  const tmpName = tmpLinkName(n.node);
  return [
    {
      op: 'link-create',
      ns: at.host,
      target: at.container,
      lower: n.device,
      tmpName,
      name: n.interface,
      link: n.link,
      mac: n.mac,
      mtu: at.mtu,
    },
    { op: 'link-rename', ns: at.container, from: tmpName, to: n.interface },
  ];
}
