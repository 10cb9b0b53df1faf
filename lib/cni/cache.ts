// What the Node plugin leaves for clusternet-cni's start path (bin/clusternet-cni.sh): the
// delegate config it worked out for a network, with the material that answer came from
// (every input, in a line-based form). The start path builds the material in sh and answers
// a call itself only when it equals the cache's; so both sides must write it byte for
// byte alike (the order of cn_add calls in clusternet-cni.sh).
import { lstatSync, readFileSync, type BigIntStats } from 'node:fs';
import { dirname } from 'node:path';
import { writeRunFile } from '../system/rundir.js';
import { SYSFS_NODE_ID, KERNEL_CMDLINE } from '../derive/node-id.js';
import type { MtuSource } from './conf.js';

export const CACHE_FORMAT = 'clusternet-cni cache 1';

/** The run dir file of network `name` (a CNI name: letters, digits, _ . -, never a path). */
export const cacheFile = (name: string): string => `cni-${name}`;

export interface CacheInputs {
  /** The CNI network's name. */
  name: string;
  /** net.conf's path, as the plugin found it (the config's "config", CLUSTERNET_CONFIG, /etc/net.conf). */
  file: string;
  /** The config's "node", when given. */
  node: number | undefined;
  env: NodeJS.ProcessEnv;
}

export interface CachedAnswer {
  versions: readonly string[];
  /** The delegate plugin (its config's type). */
  type: string;
  /** Where containers' MTU comes from; a bridge's is read at every call. */
  mtu: MtuSource;
  /** The delegate's config, without cniVersion, name, the runtime's fields and a bridge's MTU. */
  delegate: Record<string, unknown>;
}

const readOr = (path: string): Buffer => {
  try {
    return readFileSync(path);
  } catch {
    return Buffer.alloc(0);
  }
};

const firstLine = (b: Buffer): Buffer => {
  const end = b.indexOf(0x0a);
  return end < 0 ? b : b.subarray(0, end);
};

/** Trailing line breaks off, as sh's $(cat …) takes them. */
const trimBreaks = (b: Buffer): Buffer => {
  let end = b.length;
  while (end > 0 && b[end - 1] === 0x0a) end--;
  return b.subarray(0, end);
};

const NS = 1_000_000_000n;
/** GNU stat's %.9Y / %.9Z. */
const time = (ns: bigint): string => `${ns / NS}.${(ns % NS).toString().padStart(9, '0')}`;
const mode = (st: BigIntStats): string => st.mode.toString(16);
const S_IFMT = 0o170000n;
const isType = (st: BigIntStats, type: bigint) => (st.mode & S_IFMT) === type;

/** A path the start path takes: absolute, no empty, "." or ".." part, no line break. */
const plainPath = (p: string): boolean => p.startsWith('/') && !/\/\/|\/\.\.?(\/|$)|\/$|\n/.test(p);

/**
 * The material, as clusternet-cni.sh builds it; undefined when the start path would
 * never take these inputs (net.conf behind a symlink or an unusual path).
 */
export function cacheMaterial(inputs: CacheInputs): Buffer | undefined {
  if (!plainPath(inputs.file)) return undefined;
  const fields: Buffer[] = [
    Buffer.from(inputs.name),
    Buffer.from(inputs.file),
    Buffer.from(inputs.node === undefined ? '' : String(inputs.node)),
    Buffer.from(inputs.env.CLUSTERNET_NODE_ID ?? ''),
    trimBreaks(readOr(SYSFS_NODE_ID)),
    firstLine(readOr(KERNEL_CMDLINE)),
    firstLine(readOr('/proc/sys/kernel/hostname')),
  ];
  try {
    const st = lstatSync(inputs.file, { bigint: true });
    if (!isType(st, 0o100000n)) return undefined;
    fields.push(
      Buffer.from(
        `${st.uid} ${mode(st)} ${st.dev} ${st.ino} ${st.gid} ${st.size} ${time(st.mtimeNs)} ${time(st.ctimeNs)}`,
      ),
    );
    for (let dir = dirname(inputs.file); ; dir = dirname(dir)) {
      const folder = lstatSync(dir, { bigint: true });
      if (!isType(folder, 0o040000n)) return undefined;
      fields.push(Buffer.from(`${folder.uid} ${mode(folder)}`));
      if (dir === '/') break;
    }
  } catch {
    return undefined;
  }
  const parts: Buffer[] = [Buffer.from(CACHE_FORMAT)];
  for (const f of fields) parts.push(Buffer.from(`\n${f.length}:`), f);
  return Buffer.concat(parts);
}

/**
 * The cache file: versions, type, the bridge whose MTU to read and the MTU to give without
 * it ("-": none), the delegate's config, then the material.
 */
export function cacheText(material: Buffer, answer: CachedAnswer): Buffer {
  const mtu =
    'bridge' in answer.mtu ? `${answer.mtu.bridge} ${answer.mtu.otherwise ?? '-'}` : '- -';
  const head = [
    answer.versions.join(' '),
    answer.type,
    mtu,
    JSON.stringify(answer.delegate),
    '',
  ].join('\n');
  return Buffer.concat([Buffer.from(head), material, Buffer.from('\n')]);
}

/**
 * Leaves `answer` for the start path when nothing it came from changed while it was worked
 * out (`before`, taken ahead of reading net.conf, equals the material now). A run dir we
 * cannot use costs the next call the Node start, nothing else: the call itself goes on.
 */
export function keepAnswer(
  inputs: CacheInputs,
  before: Buffer | undefined,
  answer: CachedAnswer,
): void {
  if (before === undefined) return;
  const now = cacheMaterial(inputs);
  if (now === undefined || !now.equals(before)) return;
  try {
    writeRunFile(inputs.env, cacheFile(inputs.name), cacheText(now, answer));
  } catch {
    /* no cache: the start path goes on to Node */
  }
}
