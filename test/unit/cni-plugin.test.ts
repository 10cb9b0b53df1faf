// clusternet-cni's own logic with the delegate call injected: what it hands the delegate,
// the cleanup of a failed ADD, and how a delegate's failure is answered. The real calls
// (the reference plugins in namespaces) are test/cni's.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseConfig } from '../../lib/config/load.js';
import { handle, type PluginDeps } from '../../lib/cni/plugin.js';
import { routedConf } from '../helpers/fixtures.js';
import type { PluginOutcome } from '../../lib/cni/exec.js';

const CONF = `[cluster]\nnodes = 1-3\n[net]\nlink = macvlan\ndevice = eth0\nmac = 02:00:00:00:07:00\naddress = 10.4.135.0/24\n[cni]\nnetwork = 10.244.0.0/16\nnode-prefix = 24\n`;
const dir = mkdtempSync(join(tmpdir(), 'cni-unit-'));
writeFileSync(join(dir, 'bridge'), '#!/bin/sh\n');
chmodSync(join(dir, 'bridge'), 0o755);
test.after(() => rmSync(dir, { recursive: true, force: true }));

const env = (command: string) => ({
  CNI_COMMAND: command,
  CNI_CONTAINERID: 'c1',
  CNI_NETNS: '/run/netns/x',
  CNI_IFNAME: 'eth0',
  CNI_PATH: `/nonexistent:${dir}`,
  CLUSTERNET_NODE_ID: '2',
});
const stdin = (extra: Record<string, unknown> = {}) =>
  JSON.stringify({ cniVersion: '1.0.0', name: 'pods', type: 'clusternet-cni', ...extra });

function fake(
  outcomes: PluginOutcome[],
  text = CONF,
): {
  deps: PluginDeps;
  calls: { binary: string; command: string | undefined; input: Record<string, unknown> }[];
} {
  const calls: { binary: string; command: string | undefined; input: Record<string, unknown> }[] =
    [];
  return {
    calls,
    deps: {
      loadConfig: (path) => parseConfig(text, path),
      linkMtu: (dev) => (dev === 'cnbr0' ? 1450 : undefined),
      keep: () => undefined,
      material: () => undefined,
      call: async (binary, e, input) => {
        calls.push({
          binary,
          command: e.CNI_COMMAND,
          input: JSON.parse(input) as Record<string, unknown>,
        });
        return outcomes.shift() ?? { exitCode: 0, stdout: '' };
      },
    },
  };
}

test("ADD: the delegate (first in CNI_PATH) gets the runtime's version and name, node 2's range, prevResult/runtimeConfig/args passed on; its result returned as it is", async () => {
  const { deps, calls } = fake([{ exitCode: 0, stdout: '{"cniVersion":"1.0.0","ips":[]}\n' }]);
  const r = await handle(
    env('ADD'),
    stdin({ runtimeConfig: { portMappings: [] }, args: { a: 1 }, other: 'dropped' }),
    deps,
  );
  assert.equal(r, { exitCode: 0, stdout: '{"cniVersion":"1.0.0","ips":[]}\n' });
  assert.is(calls.length, 1);
  assert.is(calls[0]!.binary, join(dir, 'bridge'));
  const input = calls[0]!.input as {
    cniVersion: string;
    name: string;
    type: string;
    ipam: { ranges: { subnet: string }[][] };
    runtimeConfig: unknown;
    args: unknown;
    other?: unknown;
  };
  assert.is(input.cniVersion, '1.0.0');
  assert.is(input.name, 'pods');
  assert.is(input.type, 'bridge');
  assert.is(input.ipam.ranges[0]![0]!.subnet, '10.244.2.0/24');
  assert.equal(input.runtimeConfig, { portMappings: [] });
  assert.equal(input.args, { a: 1 });
  assert.is(input.other, undefined);
});

test("a failed ADD is followed by the delegate's DEL with the same input; the delegate's error JSON is returned as it wrote it", async () => {
  const error = '{"cniVersion":"1.0.0","code":999,"msg":"no IP addresses available"}';
  const { deps, calls } = fake([{ exitCode: 1, stdout: error }]);
  const r = await handle(env('ADD'), stdin(), deps);
  assert.equal(r, { exitCode: 1, stdout: error });
  assert.equal(
    calls.map((c) => c.command),
    ['ADD', 'DEL'],
  );
  assert.equal(calls[1]!.input, calls[0]!.input);
});

test("a delegate failing without the spec's JSON: code 101, its exit and output in details; a failed DEL is not followed by anything", async () => {
  const { deps, calls } = fake([{ exitCode: 2, stdout: '\n panic\n' }]);
  const r = await handle(env('DEL'), stdin(), deps);
  assert.is(r.exitCode, 1);
  assert.equal(JSON.parse(r.stdout), {
    cniVersion: '1.0.0',
    code: 101,
    msg: 'the delegate plugin "bridge" failed (exit 2)',
    details: 'panic',
  });
  assert.is(calls.length, 1);
});

test('the list\'s "node" wins over CLUSTERNET_NODE_ID; a bad one is refused with code 7', async () => {
  const { deps, calls } = fake([]);
  await handle(env('ADD'), stdin({ node: 3 }), deps);
  assert.is(
    (calls[0]!.input as { ipam: { ranges: { subnet: string }[][] } }).ipam.ranges[0]![0]!.subnet,
    '10.244.3.0/24',
  );
  const bad = await handle(env('ADD'), stdin({ node: 'three' }), deps);
  assert.equal(JSON.parse(bad.stdout).code, 7);
  const outside = await handle(env('ADD'), stdin({ node: 9 }), deps);
  assert.match(JSON.parse(outside.stdout).details, /node 9 \(from --node\) is not in the cluster/);
});

test("CNI_NETNS is not needed for DEL; the error version is the runtime's", async () => {
  const { deps } = fake([]);
  const e = { ...env('DEL'), CNI_NETNS: '' };
  assert.is((await handle(e, stdin(), deps)).exitCode, 0);
  const r = await handle({ ...env('ADD'), CNI_NETNS: '' }, stdin({ cniVersion: '0.4.0' }), deps);
  assert.equal(JSON.parse(r.stdout), {
    cniVersion: '0.4.0',
    code: 4,
    msg: 'CNI_NETNS is not set',
    details: 'ADD needs CNI_CONTAINERID, CNI_IFNAME, CNI_PATH, CNI_NETNS',
  });
});

test("routing = per-node: the delegate gets the node's cnbr0 and, unless [cni] mtu says otherwise, the bridge's live MTU", async () => {
  const routed = `${routedConf()}\n[cni]\n`;
  const { deps, calls } = fake([], routed);
  assert.is((await handle(env('ADD'), stdin(), deps)).exitCode, 0);
  assert.equal([calls[0]!.input.bridge, calls[0]!.input.mtu], ['cnbr0', 1450]);
  const set = fake([], `${routed}mtu = 1400\n`);
  assert.is((await handle(env('ADD'), stdin(), set.deps)).exitCode, 0);
  assert.is(set.calls[0]!.input.mtu, 1400);
});

test.run();
