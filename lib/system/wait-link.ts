// Waiting for a link to appear in a namespace: what init-pre does when it starts before
// boot-post has moved the node's link in (Kerrighed ran boot-post in the background while
// the container booted; its init-pre blocked on a FIFO, without end). Here the wait is
// bounded, and cheap: one `ip monitor link` sleeps on netlink and wakes us at each link
// event; a look every POLL_MS covers a monitor that could not start. Measured here (2
// cores, a netns reached through nsenter, /usr/bin/time over a 10 s wait, node's own start
// taken off): the monitor with its 1 s look costs about 70 ms of CPU in all, a 100 ms
// `ip link show` poll about 630 ms (6 % of a core), for a wake-up that is no quicker.
import { spawn, type ChildProcess } from 'node:child_process';
import { DriftError } from '../errors.js';
import { inNs } from '../plan/render.js';
import { nsLabel, type Ns } from '../plan/ops.js';
import type { Runner } from './runner.js';

/** The safety net's interval: a look at the links when no event came. */
export const POLL_MS = 1000;

/** `ip link show dev NAME` answers 0 when the link is there. */
export async function linkExists(runner: Runner, ns: Ns, name: string): Promise<boolean> {
  const r = await runner.run(inNs(ns, ['ip', '-o', 'link', 'show', 'dev', name]));
  return r.exitCode === 0;
}

/** `ip -o monitor link` in `ns`: calls `onEvent` for each line it prints, until stopped. */
export function watchLinks(ns: Ns, onEvent: (line: string) => void): ChildProcess {
  const [file, ...args] = inNs(ns, ['ip', '-o', 'monitor', 'link']);
  const child = spawn(file!, args, { stdio: ['ignore', 'pipe', 'ignore'], env: { ...process.env, LC_ALL: 'C' } });
  child.on('error', () => {}); // no monitor: the poll still looks
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
 * namespace and what makes the link when `timeoutMs` passes first. `onWait` is told once, when the
 * link is not there at the first look.
 */
export async function waitForLink(runner: Runner, ns: Ns, name: string, timeoutMs: number, onWait: () => void = () => {}): Promise<void> {
  let wake: () => void = () => {};
  // Watch first, then look: a link that comes between the look and the watch still wakes us.
  const monitor = watchLinks(ns, (line) => {
    if (line.includes(name)) wake();
  });
  let timer: NodeJS.Timeout | undefined;
  let poll: NodeJS.Timeout | undefined;
  try {
    if (await linkExists(runner, ns, name)) return;
    onWait();
    const started = Date.now();
    await new Promise<void>((resolve, reject) => {
      let looking = false;
      wake = () => {
        if (looking) return;
        looking = true;
        linkExists(runner, ns, name).then(
          (there) => {
            looking = false;
            if (there) resolve();
          },
          (error: unknown) => reject(error),
        );
      };
      poll = setInterval(wake, POLL_MS);
      timer = setTimeout(() => {
        const waited = ((Date.now() - started) / 1000).toFixed(0);
        reject(new DriftError(`waited ${waited} s for ${name} in ${nsLabel(ns)}, which boot-post makes and moves in (given the container's PID); it did not come, so nothing was changed. Did boot-post run, and succeed? (CLUSTERNET_LINK_TIMEOUT sets the wait, in seconds)`));
      }, timeoutMs);
    });
  } finally {
    clearTimeout(timer);
    clearInterval(poll);
    monitor.kill('SIGKILL');
  }
}
