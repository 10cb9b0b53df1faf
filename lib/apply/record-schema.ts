// A node's record and journal are input, like net.conf: what they say becomes `ip -batch`
// lines, iptables-restore and nft scripts and sysctl writes run as root, so every op,
// every field and every value is checked — through net.conf's own value parsers — before
// any of it is used. A record that fails is named with what to do; never a stack trace.
import { InputError } from '../errors.js';
import { HASH_MODES } from '../config/types.js';
import { KERNEL_NEEDS, LINK_PARAM_KINDS, legacyLinkParams, ownerOf } from '../link/index.js';
import type { LinkParams } from '../link/driver.js';
import { parseIfName, parseIp, parseMac, ipFamily } from '../value/parse.js';
import { PHASES, type Op, type Phase } from '../plan/ops.js';
import type { Journal, NodeRecord } from './record.js';
import type { CipSpec } from '../clusterip/types.js';
import type { Ns } from '../system/ns.js';

/** The sysctls a plan sets (lib/plan/phases.ts), and the values they take. */
const SYSCTLS = new Set([
  'net.netfilter.nf_conntrack_tcp_loose',
  'net.ipv4.ip_forward',
  'net.ipv6.conf.all.forwarding',
]);
const BACKENDS = ['cluster-match', 'nft', 'clusterip'] as const;

class Bad extends Error {}

type Obj = Record<string, unknown>;

function obj(v: unknown, where: string, keys: { required: string[]; optional?: string[] }): Obj {
  if (typeof v !== 'object' || v === null || Array.isArray(v))
    throw new Bad(`${where}: not an object`);
  const o = v as Obj;
  const allowed = new Set([...keys.required, ...(keys.optional ?? [])]);
  for (const k of Object.keys(o))
    if (!allowed.has(k)) throw new Bad(`${where}: unknown field ${JSON.stringify(k.slice(0, 40))}`);
  for (const k of keys.required) if (!(k in o)) throw new Bad(`${where}: missing field ${k}`);
  return o;
}

function str(v: unknown, where: string): string {
  if (typeof v !== 'string') throw new Bad(`${where}: not a string`);
  return v;
}

function int(v: unknown, where: string, min: number, max: number): number {
  if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < min || v > max)
    throw new Bad(`${where}: not a whole number from ${min} to ${max}`);
  return v;
}

function bool(v: unknown, where: string): boolean {
  if (typeof v !== 'boolean') throw new Bad(`${where}: not true or false`);
  return v;
}

/** A boolean sysctl's value, as written to /proc/sys. */
function bit(v: unknown, where: string): string {
  if (v !== '0' && v !== '1') throw new Bad(`${where}: not "0" or "1"`);
  return v;
}

function oneOf<T extends string>(v: unknown, where: string, choices: readonly T[]): T {
  if (!choices.includes(v as T)) throw new Bad(`${where}: not one of ${choices.join(', ')}`);
  return v as T;
}

function arr(v: unknown, where: string, max = 100_000): unknown[] {
  if (!Array.isArray(v) || v.length > max)
    throw new Bad(`${where}: not a list (of at most ${max})`);
  return v;
}

/** A value through net.conf's parser, which must give it back unchanged (normalised form). */
function parsed(v: unknown, where: string, parse: (s: string) => string): string {
  const s = str(v, where);
  let out: string;
  try {
    out = parse(s);
  } catch (error) {
    throw new Bad(`${where}: ${(error as Error).message}`);
  }
  if (out !== s) throw new Bad(`${where}: not in the form clusternet writes`);
  return s;
}

const ifName = (v: unknown, where: string) => parsed(v, where, parseIfName);
const mac = (v: unknown, where: string) => parsed(v, where, parseMac);
const ip = (v: unknown, where: string) => parsed(v, where, (s) => parseIp(s));
/** An address with its prefix, as on a link: a node's (/18) or a cluster address (/32). */
const cidr = (v: unknown, where: string) =>
  parsed(v, where, (s) => {
    const m = /^([^/]+)\/(\d{1,3})$/.exec(s);
    const max = m && ipFamily(m[1]!) === 6 ? 128 : 32;
    if (!m || Number(m[2]) < 1 || Number(m[2]) > max)
      throw new Error(`"${s.slice(0, 60)}" is not an address with a prefix length`);
    return `${parseIp(m[1]!)}/${Number(m[2])}`;
  });

function ns(v: unknown, where: string): Ns {
  const o = obj(v, where, { required: ['kind'], optional: ['name', 'pid'] });
  const kind = oneOf(o.kind, `${where}.kind`, ['current', 'netns', 'pid'] as const);
  if (kind === 'current') return obj(v, where, { required: ['kind'] }) && { kind };
  if (kind === 'netns')
    return (
      obj(v, where, { required: ['kind', 'name'] }) && {
        kind,
        name: ifName(o.name, `${where}.name`),
      }
    );
  return (
    obj(v, where, { required: ['kind', 'pid'] }) && {
      kind,
      pid: int(o.pid, `${where}.pid`, 1, 2 ** 22),
    }
  );
}

function spec(v: unknown, where: string): CipSpec {
  const o = obj(v, where, {
    required: ['name', 'address', 'mac', 'dev', 'hash', 'seed', 'total', 'bucket', 'buckets'],
  });
  const name = str(o.name, `${where}.name`);
  if (!/^[A-Za-z0-9_-]{1,16}$/.test(name))
    throw new Bad(`${where}.name: not a section name (1 to 16 of A-Z a-z 0-9 _ -)`);
  const total = int(o.total, `${where}.total`, 1, 65535);
  return {
    name,
    address: ip(o.address, `${where}.address`),
    mac: mac(o.mac, `${where}.mac`),
    dev: ifName(o.dev, `${where}.dev`),
    hash: oneOf(o.hash, `${where}.hash`, HASH_MODES),
    seed: int(o.seed, `${where}.seed`, 0, 0xffffffff),
    total,
    bucket: int(o.bucket, `${where}.bucket`, 1, total),
    buckets: buckets(o.buckets, `${where}.buckets`, total),
  };
}

const buckets = (v: unknown, where: string, total: number): number[] =>
  arr(v, where, total).map((b, i) => int(b, `${where}[${i}]`, 1, total));
const specs = (v: unknown, where: string): CipSpec[] =>
  arr(v, where, 4096).map((s, i) => spec(s, `${where}[${i}]`));
/** An MTU as a plan holds it: 0 for "the kernel's default" (not yet known), else 68 up to lo's 65536. */
const mtu = (v: unknown, where: string) => (v === 0 ? 0 : int(v, where, 68, 65536));

/** A stored link's parameters: a known kind, and exactly the fields its driver declares. */
function linkParams(v: unknown, where: string): LinkParams {
  const kind = oneOf((v as Obj | null)?.kind, `${where}.kind`, LINK_PARAM_KINDS);
  const driver = ownerOf(kind);
  const fields = driver.makes?.[kind] ?? driver.recordFields;
  const o = obj(v, where, { required: ['kind', ...Object.keys(fields)] });
  const out: Obj = { kind };
  for (const [key, field] of Object.entries(fields)) {
    const at = `${where}.${key}`;
    out[key] =
      field.type === 'int'
        ? int(o[key], at, field.min, field.max)
        : field.type === 'ifname'
          ? ifName(o[key], at)
          : field.type === 'ips'
            ? arr(o[key], at, field.max).map((x, i) => ip(x, `${at}[${i}]`))
            : ip(o[key], at);
  }
  return out as LinkParams;
}

/**
 * Ops as an older clusternet wrote them, in today's form, so a node upgraded between boot
 * and stop can still undo what it made: `link-create {type, vlan}` (before link kinds were
 * drivers) → `link {kind, …}`; `require-link-type {type}` → with its kind's module and hint.
 * Anything else is returned as it is and checked as usual.
 */
export function upgradeOp(v: unknown): unknown {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) return v;
  const o = v as Obj;
  if (o.op === 'link-create' && 'type' in o && !('link' in o)) {
    const { type, vlan, ...rest } = o;
    return { ...rest, link: legacyLinkParams(type, vlan) };
  }
  if (
    o.op === 'require-link-type' &&
    !('module' in o) &&
    typeof o.type === 'string' &&
    KERNEL_NEEDS.has(o.type)
  ) {
    return { ...o, ...KERNEL_NEEDS.get(o.type) };
  }
  return v;
}

const FIELDS: Record<Op['op'], { required: string[]; optional?: string[] }> = {
  'require-link-type': { required: ['ns', 'type', 'module', 'hint'] },
  'link-up': { required: ['ns', 'dev', 'shared'] },
  'link-down': { required: ['ns', 'dev'] },
  'link-create': {
    required: ['ns', 'target', 'lower', 'tmpName', 'name', 'link', 'mac', 'mtu'],
    optional: ['owned'],
  },
  'link-rename': { required: ['ns', 'from', 'to'] },
  'addr-add': { required: ['ns', 'dev', 'address'] },
  'addr-delete': { required: ['ns', 'dev', 'address'] },
  // `dst` optional: records written before routes had one hold default routes only.
  'route-add': { required: ['ns', 'dev', 'via'], optional: ['dst', 'onlink'] },
  'route-delete': { required: ['ns', 'dev', 'via'], optional: ['dst', 'onlink'] },
  'neigh-add': { required: ['ns', 'dev', 'address', 'lladdr'] },
  'neigh-delete': { required: ['ns', 'dev', 'address', 'lladdr'] },
  'fdb-add': { required: ['ns', 'dev', 'mac', 'dst'] },
  'fdb-delete': { required: ['ns', 'dev', 'mac', 'dst'] },
  'link-master': { required: ['ns', 'dev', 'master'] },
  'link-nomaster': { required: ['ns', 'dev'] },
  'link-set': { required: ['ns', 'dev', 'mac', 'mtu', 'was'] },
  'link-delete': { required: ['ns', 'dev'], optional: ['owned'] },
  'maddr-add': { required: ['ns', 'dev', 'mac'] },
  'maddr-delete': { required: ['ns', 'dev', 'mac'] },
  sysctl: { required: ['ns', 'key', 'value', 'undo'] },
  'cip-rules': { required: ['ns', 'backend', 'specs'], optional: ['addParentJump', 'fresh'] },
  'cip-buckets': { required: ['ns', 'backend', 'specs', 'was'], optional: ['wasLive'] },
  'cip-rules-delete': { required: ['ns', 'backend', 'specs'] },
};

/** One op of a record, checked field by field; the op rebuilt from checked values only. */
export function checkOp(stored: unknown, where: string): Op {
  const v = upgradeOp(stored);
  const kind = str((v as Obj | null)?.op, `${where}.op`);
  const fields = FIELDS[kind as Op['op']];
  if (!Object.hasOwn(FIELDS, kind) || !fields)
    throw new Bad(
      `${where}.op: ${JSON.stringify(kind.slice(0, 40))} is not an operation clusternet records`,
    );
  const o = obj(v, where, {
    required: ['op', ...fields.required],
    optional: fields.optional ?? [],
  });
  const at = (k: string) => `${where}.${k}`;
  const n = ns(o.ns, at('ns'));
  const opt = (k: string) => (o[k] === undefined ? {} : { [k]: bool(o[k], at(k)) });
  switch (kind as Op['op']) {
    case 'require-link-type': {
      const type = oneOf(o.type, at('type'), [...KERNEL_NEEDS.keys()]);
      // The module reaches modprobe's argv: only the one the kind names.
      const module = oneOf(o.module, at('module'), [KERNEL_NEEDS.get(type)!.module]);
      const hint = str(o.hint, at('hint'));
      if (hint.length > 300) throw new Bad(`${at('hint')}: longer than 300 characters`);
      return { op: 'require-link-type', ns: n, type, module, hint };
    }
    case 'link-up':
      return {
        op: 'link-up',
        ns: n,
        dev: ifName(o.dev, at('dev')),
        shared: bool(o.shared, at('shared')),
      };
    case 'link-down':
      return { op: 'link-down', ns: n, dev: ifName(o.dev, at('dev')) };
    case 'link-delete':
      return { op: 'link-delete', ns: n, dev: ifName(o.dev, at('dev')), ...opt('owned') };
    case 'link-create':
      return {
        op: 'link-create',
        ns: n,
        target: ns(o.target, at('target')),
        lower: o.lower === null ? null : ifName(o.lower, at('lower')),
        tmpName: ifName(o.tmpName, at('tmpName')),
        name: ifName(o.name, at('name')),
        link: linkParams(o.link, at('link')),
        mac: o.mac === null ? null : mac(o.mac, at('mac')),
        mtu: mtu(o.mtu, at('mtu')),
        ...opt('owned'),
      };
    case 'link-rename':
      return {
        op: 'link-rename',
        ns: n,
        from: ifName(o.from, at('from')),
        to: ifName(o.to, at('to')),
      };
    case 'addr-add':
    case 'addr-delete':
      return {
        op: kind as 'addr-add',
        ns: n,
        dev: ifName(o.dev, at('dev')),
        address: cidr(o.address, at('address')),
      };
    case 'route-add':
    case 'route-delete': {
      const via = ip(o.via, at('via'));
      const dst =
        o.dst === undefined ? 'default' : o.dst === 'default' ? 'default' : cidr(o.dst, at('dst'));
      if (dst !== 'default' && ipFamily(dst.split('/')[0]!) !== ipFamily(via))
        throw new Bad(`${at('dst')}: not of the family of its next hop ${via}`);
      return {
        op: kind as 'route-add',
        ns: n,
        dst,
        via,
        dev: ifName(o.dev, at('dev')),
        ...opt('onlink'),
      };
    }
    case 'neigh-add':
    case 'neigh-delete':
      return {
        op: kind as 'neigh-add',
        ns: n,
        dev: ifName(o.dev, at('dev')),
        address: ip(o.address, at('address')),
        lladdr: mac(o.lladdr, at('lladdr')),
      };
    case 'fdb-add':
    case 'fdb-delete':
      return {
        op: kind as 'fdb-add',
        ns: n,
        dev: ifName(o.dev, at('dev')),
        mac: mac(o.mac, at('mac')),
        dst: ip(o.dst, at('dst')),
      };
    case 'link-master':
      return {
        op: 'link-master',
        ns: n,
        dev: ifName(o.dev, at('dev')),
        master: ifName(o.master, at('master')),
      };
    case 'link-nomaster':
      return { op: 'link-nomaster', ns: n, dev: ifName(o.dev, at('dev')) };
    case 'link-set': {
      const was = obj(o.was, at('was'), { required: ['mac', 'mtu'] });
      return {
        op: 'link-set',
        ns: n,
        dev: ifName(o.dev, at('dev')),
        mac: mac(o.mac, at('mac')),
        mtu: mtu(o.mtu, at('mtu')),
        was: { mac: mac(was.mac, at('was.mac')), mtu: mtu(was.mtu, at('was.mtu')) },
      };
    }
    case 'maddr-add':
    case 'maddr-delete':
      return {
        op: kind as 'maddr-add',
        ns: n,
        dev: ifName(o.dev, at('dev')),
        mac: mac(o.mac, at('mac')),
      };
    case 'sysctl': {
      const key = str(o.key, at('key'));
      if (!SYSCTLS.has(key))
        throw new Bad(`${at('key')}: not a sysctl clusternet sets (${[...SYSCTLS].join(', ')})`);
      return {
        op: 'sysctl',
        ns: n,
        key,
        value: bit(o.value, at('value')),
        undo: o.undo === null ? null : bit(o.undo, at('undo')),
      };
    }
    case 'cip-rules':
      return {
        op: 'cip-rules',
        ns: n,
        backend: oneOf(o.backend, at('backend'), BACKENDS),
        specs: specs(o.specs, at('specs')),
        ...opt('addParentJump'),
        ...opt('fresh'),
      };
    case 'cip-rules-delete':
      return {
        op: 'cip-rules-delete',
        ns: n,
        backend: oneOf(o.backend, at('backend'), BACKENDS),
        specs: specs(o.specs, at('specs')),
      };
    case 'cip-buckets': {
      const s = specs(o.specs, at('specs'));
      // What the kernel had: any bucket a chain or set can hold, not only this cluster's.
      const was = arr(o.was, at('was'), s.length).map((b, i) =>
        buckets(b, `${at('was')}[${i}]`, 65535),
      );
      return {
        op: 'cip-buckets',
        ns: n,
        backend: oneOf(o.backend, at('backend'), BACKENDS),
        specs: s,
        was,
        ...opt('wasLive'),
      };
    }
  }
}

/**
 * With buckets = manager: per cluster address name, the buckets the cluster manager gave
 * this node. The numbers reach an iptables-restore or nft script, the names pick a section.
 */
function assigned(v: unknown, where: string): Record<string, number[]> {
  if (typeof v !== 'object' || v === null || Array.isArray(v))
    throw new Bad(`${where}: not an object`);
  const o = v as Obj;
  const out: Record<string, number[]> = {};
  for (const [name, list] of Object.entries(o)) {
    if (!/^[A-Za-z0-9_-]{1,16}$/.test(name))
      throw new Bad(`${where}: ${JSON.stringify(name.slice(0, 40))} is not a cluster address name`);
    out[name] = arr(list, `${where}.${name}`, 4096).map((b, i) =>
      int(b, `${where}.${name}[${i}]`, 1, 4096),
    );
  }
  return out;
}

const ops = (v: unknown, where: string): Op[] =>
  arr(v, where).map((op, i) => checkOp(op, `${where}[${i}]`));

function journal(v: unknown, where: string): Journal {
  const o = obj(v, where, { required: ['pid', 'phase', 'started', 'intents'] });
  const started = str(o.started, `${where}.started`);
  if (!/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z$/.test(started))
    throw new Bad(`${where}.started: not a time clusternet writes`);
  return {
    pid: int(o.pid, `${where}.pid`, 1, 2 ** 22),
    phase: oneOf(o.phase, `${where}.phase`, PHASES),
    started,
    intents: ops(o.intents, `${where}.intents`),
  };
}

/**
 * A stored record, as save() writes it: checked whole, or an InputError naming the file,
 * where in it, and the way out.
 */
export function parseRecord(text: string, file: string, node: number): NodeRecord {
  try {
    let v: unknown;
    try {
      v = JSON.parse(text);
    } catch {
      throw new Bad('not JSON');
    }
    const o = obj(v, 'record', {
      required: ['phases'],
      optional: ['journal', 'takenOver', 'assigned'],
    });
    const p = obj(o.phases, 'phases', {
      required: [],
      optional: PHASES.filter((x) => x !== 'stop'),
    });
    const phases: NodeRecord['phases'] = {};
    for (const [phase, list] of Object.entries(p))
      phases[phase as Phase] = ops(list, `phases.${phase}`);
    return {
      phases,
      journal: o.journal === undefined ? undefined : journal(o.journal, 'journal'),
      takenOver:
        o.takenOver === undefined
          ? []
          : arr(o.takenOver, 'takenOver', 65535).map((n, i) => int(n, `takenOver[${i}]`, 1, 65535)),
      ...(o.assigned === undefined ? {} : { assigned: assigned(o.assigned, 'assigned') }),
    };
  } catch (error) {
    if (!(error instanceof Bad)) throw error;
    throw new InputError({
      file,
      message: `node ${node}'s record is not one clusternet wrote (${error.message.slice(0, 200)}); nothing was changed. Check by hand what this node has (clusternet check), then remove the file (rm ${file}) to start afresh: clusternet then no longer remembers what it made here`,
    });
  }
}
