// What an edit of net.conf means before it is installed: which derived values change
// for which nodes, and which phases would act on them. A person approving a change to
// sixteen machines' networks sees its consequences, not a text diff.
import type { Config } from '../config/types.js';
import { delegateConf, nodeRanges } from '../cni/conf.js';
import { formatNodeList } from '../value/parse.js';
import { deriveAll, type NodeValues } from '../derive/node.js';
import type { Phase } from '../plan/ops.js';
import { LINK_FIELDS, fieldsOf, ownerOf } from '../link/index.js';

/** A NodeValues field (`link` for its kind), or a link kind's own field (vlan, …). */
type Field = string;

/**
 * The phase whose operations carry each value. A link attribute needs the link rebuilt:
 * its kind (`link`) and each kind's own fields (vlan, …: lib/link/).
 */
const PHASE_OF: Record<string, Phase> = {
  enable: 'boot-pre',
  link: 'boot-post',
  device: 'boot-pre',
  interface: 'boot-post',
  ...Object.fromEntries(LINK_FIELDS.map((name) => [name, 'boot-post' as Phase])),
  mac: 'boot-post',
  mtu: 'boot-post',
  address: 'init-pre',
  address6: 'init-pre',
  // The other nodes a kind's link names (vxlan's forwarding entries): init-pre, in place.
  peers: 'init-pre',
  gateway: 'init-pre',
  gateway6: 'init-pre',
  // A routed segment's subnet, host address, underlay and overlay: the host's side (boot-post); peers' routes come with it.
  routing: 'boot-post',
  clusterIps: 'init-post',
};

const show = (field: Field, v: NodeValues): string => {
  if (field === 'clusterIps')
    return (
      v.clusterIps
        .map(
          (c) =>
            `${c.name || 'clusterip'} ${c.address}/${c.prefix} ${c.mac} ${c.hash} ${c.backend} 0x${c.seed.toString(16)}${c.buckets === 'manager' ? ' buckets by manager' : ''}`,
        )
        .join(', ') || 'none'
    );
  if (field === 'routing')
    return v.routing
      ? `${[v.routing.subnet, v.routing.subnet6].filter(Boolean).join(' ')} via ${v.routing.underlay.split('/')[0]}${v.routing.overlay ? ` (overlay vni ${v.routing.overlay.vni})` : ''}`
      : '-';
  if (field === 'peers') {
    const hosts = [
      ...(v.peers.length > 0 ? [`nodes ${formatNodeList(v.peers.map((p) => p.node))}`] : []),
      ...(v.link ? (ownerOf(v.kind).extraPeers?.(v.link) ?? []) : []),
    ];
    return hosts.join(' ') || '-';
  }
  const value =
    field === 'link' ? v.kind : field in v ? v[field as keyof NodeValues] : fieldsOf(v.link)[field];
  return value === null || value === undefined ? '-' : String(value);
};

export function describeChange(before: Config | undefined, after: Config): string[] {
  const old = new Map((before ? safeDerive(before) : []).map((v) => [v.node, v]));
  const now = new Map(deriveAll(after).map((v) => [v.node, v]));
  const lines: string[] = [];
  const acting = new Map<Phase, Set<number>>();
  const act = (phase: Phase, node: number) =>
    acting.set(phase, (acting.get(phase) ?? new Set()).add(node));

  const added = [...now.keys()].filter((id) => !old.has(id));
  const removed = [...old.keys()].filter((id) => !now.has(id));
  if (before && added.length > 0) lines.push(`nodes ${formatNodeList(added)} join the cluster`);
  if (removed.length > 0)
    lines.push(
      `nodes ${formatNodeList(removed)} leave the cluster (their next stop undoes what they have)`,
    );
  for (const id of added)
    for (const phase of ['boot-pre', 'boot-post', 'init-pre', 'init-post'] as Phase[])
      act(phase, id);

  for (const field of Object.keys(PHASE_OF)) {
    const changed = [...now.values()].filter(
      (v) => old.has(v.node) && show(field, old.get(v.node)!) !== show(field, v),
    );
    if (changed.length === 0) continue;
    const first = changed[0]!;
    const example = `node ${first.node}: ${show(field, old.get(first.node)!)} → ${show(field, first)}`;
    lines.push(
      `${field}: ${changed.length === 1 ? 'node' : 'nodes'} ${formatNodeList(changed.map((v) => v.node))} change (${example})`,
    );
    for (const v of changed) act(PHASE_OF[field]!, v.node);
  }
  // [cni] is no phase's: a runtime's next ADD reads it (running containers keep theirs until DEL).
  const cni = [...now.keys()].filter(
    (id) => old.has(id) && cniSummary(before, id) !== cniSummary(after, id),
  );
  if (cni.length > 0) {
    const first = cni[0]!;
    lines.push(
      `cni: ${cni.length === 1 ? 'node' : 'nodes'} ${formatNodeList(cni)} change (node ${first}: ${cniSummary(before, first)} → ${cniSummary(after, first)}); containers started from now on get it, running ones keep theirs until DEL`,
    );
  }
  if (before && lines.length === 0) lines.push('no derived value changes for any node');
  for (const [phase, nodes] of [...acting].sort(([a], [b]) => order(a) - order(b))) {
    const rebuild =
      phase === 'boot-post' || phase === 'boot-pre'
        ? ' (the link is rebuilt: stop, then the phases again)'
        : '';
    lines.push(
      `${phase} would act on nodes ${formatNodeList([...nodes].sort((a, b) => a - b))}${rebuild}`,
    );
  }
  return lines;
}

const order = (p: Phase) => ['boot-pre', 'boot-post', 'init-pre', 'init-post', 'stop'].indexOf(p);

/** A node's containers' settings in one line: its ranges, the delegate, bridge or device, MTU. */
function cniSummary(config: Config | undefined, id: number): string {
  if (!config?.cni?.enable) return 'none';
  try {
    const d = delegateConf(config, id) as {
      type: string;
      bridge?: string;
      master?: string;
      mtu?: number;
    };
    const ranges = nodeRanges(config, id).map((r) => `${r.subnet.address}/${r.subnet.prefix}`);
    return [
      ...ranges,
      d.type,
      d.bridge ?? d.master,
      d.mtu === undefined ? undefined : `mtu ${d.mtu}`,
    ]
      .filter(Boolean)
      .join(' ');
  } catch {
    return 'none';
  }
}

/** The old file may itself be broken (that is often why it is edited). */
function safeDerive(config: Config): NodeValues[] {
  try {
    return deriveAll(config);
  } catch {
    return [];
  }
}
