// What `install-hooks` puts where: the items of an installation, as paths of the
// installed system (/etc/net.conf…). With --prefix the same items land under the prefix;
// links between installed items are relative so they resolve there too.
import { dirname, join, relative } from 'node:path';
import { readFileSync } from 'node:fs';
import { BUILTIN_HOOKS } from '../hooks/builtin.js';
import { EXAMPLE_CONFIG } from '../paths.js';
import { renderTemplate, type TemplateValues } from './templates.js';

export const INIT_SYSTEMS = ['systemd', 'sysv', 'kerrighed'] as const;
export type InitSystem = (typeof INIT_SYSTEMS)[number];

export const PATHS = {
  config: '/etc/net.conf',
  defaults: '/etc/default/clusternet',
  hooks: '/etc/clusternet/hooks',
  manifest: '/var/lib/clusternet/install-manifest.json',
  systemd: '/lib/systemd/system',
  initScript: '/etc/init.d/clusternet',
  kerrighed: '/etc/kerrighed',
} as const;

/** Kerrighed's helper folders (what its kernel runs) → our phase folders. */
export const KERRIGHED_HELPERS: Record<string, string> = {
  'krgboot_helper-pre.d': 'boot-pre.d',
  'krgboot_helper-post.d': 'boot-post.d',
  'krginit_helper-pre.d': 'init-pre.d',
  'krginit_helper-post.d': 'init-post.d',
};

export type Item =
  /** `config`: the administrator's file: never overwritten, kept when changed. */
  | { type: 'file'; path: string; content: string; mode: number; config?: boolean }
  | { type: 'link'; path: string; target: string };

export interface LayoutOptions {
  init: readonly InitSystem[];
  /** Where the clusternet package (dist/, hooks/) is at run time. */
  libdir: string;
  /** The node binary the units and the init script start. */
  node: string;
  /** The container's network namespace name. */
  netns: string;
  /** The unit that starts the cluster container (the host phases run before it). */
  containerUnit: string;
  /** The text installed as /etc/net.conf when there is none: the shipped example, or --config's. */
  config?: string;
}

export function layout(options: LayoutOptions): Item[] {
  const values: TemplateValues = {
    NODE: options.node,
    CLI: join(options.libdir, 'dist', 'lib', 'cli', 'main.js'),
    CONFIG: PATHS.config,
    DEFAULTS: PATHS.defaults,
    HOOKS_DIR: PATHS.hooks,
    NETNS: options.netns,
    CONTAINER_UNIT: options.containerUnit,
  };
  const items: Item[] = [
    { type: 'file', path: PATHS.config, content: options.config ?? readFileSync(EXAMPLE_CONFIG, 'utf8'), mode: 0o644, config: true },
    { type: 'file', path: PATHS.defaults, content: renderTemplate('default/clusternet.in', values), mode: 0o644, config: true },
  ];
  // The built-in hooks are links into the package, so `run` recognises them and runs them
  // in-process; site hooks dropped beside them run as they are.
  for (const hook of Object.keys(BUILTIN_HOOKS).sort()) {
    items.push({ type: 'link', path: join(PATHS.hooks, hook), target: join(options.libdir, 'hooks', hook) });
  }
  if (options.init.includes('systemd')) {
    for (const unit of ['clusternet.service', 'clusternet-wait-online.service']) {
      items.push({ type: 'file', path: join(PATHS.systemd, unit), content: renderTemplate(`systemd/${unit}.in`, values), mode: 0o644 });
    }
  }
  if (options.init.includes('sysv')) {
    items.push({ type: 'file', path: PATHS.initScript, content: renderTemplate('sysv/clusternet.in', values), mode: 0o755 });
  }
  if (options.init.includes('kerrighed')) {
    for (const [helper, phaseDir] of Object.entries(KERRIGHED_HELPERS)) {
      const path = join(PATHS.kerrighed, helper);
      items.push({ type: 'link', path, target: relative(dirname(path), join(PATHS.hooks, phaseDir)) });
    }
  }
  return items;
}
