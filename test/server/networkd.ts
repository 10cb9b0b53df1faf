// systemd-networkd itself, run inside a network namespace the test owns, on a private
// mount of its config folder: the real parser reads our files, and for link types this
// kernel has, really builds the link. Nothing of the machine's own networking is touched.
import { spawn, execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';

// Inside `ip netns exec` (a private mount namespace): our files as networkd's only config,
// a private /run/systemd, and /sys read-only so networkd does not wait for udev (as in a
// container). The folder comes in as $1: nothing is spliced into the script.
const SCRIPT = [
  'mount -t tmpfs tmpfs /etc/systemd/network',
  'cp -r "$1"/. /etc/systemd/network/',
  'mount -t tmpfs tmpfs /run/systemd',
  'mkdir -p /run/systemd/netif',
  'chown systemd-network:systemd-network /run/systemd/netif',
  'mount -o remount,ro /sys',
  'exec /lib/systemd/systemd-networkd',
].join(' && ');

export interface Networkd {
  /** Stops networkd and returns its log. */
  stop(): Promise<string>;
}

export function startNetworkd(netns: string, dir: string): Networkd {
  const child = spawn('ip', ['netns', 'exec', netns, 'sh', '-c', SCRIPT, 'sh', dir], {
    env: { ...process.env, SYSTEMD_LOG_LEVEL: 'debug', SYSTEMD_LOG_TARGET: 'console' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let log = '';
  child.stdout.on('data', (d) => (log += d));
  child.stderr.on('data', (d) => (log += d));
  const exited = new Promise<void>((resolve) => child.on('close', () => resolve()));
  return {
    async stop() {
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
      await exited;
      clearTimeout(timer);
      return log;
    },
  };
}

/** Runs networkd for `ms` in a throw-away namespace holding an `eth0`; returns its log. */
export async function networkdLog(dir: string, ms: number): Promise<string> {
  const ns = `cnt${randomBytes(3).toString('hex')}-nd`;
  execFileSync('ip', ['netns', 'add', ns]);
  try {
    execFileSync('ip', ['-n', ns, 'link', 'add', 'eth0', 'type', 'veth', 'peer', 'name', 'peer0']);
    const networkd = startNetworkd(ns, dir);
    await new Promise((r) => setTimeout(r, ms));
    return await networkd.stop();
  } finally {
    execFileSync('ip', ['netns', 'del', ns]);
  }
}
