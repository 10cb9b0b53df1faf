// The server side for real, on this kernel (macvlan; it has no 802.1q): a server host on
// the simulated segment joins the cluster network with server-config's `ip` commands, and
// again with its networkd files run by systemd-networkd itself, and reaches every node's
// container both times. Needs root; every namespace is the test's own.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  createSimCluster,
  links,
  reaches,
  runPhase,
  writeConfig,
  type SimCluster,
} from '../sim/cluster.js';
import { clusternet, show, tempDir } from '../install/cli.js';
import { startNetworkd } from './networkd.js';

const NODES = [1, 2];
const CONFIG = `[cluster]\nnodes = 1-2\n\n[net]\nlink = macvlan\ndevice = eth0\ninterface = krg0\nmac = 02:00:00:00:07:00\naddress = 10.4.135.0/18\n`;

let sim: SimCluster;
let config: string;

test.before(async () => {
  sim = await createSimCluster({ nodes: NODES, server: true });
  config = writeConfig(CONFIG);
  for (const id of NODES) {
    for (const phase of ['boot-pre', 'boot-post', 'init-pre']) {
      const r = await runPhase(sim, config, id, phase);
      assert.is(r.exitCode, 0, `${phase} on node ${id}: ${r.stderr}`);
    }
  }
});
test.after(async () => {
  await sim?.destroy();
});

async function reachesEveryNode(): Promise<void> {
  for (const id of NODES) {
    assert.ok(await reaches(sim, sim.server, `10.4.135.${id}`), `server → node ${id}`);
    assert.ok(await reaches(sim, sim.container(id), '10.4.135.254'), `node ${id} → server`);
  }
}

/**
 * Runs networkd on the server with the files of `dir` until krg0 has its address, checks
 * what `check` says about krg0 and that every node is reached, and returns networkd's log.
 */
async function networkdJoins(
  dir: string,
  check: (krg0: Awaited<ReturnType<typeof links>>[number] | undefined) => void,
): Promise<string> {
  const networkd = startNetworkd(sim.server, dir);
  let log = '';
  try {
    let krg0;
    for (let i = 0; i < 100 && !krg0?.addr_info.some((a) => a.local === '10.4.135.254'); i++) {
      await new Promise((done) => setTimeout(done, 100));
      krg0 = (await links(sim, sim.server)).find((l) => l.ifname === 'krg0');
    }
    check(krg0);
    await reachesEveryNode();
  } finally {
    log = await networkd.stop();
    await sim.exec(sim.server, ['ip', 'link', 'del', 'krg0']);
  }
  return log;
}

test('the ip commands, run on the server, join it to the cluster network', async () => {
  const r = clusternet([
    '-c',
    config,
    'server-config',
    '--address',
    '10.4.135.254',
    '--format',
    'ip',
  ]);
  assert.is(r.code, 0, show(r));
  // Every value is a validated name, MAC or address: plain words, split as the shell would.
  for (const line of r.stdout.split('\n').filter((l) => l && !l.startsWith('#'))) {
    const done = await sim.exec(sim.server, line.split(' '));
    assert.is(done.exitCode, 0, `${line}: ${done.stderr}`);
  }
  const krg0 = (await links(sim, sim.server)).find((l) => l.ifname === 'krg0');
  assert.is(krg0?.address, '02:00:00:00:07:fe');
  await reachesEveryNode();
  await sim.exec(sim.server, ['ip', 'link', 'del', 'krg0']);
});

test('the networkd files, read by systemd-networkd on the server, join it too', async () => {
  const dir = tempDir();
  const r = clusternet([
    '-c',
    config,
    'server-config',
    '--address',
    '10.4.135.254',
    '--format',
    'networkd',
    '--output-dir',
    dir,
  ]);
  assert.is(r.code, 0, show(r));
  const log = await networkdJoins(dir, (krg0) => {
    assert.is(krg0?.linkinfo?.info_kind, 'macvlan');
    assert.is(krg0?.address, '02:00:00:00:07:fe');
    assert.ok(
      krg0?.addr_info.some((a) => a.local === '10.4.135.254' && a.prefixlen === 18),
      'networkd gave krg0 its address',
    );
  });
  assert.match(log, /krg0: Configuring with \/etc\/systemd\/network\/50-clusternet-krg0\.network/);
});

test("an admin's own .network for the device is extended by a drop-in, never taken over; nothing overwritten without --force", async () => {
  const dir = tempDir();
  // The administrator's file for the server's NIC: networkd applies it to eth0 (first match).
  const admins = '[Match]\nName=eth0\n\n[Network]\nDHCP=yes\nLinkLocalAddressing=no\n';
  writeFileSync(join(dir, '80-dhcp.network'), admins);
  const args = [
    '-c',
    config,
    'server-config',
    '--address',
    '10.4.135.254',
    '--format',
    'networkd',
    '--output-dir',
    dir,
  ];
  const r = clusternet(args);
  assert.is(r.code, 0, show(r));
  assert.match(r.stdout, /80-dhcp\.network already configures eth0: extending it with a drop-in/);
  assert.not.ok(
    existsSync(join(dir, '49-clusternet-eth0.network')),
    "no file of ours competes with the admin's",
  );
  assert.is(readFileSync(join(dir, '80-dhcp.network'), 'utf8'), admins);
  assert.match(
    readFileSync(join(dir, '80-dhcp.network.d', '50-clusternet-krg0.conf'), 'utf8'),
    /^\[Network\]\nMACVLAN=krg0$/m,
  );
  const log = await networkdJoins(dir, (krg0) =>
    assert.ok(
      krg0?.addr_info.some((a) => a.local === '10.4.135.254'),
      'networkd built krg0 from the drop-in',
    ),
  );
  // eth0 still runs the admin's file, DHCP and all.
  assert.match(log, /eth0: Configuring with \/etc\/systemd\/network\/80-dhcp\.network/);
  assert.match(log, /eth0: Acquiring DHCPv4 lease|DHCPv4 client: (STARTED|Started)|eth0: DHCPv4/i);
  // Again: the same files, unchanged. Another address: refused, nothing written; --force replaces ours.
  const again = clusternet(args);
  assert.is(again.code, 0, show(again));
  assert.match(again.stdout, /unchanged .*50-clusternet-krg0\.network/);
  const other = clusternet([...args.slice(0, 4), '10.4.135.253', ...args.slice(5)]);
  assert.is(other.code, 2, show(other));
  assert.match(
    other.stderr,
    /50-clusternet-krg0\.network: exists with other content; nothing was written \(--force replaces it\)/,
  );
  assert.match(
    readFileSync(join(dir, '50-clusternet-krg0.network'), 'utf8'),
    /Address=10\.4\.135\.254\//,
  );
  const forced = clusternet([...args.slice(0, 4), '10.4.135.253', ...args.slice(5), '--force']);
  assert.is(forced.code, 0, show(forced));
  assert.match(
    readFileSync(join(dir, '50-clusternet-krg0.network'), 'utf8'),
    /Address=10\.4\.135\.253\//,
  );
  assert.is(readFileSync(join(dir, '80-dhcp.network'), 'utf8'), admins);
});

test.run();
