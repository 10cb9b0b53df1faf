// net.conf text → a validated Config, or an InputError listing every problem found
// (all of them, so an administrator fixes the file in one pass).
import { InputError, type InputProblem } from '../errors.js';
import { readConfigText } from './file.js';
import { isLegacy, LEGACY_KEYS, mapLegacy, type MappedEntry } from './legacy.js';
import { parseLines } from './lines.js';
import { MAX_NODES } from './backends.js';
import { CNI_KEYS, cniProblems, readCni } from './cni.js';
import {
  BACKENDS,
  BUCKET_OWNERS,
  HASH_MODES,
  TEMPLATE_MODES,
  type ClusterIpSettings,
  type Config,
  type NetSettings,
  type NodeSettings,
} from './types.js';
import {
  ValueProblem,
  isMulticastMac,
  nearest,
  parseBool,
  parseChoice,
  parseCidr,
  parseClusterAddress,
  hostPrefix,
  parseIfName,
  parseInteger,
  parseIp,
  parseMac,
  parseNodeList,
  normalHostname,
} from '../value/parse.js';
import { inSubnet } from '../value/arith.js';
import type { KeySpec } from '../value/spec.js';
import { DEFAULT_LINK, LINK_KINDS, LINK_NET_KEYS, LINK_NODE_KEYS, ownerOf } from '../link/index.js';

type Parse = (raw: string) => unknown;

const mtu: Parse = (raw) => {
  if (raw.toLowerCase() === 'auto') return 'auto';
  if (!/^\s*(0x[0-9a-f]+|\d+)\s*$/i.test(raw))
    throw new ValueProblem(
      `"${raw}" is not an MTU; allowed: auto, or a whole number from 68 to 65535`,
    );
  return parseInteger(raw, 68, 65535, 'an MTU');
};
/**
 * The cluster interface is named in the cluster-IP rules, where iptables reads a final '+'
 * as "every interface starting so" and nft as the name itself: refused, so both agree.
 */
const ruleIfName: Parse = (raw) => {
  const name = parseIfName(raw);
  if (name.endsWith('+'))
    throw new ValueProblem(
      `"${raw}" ends with '+', which iptables reads as a wildcard (nft as a name); allowed: an interface name not ending with '+'`,
    );
  return name;
};

/** Host names compare as DNS does: case-blind, a final dot (the root) dropped. */
const hostname: Parse = (raw) => {
  if (!/^[A-Za-z0-9][A-Za-z0-9.-]{0,252}$/.test(raw) || raw.includes('..'))
    throw new ValueProblem(`"${raw}" is not a host name; allowed: letters, digits, '.' and '-'`);
  return normalHostname(raw);
};

/** Takes the link kinds' keys out of a section as read: they go to their driver, not to the settings. */
function takeLinkKeys(
  read: Record<string, unknown>,
  owned: ReadonlyMap<string, unknown>,
): Map<string, unknown> {
  const keys = new Map<string, unknown>();
  for (const key of owned.keys()) {
    if (read[key] !== undefined) keys.set(key, read[key]);
    delete read[key];
  }
  return keys;
}

/** Every section kind, every key it accepts, and how each key is read. */
const SCHEMA: Record<string, Record<string, KeySpec>> = {
  cluster: { nodes: { parse: (raw) => parseNodeList(raw, 65535, MAX_NODES), required: true } },
  net: {
    enable: { parse: parseBool, default: true },
    link: { parse: (raw) => parseChoice(raw, LINK_KINDS), default: DEFAULT_LINK },
    device: { parse: parseIfName, required: true },
    interface: { parse: ruleIfName, default: 'krg0' },
    // The link kinds' own keys (vlan, …), each kind's driver's (lib/link/).
    ...Object.fromEntries([...LINK_NET_KEYS].map(([key, { spec }]) => [key, spec])),
    mac: { parse: parseMac, required: true },
    address: { parse: (raw) => parseCidr(raw, 4), required: true },
    address6: { parse: (raw) => parseCidr(raw, 6) },
    mtu: { parse: mtu, default: 'auto' },
    gateway: { parse: (raw) => parseIp(raw, 4) },
    gateway6: { parse: (raw) => parseIp(raw, 6) },
    template: { parse: (raw) => parseChoice(raw, TEMPLATE_MODES), default: 'add' },
  },
  clusterip: {
    enable: { parse: parseBool, default: true },
    address: { parse: parseClusterAddress, required: true },
    mac: { parse: parseMac, required: true },
    hash: { parse: (raw) => parseChoice(raw, HASH_MODES), default: 'sourceip' },
    backend: { parse: (raw) => parseChoice(raw, BACKENDS), default: 'auto' },
    seed: { parse: (raw) => parseInteger(raw, 0, 0xffffffff, 'a hash seed'), default: 0 },
    buckets: { parse: (raw) => parseChoice(raw, BUCKET_OWNERS), default: 'rank' },
  },
  cni: CNI_KEYS,
  node: {
    hostname: { parse: hostname },
    device: { parse: parseIfName },
    mtu: { parse: mtu },
    // This node's cluster-IP backend, for a rolling move between cluster-match and nft.
    backend: { parse: (raw) => parseChoice(raw, BACKENDS) },
    // The link kinds' own per-node keys (underlay, …).
    ...Object.fromEntries([...LINK_NODE_KEYS].map(([key, { spec }]) => [key, spec])),
  },
};

const SECTION_FORMS = ['cluster', 'net', 'clusterip', 'clusterip NAME', 'cni', 'node N'];
// NAME: 1 to 16 of A-Z a-z 0-9 _ -; N: a node id.

/** "clusterip web" → kind clusterip, name web; "node 4" → kind node, name 4. */
function sectionKind(section: string): { kind: string; name: string } | undefined {
  if (section === 'cluster' || section === 'net' || section === 'clusterip' || section === 'cni')
    return { kind: section, name: '' };
  const m = /^(clusterip|node) (\S+)$/.exec(section);
  if (!m) return undefined;
  const [kind, name] = [m[1]!, m[2]!];
  if (kind === 'node' && !/^\d+$/.test(name)) return undefined;
  // 16 characters: the iptables chain CLUSTERNET-<name> must fit in 28.
  if (kind === 'clusterip' && !/^[A-Za-z0-9_-]{1,16}$/.test(name)) return undefined;
  return { kind, name };
}

const unknownSection = (section: string): string => {
  const hint = nearest(section, SECTION_FORMS);
  return `unknown section${hint ? `; did you mean [${hint}]?` : ''}; allowed: ${SECTION_FORMS.map((s) => `[${s}]`).join(', ')}`;
};

const unknownKey = (section: string, kind: string, key: string): string => {
  const spec = SCHEMA[kind]!;
  const hint = nearest(key, Object.keys(spec));
  return `unknown key${hint ? `; did you mean ${hint}?` : ''}; allowed in [${section}]: ${Object.keys(spec).join(', ')}`;
};

/** Why `key` cannot be in `[section]` (get/set/unset ask before reading or writing), or undefined when it can. */
export function keyProblem(section: string, key: string): string | undefined {
  const kind = sectionKind(section);
  if (!kind) return unknownSection(section);
  return SCHEMA[kind.kind]![key] ? undefined : unknownKey(section, kind.kind, key);
}

/** Every key of every section kind, for completion: net.address, node.N.device… */
export function keyNames(): { kind: string; key: string }[] {
  return Object.entries(SCHEMA).flatMap(([kind, keys]) =>
    Object.keys(keys).map((key) => ({ kind, key })),
  );
}

/** Dotted path used in messages and in Config.keys: net.address, clusterip.web.seed, node.4.device. */
const keyPath = (section: string, key: string) => `${section.replace(' ', '.')}.${key}`;

export function loadConfigFile(path: string): Config {
  return parseConfig(readConfigText(path), path);
}

export function parseConfig(text: string, file: string): Config {
  const lines = parseLines(text, file);
  const problems: InputProblem[] = [...lines.problems];
  let entries: MappedEntry[];
  let format: Config['format'] = 'native';
  if (lines.flat && isLegacy(lines.entries)) {
    format = 'legacy';
    const { mapped, unknown } = mapLegacy(lines.entries);
    entries = mapped;
    for (const e of unknown) {
      const hint = nearest(e.key, Object.keys(LEGACY_KEYS));
      problems.push({
        file,
        line: e.line,
        key: e.key,
        message: `unknown Kerrighed variable${hint ? `; did you mean ${hint}?` : ''}; allowed: ${Object.keys(LEGACY_KEYS).join(', ')}`,
      });
    }
  } else {
    entries = lines.entries.map((e) => ({
      ...e,
      shown: e.section ? keyPath(e.section, e.key) : e.key,
    }));
  }

  // Group values by section, checking every section name and key against the schema.
  const sections = new Map<string, Map<string, unknown>>();
  const keys: Config['keys'] = new Map();
  const headerLine = new Map(lines.sections.map((s) => [s.name, s.line]));
  for (const section of lines.sections) {
    if (sectionKind(section.name) === undefined) {
      problems.push({
        file,
        line: section.line,
        key: `[${section.name}]`,
        message: unknownSection(section.name),
      });
    } else sections.set(section.name, new Map());
  }
  for (const e of entries) {
    if (e.section === '' && format === 'native') {
      problems.push({
        file,
        line: e.line,
        key: e.key,
        message:
          'key outside any section; put it under [cluster], [net], [clusterip], [cni] or [node N]',
      });
      continue;
    }
    const kind = sectionKind(e.section);
    if (!kind) continue; // reported above
    const keySpec = SCHEMA[kind.kind]![e.key];
    if (!keySpec) {
      problems.push({
        file,
        line: e.line,
        key: e.shown,
        message: unknownKey(e.section, kind.kind, e.key),
      });
      continue;
    }
    if (!sections.has(e.section)) sections.set(e.section, new Map());
    keys.set(keyPath(e.section, e.key), { line: e.line, shown: e.shown });
    try {
      sections.get(e.section)!.set(e.key, keySpec.parse(e.value));
    } catch (error) {
      if (!(error instanceof ValueProblem)) throw error;
      problems.push({ file, line: e.line, key: e.shown, message: error.message });
    }
  }

  const at = (path: string) => keys.get(path);
  const problem = (path: string, message: string, fallbackLine?: number) => {
    const k = at(path);
    problems.push({ file, line: k?.line ?? fallbackLine, key: k?.shown ?? path, message });
  };

  /**
   * The section's values with defaults; missing required keys reported once. A section
   * that says `enable = false` requires nothing more: what it lacks stays unset.
   */
  const read = (section: string, kind: string): Record<string, unknown> => {
    const values = sections.get(section) ?? new Map<string, unknown>();
    const off = values.get('enable') === false;
    const out: Record<string, unknown> = {};
    for (const [key, spec] of Object.entries(SCHEMA[kind]!)) {
      const written = keys.has(keyPath(section, key));
      if (values.has(key)) out[key] = values.get(key);
      else if (!written && spec.required && !off)
        problem(
          keyPath(section, key),
          `missing; this key is required in [${section}]`,
          headerLine.get(section),
        );
      else out[key] = spec.default;
    }
    return out;
  };

  if (!sections.has('cluster'))
    problems.push({
      file,
      key: '[cluster]',
      message: "missing section; it lists the cluster's node ids, e.g. nodes = 1-4",
    });
  if (!sections.has('net'))
    problems.push({
      file,
      key: '[net]',
      message: 'missing section; it describes the cluster interface',
    });
  const cluster = read('cluster', 'cluster');
  const netRead = read('net', 'net');
  const linkKeys = takeLinkKeys(netRead, LINK_NET_KEYS);
  const net = { ...netRead, linkKeys } as unknown as NetSettings;
  net.device ??= '';
  net.mac ??= '';
  const nodes = (cluster.nodes as number[] | undefined) ?? [];

  // Rules that involve more than one key.
  // Another kind's key is a mistake, not a setting to ignore.
  const notThisKind = (
    path: (key: string) => string,
    owned: typeof LINK_NET_KEYS,
    values: ReadonlyMap<string, unknown>,
  ) => {
    for (const [key, { spec, owners }] of owned) {
      if (!owners.includes(net.link) && values.has(key))
        problem(
          path(key),
          `${spec.what ?? key} applies only to link = ${owners.join(' or ')}; remove it or set link = ${owners[0]}`,
        );
    }
  };
  notThisKind((key) => `net.${key}`, LINK_NET_KEYS, linkKeys);
  if (net.mac && isMulticastMac(net.mac))
    problem(
      'net.mac',
      `${net.mac} has the multicast bit set; node MACs must be unicast (first byte even)`,
    );
  if (
    net.gateway &&
    net.address &&
    !inSubnet(net.gateway, net.address.address, net.address.prefix)
  ) {
    problem(
      'net.gateway',
      `${net.gateway} is outside the node network ${net.address.address}/${net.address.prefix}; allowed: an address inside it`,
    );
  }
  if (net.gateway6 && !net.address6)
    problem(
      'net.gateway6',
      'an IPv6 default route needs IPv6 node addresses; set address6 too, or remove gateway6',
    );
  if (
    net.gateway6 &&
    net.address6 &&
    !inSubnet(net.gateway6, net.address6.address, net.address6.prefix)
  ) {
    problem(
      'net.gateway6',
      `${net.gateway6} is outside the node network ${net.address6.address}/${net.address6.prefix}; allowed: an address inside it`,
    );
  }
  // Replacing the last byte leaves room for ids 1..255 only, in IPv4 (byte = octet).
  if (net.template === 'replace' && net.address6)
    problem(
      'net.address6',
      'template = replace applies to IPv4 and MACs only; allowed: template = add with address6',
    );

  const clusterIps: ClusterIpSettings[] = [];
  const seenAddress = new Map<string, string>();
  for (const [section] of sections) {
    const kind = sectionKind(section)!;
    if (kind.kind !== 'clusterip') continue;
    const { address, ...rest } = read(section, 'clusterip');
    const written = address as { address: string; prefix: number } | undefined;
    const cip = {
      name: kind.name,
      ...rest,
      address: written?.address ?? '',
      prefix: written?.prefix ?? 32,
      mac: rest.mac ?? '',
    } as ClusterIpSettings;
    const path = (key: string) => keyPath(section, key);
    if (cip.mac && !isMulticastMac(cip.mac)) {
      problem(
        path('mac'),
        `${cip.mac} is not a multicast MAC; a cluster MAC must have the multicast bit set (e.g. 01:00:5e:00:00:20)`,
      );
    }
    // Kerrighed's net.conf: "The IP network must differ from $VIRTPREFIX." With a prefix,
    // the cluster address brings an on-link route; one that overlaps the node network
    // would make the kernel pick either for the same destinations.
    if (
      cip.address &&
      net.address &&
      cip.prefix < hostPrefix(cip.address) &&
      overlaps(cip.address, cip.prefix, net.address.address, net.address.prefix)
    ) {
      problem(
        path('address'),
        `${cip.address}/${cip.prefix} overlaps the node network ${net.address.address}/${net.address.prefix}; allowed: another network, or the bare address (/32)`,
      );
    }
    if (cip.address) {
      const other = seenAddress.get(cip.address);
      if (other !== undefined)
        problem(
          path('address'),
          `${cip.address} is also the address of [${other}]; each cluster address appears once`,
        );
      seenAddress.set(cip.address, section);
    }
    clusterIps.push(cip);
  }
  // Kerrighed's hooks name the interface $VIRT and have no default for it.
  if (
    format === 'legacy' &&
    !keys.has('net.interface') &&
    (net.enable || clusterIps.some((c) => c.enable))
  ) {
    problems.push({
      file,
      key: 'VIRT',
      message:
        "missing; Kerrighed's hooks put the node and cluster addresses on $VIRT; allowed: an interface name like krg0",
    });
  }
  // The plain [clusterip] is installed under the name "main".
  if (sections.has('clusterip') && sections.has('clusterip main')) {
    problems.push({
      file,
      line: headerLine.get('clusterip main'),
      key: '[clusterip main]',
      message: "the name main is the plain [clusterip]'s; rename this section",
    });
  }

  const nodeSettings = new Map<number, NodeSettings>();
  const hostnames = new Map<string, number>();
  for (const [section] of sections) {
    const kind = sectionKind(section)!;
    if (kind.kind !== 'node') continue;
    const id = Number(kind.name);
    const nodeRead = read(section, 'node');
    const linkKeys = takeLinkKeys(nodeRead, LINK_NODE_KEYS);
    const settings = { id, ...nodeRead, linkKeys } as unknown as NodeSettings;
    notThisKind((key) => keyPath(section, key), LINK_NODE_KEYS, settings.linkKeys);
    if (nodes.length > 0 && !nodes.includes(id)) {
      problems.push({
        file,
        line: headerLine.get(section),
        key: `[${section}]`,
        message: `node ${id} is not in cluster.nodes; add it there or remove this section`,
      });
    }
    if (settings.hostname) {
      const other = hostnames.get(settings.hostname);
      if (other !== undefined)
        problem(
          keyPath(section, 'hostname'),
          `host name ${settings.hostname} is already node ${other}'s`,
        );
      hostnames.set(settings.hostname, id);
    }
    nodeSettings.set(id, settings);
  }
  // The link kind's rules between its keys, and across the nodes' [node N] keys.
  if (net.enable && sections.has('net')) {
    const nodesKeys = {
      ids: nodes,
      keys: (id: number) => nodeSettings.get(id)?.linkKeys ?? new Map<string, unknown>(),
      written: (id: number, key: string) => keys.has(`node.${id}.${key}`),
    };
    for (const p of ownerOf(net.link).check(linkKeys, (key) => keys.has(`net.${key}`), nodesKeys))
      problem(p.key, p.message, headerLine.get('net'));
  }
  // A short name matches a machine's full name by its first label (derive/node-id.ts): one
  // that is another node's first label would give that machine two ids.
  for (const [name, id] of hostnames) {
    if (name.includes('.')) continue;
    for (const [full, other] of hostnames) {
      if (other !== id && full.split('.')[0] === name) {
        problem(
          `node.${id}.hostname`,
          `host name ${name} is also the first label of node ${other}'s ${full}: the machine ${full} would match both; write node ${id}'s full name`,
        );
      }
    }
  }

  const cni = sections.has('cni') ? readCni(read('cni', 'cni'), net, problem) : undefined;
  if (cni) cniProblems(cni, net, nodes, clusterIps, problem, headerLine.get('cni'));

  if (problems.length > 0) throw new InputError(sortProblems(problems));
  return { file, format, nodes, net, clusterIps, nodeSettings, cni, keys };
}

/** Whether two networks share an address: one contains the other's base at the shorter prefix. */
function overlaps(a: string, aPrefix: number, b: string, bPrefix: number): boolean {
  const shorter = Math.min(aPrefix, bPrefix);
  return inSubnet(a, b, shorter);
}

function sortProblems(problems: InputProblem[]): InputProblem[] {
  return [...problems].sort((a, b) => (a.line ?? Infinity) - (b.line ?? Infinity));
}
