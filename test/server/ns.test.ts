// The server side for real, on this kernel (macvlan; it has no 802.1q): a server host on
// the simulated segment joins the cluster network with server-config's `ip` commands, and
// again with its networkd files run by systemd-networkd itself, and reaches every node's
// container both times. Needs root; every namespace is the test's own.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { createSimCluster, links, reaches, writeConfig, type SimCluster } from '../sim/cluster.js';
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
      const inside = phase === 'init-pre';
      const r = await sim.cli(inside ? sim.container(id) : sim.host(id), ['run', phase, '--node', String(id), '-c', config, ...(inside ? [] : ['--netns', sim.container(id)])]);
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

test('the ip commands, run on the server, join it to the cluster network', async () => {
  const r = clusternet(['-c', config, 'server-config', '--address', '10.4.135.254', '--format', 'ip']);
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
  const r = clusternet(['-c', config, 'server-config', '--address', '10.4.135.254', '--format', 'networkd', '--output-dir', dir]);
  assert.is(r.code, 0, show(r));
  const networkd = startNetworkd(sim.server, dir);
  let log = '';
  try {
    let krg0;
    for (let i = 0; i < 100 && !krg0?.addr_info.some((a) => a.local === '10.4.135.254'); i++) {
      await new Promise((done) => setTimeout(done, 100));
      krg0 = (await links(sim, sim.server)).find((l) => l.ifname === 'krg0');
    }
    assert.is(krg0?.linkinfo?.info_kind, 'macvlan');
    assert.is(krg0?.address, '02:00:00:00:07:fe');
    assert.ok(krg0?.addr_info.some((a) => a.local === '10.4.135.254' && a.prefixlen === 18), 'networkd gave krg0 its address');
    await reachesEveryNode();
  } finally {
    log = await networkd.stop();
    await sim.exec(sim.server, ['ip', 'link', 'del', 'krg0']);
  }
  assert.match(log, /krg0: Configuring with \/etc\/systemd\/network\/50-clusternet-krg0\.network/);
});

test.run();
