// The guest's initramfs: static busybox, the modules needed to reach the host's
// files (virtio PCI, 9p, overlay) and an /init that builds the guest's root from
// the host's own `/` and hands over to the run protocol below.
//
// The host and the guest talk through three 9p shares (mount tags):
//   hostroot  the host's `/`, read-only, under a tmpfs overlay so the guest can write
//   modules   the kernel's modules folder, mounted at /lib/modules
//   lab       a per-run folder, read-write, mounted at /lab:
//             the host writes script.sh; the guest writes output and exit-code.
import { createHash } from 'node:crypto';
import {
  copyFileSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { join } from 'node:path';
import { execa } from 'execa';
import { cacheDir, type Kernel } from './kernels.js';

/** Busybox of Debian's busybox-static: it must be static, the initramfs has no libc. */
const BUSYBOX = '/bin/busybox';

/** What the guest needs before it can mount anything; the dependencies come from modules.dep. */
const NEEDED = ['virtio_pci', '9pnet_virtio', '9p', 'overlay'];

/** Stage 1, busybox sh as PID 1 in the initramfs. */
const INIT = `#!/bin/busybox sh
/bin/busybox --install -s /bin
export PATH=/bin
mkdir -p /dev /proc /sys
mount -t devtmpfs devtmpfs /dev
# The kernel found no /dev/console in the initramfs: take the console now.
exec </dev/console >/dev/console 2>&1
mount -t proc proc /proc
mount -t sysfs sysfs /sys

# No exit-code file reaches the host: it reports the run as failed at once.
fail() { echo "lab-init: $*"; echo o >/proc/sysrq-trigger; sleep 60; }

for m in $(cat /modules/order); do insmod "/modules/$m" || fail "insmod $m"; done

# The virtio devices may still be probing when insmod returns: retry briefly.
mount9p() {
  i=0
  until mount -t 9p -o "trans=virtio,version=9p2000.L,msize=262144,$3" "$1" "$2"; do
    i=$((i + 1)); [ $i -lt 50 ] || fail "mount 9p $1"; sleep 0.1
  done
}

mkdir -p /lower /rw /newroot
# cache=loose: the host's files do not change under a run, and a second start of
# a program no longer goes back to the host for every page.
mount9p hostroot /lower ro,cache=loose
mount -t tmpfs -o mode=0755 tmpfs /rw
mkdir -p /rw/upper /rw/work
mount -t overlay -o lowerdir=/lower,upperdir=/rw/upper,workdir=/rw/work overlay /newroot || fail "overlay"

cd /newroot
mkdir -p lib/modules lab proc sys dev run tmp
mount9p modules lib/modules ro
mount9p lab lab rw
mount -t proc proc proc
mount -t sysfs sysfs sys
mount -t devtmpfs devtmpfs dev
mkdir -p dev/pts dev/shm
mount -t devpts -o newinstance,ptmxmode=0666 devpts dev/pts
mount -t tmpfs -o mode=1777 tmpfs dev/shm
# ip netns keeps its namespaces under /run/netns: /run must be a fresh writable tmpfs.
mount -t tmpfs -o mode=0755 tmpfs run
mount -t tmpfs -o mode=1777 tmpfs tmp
[ -L var/run ] || { rm -rf var/run; ln -s /run var/run; }
cp /stage2 run/lab-stage2
cd /
umount /proc /sys
umount -l /dev
exec switch_root /newroot /bin/bash /run/lab-stage2
`;

/** Stage 2, the host's bash as PID 1 in the guest's real root: run the script once, report, power off. */
const STAGE2 = `export PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin HOME=/root LANG=C.UTF-8 TERM=dumb
echo "lab: running /lab/script.sh"
# Plain redirection, not a pipe: a process the script leaves in the background
# cannot hold the run open.
/bin/bash /lab/script.sh </dev/null >/lab/output 2>&1
rc=$?
echo "$rc" >/lab/exit-code.tmp && mv /lab/exit-code.tmp /lab/exit-code
echo "lab: exit code $rc"
sync
echo o >/proc/sysrq-trigger
sleep 60
`;

/** The initramfs image for `kernel`, built once and cached by kernel version. */
export async function ensureInitramfs(kernel: Kernel): Promise<string> {
  const modules = moduleOrder(join(kernel.modulesDir, kernel.version));
  // The key also covers the scripts and module list, so editing them rebuilds the image.
  const hash = createHash('sha256')
    .update(INIT)
    .update(STAGE2)
    .update(modules.join('\n'))
    .digest('hex')
    .slice(0, 12);
  const dir = join(cacheDir(), 'initramfs');
  const image = join(dir, `${kernel.version}-${hash}.cpio`);
  if (existsSync(image)) return image;

  mkdirSync(dir, { recursive: true });
  const staging = mkdtempSync(join(dir, '.staging-'));
  try {
    mkdirSync(join(staging, 'bin'));
    mkdirSync(join(staging, 'modules'));
    copyFileSync(BUSYBOX, join(staging, 'bin', 'busybox'));
    writeFileSync(join(staging, 'init'), INIT, { mode: 0o755 });
    writeFileSync(join(staging, 'stage2'), STAGE2, { mode: 0o755 });
    const names: string[] = [];
    for (const rel of modules) {
      const name = (rel.split('/').pop() ?? rel).replace(/\.(xz|zst|gz)$/, '');
      names.push(name);
      // busybox insmod hands the file to the kernel as it is: decompress here.
      await decompress(
        join(kernel.modulesDir, kernel.version, rel),
        join(staging, 'modules', name),
      );
    }
    writeFileSync(join(staging, 'modules', 'order'), names.join('\n') + '\n');

    // Sorted, so every folder comes before what it holds.
    const entries = [
      'bin',
      'bin/busybox',
      'init',
      'stage2',
      'modules',
      'modules/order',
      ...names.map((n) => `modules/${n}`),
    ].sort();
    const tmp = join(staging, 'image.cpio');
    await execa('cpio', ['--quiet', '-o', '-H', 'newc', '-R', '0:0'], {
      cwd: staging,
      input: entries.join('\n') + '\n',
      stdout: { file: tmp },
    });
    renameSync(tmp, image);
    // Images of this kernel built from older scripts are of no further use.
    for (const f of readdirSync(dir)) {
      if (f.startsWith(`${kernel.version}-`) && join(dir, f) !== image)
        rmSync(join(dir, f), { force: true });
    }
  } finally {
    rmSync(staging, { recursive: true, force: true });
  }
  return image;
}

/**
 * Module files (relative to the kernel's modules folder) to insert for NEEDED,
 * every dependency before its users, built-in modules left out.
 */
export function moduleOrder(dir: string): string[] {
  const normal = (file: string) =>
    (file.split('/').pop() ?? file).replace(/\.ko(\..*)?$/, '').replaceAll('-', '_');
  const deps = new Map<string, { file: string; needs: string[] }>();
  for (const line of readFileSync(join(dir, 'modules.dep'), 'utf8').split('\n')) {
    const [file, rest] = line.split(':');
    if (file && rest !== undefined)
      deps.set(normal(file), { file, needs: rest.trim().split(/\s+/).filter(Boolean).map(normal) });
  }
  const builtin = new Set(
    readFileSync(join(dir, 'modules.builtin'), 'utf8').split('\n').filter(Boolean).map(normal),
  );

  const order: string[] = [];
  const seen = new Set<string>();
  const visit = (name: string) => {
    if (seen.has(name) || builtin.has(name)) return;
    seen.add(name);
    const entry = deps.get(name);
    if (entry === undefined)
      throw new Error(`module ${name} is neither built in nor in ${dir}/modules.dep`);
    entry.needs.forEach(visit);
    order.push(entry.file);
  };
  NEEDED.forEach(visit);
  return order;
}

async function decompress(from: string, to: string): Promise<void> {
  const tool = from.endsWith('.xz')
    ? 'xz'
    : from.endsWith('.zst')
      ? 'zstd'
      : from.endsWith('.gz')
        ? 'gzip'
        : undefined;
  if (tool === undefined) copyFileSync(from, to);
  else await execa(tool, ['-dc', from], { stdout: { file: to } });
}
