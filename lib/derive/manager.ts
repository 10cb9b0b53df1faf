// buckets = manager: which cluster address and bucket a cluster manager's request names,
// checked against net.conf before anything is touched. The resource agent passes the
// section's name and its clone instance + 1; a request outside what net.conf allows is
// bad input (the agent's OCF_ERR_CONFIGURED).
import { InputError } from '../errors.js';
import type { Config } from '../config/types.js';
import type { NodeValues } from './node.js';
import { cipName } from '../clusterip/rules.js';
import type { NodeClusterIp } from '../clusterip/types.js';

/** The cluster address `name` ("main" or "" for the plain [clusterip]) and bucket `raw`. */
export function managedBucket(
  config: Config,
  values: NodeValues,
  name: string,
  raw: string,
): { cip: NodeClusterIp; name: string; bucket: number } {
  const wanted = name === '' ? 'main' : name;
  const cip = values.clusterIps.find((c) => cipName(c) === wanted);
  if (!cip) {
    const names = values.clusterIps.map(cipName);
    throw new InputError({
      key: '--clusterip',
      message: `"${name}" is not an enabled cluster address; allowed: ${names.join(', ') || 'none (enable a [clusterip] section)'}`,
    });
  }
  if (cip.buckets !== 'manager') {
    const key = cip.name ? `clusterip.${cip.name}.buckets` : 'clusterip.buckets';
    const where = config.keys.get(key);
    throw new InputError({
      file: config.file,
      line: where?.line,
      key: where?.shown ?? key,
      message: `${cip.buckets}: this address's buckets go by rank, so a cluster manager would fight the boot hooks over them; allowed: manager, to let it assign them`,
    });
  }
  const bucket = Number(raw);
  if (!/^\d+$/.test(raw) || bucket < 1 || bucket > cip.total) {
    throw new InputError({
      key: '--bucket',
      message: `"${raw}" is not a bucket of ${cip.address}; allowed: 1 to ${cip.total} (one per node of [cluster] nodes)`,
    });
  }
  return { cip, name: wanted, bucket };
}
