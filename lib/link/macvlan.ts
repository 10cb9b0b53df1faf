// link = macvlan: a MAC-addressed link on the lower device, in bridge mode (containers of
// one host reach each other), for segments without VLANs or kernels without 802.1q.
import type { LinkDriver, LinkParams } from './driver.js';
import { addArgs, lowerDrift, movedLinkOps } from './ops.js';

type Macvlan = Extract<LinkParams, { kind: 'macvlan' }>;

export const macvlanDriver: LinkDriver<Macvlan> = {
  kind: 'macvlan',
  netKeys: {},
  check: () => [],
  params: () => ({ kind: 'macvlan' }),
  nodeKeys: {},
  needsPeers: false,
  ops: (n, at) => ({ boot: movedLinkOps(n, at), init: [] }),
  recordFields: {},
  kernel: [{ type: 'macvlan', module: 'macvlan', hint: '' }],
  overhead: () => 0,
  maxMtu: (_link, deviceMtu) => deviceMtu,
  createArgs: (c) => addArgs(c, ['type', 'macvlan', 'mode', 'bridge']),
  compare: (want, live, host) => {
    const mode = typeof live.info?.mode === 'string' ? live.info.mode : null;
    const drifts =
      mode === null || mode === 'bridge'
        ? []
        : [{ attribute: 'mode', want: 'mode bridge', have: `mode ${mode}`, inPlace: false }];
    return [...drifts, ...lowerDrift(want.lower, live, host)];
  },
  describe: () => 'macvlan',
  fieldNames: [],
  fields: () => ({}),
  env: () => ({}),
  server: {
    title: () => 'macvlan',
    netdev: () => ({ kind: 'macvlan', section: ['[MACVLAN]', 'Mode=bridge'] }),
    parentKey: 'MACVLAN',
    nmcli: (s) => ({
      type: 'macvlan',
      settings: ['macvlan.parent', s.device, 'macvlan.mode', '2' /* bridge */],
    }),
  },
};
