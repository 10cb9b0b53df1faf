// What the systemd unit and the init script run: `clusternet service start|stop|status`.
// It reads /etc/default/clusternet and runs the enabled phases, in boot order, against
// the container's named network namespace (created when missing).
import { existsSync } from 'node:fs';
import { loadNodeContext } from '../context.js';
import { runPhaseHooks } from '../hooks/run.js';
import type { Level, Logger } from '../log.js';
import { hooksDir } from '../paths.js';
import type { Phase } from '../plan/ops.js';
import { runChecked, systemRunner, type Runner } from '../system/runner.js';
import { lookOnce } from '../status/wait.js';
import type { Defaults } from './defaults.js';

export interface ServiceOptions {
  defaults: Defaults;
  level: Level;
  log: Logger;
  runner?: Runner;
}

const netnsExists = (name: string) => existsSync(`/run/netns/${name}`);

const contextFor = (o: ServiceOptions, label: string) =>
  loadNodeContext({ config: o.defaults.config, node: o.defaults.nodeId, netns: o.defaults.netns, level: o.level, label });

export async function serviceStart(o: ServiceOptions): Promise<void> {
  const d = o.defaults;
  if (!d.isolateNet) {
    o.log.info(`ISOLATE_NET is off in ${d.file}: the container shares the host's network stack; nothing to do`);
    return;
  }
  if (!netnsExists(d.netns)) {
    await runChecked(o.runner ?? systemRunner, ['ip', 'netns', 'add', d.netns]);
    o.log.info(`created network namespace ${d.netns}`);
  }
  for (const phase of d.phases) {
    const ctx = contextFor(o, phase);
    await runPhaseHooks(ctx, phase, hooksDir(d.hooksDir));
  }
}

export async function serviceStop(o: ServiceOptions): Promise<void> {
  const d = o.defaults;
  if (!d.isolateNet || !netnsExists(d.netns)) {
    o.log.info(`network namespace ${d.netns} does not exist: nothing to stop`);
    return;
  }
  const phase: Phase = 'stop';
  await runPhaseHooks(contextFor(o, phase), phase, hooksDir(d.hooksDir));
}

/** LSB status: 0 when the cluster network is ready, 3 when it is not (with what is missing). */
export async function serviceStatus(o: ServiceOptions): Promise<{ code: 0 | 3; missing: string[] }> {
  const d = o.defaults;
  if (!d.isolateNet) return { code: 3, missing: [`ISOLATE_NET is off in ${d.file}`] };
  if (!netnsExists(d.netns)) return { code: 3, missing: [`network namespace ${d.netns} does not exist`] };
  const ctx = contextFor(o, 'status');
  const missing = await lookOnce(ctx.runner, ctx.container, ctx.values);
  return { code: missing.length === 0 ? 0 : 3, missing };
}
