// The one home of address and MAC arithmetic (lib/value/arith.ts).
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import {
  addressAt,
  withLastByte,
  bigToIp,
  eui64LinkLocal,
  inSubnet,
  ipToBig,
  macAt,
  nthSubnet,
  offsetAddress,
  offsetMac,
  subnetOf,
  type MacProblem,
} from '../../lib/value/arith.js';
import { parseCidr } from '../../lib/value/parse.js';
import { table } from '../../lib/value/table.js';

const collect = () => {
  const said: string[] = [];
  return { said, fail: (m: string) => void said.push(m) };
};

test('ipToBig and bigToIp round-trip both families', () => {
  assert.is(ipToBig('10.4.135.1'), 0x0a048701n);
  assert.is(bigToIp(0x0a048701n, 4), '10.4.135.1');
  assert.is(bigToIp(ipToBig('fd00:4::1'), 6), 'fd00:4::1');
});

test('inSubnet: inside, outside, another family', () => {
  assert.ok(inSubnet('10.4.191.254', '10.4.135.0', 18));
  assert.not.ok(inSubnet('10.4.192.1', '10.4.135.0', 18));
  assert.not.ok(inSubnet('fd00::1', '10.4.135.0', 18));
});

test('subnetOf: network, size, first and last of v4 and v6', () => {
  const s = subnetOf('10.4.135.0', 18);
  assert.equal(
    [s.cidr, s.size, bigToIp(s.first, 4), bigToIp(s.last, 4)],
    ['10.4.128.0/18', 16384, '10.4.128.0', '10.4.191.255'],
  );
  assert.equal(subnetOf('fd00:4::7', 126).cidr, 'fd00:4::4/126');
  assert.is(subnetOf('fd00:4::', 64).size, 2 ** 64);
});

test('offsetAddress: base + n, past the end, broadcast, network', () => {
  const c = collect();
  assert.is(offsetAddress(parseCidr('10.4.135.0/18', 4), 4n, c.fail), '10.4.135.4');
  assert.is(offsetAddress(parseCidr('10.4.135.0/24', 4), 256n, c.fail), undefined);
  assert.is(offsetAddress(parseCidr('10.4.135.0/24', 4), 255n, c.fail), undefined);
  assert.is(offsetAddress(parseCidr('10.4.128.0/18', 4), 0n, c.fail), undefined);
  assert.equal(c.said, [
    '10.4.135.0 + 256 is past the end of 10.4.135.0/24; use a larger subnet or a lower base',
    '10.4.135.255 is the broadcast address of 10.4.135.0/24; use a larger subnet or a lower base',
    '10.4.128.0 is the network address of 10.4.128.0/18',
  ]);
  assert.is(offsetAddress(parseCidr('fd00:4::/64', 6), 0xffffn, c.fail), 'fd00:4::ffff');
});

test("addressAt: a value below the subnet is outside it, with the caller's note", () => {
  const c = collect();
  assert.is(
    addressAt(parseCidr('10.4.135.0/26', 4), ipToBig('10.4.134.9'), c.fail, ' (why)'),
    undefined,
  );
  assert.equal(c.said, ['10.4.134.9 is outside 10.4.135.0/26 (why)']);
});

test('offsetMac: template + n; overflow and multicast refused', () => {
  const problems: MacProblem[] = [];
  const fail = (p: MacProblem) => void problems.push(p);
  assert.is(offsetMac('f0:00:00:00:07:00', 0xfen, fail), 'f0:00:00:00:07:fe');
  assert.is(offsetMac('ff:ff:ff:ff:ff:ff', 1n, fail), undefined);
  assert.is(offsetMac('00:ff:ff:ff:ff:ff', 1n, fail), undefined);
  assert.equal(problems, [{ why: 'overflow' }, { why: 'multicast', mac: '01:00:00:00:00:00' }]);
  assert.is(macAt(0x020000000803n, fail), '02:00:00:00:08:03');
});

test("nthSubnet: node N's own subnet, v4 and v6; out of room is undefined", () => {
  assert.is(nthSubnet(parseCidr('10.5.0.0/16', 4), 24, 3), '10.5.3.0/24');
  assert.is(nthSubnet(parseCidr('10.5.7.9/16', 4), 24, 0), '10.5.0.0/24');
  assert.is(nthSubnet(parseCidr('fd05::/48', 6), 64, 3), 'fd05:0:0:3::/64');
  assert.is(nthSubnet(parseCidr('10.5.0.0/16', 4), 24, 256), undefined);
  assert.is(nthSubnet(parseCidr('10.5.0.0/16', 4), 15, 0), undefined);
});

test("eui64LinkLocal: the kernel's link-local address for a MAC", () => {
  assert.is(eui64LinkLocal('02:00:00:00:08:03'), 'fe80::ff:fe00:803');
  assert.is(eui64LinkLocal('f0:00:00:00:07:01'), 'fe80::f200:ff:fe00:701');
});

test('withLastByte: the last byte replaced, whatever the byte given carries above it', () => {
  assert.is(withLastByte(0xf00000000700n, 4n), 0xf00000000704n);
  assert.is(withLastByte(ipToBig('10.4.135.0'), ipToBig('10.4.135.254')), ipToBig('10.4.135.254'));
});

test('table pads columns and trims line ends', () => {
  assert.is(
    table(
      ['a', 'bb'],
      [
        ['xyz', ''],
        ['1', '2'],
      ],
    ),
    'a    bb\nxyz\n1    2',
  );
});

test.run();
