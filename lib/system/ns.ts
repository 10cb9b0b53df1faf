// Network namespaces as plain data: the one we run in, a named one (/run/netns/NAME), or a
// process's; how they are named to a person and how a command is run inside one.

/** A network namespace: the one we run in, a named one (/run/netns/NAME), or a process's. */
export type Ns =
  { kind: 'current' } | { kind: 'netns'; name: string } | { kind: 'pid'; pid: number };
export const CURRENT_NS: Ns = { kind: 'current' };

export const nsLabel = (ns: Ns): string =>
  ns.kind === 'current'
    ? 'this namespace'
    : ns.kind === 'netns'
      ? `netns ${ns.name}`
      : `netns of pid ${ns.pid}`;

export const sameNs = (a: Ns, b: Ns): boolean => nsLabel(a) === nsLabel(b);

export const nsPrefix = (ns: Ns): string =>
  ns.kind === 'current' ? '' : ns.kind === 'netns' ? `[netns ${ns.name}] ` : `[pid ${ns.pid}] `;

export const nsPath = (ns: Ns): string =>
  ns.kind === 'current'
    ? '/proc/self/ns/net'
    : ns.kind === 'netns'
      ? `/run/netns/${ns.name}`
      : `/proc/${ns.pid}/ns/net`;

/** The argv that runs `argv` inside a namespace (nsenter; nothing for the current one). */
export function inNs(ns: Ns, argv: readonly string[]): string[] {
  return ns.kind === 'current' ? [...argv] : ['nsenter', `--net=${nsPath(ns)}`, '--', ...argv];
}
