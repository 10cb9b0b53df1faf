// What `install-hooks` puts where: the items of an installation, as paths of the
// installed system (/etc/net.conf…). With --prefix the same items land under the prefix;
// links between installed items are relative so they resolve there too.
import { basename, dirname, join, relative } from 'node:path';
import { readFileSync } from 'node:fs';
import { BUILTIN_HOOKS, KERRIGHED_HELPERS } from '../hooks/builtin.js';
import { EXAMPLE_CONFIG, KERRIGHED_EXAMPLE_CONFIG } from '../paths.js';
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
  /** Where Kerrighed's hooks read net.conf, and ours do when run from its helper folders. */
  kerrighedConfig: '/etc/kerrighed/net.conf',
  /** The OCF resource agent ocf:clusternet:clusterip, where Pacemaker looks for it. */
  ocfAgent: '/usr/lib/ocf/resource.d/clusternet/clusterip',
  /** The CNI plugin, in the folder of Debian's reference plugins (net.conf's cni.bin-dir). */
  cniBinDir: '/usr/lib/cni',
} as const;

/** The config the installation reads: Kerrighed's own file when installed for Kerrighed alone. */
export const configFor = (init: readonly InitSystem[]): string =>
  init.every((i) => i === 'kerrighed') ? PATHS.kerrighedConfig : PATHS.config;

export type Item =
  /** `config`: the administrator's file: never overwritten, kept when changed. */
  | { type: 'file'; path: string; content: string; mode: number; config?: boolean }
  /** `note`: said when the path is taken by a file that is not ours. */
  | { type: 'link'; path: string; target: string; note?: string };

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
  /**
   * The text installed as the config when there is none (/etc/net.conf; for Kerrighed alone
   * /etc/kerrighed/net.conf): the shipped example, or --config's.
   */
  config?: string;
  /** Where runtimes find CNI plugins (default PATHS.cniBinDir). */
  cniBinDir?: string;
}

export function layout(options: LayoutOptions): Item[] {
  const values: TemplateValues = {
    NODE: options.node,
    CLI: join(options.libdir, 'dist', 'lib', 'cli', 'main.js'),
    CONFIG: configFor(options.init),
    DEFAULTS: PATHS.defaults,
    HOOKS_DIR: PATHS.hooks,
    NETNS: options.netns,
    CONTAINER_UNIT: options.containerUnit,
  };
  const items: Item[] = [
    {
      type: 'file',
      path: PATHS.defaults,
      content: renderTemplate('default/clusternet.in', values),
      mode: 0o644,
      config: true,
    },
    {
      type: 'file',
      path: PATHS.ocfAgent,
      content: renderTemplate('ocf/clusterip.in', values),
      mode: 0o755,
    },
    // The runtime runs it with its own environment: node named in full, as the units do.
    {
      type: 'file',
      path: join(options.cniBinDir ?? PATHS.cniBinDir, 'clusternet-cni'),
      content: renderTemplate('cni/clusternet-cni.in', {
        ...values,
        LIBBIN: join(options.libdir, 'bin'),
      }),
      mode: 0o755,
    },
  ];
  // --config's text goes where this installation's config is (configFor).
  const given = (path: string) => (path === configFor(options.init) ? options.config : undefined);
  if (options.init.some((i) => i !== 'kerrighed')) {
    items.unshift({
      type: 'file',
      path: PATHS.config,
      content: given(PATHS.config) ?? readFileSync(EXAMPLE_CONFIG, 'utf8'),
      mode: 0o644,
      config: true,
    });
  }
  // Kerrighed's net.conf: an existing one is the administrator's and kept (it means what it
  // meant, lib/config/legacy.ts); a new one enables nothing until it is filled in.
  if (options.init.includes('kerrighed')) {
    const content = given(PATHS.kerrighedConfig) ?? readFileSync(KERRIGHED_EXAMPLE_CONFIG, 'utf8');
    items.unshift({
      type: 'file',
      path: PATHS.kerrighedConfig,
      content,
      mode: 0o644,
      config: true,
    });
  }
  // The built-in hooks are links into the package, so `run` recognises them and runs them
  // in-process; site hooks dropped beside them run as they are.
  for (const hook of Object.keys(BUILTIN_HOOKS).sort()) {
    items.push({
      type: 'link',
      path: join(PATHS.hooks, hook),
      target: join(options.libdir, 'hooks', hook),
    });
  }
  if (options.init.includes('systemd')) {
    for (const unit of ['clusternet.service', 'clusternet-wait-online.service']) {
      items.push({
        type: 'file',
        path: join(PATHS.systemd, unit),
        content: renderTemplate(`systemd/${unit}.in`, values),
        mode: 0o644,
      });
    }
  }
  if (options.init.includes('sysv')) {
    items.push({
      type: 'file',
      path: PATHS.initScript,
      content: renderTemplate('sysv/clusternet.in', values),
      mode: 0o755,
    });
  }
  // Into Kerrighed's helper folders, one link per hook beside its own (50kerrighed_start)
  // and the site's: the folders stay Kerrighed's. Our hooks bear the names of the ones
  // they replace (50net, 10net, 20clusterip), so they run where those ran.
  if (options.init.includes('kerrighed')) {
    for (const { path, helper, hook } of kerrighedLinks()) {
      const note = `Kerrighed's own ${basename(hook)} hook does what clusternet's does: move it out of ${helper} (keep it elsewhere) and run install-hooks again`;
      items.push({
        type: 'link',
        path,
        target: relative(dirname(path), join(PATHS.hooks, hook)),
        note,
      });
    }
  }
  return items;
}

/**
 * Our hooks in Kerrighed's helper folders, under the names of kerrighed-tools' own hooks
 * they replace: the .deb diverts those files (templates/debian/preinst) so both packages
 * install side by side.
 */
export function kerrighedLinks(): { path: string; helper: string; hook: string }[] {
  return Object.entries(KERRIGHED_HELPERS).flatMap(([helper, phase]) =>
    Object.keys(BUILTIN_HOOKS)
      .filter((h) => h.startsWith(`${phase}.d/`))
      .map((hook) => ({ path: join(PATHS.kerrighed, helper, basename(hook)), helper, hook })),
  );
}
