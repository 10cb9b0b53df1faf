// Where server-config's networkd files go in a folder that may already configure the
// lower device. networkd applies only the FIRST .network file (by name, over all its
// folders) whose [Match] fits a link: a 49-clusternet-eth0.network would silently replace
// the administrator's own eth0 file (and its DHCP=yes), or be ignored behind it. So when
// the device has a file already, ours becomes a drop-in that extends that file instead.
import { readdirSync, readFileSync } from 'node:fs';
import { basename, join, resolve } from 'node:path';
import { networkdFiles, type OutputFile } from './formats.js';
import type { ServerValues } from './values.js';
import { ownerOf } from '../link/index.js';

/** networkd's own folders, in the order it looks (systemd.network(5)). */
export const NETWORKD_DIRS = [
  '/etc/systemd/network',
  '/run/systemd/network',
  '/usr/local/lib/systemd/network',
  '/usr/lib/systemd/network',
  '/lib/systemd/network',
];

const OURS = /^(49|50)-clusternet-/;

/** A systemd glob (fnmatch: * ? [..]) as a regular expression. */
function globRegex(glob: string): RegExp {
  const body = glob
    .replace(/[.+^${}()|\\]/g, '\\$&')
    .replace(/\*/g, '.*')
    .replace(/\?/g, '.')
    .replace(/\[!/g, '[^');
  return new RegExp(`^${body}$`);
}

/**
 * Could this .network file's [Match] apply to `device`? Name= patterns are checked; other
 * match keys (MACAddress=, Type=, …) cannot be checked from here, so a file without Name=
 * counts as matching (an empty [Match] does match every link).
 */
export function mayMatch(text: string, device: string): boolean {
  let section = '';
  const names: string[] = [];
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (line === '' || line.startsWith('#') || line.startsWith(';')) continue;
    const header = /^\[(.+)\]$/.exec(line);
    if (header) {
      section = header[1]!;
      continue;
    }
    if (section !== 'Match') continue;
    const eq = line.indexOf('=');
    const key = line.slice(0, eq).trim();
    const value = line.slice(eq + 1).trim();
    if (key !== 'Name') continue;
    // An empty Name= resets the list, as in networkd.
    if (value === '') names.length = 0;
    else names.push(...value.split(/\s+/));
  }
  if (names.length === 0) return true;
  const invert = names.every((n) => n.startsWith('!'));
  const hit = names.some((n) => globRegex(n.replace(/^!/, '')).test(device));
  return invert ? !hit : hit;
}

/** The administrator's .network files that may match `device`, by name as networkd orders them. */
export function deviceNetworkFiles(dirs: readonly string[], device: string): string[] {
  const byName = new Map<string, string>();
  for (const dir of dirs) {
    let names: string[];
    try {
      names = readdirSync(dir);
    } catch {
      continue;
    }
    // The first folder with a given name hides the same name in later ones.
    for (const name of names)
      if (name.endsWith('.network') && !OURS.test(name) && !byName.has(name))
        byName.set(name, join(dir, name));
  }
  return [...byName.keys()]
    .sort()
    .map((name) => byName.get(name)!)
    .filter((path) => mayMatch(readFileSync(path, 'utf8'), device));
}

/** The folders to look in: the output folder, and networkd's own when that is where it writes. */
export function networkdDirsFor(outDir: string): string[] {
  const out = resolve(outDir);
  return NETWORKD_DIRS.includes(out) ? NETWORKD_DIRS : [out];
}

/**
 * The files to write into `outDir` (paths relative to it): the .netdev and the interface's
 * .network always; for the device, our own .network when nothing else matches it, else a
 * drop-in extending the file networkd will pick.
 */
export function placeNetworkdFiles(
  v: ServerValues,
  outDir: string,
  dirs: readonly string[] = networkdDirsFor(outDir),
): { files: OutputFile[]; extends?: string } {
  const files = networkdFiles(v).map((f) => ({ ...f, path: basename(f.path) }));
  const [admins] = deviceNetworkFiles(dirs, v.device);
  if (!admins) return { files };
  const deviceFile = files.pop()!;
  const { server } = ownerOf(v.link.kind);
  const dropIn = [
    deviceFile.content.split('\n')[0]!,
    `# Extends ${admins}, which networkd applies to ${v.device}: it keeps its own settings and`,
    `# gains the cluster ${server.title(v.link)} ${v.interface}.`,
    '[Network]',
    `${server.parentKey}=${v.interface}`,
    '',
  ].join('\n');
  return {
    files: [
      ...files,
      { path: join(`${basename(admins)}.d`, `50-clusternet-${v.interface}.conf`), content: dropIn },
    ],
    extends: admins,
  };
}
