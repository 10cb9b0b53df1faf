// When is the cluster network "ready"? The interface exists and is up, carries the node's
// address(es), and every enabled cluster address is installed on it. `wait` polls this;
// `service status` asks it once.
import type { NodeValues } from '../derive/node.js';
import type { NsState } from '../system/state.js';

/** What is still missing; empty when the network is ready. */
export function missingItems(v: NodeValues, st: NsState): string[] {
  const link = st.links.get(v.interface);
  if (!link) return [`${v.interface} does not exist`];
  const missing: string[] = [];
  if (!link.up) missing.push(`${v.interface} is down`);
  for (const address of [v.address, v.address6]) {
    if (address && !link.addresses.includes(address))
      missing.push(`${v.interface} has no address ${address}`);
  }
  for (const cip of v.clusterIps) {
    // The cluster address may carry any prefix length: only the address is compared.
    if (!link.addresses.some((a) => a.split('/')[0] === cip.address))
      missing.push(`cluster address ${cip.address} is not installed on ${v.interface}`);
  }
  return missing;
}
