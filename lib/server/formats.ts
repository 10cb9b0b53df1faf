// The server side in four dialects, all from the same values: `ip` commands, an
// /etc/network/interfaces stanza, a systemd-networkd .netdev/.network set, nmcli commands.
// Every value was validated (names, MAC, address), and commands are printed with
// shell quoting, never assembled for a shell to run.
import { showCommand } from '../system/runner.js';
import type { ServerValues } from './values.js';

export const FORMATS = ['ip', 'ifupdown', 'networkd', 'nmcli'] as const;
export type Format = (typeof FORMATS)[number];

export interface OutputFile {
  /** Where the file goes on the server. */
  path: string;
  content: string;
}

const what = (v: ServerValues) => `${v.link === 'vlan' ? `VLAN ${v.vlan}` : 'macvlan'} on ${v.device} as ${v.interface} ${v.address}`;
const header = (v: ServerValues) => `# clusternet server-config: join the cluster network (${what(v)}).`;

/** `ip link add` for the link, as the nodes make theirs. */
export function linkAddArgs(v: ServerValues): string[] {
  return [
    'ip', 'link', 'add', 'link', v.device, 'name', v.interface, 'address', v.mac,
    ...(v.mtu === null ? [] : ['mtu', String(v.mtu)]),
    'type', v.link,
    ...(v.link === 'vlan' ? ['id', String(v.vlan)] : ['mode', 'bridge']),
  ];
}

export function ipCommands(v: ServerValues): string[][] {
  return [linkAddArgs(v), ['ip', 'address', 'add', v.address, 'dev', v.interface], ['ip', 'link', 'set', 'dev', v.interface, 'up']];
}

export function ipFormat(v: ServerValues): string {
  return `${header(v)}\n${ipCommands(v).map(showCommand).join('\n')}\n`;
}

export function ifupdownFormat(v: ServerValues): string {
  return [
    header(v),
    '# Paste into /etc/network/interfaces (or a file in /etc/network/interfaces.d/).',
    `auto ${v.interface}`,
    `iface ${v.interface} inet static`,
    `\taddress ${v.address}`,
    `\tpre-up ${showCommand(linkAddArgs(v))}`,
    `\tpost-down ${showCommand(['ip', 'link', 'delete', 'dev', v.interface])}`,
    '',
  ].join('\n');
}

export function networkdFiles(v: ServerValues): OutputFile[] {
  const dir = '/etc/systemd/network';
  const kind = v.link === 'vlan' ? ['[VLAN]', `Id=${v.vlan}`] : ['[MACVLAN]', 'Mode=bridge'];
  return [
    {
      path: `${dir}/50-clusternet-${v.interface}.netdev`,
      content: [header(v), '[NetDev]', `Name=${v.interface}`, `Kind=${v.link}`, `MACAddress=${v.mac}`, ...(v.mtu === null ? [] : [`MTUBytes=${v.mtu}`]), '', ...kind, ''].join('\n'),
    },
    {
      path: `${dir}/50-clusternet-${v.interface}.network`,
      content: [header(v), '[Match]', `Name=${v.interface}`, '', '[Network]', `Address=${v.address}`, 'LinkLocalAddressing=no', ''].join('\n'),
    },
    {
      path: `${dir}/49-clusternet-${v.device}.network`,
      content: [
        header(v),
        `# networkd applies only the first .network file matching ${v.device}: if ${v.device} already has`,
        `# one, add the ${v.link === 'vlan' ? 'VLAN' : 'MACVLAN'}= line to its [Network] section instead of installing this file.`,
        '[Match]',
        `Name=${v.device}`,
        '',
        '[Network]',
        `${v.link === 'vlan' ? 'VLAN' : 'MACVLAN'}=${v.interface}`,
        '',
      ].join('\n'),
    },
  ];
}

export function networkdFormat(v: ServerValues): string {
  return networkdFiles(v)
    .map((f) => `# file: ${f.path}\n${f.content}`)
    .join('\n');
}

export function nmcliCommands(v: ServerValues): string[][] {
  const name = `clusternet-${v.interface}`;
  const link = v.link === 'vlan' ? ['vlan.parent', v.device, 'vlan.id', String(v.vlan)] : ['macvlan.parent', v.device, 'macvlan.mode', '2' /* bridge */];
  return [
    [
      'nmcli', 'connection', 'add',
      'connection.type', v.link, 'connection.id', name, 'connection.interface-name', v.interface,
      ...link,
      '802-3-ethernet.cloned-mac-address', v.mac,
      ...(v.mtu === null ? [] : ['802-3-ethernet.mtu', String(v.mtu)]),
      'ipv4.method', 'manual', 'ipv4.addresses', v.address, 'ipv6.method', 'disabled',
    ],
    ['nmcli', 'connection', 'up', name],
  ];
}

export function nmcliFormat(v: ServerValues): string {
  return `${header(v)}\n${nmcliCommands(v).map(showCommand).join('\n')}\n`;
}

export function render(format: Format, v: ServerValues): string {
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
