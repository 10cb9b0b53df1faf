// The server side in four dialects, all from the same values: `ip` commands, an
// /etc/network/interfaces stanza, a systemd-networkd .netdev/.network set, nmcli commands.
// Every value was validated (names, MAC, address), and commands are printed with
// shell quoting, never assembled for a shell to run.
import { showCommand } from '../system/runner.js';
import type { ServerValues } from './values.js';
import { ownerOf } from '../link/index.js';
import type { ServerFormat } from '../link/driver.js';
import type { KernelOp } from '../link/ops.js';
import { batchLine } from '../plan/render.js';
import { InputError } from '../errors.js';

export const FORMATS = [
  'ip',
  'ifupdown',
  'networkd',
  'nmcli',
] as const satisfies readonly ServerFormat[];
export type Format = ServerFormat;

export interface OutputFile {
  /** Where the file goes on the server. */
  path: string;
  content: string;
}

const what = (v: ServerValues) =>
  `${ownerOf(v.link.kind).server.title(v.link)} on ${v.device} as ${v.interface} ${v.address}`;
const header = (v: ServerValues) =>
  `# clusternet server-config: join the cluster network (${what(v)}).${v.note ? `\n# ${v.note}.` : ''}`;

/** `ip link add` for the link, as the nodes make theirs (the kind's driver's own argv). */
export function linkAddArgs(v: ServerValues): string[] {
  return [
    'ip',
    ...ownerOf(v.link.kind).createArgs({
      lower: v.device,
      name: v.interface,
      netns: null,
      mac: v.mac,
      mtu: v.mtu ?? 0,
      link: v.link,
    }),
  ];
}

/** What the kind runs once the link exists (vxlan's forwarding entries). */
const afterOps = (v: ServerValues): KernelOp[] => ownerOf(v.link.kind).server.after?.(v) ?? [];

/** An op as the command that makes it on the server (`bridge fdb append …`). */
function commandOf(op: KernelOp): string[] {
  const line = batchLine(op);
  if (!line) throw new Error(`server-config: no command for a ${op.op} op`);
  return [line.tool, ...line.args];
}

/** The kind's word on what `format` cannot say, as comment lines (none when it can say it all). */
function notes(v: ServerValues, format: Format): string[] {
  const u = ownerOf(v.link.kind).server.unsupported?.(v, format);
  return u ? [`# ${format} cannot say all of it: ${u.why}`] : [];
}

export function ipCommands(v: ServerValues): string[][] {
  return [
    linkAddArgs(v),
    ['ip', 'address', 'add', v.address, 'dev', v.interface],
    ['ip', 'link', 'set', 'dev', v.interface, 'up'],
    ...afterOps(v).map(commandOf),
  ];
}

export function ipFormat(v: ServerValues): string {
  return [header(v), ...notes(v, 'ip'), ...ipCommands(v).map(showCommand), ''].join('\n');
}

export function ifupdownFormat(v: ServerValues): string {
  return [
    header(v),
    ...notes(v, 'ifupdown'),
    '# Paste into /etc/network/interfaces (or a file in /etc/network/interfaces.d/).',
    `auto ${v.interface}`,
    `iface ${v.interface} inet static`,
    `\taddress ${v.address}`,
    `\tpre-up ${showCommand(linkAddArgs(v))}`,
    ...afterOps(v).map((op) => `\tpost-up ${showCommand(commandOf(op))}`),
    `\tpost-down ${showCommand(['ip', 'link', 'delete', 'dev', v.interface])}`,
    '',
  ].join('\n');
}

export function networkdFiles(v: ServerValues): OutputFile[] {
  const dir = '/etc/systemd/network';
  const { server } = ownerOf(v.link.kind);
  const netdev = server.netdev(v.link);
  return [
    {
      path: `${dir}/50-clusternet-${v.interface}.netdev`,
      content: [
        header(v),
        '[NetDev]',
        `Name=${v.interface}`,
        `Kind=${netdev.kind}`,
        `MACAddress=${v.mac}`,
        ...(v.mtu === null ? [] : [`MTUBytes=${v.mtu}`]),
        '',
        ...netdev.section,
        '',
      ].join('\n'),
    },
    {
      path: `${dir}/50-clusternet-${v.interface}.network`,
      content: [
        header(v),
        ...notes(v, 'networkd'),
        '[Match]',
        `Name=${v.interface}`,
        '',
        '[Network]',
        `Address=${v.address}`,
        'LinkLocalAddressing=no',
        '',
        ...afterOps(v).flatMap(networkdSection),
      ].join('\n'),
    },
    {
      path: `${dir}/49-clusternet-${v.device}.network`,
      content: [
        header(v),
        `# networkd applies only the first .network file matching ${v.device}: if ${v.device} already has`,
        `# one, add the ${server.parentKey}= line to its [Network] section instead of installing this file.`,
        '[Match]',
        `Name=${v.device}`,
        '',
        '[Network]',
        `${server.parentKey}=${v.interface}`,
        '',
      ].join('\n'),
    },
  ];
}

/** An op as a section of the link's .network file: a forwarding entry is a [BridgeFDB] (AssociatedWith=self by default). */
function networkdSection(op: KernelOp): string[] {
  if (op.op !== 'fdb-add')
    throw new Error(`server-config: networkd has no section for a ${op.op} op`);
  return ['[BridgeFDB]', `MACAddress=${op.mac}`, `Destination=${op.dst}`, ''];
}

export function networkdFormat(v: ServerValues): string {
  return networkdFiles(v)
    .map((f) => `# file: ${f.path}\n${f.content}`)
    .join('\n');
}

export function nmcliCommands(v: ServerValues): string[][] {
  const name = `clusternet-${v.interface}`;
  const link = ownerOf(v.link.kind).server.nmcli(v);
  return [
    [
      'nmcli',
      'connection',
      'add',
      'connection.type',
      link.type,
      'connection.id',
      name,
      'connection.interface-name',
      v.interface,
      ...link.settings,
      '802-3-ethernet.cloned-mac-address',
      v.mac,
      ...(v.mtu === null ? [] : ['802-3-ethernet.mtu', String(v.mtu)]),
      'ipv4.method',
      'manual',
      'ipv4.addresses',
      v.address,
      'ipv6.method',
      'disabled',
    ],
    ['nmcli', 'connection', 'up', name],
  ];
}

export function nmcliFormat(v: ServerValues): string {
  return [
    header(v),
    ...nmcliCommands(v).map(showCommand),
    ...notes(v, 'nmcli'),
    ...afterOps(v).map((op) => showCommand(commandOf(op))),
    '',
  ].join('\n');
}

/** Refused (exit 2) when the kind says `format` can say nothing useful of its link. */
export function refuseUnsayable(format: Format, v: ServerValues): void {
  const u = ownerOf(v.link.kind).server.unsupported?.(v, format);
  if (u && !u.printable)
    throw new InputError({ key: '--format', message: `${format} cannot say it: ${u.why}` });
}

/** The format's text. */
export function render(format: Format, v: ServerValues): string {
  refuseUnsayable(format, v);
  switch (format) {
    case 'ip':
      return ipFormat(v);
    case 'ifupdown':
      return ifupdownFormat(v);
    case 'networkd':
      return networkdFormat(v);
    case 'nmcli':
      return nmcliFormat(v);
  }
}
