// link = vlan: an 802.1Q VLAN on the lower device (Kerrighed's own: `type vlan id $VLANID`).
import { parseInteger } from '../value/parse.js';
import type { LinkDriver, LinkParams } from './driver.js';
import { addArgs, lowerDrift, movedLinkOps } from './ops.js';

type Vlan = Extract<LinkParams, { kind: 'vlan' }>;

/** The 802.1Q tag: 4 bytes taken from the lower device's MTU. */
const TAG_BYTES = 4;

export const vlanDriver: LinkDriver<Vlan> = {
  kind: 'vlan',
  netKeys: { vlan: { parse: (raw) => parseInteger(raw, 1, 4094, 'a VLAN id'), what: 'a VLAN id' } },
  check: (values, written) =>
    values.has('vlan') || written('vlan')
      ? []
      : [{ key: 'net.vlan', message: 'missing; link = vlan needs a VLAN id (1..4094)' }],
  params: (values) =>
    values.has('vlan') ? { kind: 'vlan', id: values.get('vlan') as number } : null,
  nodeKeys: {},
  needsPeers: false,
  ops: (n, at) => ({ boot: movedLinkOps(n, at), init: [] }),
  recordFields: { id: { type: 'int', min: 1, max: 4094 } },
  kernel: [
    {
      type: 'vlan',
      module: '8021q',
      hint: 'Use a kernel with 802.1q support (CONFIG_VLAN_8021Q), or set link = macvlan in [net].',
    },
  ],
  overhead: () => TAG_BYTES,
  maxMtu: (_link, deviceMtu) => deviceMtu,
  createArgs: (c) => addArgs(c, ['type', 'vlan', 'id', String(c.link.id)]),
  compare: (want, live, host) => {
    const id = typeof live.info?.id === 'number' ? live.info.id : null;
    const drifts =
      id === want.link.id
        ? []
        : [
            {
              attribute: 'id',
              want: `id ${want.link.id}`,
              have: `id ${id ?? '-'}`,
              inPlace: false,
            },
          ];
    return [...drifts, ...lowerDrift(want.lower, live, host)];
  },
  describe: (link) => `vlan ${link.id}`,
  fieldNames: ['vlan'],
  fields: (link) => ({ vlan: link.id }),
  env: (link) => ({ CLUSTERNET_VLAN: String(link.id) }),
  server: {
    title: (link) => `VLAN ${link.id}`,
    netdev: (link) => ({ kind: 'vlan', section: ['[VLAN]', `Id=${link.id}`] }),
    parentKey: 'VLAN',
    nmcli: (s) => ({
      type: 'vlan',
      settings: ['vlan.parent', s.device, 'vlan.id', String(s.link.id)],
    }),
  },
};
