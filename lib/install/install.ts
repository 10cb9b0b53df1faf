// install-hooks and uninstall-hooks. Installing first decides every item (write, keep,
// refuse) and only then touches the disk, so a refusal changes nothing. Uninstalling
// removes what the manifest lists and is still as it was installed; anything changed
// since (an edited net.conf, a re-pointed link) is kept and reported.
import {
  existsSync,
  mkdirSync,
  readFileSync,
  rmdirSync,
  rmSync,
  statSync,
  symlinkSync,
} from 'node:fs';
import { dirname, join } from 'node:path';
import { InputError } from '../errors.js';
import type { Logger } from '../log.js';
import { writeAtomic, pathState } from './fsutil.js';
import { PATHS, type Item } from './layout.js';
import { readManifest, sha256, type Manifest, type ManifestEntry } from './manifest.js';

type Decision = { item: Item; action: 'write' | 'same' | 'keep' };

const onDisk = (prefix: string, path: string) => join(prefix, path);

/** The prefix itself may be a link to a folder (the administrator's choice). */
const isDir = (path: string) => statSync(path, { throwIfNoEntry: false })?.isDirectory() === true;

/** Was `path` installed by us and left unchanged since? Then we may replace it. */
function ours(previous: Manifest | undefined, item: Item, prefix: string): boolean {
  const entry = previous?.entries.find((e) => e.path === item.path);
  if (!entry) return false;
  const state = pathState(onDisk(prefix, item.path));
  if (entry.type === 'file' && state.kind === 'file')
    return sha256(readFileSync(onDisk(prefix, item.path))) === entry.sha256;
  if (entry.type === 'link' && state.kind === 'link') return state.target === entry.target;
  return false;
}

function decide(item: Item, prefix: string, previous: Manifest | undefined): Decision | string {
  const state = pathState(onDisk(prefix, item.path));
  if (state.kind === 'none') return { item, action: 'write' };
  if (item.type === 'file') {
    if (state.kind === 'file') {
      if (readFileSync(onDisk(prefix, item.path), 'utf8') === item.content)
        return { item, action: 'same' };
      if (ours(previous, item, prefix)) return { item, action: 'write' };
      // The administrator's files (or ours, changed by the administrator) are never overwritten.
      if (item.config) return { item, action: 'keep' };
    }
  } else if (state.kind === 'link') {
    if (state.target === item.target) return { item, action: 'same' };
    if (ours(previous, item, prefix)) return { item, action: 'write' };
  }
  if (item.type === 'link' && item.note && state.kind === 'file')
    return `${item.path} exists: ${item.note}`;
  return `${item.path} exists (${state.kind}) and was not installed by clusternet, or was changed since; move it away and run install-hooks again`;
}

export interface InstallResult {
  written: string[];
  kept: string[];
  manifest: string;
}

export function install(
  items: readonly Item[],
  prefix: string,
  log: Logger,
  init: string[],
  libdir: string,
): InstallResult {
  // Installing into a folder that is not there is a mistyped --prefix, not a wish to create it.
  if (!isDir(prefix))
    throw new InputError({
      key: '--prefix',
      message: `${prefix} is not an existing folder; create it first, or give the right one`,
    });
  const manifestPath = onDisk(prefix, PATHS.manifest);
  const previous = readManifest(manifestPath);
  const decisions = items.map((item) => decide(item, prefix, previous));
  const refused = decisions.filter((d): d is string => typeof d === 'string');
  if (refused.length > 0)
    throw new InputError(refused.map((message) => ({ key: 'install-hooks', message })));

  // Folders we create are ours to remove later; those made by an earlier install stay ours.
  const entries = new Map<string, ManifestEntry>(
    (previous?.entries ?? []).filter((e) => e.type === 'dir').map((e) => [e.path, e]),
  );
  const makeDirs = (path: string) => {
    const missing: string[] = [];
    // Stops at / (whose dirname is itself), which the prefix check above says exists.
    for (
      let dir = dirname(path);
      dir !== dirname(dir) && !existsSync(onDisk(prefix, dir));
      dir = dirname(dir)
    )
      missing.unshift(dir);
    for (const dir of missing) {
      mkdirSync(onDisk(prefix, dir), { mode: 0o755 });
      entries.set(dir, { path: dir, type: 'dir' });
    }
  };
  const result: InstallResult = { written: [], kept: [], manifest: manifestPath };
  for (const d of decisions as Decision[]) {
    const { item } = d;
    const path = onDisk(prefix, item.path);
    makeDirs(item.path);
    if (d.action === 'keep') {
      log.info(`kept ${item.path}: it exists and is the administrator's`);
      result.kept.push(item.path);
      continue;
    }
    if (d.action === 'write') {
      if (item.type === 'file') writeAtomic(path, item.content, { mode: item.mode });
      else {
        rmSync(path, { force: true });
        symlinkSync(item.target, path);
      }
      log.info(`installed ${item.path}${item.type === 'link' ? ` -> ${item.target}` : ''}`);
      result.written.push(item.path);
    }
    entries.set(
      item.path,
      item.type === 'file'
        ? {
            path: item.path,
            type: 'file',
            sha256: sha256(item.content),
            ...(item.config ? { config: true } : {}),
          }
        : { path: item.path, type: 'link', target: item.target },
    );
  }
  // What an earlier install put here and this one does not (another --init): still ours,
  // still on disk, so still recorded, for uninstall-hooks to remove.
  const now = new Set(items.map((i) => i.path));
  for (const e of previous?.entries ?? []) {
    if (e.type !== 'dir' && !now.has(e.path) && pathState(onDisk(prefix, e.path)).kind !== 'none')
      entries.set(e.path, e);
  }
  makeDirs(PATHS.manifest);
  const allInit = [...new Set([...(previous?.installed.init ?? []), ...init])];
  const manifest: Manifest = {
    installed: { init: allInit, libdir, date: new Date().toISOString() },
    entries: [...entries.values()],
  };
  writeAtomic(manifestPath, `${JSON.stringify(manifest, null, 2)}\n`, { mode: 0o644 });
  return result;
}

export interface UninstallResult {
  removed: string[];
  kept: string[];
}

export function uninstall(prefix: string, log: Logger): UninstallResult {
  const manifestPath = onDisk(prefix, PATHS.manifest);
  const manifest = readManifest(manifestPath);
  if (!manifest)
    throw new InputError({
      file: manifestPath,
      message: 'no install manifest: nothing was installed here by install-hooks',
    });
  const result: UninstallResult = { removed: [], kept: [] };
  const keep = (path: string, why: string) => {
    log.info(`kept ${path}: ${why}`);
    result.kept.push(path);
  };
  const files = manifest.entries.filter((e) => e.type !== 'dir');
  for (const entry of files) {
    const path = onDisk(prefix, entry.path);
    const state = pathState(path);
    if (state.kind === 'none') continue;
    const unchanged =
      entry.type === 'file'
        ? state.kind === 'file' && sha256(readFileSync(path)) === entry.sha256
        : state.kind === 'link' && state.target === entry.target;
    if (!unchanged) {
      keep(entry.path, 'changed since it was installed');
      continue;
    }
    rmSync(path);
    log.info(`removed ${entry.path}`);
    result.removed.push(entry.path);
  }
  rmSync(manifestPath);
  result.removed.push(PATHS.manifest);
  // Deepest folders first; a folder someone put files into stays.
  const dirs = manifest.entries
    .filter((e) => e.type === 'dir')
    .sort((a, b) => b.path.length - a.path.length);
  for (const entry of dirs) {
    try {
      rmdirSync(onDisk(prefix, entry.path));
      result.removed.push(entry.path);
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      if (code === 'ENOTEMPTY' || code === 'EEXIST') keep(entry.path, 'not empty');
      else if (code !== 'ENOENT') throw error;
    }
  }
  return result;
}
