// Debian kernels for the lab: resolved with apt-cache, downloaded once with
// apt-get, unpacked with dpkg -x into a cache outside the repository.
import { existsSync, mkdirSync, mkdtempSync, readdirSync, renameSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { execa } from 'execa';

export type Series = '6.1' | '6.12';

export interface Kernel {
  /** Kernel release as `uname -r` prints it, e.g. `6.1.0-56-amd64`. */
  version: string;
  /** Path of the bootable image. */
  vmlinuz: string;
  /** The folder the guest mounts as /lib/modules (it holds `<version>/`). */
  modulesDir: string;
}

/** Root of the lab cache (kernels, initramfs images); never inside the repository. */
export function cacheDir(): string {
  return process.env['CLUSTERNET_LAB_CACHE'] ?? '/var/cache/clusternet-lab';
}

// Package names per series; group 1 is the ABI/patch number N that orders them.
// The plain name is Debian's signed image, `-unsigned` the same kernel unsigned:
// either boots under qemu, so whichever exists is taken.
const PACKAGES: Record<Series, { prefix: string; pattern: RegExp }> = {
  '6.1': {
    prefix: 'linux-image-6.1.0-',
    pattern: /^linux-image-(6\.1\.0-(\d+)-amd64)(-unsigned)?$/,
  },
  '6.12': {
    prefix: 'linux-image-6.12.',
    pattern: /^linux-image-(6\.12\.(\d+)\+deb12-amd64)(-unsigned)?$/,
  },
};

const resolved = new Map<Series, Promise<Kernel>>();

/** The newest Debian kernel of `series`, unpacked and depmod'ed in the cache (once per process). */
export function ensureKernel(series: Series): Promise<Kernel> {
  let kernel = resolved.get(series);
  if (kernel === undefined) {
    kernel = fetchKernel(series);
    // A failure is not remembered: the next call tries again.
    kernel.catch(() => resolved.delete(series));
    resolved.set(series, kernel);
  }
  return kernel;
}

async function fetchKernel(series: Series): Promise<Kernel> {
  const kernelsDir = join(cacheDir(), 'kernels');
  let resolved: { name: string; version: string };
  try {
    resolved = await resolvePackage(series);
  } catch (error) {
    // apt cannot answer (no package lists, no network): a kernel already cached still boots.
    const cached = cachedVersions(kernelsDir, series)[0];
    if (cached === undefined) throw error;
    process.stderr.write(`lab: apt cannot resolve Linux ${series}; using the cached ${cached}\n`);
    return layout(join(kernelsDir, cached), cached);
  }
  const { name, version } = resolved;
  const root = join(kernelsDir, version);
  if (!existsSync(root)) {
    mkdirSync(kernelsDir, { recursive: true });
    // Download and unpack into a scratch folder, then rename: a run that dies
    // half-way never leaves a half-unpacked kernel that looks complete.
    const scratch = mkdtempSync(join(kernelsDir, `.${version}-`));
    try {
      await execa('apt-get', ['download', name], { cwd: scratch });
      const deb = readdirSync(scratch).find((f) => f.endsWith('.deb'));
      if (deb === undefined) throw new Error(`apt-get download ${name} produced no .deb`);
      const tree = join(scratch, 'tree');
      await execa('dpkg', ['-x', join(scratch, deb), tree]);
      await execa('depmod', ['-b', tree, version]);
      renameSync(tree, root);
    } finally {
      rmSync(scratch, { recursive: true, force: true });
    }
  }
  return layout(root, version);
}

function layout(root: string, version: string): Kernel {
  const vmlinuz = join(root, 'boot', `vmlinuz-${version}`);
  // bookworm's packages ship /lib/modules; later ones may use /usr/lib/modules.
  const modulesDir = [join(root, 'lib', 'modules'), join(root, 'usr', 'lib', 'modules')].find((d) =>
    existsSync(join(d, version, 'modules.dep')),
  );
  if (!existsSync(vmlinuz) || modulesDir === undefined) {
    throw new Error(`cached kernel ${root} is incomplete: delete it and run again`);
  }
  return { version, vmlinuz, modulesDir };
}

/** The kernels of `series` in the cache, newest first. */
function cachedVersions(kernelsDir: string, series: Series): string[] {
  if (!existsSync(kernelsDir)) return [];
  const { pattern } = PACKAGES[series];
  return readdirSync(kernelsDir)
    .flatMap((dir) => {
      const m = pattern.exec(`linux-image-${dir}`);
      return m?.[1] === dir && m[2] ? [{ dir, n: Number(m[2]) }] : [];
    })
    .sort((a, b) => b.n - a.n)
    .map((k) => k.dir);
}

/** Newest package of the series that apt can actually download (has a candidate). */
async function resolvePackage(series: Series): Promise<{ name: string; version: string }> {
  const { prefix, pattern } = PACKAGES[series];
  const { stdout } = await execa('apt-cache', ['pkgnames', prefix]);
  const found = stdout
    .split('\n')
    .map((name) => ({ name, m: pattern.exec(name) }))
    .flatMap(({ name, m }) =>
      m?.[1] && m[2] ? [{ name, version: m[1], n: Number(m[2]), unsigned: !!m[3] }] : [],
    )
    // Newest first; for the same kernel the signed name first.
    .sort((a, b) => b.n - a.n || Number(a.unsigned) - Number(b.unsigned));
  if (found.length > 0) {
    // One call for all names (apt-cache takes about a second per call here).
    const policy = await execa('apt-cache', ['policy', ...found.map((p) => p.name)]);
    const downloadable = new Set(
      [...policy.stdout.matchAll(/^(\S+):\n\s+Installed: .*\n\s+Candidate: (\S+)/gm)]
        .filter((m) => m[2] !== '(none)')
        .map((m) => m[1]),
    );
    const pkg = found.find((p) => downloadable.has(p.name));
    if (pkg !== undefined) return pkg;
  }
  throw new Error(
    `Linux ${series} is not available from apt: no package matching ${pattern.source} has a candidate ` +
      `(is this Debian 12 with bookworm-security or backports enabled, and has apt-get update run?)`,
  );
}
