// How server/formats.ts frames a kind's server fragments, without the CLI: the kernel ops
// a kind runs after its link (printed as commands, post-up lines, [BridgeFDB] sections),
// and what it says a format cannot hold: a comment above what the format can say, or,
// when the format can say nothing of the link, a refusal (exit 2) before anything is printed.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { render, type Format } from '../../lib/server/formats.js';
import type { ServerValues } from '../../lib/server/values.js';
import { vxlanDriver } from '../../lib/link/vxlan.js';
import { InputError } from '../../lib/errors.js';

const v: ServerValues = {
  link: { kind: 'vxlan', vni: 42, port: 4789, local: '192.168.10.100', flood: ['192.168.10.101'] },
  peers: [
    {
      node: 1,
      mac: '02:00:00:00:07:01',
      address: '10.4.135.1/18',
      address6: null,
      link: { kind: 'vxlan', vni: 42, port: 4789, local: '192.168.10.1', flood: [] },
      routing: null,
    },
  ],
  device: 'eth0',
  interface: 'krg0',
  mac: '02:00:00:00:07:fe',
  mtu: 1450,
  address: '10.4.135.254/18',
  note: null,
};

test("after-ops: one command per entry in ip, post-up in ifupdown, [BridgeFDB] in networkd, after nmcli's own", () => {
  const lines = [
    'bridge fdb append 00:00:00:00:00:00 dev krg0 dst 192.168.10.1 self permanent',
    'bridge fdb replace 02:00:00:00:07:01 dev krg0 dst 192.168.10.1 self permanent',
    'bridge fdb append 00:00:00:00:00:00 dev krg0 dst 192.168.10.101 self permanent',
  ];
  assert.equal(render('ip', v).trimEnd().split('\n').slice(-3), lines);
  assert.equal(
    render('ifupdown', v)
      .split('\n')
      .filter((l) => l.startsWith('\tpost-up '))
      .map((l) => l.slice(9)),
    lines,
  );
  assert.match(
    render('networkd', v),
    /\[BridgeFDB\]\nMACAddress=00:00:00:00:00:00\nDestination=192\.168\.10\.101\n/,
  );
  const nmcli = render('nmcli', v).trimEnd().split('\n');
  assert.match(nmcli[3]!, /^# nmcli cannot say all of it: /);
  assert.equal(nmcli.slice(4), lines);
});

test("a format that can say nothing of a link is refused with the kind's reason; the others print with a comment", () => {
  const own = vxlanDriver.server.unsupported;
  vxlanDriver.server.unsupported = (_s, format) =>
    format === 'networkd'
      ? { why: 'no shared segment; route it via a node', printable: false }
      : { why: 'only half of it', printable: true };
  try {
    assert.throws(
      () => render('networkd', v),
      (e: unknown) =>
        e instanceof InputError &&
        e.message.includes(
          '--format: networkd cannot say it: no shared segment; route it via a node',
        ),
    );
    for (const format of ['ip', 'ifupdown', 'nmcli'] as Format[])
      assert.ok(
        render(format, v).includes(`# ${format} cannot say all of it: only half of it`),
        format,
      );
  } finally {
    vxlanDriver.server.unsupported = own;
  }
});

test.run();
