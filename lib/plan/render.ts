// Ops → the exact commands that carry them out. `ip` ops become lines of one
// `ip -batch` per namespace, multicast MACs lines of one `bridge -batch`; everything
// else is an argv of its own.
import { describeCipOp } from '../clusterip/describe.js';
import { nsPrefix } from '../system/ns.js';
import { ROUTE_PROTOCOL, TAG } from '../system/tag.js';
import type { Op } from './ops.js';
import { ZERO_MAC } from '../link/ops.js';
import { ownerOf } from '../link/index.js';
import { probeArgs } from '../link/ops.js';

/** The `ip` arguments of an op (a line of `ip -batch`), or null when it is not an ip op. */
export function ipArgs(op: Op): string[] | null {
  switch (op.op) {
    case 'link-up':
      return ['link', 'set', 'dev', op.dev, 'up'];
    case 'link-down':
      return ['link', 'set', 'dev', op.dev, 'down'];
    case 'link-create': {
      const netns =
        op.target.kind === 'netns'
          ? op.target.name
          : op.target.kind === 'pid'
            ? String(op.target.pid)
            : null;
      return ownerOf(op.link.kind).createArgs({
        lower: op.lower,
        name: op.tmpName,
        netns,
        mac: op.mac,
        mtu: op.mtu,
        link: op.link,
      });
    }
    case 'link-rename':
      return ['link', 'set', 'dev', op.from, 'name', op.to, 'alias', TAG];
    case 'addr-add':
      return ['address', 'add', op.address, 'dev', op.dev];
    case 'addr-delete':
      return ['address', 'del', op.address, 'dev', op.dev];
    case 'route-add':
    case 'route-delete':
      // The family follows from `via`: no -6 needed, even for a v6 default route.
      return [
        'route',
        op.op === 'route-add' ? 'add' : 'del',
        op.dst,
        'via',
        op.via,
        'dev',
        op.dev,
        ...(op.onlink ? ['onlink'] : []),
        'proto',
        String(ROUTE_PROTOCOL),
      ];
    case 'neigh-add':
      // replace: one line both adds the entry and corrects its MAC.
      return [
        'neigh',
        'replace',
        op.address,
        'lladdr',
        op.lladdr,
        'dev',
        op.dev,
        'nud',
        'permanent',
        'proto',
        String(ROUTE_PROTOCOL),
      ];
    case 'neigh-delete':
      return ['neigh', 'del', op.address, 'dev', op.dev];
    case 'link-master':
      return ['link', 'set', 'dev', op.dev, 'master', op.master];
    case 'link-nomaster':
      return ['link', 'set', 'dev', op.dev, 'nomaster'];
    case 'link-delete':
      return ['link', 'del', 'dev', op.dev];
    case 'link-set':
      return [
        'link',
        'set',
        'dev',
        op.dev,
        'address',
        op.mac,
        ...(op.mtu > 0 ? ['mtu', String(op.mtu)] : []),
      ];
    case 'maddr-add':
    case 'maddr-delete':
    case 'fdb-add':
    case 'fdb-delete':
    case 'require-link-type':
    case 'sysctl':
    case 'cip-rules':
    case 'cip-buckets':
    case 'cip-rules-delete':
      return null;
  }
}

/**
 * The `bridge` arguments of a multicast MAC op, or null. A line of `bridge -batch`, not
 * `ip -batch`: iproute2 (6.1) drops every `ip -batch` line after an `ip maddr` line and
 * still exits 0, so each MAC would cost an `ip` process of its own. `bridge fdb … self`
 * on a device that is not a bridge joins the MAC through the kernel's default fdb handler
 * (ndo_dflt_fdb_add → dev_mc_add_excl; macvlan's own handler does the same): the same
 * entry `ip maddr add` makes, as `ip maddr show` reports it, and any number of lines in
 * one process.
 */
export function bridgeArgs(op: Op): string[] | null {
  if (op.op === 'maddr-add') return ['fdb', 'add', op.mac, 'dev', op.dev, 'self', 'permanent'];
  if (op.op === 'maddr-delete') return ['fdb', 'del', op.mac, 'dev', op.dev, 'self'];
  // The all-zero MAC may have one entry per destination (head-end replication): append.
  // A unicast MAC has one destination: replace moves it to this one.
  if (op.op === 'fdb-add')
    return [
      'fdb',
      op.mac === ZERO_MAC ? 'append' : 'replace',
      op.mac,
      'dev',
      op.dev,
      'dst',
      op.dst,
      'self',
      'permanent',
    ];
  if (op.op === 'fdb-delete') return ['fdb', 'del', op.mac, 'dev', op.dev, 'dst', op.dst, 'self'];
  return null;
}

/** The batch tool an op is a line of (`ip -batch` or `bridge -batch`) and its line, or null. */
export function batchLine(op: Op): { tool: 'ip' | 'bridge'; args: string[] } | null {
  const ip = ipArgs(op);
  if (ip) return { tool: 'ip', args: ip };
  const bridge = bridgeArgs(op);
  return bridge ? { tool: 'bridge', args: bridge } : null;
}

/** How a person reads an op: the command, prefixed by where it runs. */
export function describeOp(op: Op): string {
  const line = batchLine(op);
  const command =
    op.op === 'require-link-type'
      ? `ip ${probeArgs(op.type).join(' ')}  # probe: the kernel must know link type ${op.type} (modprobe ${op.module})`
      : op.op === 'sysctl'
        ? `sysctl -w ${op.key}=${op.value}`
        : line
          ? `${line.tool} ${line.args.join(' ')}`
          : 'backend' in op
            ? describeCipOp(op)
            : JSON.stringify(op);
  const shown =
    op.op === 'link-create' && op.mtu === 0
      ? command.replace(' type ', ' mtu auto type ')
      : command;
  return `${nsPrefix(op.ns)}${shown}`;
}

/** One line per op, for `check` and status lists. */
export function summarizeOp(op: Op): string {
  if (op.op === 'cip-rules' || op.op === 'cip-buckets' || op.op === 'cip-rules-delete') {
    const what = op.specs
      .map((s) => `${s.name} (${s.address}, buckets ${s.buckets.join(',')} of ${s.total})`)
      .join(', ');
    return `${nsPrefix(op.ns)}${op.backend} ${op.op === 'cip-rules-delete' ? 'removal of' : 'rules for'} ${what}`;
  }
  return describeOp(op);
}
