// What a hook file loads: the hook entry (lib/hooks/entry.ts), from the one-file CommonJS
// bundle the build makes of it (scripts/bundle.mjs) when there is one, else from tsc's ES
// modules. A CommonJS file itself, so that node starts the hook without its ES module
// loader. main.ts loads the failover entry's bundle with it too (load).
//
// The bundle is compiled through V8's code cache: the first hook of a boot compiles it and,
// at its exit, leaves V8's compiled code (every function it ran) in the run dir; the hooks
// after it skip most of the compiling, about 5 ms of a 40 ms hook (measured with hyperfine
// on init-pre). V8 refuses a cache made by another V8 or with other flags; the file is
// named after the bundle's build id (a digest of its code, in its first line), as V8 itself
// checks only the source's length: a rebuilt bundle never meets an older cache. A cache
// that is missing, refused or unreadable costs the compile, nothing else. The run dir is
// root's alone (as are the records kept there, which steer what the hooks change).
import fs = require('node:fs');
import path = require('node:path');
import vm = require('node:vm');

interface HookEntry {
  main(hookUrl: string, args: string[]): Promise<void>;
}

/** Runs the hook entry for the hook file `hookPath` (as invoked) with its arguments. */
function start(hookPath: string, args: string[]): void {
  const bundle = path.join(__dirname, 'entry.cjs');
  let entry: HookEntry | undefined;
  try {
    entry = load(bundle);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
  }
  if (entry) void entry.main(hookPath, args);
  // No bundle (tsc output only): the same entry as ES modules, only slower to start.
  else void import('./entry.js').then((m: HookEntry) => m.main(hookPath, args));
}

/**
 * Loads one of the build's CommonJS bundles (scripts/bundle.mjs) through the code cache;
 * ENOENT when there is none. Also what main.ts loads the failover entry with.
 */
function load<T = HookEntry>(bundle: string): T {
  const source = fs.readFileSync(bundle, 'utf8');
  const cacheFile = cachePath(bundle, source);
  let cachedData: Buffer | undefined;
  try {
    cachedData = cacheFile ? readCache(cacheFile) : undefined;
  } catch {
    /* none yet */
  }
  const script = new vm.Script(
    `(function (exports, require, module, __filename, __dirname) {${source}\n})`,
    { filename: bundle, cachedData },
  );
  if (cacheFile && (!cachedData || script.cachedDataRejected)) {
    // At exit, so the cache holds every function this run compiled, not just the outline.
    process.once('exit', () => saveCache(cacheFile, script));
  }
  const module = { exports: {} as T };
  // The bundle needs no package, only node's own modules: this file's require serves it.
  (script.runInThisContext() as (...a: unknown[]) => void).call(
    module.exports,
    module.exports,
    require,
    module,
    bundle,
    path.dirname(bundle),
  );
  return module.exports;
}

/** The cache of a bundle in the run dir (lib/system/lock.ts runDir), named after its build id. */
function cachePath(bundle: string, source: string): string | undefined {
  const id = /^\/\/ Built by scripts\/bundle\.mjs .* Build ([0-9a-f]{24})\.\n/.exec(
    source.slice(0, 400),
  )?.[1];
  if (!id) return undefined;
  return path.join(
    process.env.CLUSTERNET_RUN_DIR ?? '/run/clusternet',
    `${path.basename(bundle, '.cjs')}-${id}.v8cache`,
  );
}

/**
 * The run dir's rule (lib/system/rundir.ts), in short, for this file that loads nothing of
 * ours: a folder of our own, not writable by group or others. The full check (folders
 * above too) is made by the run it starts, before any record or lock is used; a cache
 * in a folder that fails even this is neither read nor written.
 */
function ownRunDir(dir: string): boolean {
  const st = fs.lstatSync(dir);
  return st.isDirectory() && st.uid === process.geteuid?.() && (st.mode & 0o022) === 0;
}

/** The cache, never through a symlink, only from our own run dir. */
function readCache(file: string): Buffer | undefined {
  if (!ownRunDir(path.dirname(file))) return undefined;
  const fd = fs.openSync(
    file,
    fs.constants.O_RDONLY | fs.constants.O_NOFOLLOW | fs.constants.O_NONBLOCK,
  );
  try {
    return fs.fstatSync(fd).isFile() ? fs.readFileSync(fd) : undefined;
  } finally {
    fs.closeSync(fd);
  }
}

function saveCache(file: string, script: vm.Script): void {
  const tmp = `${file}.${process.pid}.${Date.now()}.tmp`;
  try {
    fs.mkdirSync(path.dirname(file), { recursive: true, mode: 0o700 });
    if (!ownRunDir(path.dirname(file))) return;
    // 'wx': O_EXCL, a fresh file (never a planted one or a symlink's target).
    fs.writeFileSync(tmp, script.createCachedData(), { mode: 0o600, flag: 'wx' });
    fs.renameSync(tmp, file);
  } catch {
    /* a read-only run dir: the next hook compiles again */
    try {
      fs.unlinkSync(tmp);
    } catch {
      /* never made */
    }
  }
}

export = { start, load };
