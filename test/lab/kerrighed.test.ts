// Kerrighed's boot with its VLAN, on Linux 6.12 (8021q) in one guest: the boots of
// test/install/kerrighed-ns.test.ts (helpers written from the issue's description, hooks
// installed by `install-hooks --init kerrighed` beside 50kerrighed_start), but with
// Kerrighed's net.conf as it is, VLAN 7 included: 20 boots in a row of one node, the race
// between boot-post and init-pre forced both ways (test/kerrighed/lab.sh, boots.sh). One
// node, for CI time: the namespace test boots two and pings between them, and
// cluster.test.ts proves reachability over the VLAN. 20 to 30 s a boot under TCG on an
// idle host (twice that while other guests run): the guest's whole run is 7 to 10 minutes.
// Needs root, qemu and the kernel cache.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { runInGuest } from './harness.js';
import { expectedBoot, parseBoots } from '../kerrighed/boots.js';

const BOOTS = 20;

test(`Linux 6.12 (8021q): ${BOOTS} Kerrighed boots of one node with Kerrighed's own net.conf: VLAN 7, the replaced MAC and address, the cluster address with its prefix, both race orders`, async () => {
  const guest = await runInGuest({
    kernel: '6.12',
    cpus: 2,
    timeoutMs: 30 * 60_000,
    script: `bash test/kerrighed/lab.sh ${BOOTS} 1`,
  });
  const why = `\n--- guest: ${guest.timedOut ? 'timed out' : `exit ${guest.exitCode}`} after ${guest.seconds.toFixed(0)} s ---\n${guest.output.slice(-6000)}\n--- console (tail) ---\n${guest.console.slice(-1500)}`;
  assert.is(guest.exitCode, 0, why);
  const lines = parseBoots(guest.output);
  assert.is(lines.length, BOOTS, why);
  for (const line of lines)
    assert.equal(
      line,
      expectedBoot(line.boot, line.node, { kind: 'vlan_protocol_802.1Q_id_7', ping: '-' }),
      why,
    );
  assert.is(
    lines.filter((l) => l.waited === 'yes').length,
    BOOTS / 2,
    'init-pre waited on every init-first boot, never on the others',
  );
  console.log(
    `      Kerrighed boots: guest ran ${guest.seconds.toFixed(0)} s; ${/KERRIGHED-BOOTS .*/.exec(guest.output)?.[0] ?? ''}`,
  );
});

test.run();
