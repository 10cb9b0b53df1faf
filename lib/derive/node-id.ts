// Which node is this? Sources in a fixed order, the first that answers wins; `--verbose`
// says which one did, because a wrong id at boot means a wrong address on the wire.
import { readFileSync } from 'node:fs';
import { hostname as osHostname } from 'node:os';
import { InputError } from '../errors.js';
import type { Config } from '../config/types.js';
import { formatNodeList, normalHostname } from '../value/parse.js';

export interface NodeIdSources {
  flag?: string | number | undefined;
  env?: NodeJS.ProcessEnv;
  readFile?: (path: string) => string | undefined;
  hostname?: () => string;
}

export interface ResolvedNodeId {
  id: number;
  source: string;
}

export const SYSFS_NODE_ID = '/sys/kerrighed/node_id';
export const KERNEL_CMDLINE = '/proc/cmdline';

const readIfThere = (path: string): string | undefined => {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return undefined;
  }
};

/**
 * The nodes whose [node N] hostname names the machine `host`: its full name, else (only
 * when no full name matched) its first label — `hostname = n4` matches n4.example.com.
 */
export function nodesOfHost(config: Config, host: string): number[] {
  const full = normalHostname(host);
  const short = full.split('.')[0];
  const nodes = [...config.nodeSettings.values()];
  const exact = nodes.filter((s) => s.hostname === full);
  return (exact.length > 0 ? exact : nodes.filter((s) => s.hostname === short)).map((s) => s.id);
}

/** Finds the raw id and where it came from, without checking it against the config. */
export function findNodeId(
  config: Config,
  sources: NodeIdSources = {},
): { raw: string; source: string } {
  const env = sources.env ?? process.env;
  const readFile = sources.readFile ?? readIfThere;
  if (sources.flag !== undefined) return { raw: String(sources.flag), source: '--node' };
  if (env.CLUSTERNET_NODE_ID) return { raw: env.CLUSTERNET_NODE_ID, source: 'CLUSTERNET_NODE_ID' };
  const sysfs = readFile(SYSFS_NODE_ID)?.trim();
  if (sysfs) return { raw: sysfs, source: SYSFS_NODE_ID };
  const cmdline = /(?:^|\s)clusternet\.node=(\S+)/.exec(readFile(KERNEL_CMDLINE) ?? '');
  if (cmdline) return { raw: cmdline[1]!, source: `${KERNEL_CMDLINE} (clusternet.node=)` };
  const host = (sources.hostname ?? osHostname)();
  const matched = nodesOfHost(config, host);
  if (matched.length > 1) {
    throw new InputError({
      key: 'node id',
      message: `host name ${host} matches ${matched.map((id) => `node ${id}`).join(' and ')}; give --node N, or write each [node N] hostname in full`,
    });
  }
  if (matched.length === 1)
    return { raw: String(matched[0]), source: `host name ${host} (node.${matched[0]}.hostname)` };
  throw new InputError({
    key: 'node id',
    message: `unknown: give --node N, set CLUSTERNET_NODE_ID, boot with clusternet.node=N, or map host name ${host} in a [node N] section`,
  });
}

export function resolveNodeId(config: Config, sources: NodeIdSources = {}): ResolvedNodeId {
  const { raw, source } = findNodeId(config, sources);
  return { id: checkNodeId(config, raw, source), source };
}

/** The id must be one of the cluster's: node 0 was Kerrighed's template-itself bug. */
export function checkNodeId(config: Config, raw: string, source: string): number {
  const where = config.keys.get('cluster.nodes');
  const list = formatNodeList(config.nodes);
  if (!/^\d+$/.test(raw.trim())) {
    throw new InputError({
      key: source,
      message: `"${raw}" is not a node id; allowed: one of ${list}`,
    });
  }
  const id = Number(raw.trim());
  if (!config.nodes.includes(id)) {
    throw new InputError({
      file: config.file,
      line: where?.line,
      key: where?.shown ?? 'cluster.nodes',
      message: `node ${id} (from ${source}) is not in the cluster; allowed: ${list}${where?.line === 0 ? ' (implied by the legacy Kerrighed format; convert the file to set nodes)' : ''}`,
    });
  }
  return id;
}
