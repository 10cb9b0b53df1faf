// Fault injection with real commands: a folder of shims, first on PATH, standing in for
// every tool clusternet changes the system with. Each counts the mutating calls (reads
// such as `ip -json` pass untouched) and, at call number FAULT_AT, either refuses before
// running (a rule the kernel refuses, a name taken), runs and is then killed (a command
// killed after it took effect), or runs and kills clusternet itself (a crash mid-phase).
import { chmodSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export type FaultMode = 'fail-before' | 'kill-after' | 'crash';

const TOOLS = [
  'ip',
  'bridge',
  'iptables-restore',
  'iptables-legacy-restore',
  'arptables-nft-restore',
  'arptables-nft',
  'nft',
  'sysctl',
  'tee',
  'modprobe',
];

const SHIM = `#!/bin/bash
name=\${0##*/}
real=$(PATH="$SHIM_REAL_PATH" command -v "$name")
mutating=1
case "$name" in
  ip) mutating=0; for a in "$@"; do case "$a" in -batch) mutating=1 ;; -json|-j) mutating=0; break ;; esac; done ;;
  bridge) mutating=0; for a in "$@"; do [ "$a" = -batch ] && mutating=1; done ;;
  nft) for a in "$@"; do case "$a" in --check|-c|list) mutating=0 ;; esac; done ;;
  sysctl) mutating=0; for a in "$@"; do [ "$a" = -w ] && mutating=1; done ;;
esac
if [ "$mutating" = 1 ]; then
  n=$(( $(cat "$SHIM_COUNTER") + 1 )); echo "$n" > "$SHIM_COUNTER"
  if [ "$n" = "$SHIM_FAULT_AT" ]; then
    echo "$name $*" > "$SHIM_COUNTER.hit"
    case "$SHIM_MODE" in
      fail-before) echo "injected fault: $name refused" >&2; exit 1 ;;
      kill-after) "$real" "$@"; kill -9 $$ ;;
      crash) "$real" "$@"; kill -9 $PPID; exit 1 ;;
    esac
  fi
fi
exec "$real" "$@"
`;

export interface Shim {
  /** Environment for a clusternet run with the fault at mutating call `at`. */
  env(at: number, mode: FaultMode): Record<string, string>;
  /** The command the fault hit in the last run, or undefined when the run had fewer calls. */
  hit(): string | undefined;
  /** How many mutating calls the last run made. */
  calls(): number;
}

export function makeShim(): Shim {
  const dir = mkdtempSync(join(tmpdir(), 'cnsim-shim-'));
  chmodSync(dir, 0o755);
  for (const tool of TOOLS) {
    writeFileSync(join(dir, tool), SHIM);
    chmodSync(join(dir, tool), 0o755);
  }
  const counter = join(dir, 'counter');
  return {
    env(at, mode) {
      writeFileSync(counter, '0');
      writeFileSync(`${counter}.hit`, '');
      return {
        PATH: `${dir}:${process.env.PATH}`,
        SHIM_REAL_PATH: process.env.PATH ?? '',
        SHIM_COUNTER: counter,
        SHIM_FAULT_AT: String(at),
        SHIM_MODE: mode,
      };
    },
    hit: () => readFileSync(`${counter}.hit`, 'utf8').trim() || undefined,
    calls: () => Number(readFileSync(counter, 'utf8')),
  };
}
