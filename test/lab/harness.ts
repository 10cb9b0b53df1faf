// Run one bash script inside a Debian kernel under qemu (TCG), with the host's
// own files as the guest's root. The guest has no network device: nothing it
// does can reach the host's network, and the host's configuration is never touched.
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import { hiddenBy, PROJECT_ROOT } from '../helpers/project.js';
import { ensureInitramfs } from './initramfs.js';
import { ensureKernel, type Series } from './kernels.js';

/** The repository this file belongs to: the guest's working directory. */
export { PROJECT_ROOT };

export interface GuestRun {
  kernel: Series;
  /** Bash script body, run inside the guest as root with cwd = the project root. */
  script: string;
  /** Bound on the guest's whole life, boot included; qemu is killed past it. Default 300 s. */
  timeoutMs?: number;
  /** Extra environment for the script. */
  env?: Record<string, string>;
  /**
   * vCPUs, default 1. Two work, but on this 2-core machine a boot with 2 took
   * 11-13.5 s against 10 s with 1: the second vCPU thread competes for the host's
   * two cores with qemu's 9p I/O thread and the host's own work.
   */
  cpus?: 1 | 2;
  /** Copy the guest's console to stderr as it comes. */
  verbose?: boolean;
  /** Words added to the kernel's command line; the harness's own test makes a boot die with them. */
  kernelArgs?: string[];
  /** Called with each line of the guest's console as it comes (a guest writes to /dev/console). */
  onConsoleLine?: (line: string) => void;
}

export interface GuestResult {
  /** The script's exit code, or null when the guest never reported one (timeout, boot failure). */
  exitCode: number | null;
  /** The script's stdout and stderr, interleaved. */
  output: string;
  timedOut: boolean;
  /** Wall time of the qemu run, boot to power-off. */
  seconds: number;
  /** The guest's serial console: kernel messages and the init's own lines. */
  console: string;
  /**
   * Boots that died in the kernel before the script started, booted again
   * (bootDiedEarly); each entry is the tail of that boot's console.
   */
  earlyDeaths: string[];
}

/** The stage-2 init's line just before it starts the script (initramfs.ts). */
export const SCRIPT_STARTED = 'lab: running /lab/script.sh';

/** Boots per run: a kernel that dies before the script this many times in a row is a failure. */
export const BOOTS_PER_RUN = 3;

/**
 * True when the guest's kernel died before the script started. Under TCG with two
 * vCPUs a Debian 6.12 guest has been seen to oops in its own boot ("Oops: int3" in
 * sched_clock_cpu while the kernel patches its own code, then "Kernel panic") long
 * before anything of ours ran; such a boot proves nothing either way, so the run
 * boots again.
 */
export function bootDiedEarly(console: string): boolean {
  return !console.includes(SCRIPT_STARTED) && /Kernel panic - not syncing|\bOops: /.test(console);
}

/**
 * Every guest is an emulated machine (TCG, no KVM), many times slower than this one, and
 * two run at once: the commands clusternet starts get 90 s instead of 15 before they count
 * as hung (lib/system/runner.ts).
 */
const GUEST_ENV: Record<string, string> = { CLUSTERNET_COMMAND_TIMEOUT: '90' };

/** Folders the guest mounts fresh (initramfs.ts): a project under one of them is not there. */
const FRESH_IN_GUEST = ['/tmp', '/run', '/dev', '/proc', '/sys'];

/** The folder that hides `root` from a guest, if any. */
export const hiddenInGuest = (root: string): string | undefined => hiddenBy(FRESH_IN_GUEST, root);

export async function runInGuest(run: GuestRun): Promise<GuestResult> {
  const earlyDeaths: string[] = [];
  for (;;) {
    const result = await bootOnce(run);
    if (!bootDiedEarly(result.console) || earlyDeaths.length + 1 >= BOOTS_PER_RUN) {
      return { ...result, earlyDeaths };
    }
    const tail = result.console.slice(-1500);
    earlyDeaths.push(tail);
    process.stderr.write(
      `lab: the Linux ${run.kernel} guest died in its own boot before the script started (boot ${earlyDeaths.length} of at most ${BOOTS_PER_RUN}); booting again. Console tail:\n${tail}\n`,
    );
  }
}

/** One qemu run: boot, the script, power-off (or a death on the way). */
async function bootOnce(run: GuestRun): Promise<Omit<GuestResult, 'earlyDeaths'>> {
  const hidden = hiddenInGuest(PROJECT_ROOT);
  if (hidden) {
    throw new Error(
      `the lab cannot run a project under ${hidden} (${PROJECT_ROOT}): its guests mount a fresh ${hidden} over the host's; check the project out elsewhere`,
    );
  }
  const kernel = await ensureKernel(run.kernel);
  const initrd = await ensureInitramfs(kernel);
  const lab = mkdtempSync(join(tmpdir(), 'clusternet-lab-'));
  try {
    writeFileSync(
      join(lab, 'script.sh'),
      prelude({ ...GUEST_ENV, ...run.env }) + run.script + '\n',
    );

    // Each share is its own fsdev; multidevs=remap keeps inode numbers unique
    // across the several host file systems that one export spans.
    const share = (id: string, path: string, readonly: boolean) => [
      '-fsdev',
      `local,id=${id},path=${path},security_model=none,multidevs=remap${readonly ? ',readonly=on' : ''}`,
      '-device',
      `virtio-9p-pci,fsdev=${id},mount_tag=${id}`,
    ];
    const args = [
      ...['-accel', 'tcg', '-cpu', 'max', '-smp', String(run.cpus ?? 1), '-m', '1024'],
      ...['-nographic', '-no-reboot', '-nic', 'none'],
      ...['-kernel', kernel.vmlinuz, '-initrd', initrd],
      // panic=-1 with -no-reboot: a guest that dies ends qemu at once instead of hanging.
      // random.trust_cpu: -cpu max has RDRAND, so node does not wait for entropy.
      ...[
        '-append',
        ['console=ttyS0 quiet panic=-1 random.trust_cpu=on', ...(run.kernelArgs ?? [])].join(' '),
      ],
      ...share('hostroot', '/', true),
      ...share('modules', kernel.modulesDir, true),
      ...share('lab', lab, false),
    ];
    // An execa line transform: copies each console line to stderr and/or the caller, passes it on.
    const echo = function* (line: unknown) {
      if (run.verbose) process.stderr.write(`${String(line)}\n`);
      run.onConsoleLine?.(String(line).replaceAll('\r', ''));
      yield line;
    };
    const watch = run.verbose || run.onConsoleLine !== undefined;
    const started = Date.now();
    const qemu = await execa('qemu-system-x86_64', args, {
      stdin: 'ignore',
      stdout: watch ? echo : 'pipe',
      stderr: run.verbose ? ['pipe', 'inherit'] : 'pipe',
      all: true,
      timeout: run.timeoutMs ?? 300_000,
      killSignal: 'SIGKILL',
      reject: false,
    });
    const seconds = (Date.now() - started) / 1000;
    // qemu ends with 0 however the guest ends (power-off, or a panic under
    // -no-reboot); anything else means qemu itself could not run.
    if (!qemu.timedOut && qemu.exitCode !== 0) {
      throw new Error(`qemu failed: ${qemu.shortMessage}\n${(qemu.all ?? '').slice(-3000)}`);
    }
    const code = join(lab, 'exit-code');
    const output = join(lab, 'output');
    return {
      exitCode: existsSync(code) ? Number(readFileSync(code, 'utf8').trim()) : null,
      output: existsSync(output) ? readFileSync(output, 'utf8') : '',
      timedOut: qemu.timedOut,
      seconds,
      // Serial lines end in CR LF.
      console: (qemu.all ?? '').replaceAll('\r', ''),
    };
  } finally {
    rmSync(lab, { recursive: true, force: true });
  }
}

/** cd to the project and export `env`, each value single-quoted so any content survives. */
function prelude(env: Record<string, string>): string {
  const lines = [`cd ${quote(PROJECT_ROOT)} || exit 125`];
  for (const [key, value] of Object.entries(env)) {
    if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(key))
      throw new Error(`invalid environment variable name: ${key}`);
    lines.push(`export ${key}=${quote(value)}`);
  }
  return lines.join('\n') + '\n';
}

const quote = (s: string) => `'${s.replaceAll("'", `'\\''`)}'`;
