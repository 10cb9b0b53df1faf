// A run acts only on what this node made. The container's own cluster link carries its
// node's MAC (the template plus the id) and the run dir keeps each node's record by the
// container's namespace: when either says the container is another node's, a run with
// this node id (`stop --node 2` in node 1's container, a takeover, a reload) would tear
// down or rewrite node 1 while node 1's record still says it is up. Refused, exit 2.
import { readdirSync } from 'node:fs';
import { InputError } from '../errors.js';
import type { Config } from '../config/types.js';
import { macToNumber } from '../value/parse.js';
import type { NodeValues } from '../derive/node.js';
import { nsIdentity } from '../system/netns.js';
import { useRunDir } from '../system/rundir.js';
import type { NsState } from '../system/state.js';
import { TAG } from '../system/tag.js';
import { nsLabel, type Ns } from '../system/ns.js';

/** The node whose MAC `mac` is, by the config's template; undefined for none. */
export function nodeOfMac(config: Config, mac: string): number | undefined {
  const offset = macToNumber(mac) - macToNumber(config.net.mac);
  if (offset < 1n || offset > 65535n) return undefined;
  const id = Number(offset);
  return config.nodes.includes(id) ? id : undefined;
}

/** Other nodes' records kept for this container (node-N-netns-ID.json, N not ours). */
function otherRecords(node: number, container: Ns): { node: number; file: string }[] {
  const dir = useRunDir(process.env, false);
  if (dir === undefined) return [];
  const suffix = `-netns-${nsIdentity(container)}.json`;
  return readdirSync(dir).flatMap((file) => {
    const m = /^node-(\d+)(-netns-.*)$/.exec(file);
    return m && m[2] === suffix && Number(m[1]) !== node
      ? [{ node: Number(m[1]), file: `${dir}/${file}` }]
      : [];
  });
}

/**
 * Throws when the container (read as `state`) is another node's: its tagged cluster link
 * has another cluster node's MAC, or the run dir holds another node's record for it.
 * `system`: the commands reach the real system (Runner.system), whose run dir is looked at.
 */
export function refuseOtherNode(
  config: Config,
  values: NodeValues,
  container: Ns,
  state: NsState | undefined,
  system: boolean,
): void {
  const link = state?.links.get(values.interface);
  const byMac =
    link?.alias === TAG && link.mac !== values.mac ? nodeOfMac(config, link.mac) : undefined;
  // Records are the real system's only (a test's fake runner keeps none).
  const [record] = system ? otherRecords(values.node, container) : [];
  const other = byMac ?? record?.node;
  if (other === undefined) return;
  const why = [
    byMac !== undefined
      ? `${values.interface} in ${nsLabel(container)} has node ${byMac}'s MAC ${link!.mac} (node ${values.node}'s is ${values.mac})`
      : undefined,
    record ? `node ${record.node}'s record for it is ${record.file}` : undefined,
  ].filter(Boolean);
  throw new InputError({
    key: 'node id',
    message: `node ${values.node} did not make this container's network: ${why.join('; ')}; nothing was changed; run with node ${other}'s id (--node ${other}) to act on it`,
  });
}
