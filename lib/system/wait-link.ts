// Waiting for a link to appear in a namespace: what init-pre does when it starts before
// boot-post has moved the node's link in (Kerrighed ran boot-post in the background while
// the container booted; its init-pre blocked on a FIFO, without end). Here the wait is
// bounded, and cheap: one `ip monitor link` sleeps on netlink and wakes us at each link
// event; a look every GUARD_MS covers an event missed, one every POLL_MS a monitor that
// could not start or died. Measured here (2 cores, a netns reached through nsenter,
// /usr/bin/time over a 10 s wait, node's own start taken off): the monitor with a look
// every 5 s costs about 10 ms of CPU in all (with a look every second, 70 ms); a 100 ms
// `ip link show` poll 500 to 630 ms (5 to 6 % of a core), for a wake-up that is no
// quicker. In an emulated guest one `ip` takes 1 to 4 s: there the looks, not the
// monitor, are what costs, hence rare ones.
import { spawn, type ChildProcess } from 'node:child_process';
import { DriftError } from '../errors.js';
import { inNs, nsLabel, type Ns } from './ns.js';
import type { Runner } from './runner.js';

/** A look at the links while the monitor runs (an event missed), and once it has stopped. */
export const GUARD_MS = 5000;
export const POLL_MS = 1000;

/** `ip link show dev NAME` answers 0 when the link is there. */
export async function linkExists(runner: Runner, ns: Ns, name: string): Promise<boolean> {
  const r = await runner.run(inNs(ns, ['ip', '-o', 'link', 'show', 'dev', name]));
  return r.exitCode === 0;
}

/**
 * `ip -o monitor link` in `ns`: calls `onEvent` for each line it prints, and `onEnd` if it
 * could not start or ended, until stopped.
 */
export function watchLinks(
  ns: Ns,
  onEvent: (line: string) => void,
  onEnd: () => void = () => {},
): ChildProcess {
  const [file, ...args] = inNs(ns, ['ip', '-o', 'monitor', 'link']);
  const child = spawn(file!, args, {
    stdio: ['ignore', 'pipe', 'ignore'],
    env: { ...process.env, LC_ALL: 'C' },
  });
  child.on('error', onEnd);
  child.on('exit', onEnd);
  let rest = '';
  child.stdout!.on('data', (chunk: Buffer) => {
    const lines = (rest + chunk.toString()).split('\n');
    rest = lines.pop() ?? '';
    for (const line of lines) onEvent(line);
  });
  return child;
}

/**
 * Resolves once link `name` exists in `ns`; a DriftError (exit 1) naming the link, the
 * namespace and what makes the link when `timeoutMs` passes first. `onWait` is told once,
 * when the link is not there at the first look.
 */
export async function waitForLink(
  runner: Runner,
  ns: Ns,
  name: string,
  timeoutMs: number,
  onWait: () => void = () => {},
): Promise<void> {
  let wake: () => void = () => {};
  let poll: NodeJS.Timeout | undefined;
  let stopping = false;
  // Watch first, then look: a link that comes between the look and the watch still wakes us.
  const monitor = watchLinks(
    ns,
    (line) => {
      if (line.includes(name)) wake();
    },
    () => {
      if (stopping) return;
      clearInterval(poll);
      poll = setInterval(() => wake(), POLL_MS);
    },
  );
  let timer: NodeJS.Timeout | undefined;
  try {
    if (await linkExists(runner, ns, name)) return;
    onWait();
    const started = Date.now();
    await new Promise<void>((resolve, reject) => {
      let looking = false;
      // An event during a look may be the link's own, come after that look read: look again.
      let again = false;
      wake = () => {
        if (looking) {
          again = true;
          return;
        }
        looking = true;
        linkExists(runner, ns, name).then(
          (there) => {
            looking = false;
            if (there) resolve();
            else if (again) {
              again = false;
              wake();
            }
          },
          (error: unknown) => reject(error),
        );
      };
      poll ??= setInterval(() => wake(), GUARD_MS);
      timer = setTimeout(() => {
        const waited = ((Date.now() - started) / 1000).toFixed(0);
        reject(
          new DriftError(
            `waited ${waited} s for ${name} in ${nsLabel(ns)}, which boot-post makes and moves in (given the container's PID); it did not come, so nothing was changed. Did boot-post run, and succeed? (CLUSTERNET_LINK_TIMEOUT sets the wait, in seconds)`,
          ),
        );
      }, timeoutMs);
    });
  } finally {
    stopping = true;
    clearTimeout(timer);
    clearInterval(poll);
    monitor.kill('SIGKILL');
  }
}
