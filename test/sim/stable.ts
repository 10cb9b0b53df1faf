// A namespace's snapshot without the kernel's own multicast memberships: the group MACs a
// device joins for IPv6 neighbour discovery (33:33:…) or IPv4 multicast (01:00:5e:…) come
// and go with duplicate address detection and MLD timers, not with anything we do.
import { snapshot, type SimCluster } from './cluster.js';

const isGroupMac = (mac: string): boolean => (parseInt(mac.slice(0, 2), 16) & 1) === 1;

export async function stableSnapshot(sim: SimCluster, ns: string): Promise<string> {
  const all = JSON.parse(await snapshot(sim, ns)) as { fdb: { mac: string; flags?: string[] }[] };
  return JSON.stringify({
    ...all,
    fdb: all.fdb.filter((e) => !(isGroupMac(e.mac) && e.flags?.includes('self'))),
  });
}
