// A link's MTU in the namespace we run in, from sysfs: no process, so the CNI plugin can
// ask on every call. /sys shows the namespace's own links under `ip netns exec` (which
// remounts it) and wherever the node's host namespace is the one /sys was mounted in.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

/** A name sysfs can hold as one entry: no path separator, not `.` or `..`, at most 15 bytes. */
const SYSFS_NAME = /^(?!\.{1,2}$)[^/\0\s]{1,15}$/;

/** `dev`'s MTU here, or undefined when there is no such link (or its MTU cannot be read). */
export function linkMtu(dev: string): number | undefined {
  if (!SYSFS_NAME.test(dev)) return undefined;
  try {
    const text = readFileSync(join('/sys/class/net', dev, 'mtu'), 'utf8').trim();
    return /^[1-9]\d{0,5}$/.test(text) ? Number(text) : undefined;
  } catch {
    return undefined;
  }
}
