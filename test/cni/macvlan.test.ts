// delegate = macvlan: containers straight on each node's device, every node's
// containers on one L2 segment, so containers on different nodes reach each other with no
// route at all; each node hands out addresses from its own range only. Needs root.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { $ } from 'zx';
import { createCniLab, resultIps, type CniLab } from './harness.js';
import { between } from '../../lib/cni/range.js';

for (const delegate of ['macvlan']) {
  test(`${delegate}: 2 containers on each of nodes 1 and 3, each from its node's range, all reaching each other`, async () => {
    let lab: CniLab | undefined;
    try {
      lab = await createCniLab(
        [1, 3],
        `network = 10.70.0.0/16\nnode-prefix = 24\ndelegate = ${delegate}`,
      );
      const placed: { node: number; ns: string; ip: string }[] = [];
      for (const node of [1, 3]) {
        await $`ip -n ${lab.sim.host(node)} link set eth0 up`;
        for (let i = 0; i < 2; i++) {
          const ns = await lab.container();
          const r = await lab.call(node, 'ADD', ns);
          assert.is(r.exitCode, 0, `${r.stdout}${r.stderr}`);
          const [ip] = resultIps(r.json);
          assert.ok(ip?.endsWith('/16'), ip);
          const bare = ip!.split('/')[0]!;
          assert.ok(between(bare, `10.70.${node}.2`, `10.70.${node}.254`), bare);
          placed.push({ node, ns, ip: bare });
        }
      }
      for (const from of placed) {
        for (const to of placed) {
          if (to === from) continue;
          const r = await $({ nothrow: true })`ip netns exec ${from.ns} ping -c 1 -W 2 -q ${to.ip}`;
          assert.is(r.exitCode, 0, `node ${from.node} ${from.ip} → node ${to.node} ${to.ip}`);
        }
      }
      for (const p of placed) {
        assert.is((await lab.call(p.node, 'DEL', p.ns)).exitCode, 0);
        assert.is((await lab.call(p.node, 'DEL', p.ns)).exitCode, 0, 'DEL twice');
      }
      assert.equal(lab.leases(), []);
    } finally {
      await lab?.destroy();
    }
  });
}

test.run();
