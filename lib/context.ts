// Everything one invocation needs, resolved once, in data-flow order:
// net.conf → config → node id → node values; plus where the container is and how to log.
import { InputError } from './errors.js';
import { configPath } from './config/file.js';
import { loadConfigFile } from './config/load.js';
import type { Config } from './config/types.js';
import { resolveNodeId } from './derive/node-id.js';
import { deriveAll, deriveNode, type NodeValues } from './derive/node.js';
import { createLogger, type Level, type Logger } from './log.js';
import { parseIfName } from './value/parse.js';
import { systemRunner, tracingRunner, type Runner } from './system/runner.js';
import { CURRENT_NS, type Ns } from './system/ns.js';

export interface ContextOptions {
  config?: string | undefined;
  node?: string | number | undefined;
  pid?: string | number | undefined;
  netns?: string | undefined;
  level?: Level;
  /** Shown in every log line, e.g. the phase. */
  label?: string;
  env?: NodeJS.ProcessEnv;
}

export interface NodeContext {
  config: Config;
  values: NodeValues;
  nodeSource: string;
  container: Ns;
  runner: Runner;
  log: Logger;
}

export function loadConfig(options: ContextOptions): Config {
  return loadConfigFile(configPath(options.config, options.env));
}

export function loadNodeContext(options: ContextOptions): NodeContext {
  const config = loadConfig(options);
  const { id, source } = resolveNodeId(config, { flag: options.node, env: options.env });
  // The file is one for the whole cluster: refuse it if any node's values are wrong, so no
  // node boots on a config another node would reject.
  const values = deriveAll(config).find((v) => v.node === id) ?? deriveNode(config, id);
  const level = options.level ?? 'normal';
  const log = createLogger(level, [options.label, `node ${id}`].filter(Boolean).join(' '));
  log.verbose(`node id ${id} from ${source}; config ${config.file} (${config.format} format)`);
  const runner =
    level === 'verbose' ? tracingRunner(systemRunner, (l) => log.verbose(l)) : systemRunner;
  return { config, values, nodeSource: source, container: containerNs(options), runner, log };
}

/** `--pid P` or `--netns NAME` (or CLUSTERNET_PID / CLUSTERNET_NETNS); else where we run. */
export function containerNs(options: Pick<ContextOptions, 'pid' | 'netns' | 'env'>): Ns {
  const env = options.env ?? process.env;
  const pid = options.pid ?? env.CLUSTERNET_PID;
  const netns = options.netns ?? env.CLUSTERNET_NETNS;
  if (pid !== undefined && pid !== '' && netns)
    throw new InputError({ key: '--pid/--netns', message: 'give one of them, not both' });
  if (pid !== undefined && pid !== '') {
    if (!/^\d+$/.test(String(pid)) || Number(pid) < 1)
      throw new InputError({
        key: '--pid',
        message: `"${pid}" is not a process id; allowed: a positive number`,
      });
    return { kind: 'pid', pid: Number(pid) };
  }
  if (netns) {
    try {
      parseIfName(netns);
    } catch {
      throw new InputError({
        key: '--netns',
        message: `"${netns}" is not a usable netns name; allowed: 1 to 15 of A-Z a-z 0-9 _ . @ + -`,
      });
    }
    return { kind: 'netns', name: netns };
  }
  return CURRENT_NS;
}
