// Each planned op against what the kernel has: already done, still to do, different from
// the plan, or impossible right now. This one comparison serves `run` (apply only what is
// pending), `check` (report item by item) and `stop` (tolerate what is already gone).
import { routeFamily, type Op } from '../plan/ops.js';
import { ZERO_MAC } from '../link/ops.js';
import { isOurRoute, type LinkState } from '../system/state.js';
import { ownerOf } from '../link/index.js';
import type { Drift } from '../link/driver.js';
import type { LinkCreateOp } from '../link/ops.js';
import type { NsView } from './view.js';
import { describeLive, sameBuckets, wanted } from '../clusterip/live.js';
import { nftRuleCount } from '../clusterip/nft.js';
import { xtRuleCount } from '../clusterip/xt.js';
import { TAG } from '../system/tag.js';
import { nsLabel, type Ns } from '../system/ns.js';

export type Assessment =
  | { state: 'ok' }
  /** To do; `as`: the op to run instead, completed from what is there. */
  | { state: 'pending'; as?: Op }
  /** Exists with other attributes; `fix` when it can be corrected in place. */
  | { state: 'differs'; want: string; have: string; fix?: Op[] }
  /** Cannot be applied: a precondition is missing, or the object is not ours. */
  | { state: 'blocked'; reason: string }
  /** Something to undo that is not ours: left alone. */
  | { state: 'foreign'; reason: string };

export type StateOf = (ns: Ns) => NsView;
/** Whether an earlier op of the same plan creates (or renames a link to) `dev` in `ns`. */
export type Made = (ns: Ns, dev: string) => boolean;

/**
 * Every op of a plan, each knowing which devices the ops before it make: an op on a
 * device made earlier in the same run is pending, not blocked (boot-post makes host
 * devices and uses them at once).
 */
export function assessPlan(
  ops: readonly Op[],
  stateOf: StateOf,
): { op: Op; assessment: Assessment }[] {
  const made = new Set<string>();
  return ops.map((op) => {
    const assessment = assess(op, stateOf, (ns, dev) => made.has(`${nsLabel(ns)} ${dev}`));
    if (op.op === 'link-create') {
      made.add(`${nsLabel(op.target)} ${op.tmpName}`);
      for (const dev of ownerOf(op.link.kind).alsoMakes?.(op.link) ?? [])
        made.add(`${nsLabel(op.ns)} ${dev}`);
    }
    if (op.op === 'link-rename') made.add(`${nsLabel(op.ns)} ${op.to}`);
    return { op, assessment };
  });
}

export function assess(op: Op, stateOf: StateOf, made: Made = () => false): Assessment {
  const st = stateOf(op.ns);
  const where = nsLabel(op.ns);
  // A device the op needs: there, or made by an earlier op of this plan (then still to do).
  const absent = (dev: string): Assessment | null =>
    st.links.has(dev)
      ? null
      : made(op.ns, dev)
        ? { state: 'pending' }
        : { state: 'blocked', reason: `${dev} does not exist in ${where}; run boot-post first` };
  switch (op.op) {
    case 'require-link-type':
      // Probed fine earlier this boot: the kernel still has the type. Else the probe decides.
      return st.linkTypes.has(op.type) ? { state: 'ok' } : { state: 'pending' };
    case 'link-up': {
      const link = st.links.get(op.dev);
      if (!link && made(op.ns, op.dev)) return { state: 'pending' };
      if (!link)
        return op.shared
          ? { state: 'blocked', reason: `device ${op.dev} does not exist in ${where}` }
          : {
              state: 'blocked',
              reason: `${op.dev} does not exist in ${where}; run boot-post first`,
            };
      return link.up ? { state: 'ok' } : { state: 'pending' };
    }
    case 'link-create': {
      const target = stateOf(op.target);
      const made = target.links.get(op.name);
      if (made) {
        if (made.alias !== TAG)
          return {
            state: 'blocked',
            reason: `${op.name} already exists in ${nsLabel(op.target)} and was not made by clusternet; remove or rename it`,
          };
        return assessLink(op, made, st);
      }
      // A crash between create and rename leaves the temporary name: the rename finishes it.
      if (target.links.has(op.tmpName)) return { state: 'ok' };
      if (op.lower !== null && !st.links.has(op.lower))
        return { state: 'blocked', reason: `lower device ${op.lower} does not exist in ${where}` };
      const cannot = ownerOf(op.link.kind).cannotCreate?.({ lower: op.lower, link: op.link }, st);
      return cannot ? { state: 'blocked', reason: cannot } : { state: 'pending' };
    }
    case 'link-rename':
      return st.links.has(op.to) ? { state: 'ok' } : { state: 'pending' };
    case 'link-down':
      return st.links.get(op.dev)?.up ? { state: 'pending' } : { state: 'ok' };
    case 'link-set': {
      const link = st.links.get(op.dev);
      if (!link) return { state: 'blocked', reason: `${op.dev} does not exist in ${where}` };
      return link.mac === op.mac && (op.mtu === 0 || link.mtu === op.mtu)
        ? { state: 'ok' }
        : { state: 'pending' };
    }
    case 'addr-add': {
      const link = st.links.get(op.dev);
      if (!link) return absent(op.dev)!;
      return link.addresses.includes(op.address) ? { state: 'ok' } : { state: 'pending' };
    }
    case 'route-add': {
      const missing = absent(op.dev);
      if (missing) return missing;
      const current = st.routes.find((r) => r.dst === op.dst && r.family === routeFamily(op));
      if (!current) return { state: 'pending' };
      if (current.gateway === op.via && current.dev === op.dev) return { state: 'ok' };
      const want = `${op.dst} via ${op.via} dev ${op.dev}`;
      const have = `${op.dst} via ${current.gateway ?? '-'} dev ${current.dev ?? '-'}`;
      // Ours (protocol 211): replace it. Someone else's: report, never take it over.
      if (!isOurRoute(current) || !current.gateway || !current.dev)
        return { state: 'differs', want, have };
      return {
        state: 'differs',
        want,
        have,
        fix: [
          { op: 'route-delete', ns: op.ns, dst: op.dst, via: current.gateway, dev: current.dev },
          op,
        ],
      };
    }
    case 'neigh-add': {
      const missing = absent(op.dev);
      if (missing) return missing;
      const current = st.neighbors.find((n) => n.address === op.address && n.dev === op.dev);
      if (!current) return { state: 'pending' };
      if (current.lladdr === op.lladdr) return { state: 'ok' };
      const want = `${op.address} lladdr ${op.lladdr} dev ${op.dev}`;
      const have = `${op.address} lladdr ${current.lladdr ?? '-'} dev ${op.dev}`;
      // `neigh replace` corrects ours; a permanent entry someone else made is theirs.
      return isOurRoute(current)
        ? { state: 'differs', want, have, fix: [op] }
        : { state: 'differs', want, have };
    }
    case 'neigh-delete': {
      const current = st.neighbors.find((n) => n.address === op.address && n.dev === op.dev);
      if (!current) return { state: 'ok' };
      return isOurRoute(current)
        ? { state: 'pending' }
        : {
            state: 'foreign',
            reason: `neighbour ${op.address} on ${op.dev} in ${where} was not made by clusternet; left alone`,
          };
    }
    case 'fdb-add': {
      const missing = absent(op.dev);
      if (missing) return missing;
      const entries = st.fdb.get(op.dev) ?? [];
      if (entries.some((e) => e.mac === op.mac && e.dst === op.dst)) return { state: 'ok' };
      // A unicast MAC has one destination: `fdb replace` moves it. The zero MAC has many.
      const other = op.mac === ZERO_MAC ? undefined : entries.find((e) => e.mac === op.mac);
      if (!other) return { state: 'pending' };
      return {
        state: 'differs',
        want: `${op.mac} dst ${op.dst} on ${op.dev}`,
        have: `${op.mac} dst ${other.dst ?? '-'} on ${op.dev}`,
        fix: [op],
      };
    }
    case 'fdb-delete':
      return (st.fdb.get(op.dev) ?? []).some((e) => e.mac === op.mac && e.dst === op.dst)
        ? { state: 'pending' }
        : { state: 'ok' };
    case 'link-master': {
      if (!st.links.has(op.master) && !made(op.ns, op.master))
        return { state: 'blocked', reason: `bridge ${op.master} does not exist in ${where}` };
      const missing = absent(op.dev);
      if (missing) return missing;
      const master = st.links.get(op.dev)?.master ?? null;
      if (master === op.master) return { state: 'ok' };
      // A port's addresses stop working: a device the host reaches its network with is never enslaved.
      const global = (st.links.get(op.dev)?.addresses ?? []).filter((a) => !a.startsWith('fe80:'));
      if (master === null && global.length > 0) {
        return {
          state: 'blocked',
          reason: `enslaving ${op.dev} to ${op.master} would take its addresses (${global.join(', ')}) off ${where}'s network; put them on a bridge of the site's own and name it in net.conf ([net] bridge)`,
        };
      }
      // A port of another bridge is someone else's: never moved.
      return master === null
        ? { state: 'pending' }
        : {
            state: 'differs',
            want: `${op.dev} master ${op.master}`,
            have: `${op.dev} master ${master}`,
          };
    }
    case 'link-nomaster':
      return st.links.get(op.dev)?.master ? { state: 'pending' } : { state: 'ok' };
    case 'link-delete': {
      const link = st.links.get(op.dev);
      if (!link) return { state: 'ok' };
      return link.alias === TAG || op.owned
        ? { state: 'pending' }
        : { state: 'foreign', reason: `${op.dev} in ${where} is not tagged ${TAG}; left alone` };
    }
    case 'addr-delete': {
      const link = st.links.get(op.dev);
      return link?.addresses.includes(op.address) ? { state: 'pending' } : { state: 'ok' };
    }
    case 'route-delete': {
      const found = st.routes.some(
        (r) =>
          r.dst === op.dst &&
          r.family === routeFamily(op) &&
          r.gateway === op.via &&
          r.dev === op.dev,
      );
      return found ? { state: 'pending' } : { state: 'ok' };
    }
    case 'maddr-add': {
      if (!st.links.has(op.dev))
        return {
          state: 'blocked',
          reason: `${op.dev} does not exist in ${where}; run boot-post first`,
        };
      return (st.maddrs.get(op.dev) ?? []).includes(op.mac)
        ? { state: 'ok' }
        : { state: 'pending' };
    }
    case 'maddr-delete':
      return (st.maddrs.get(op.dev) ?? []).includes(op.mac)
        ? { state: 'pending' }
        : { state: 'ok' };
    case 'sysctl':
      return st.sysctls.get(op.key) === op.value ? { state: 'ok' } : { state: 'pending' };
    case 'cip-rules':
      return assessCipRules(op, st);
    case 'cip-buckets': {
      const live = st.cip.get(op.backend)?.byName;
      return op.specs.every((s) => sameBuckets(live?.get(s.name)?.buckets ?? [], s.buckets))
        ? { state: 'ok' }
        : { state: 'pending' };
    }
    case 'cip-rules-delete': {
      const live = st.cip.get(op.backend);
      const present = op.specs.some((s) => live?.byName.has(s.name) || live?.arp.has(s.address));
      return present ? { state: 'pending' } : { state: 'ok' };
    }
  }
}

/**
 * Rules missing or different: (re)install them all, atomically, telling the installer
 * which one-off hooks are missing. Only the bucket sets differ: replace just those.
 */
function assessCipRules(op: Extract<Op, { op: 'cip-rules' }>, st: NsView): Assessment {
  const live = st.cip.get(op.backend);
  if (!live) return { state: 'pending' };
  const withDrop = op.backend !== 'clusterip';
  const install: Op = {
    ...op,
    addParentJump: !live.parentJump,
    ...(op.backend !== 'clusterip' && !live.tables ? { fresh: true } : {}),
  };
  const absent = op.specs.filter((s) => !live.byName.has(s.name));
  if (absent.length === op.specs.length) return { state: 'pending', as: install };
  for (const s of op.specs) {
    const have = live.byName.get(s.name);
    const arpMac = live.arp.get(s.address);
    if (op.backend === 'cluster-match' && arpMac !== undefined && arpMac !== s.mac) {
      return {
        state: 'differs',
        want: `ARP for ${s.address} with ${s.mac}`,
        have: `ARP for ${s.address} with ${arpMac}`,
      };
    }
    // The cluster match has one rule per bucket: judge its count by the live buckets, so a
    // pending takeover reads as a bucket change, not as a foreign rule.
    const rules =
      op.backend === 'nft'
        ? nftRuleCount(s)
        : op.backend === 'cluster-match'
          ? (have?.buckets.length ?? 0) + 1
          : xtRuleCount(op.backend, s);
    // The cluster match keeps total, seed and hash in its bucket rules only: a chain that
    // answers for no bucket (buckets = manager, none assigned yet) has none of them to show.
    const bare =
      op.backend === 'cluster-match' && have?.buckets.length === 0
        ? { total: undefined, seed: undefined, hash: undefined }
        : {};
    const want = describeLive({ ...wanted(s, withDrop, rules), ...bare });
    const got = have
      ? describeLive({
          ...have,
          mac: have.mac ?? (op.backend === 'cluster-match' ? undefined : s.mac),
        })
      : 'nothing';
    if (!have || want !== got || !live.parentJump)
      return {
        state: 'differs',
        want: `${s.name}: ${want}`,
        have: `${s.name}: ${got}`,
        fix: [install],
      };
  }
  const moved = op.specs.filter(
    (s) => !sameBuckets(live.byName.get(s.name)?.buckets ?? [], s.buckets),
  );
  if (moved.length === 0) return { state: 'ok' };
  const was = op.specs.map((s) => live.byName.get(s.name)?.buckets ?? []);
  const shown = (b: number[]) => `{${b.join(',')}}`;
  return {
    state: 'differs',
    want: `buckets ${moved.map((s) => `${s.name} ${shown(s.buckets)}`).join(', ')}`,
    have: `buckets ${moved.map((s) => `${s.name} ${shown(live.byName.get(s.name)?.buckets ?? [])}`).join(', ')}`,
    fix: [
      { op: 'cip-buckets', ns: op.ns, backend: op.backend, specs: op.specs, was, wasLive: true },
    ],
  };
}

/**
 * Our link, planned against what is there: its kind, the kind's own attributes and lower
 * device (the driver compares those), MAC and MTU. Each attribute that differs is named;
 * MAC and MTU are corrected in place, anything else needs the link rebuilt.
 */
function assessLink(op: LinkCreateOp, made: LinkState, host: NsView): Assessment {
  const driver = ownerOf(op.link.kind);
  const drifts: Drift[] =
    made.kind === op.link.kind
      ? driver.compare({ lower: op.lower, link: op.link }, made, host)
      : [
          {
            attribute: 'kind',
            want: driver.describe(op.link),
            have: made.kind ?? 'a link of no kind',
            inPlace: false,
          },
        ];
  if (op.mac !== null && made.mac !== op.mac)
    drifts.push({
      attribute: 'address',
      want: `address ${op.mac}`,
      have: `address ${made.mac}`,
      inPlace: true,
    });
  if (op.mtu > 0 && made.mtu !== op.mtu)
    drifts.push({
      attribute: 'mtu',
      want: `mtu ${op.mtu}`,
      have: `mtu ${made.mtu}`,
      inPlace: true,
    });
  if (drifts.length === 0) return { state: 'ok' };
  const want = drifts.map((d) => d.want).join(', ');
  const have = drifts.map((d) => d.have).join(', ');
  if (!drifts.every((d) => d.inPlace)) return { state: 'differs', want, have };
  return {
    state: 'differs',
    want,
    have,
    fix: [
      {
        op: 'link-set',
        ns: op.target,
        dev: op.name,
        mac: op.mac ?? made.mac,
        mtu: op.mtu,
        was: { mac: made.mac, mtu: made.mtu },
      },
    ],
  };
}
