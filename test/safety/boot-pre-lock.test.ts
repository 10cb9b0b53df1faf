// boot-pre's first-run rule (lib/apply/phase.ts firstRunThisBoot), by real runs of the
// shipped hook as the init system runs it (hooks/boot-pre.d/50net: `clusternet run` holds
// the lock around all its hooks, a hook run alone takes it only when needed): boot-pre
// asks for the lock at once, while it reads the host, only when some kernel link type its
// link kind needs is missing from the probe cache. With every one remembered it reads,
// finds nothing to change and ends without the lock (no flock process at all); with one
// missing the lock is asked for before the read ends. Once per link kind, the cache written
// with exactly the types that kind needs, then with each one left out in turn.
// What happens is watched through two shims first on PATH: `flock` notes that the lock was
// asked for; `ip`, on a read (`ip -json`), notes whether it had been by then — waiting for
// it a few seconds when told to, since the flock process is started before the read's
// but their notes race. Needs root.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { release, tmpdir } from 'node:os';
import { join } from 'node:path';
import { BOOT_ID_FILE, probeCachePath } from '../../lib/clusterip/probe-cache.js';
import { createSimCluster, HOOKS_DIR, writeConfig, type SimCluster } from '../sim/cluster.js';
import { vxlanConf } from '../helpers/fixtures.js';

const NODES = [1, 2, 3, 4, 5, 6];
const head = (link: string) =>
  `[cluster]\nnodes = 1-6\n\n[net]\nlink = ${link}\ndevice = eth0\nmac = 02:00:00:00:09:00\naddress = 10.9.0.0/16\n`;
const ROUTED = `${head('bridge')}routing = per-node\nnode-prefix = 24\nunderlay = 192.168.10.0/24\n`;

/** Each kind on a node of its own, and the link types it needs, written out here (not taken from lib). */
const KINDS: { name: string; node: number; text: string; needs: string[] }[] = [
  { name: 'vlan', node: 1, text: `${head('vlan')}vlan = 7\n`, needs: ['vlan'] },
  { name: 'macvlan', node: 2, text: head('macvlan'), needs: ['macvlan'] },
  { name: 'bridge', node: 3, text: head('bridge'), needs: ['bridge', 'veth'] },
  { name: 'vxlan', node: 4, text: vxlanConf({ nodes: '1-6' }), needs: ['vxlan'] },
  { name: 'routed bridge, no overlay', node: 5, text: ROUTED, needs: ['bridge', 'veth'] },
  {
    name: 'routed bridge with its overlay',
    node: 6,
    text: `${ROUTED}vni = 77\n`,
    needs: ['bridge', 'veth', 'vxlan'],
  },
];

const shim = (body: string) =>
  `#!/bin/bash\nreal=$(PATH="$EARLY_REAL_PATH" command -v "\${0##*/}")\n${body}\nexec "$real" "$@"\n`;
const FLOCK = shim('echo flock >> "$EARLY_LOG"');
const IP = shim(`case " $* " in *" -json "*)
  if [ -n "$EARLY_AWAIT" ]; then for _ in $(seq 50); do grep -qx flock "$EARLY_LOG" && break; sleep 0.1; done; fi
  if grep -qx flock "$EARLY_LOG"; then echo "read: lock asked" >> "$EARLY_LOG"; else echo "read: no lock asked" >> "$EARLY_LOG"; fi ;;
esac`);

let sim: SimCluster;
let shims: string;
const configs = new Map<number, string>();
const bootId = readFileSync(BOOT_ID_FILE, 'utf8').trim();

test.before(async () => {
  sim = await createSimCluster({ nodes: NODES, runDirPerNode: true });
  shims = mkdtempSync(join(tmpdir(), 'cnsim-early-'));
  chmodSync(shims, 0o755);
  for (const [name, text] of [
    ['flock', FLOCK],
    ['ip', IP],
  ] as const) {
    writeFileSync(join(shims, name), text);
    chmodSync(join(shims, name), 0o755);
  }
  for (const kind of KINDS) {
    configs.set(kind.node, writeConfig(kind.text));
    // The device up already: boot-pre's only other step has nothing to do.
    const up = await sim.exec(sim.host(kind.node), ['ip', 'link', 'set', 'eth0', 'up']);
    assert.is(up.exitCode, 0, up.stderr);
  }
});
test.after(async () => {
  await sim?.destroy();
  if (shims) rmSync(shims, { recursive: true, force: true });
});

/** The probe cache of node `id`'s host, as a real probe leaves it (this kernel, this boot). */
const cacheFile = (id: number) =>
  probeCachePath(
    { kind: 'netns', name: sim.host(id) },
    { CLUSTERNET_RUN_DIR: sim.runDirOf(sim.host(id)) },
  );
const writeCache = (id: number, types: readonly string[]) =>
  writeFileSync(
    cacheFile(id),
    JSON.stringify({ kernel: release(), boot: bootId, ok: types.map((t) => `link ${t}`).sort() }),
  );
const cached = (id: number): string[] =>
  (JSON.parse(readFileSync(cacheFile(id), 'utf8')) as { ok: string[] }).ok;

/** Node `id`'s boot-pre hook in its host, through the shims; what they noted, one line each. */
async function bootPre(id: number, awaitLock: boolean) {
  const log = join(shims, `log-${id}`);
  writeFileSync(log, '');
  const env = {
    CLUSTERNET_RUN_DIR: sim.runDirOf(sim.host(id)),
    CLUSTERNET_CONFIG: configs.get(id)!,
    CLUSTERNET_NODE_ID: String(id),
    CLUSTERNET_VERBOSE: '1',
    PATH: `${shims}:${process.env.PATH}`,
    EARLY_REAL_PATH: process.env.PATH ?? '',
    EARLY_LOG: log,
    ...(awaitLock ? { EARLY_AWAIT: '1' } : {}),
  };
  const run = await sim.exec(sim.host(id), [
    'env',
    ...Object.entries(env).map(([k, v]) => `${k}=${v}`),
    join(HOOKS_DIR, 'boot-pre.d', '50net'),
  ]);
  return { run, noted: readFileSync(log, 'utf8').trim().split('\n') };
}

for (const kind of KINDS) {
  test(`${kind.name}: every type it needs probed already — no lock, not even asked for`, async () => {
    writeCache(kind.node, kind.needs);
    const { run, noted } = await bootPre(kind.node, false);
    assert.is(run.exitCode, 0, run.stderr);
    assert.match(run.stderr + run.stdout, /boot-pre: nothing to change/);
    assert.equal(noted, ['read: no lock asked'], 'one read of the host, no flock');
    assert.equal(
      cached(kind.node),
      kind.needs.map((t) => `link ${t}`).sort(),
      'the cache as it was',
    );
  });

  for (const missing of kind.needs) {
    test(`${kind.name}: link ${missing} not probed yet — the lock is asked for before the read ends`, async () => {
      writeCache(
        kind.node,
        kind.needs.filter((t) => t !== missing),
      );
      const { run, noted } = await bootPre(kind.node, true);
      assert.is(noted[0], 'flock', noted.join('\n'));
      assert.ok(noted.includes('read: lock asked'), noted.join('\n'));
      assert.not.ok(noted.includes('read: no lock asked'), noted.join('\n'));
      if (missing === 'vlan') {
        // This machine's kernel has no 802.1q (test/ns/vlan-missing.test.ts): the probe fails, clearly.
        assert.is(run.exitCode, 1, run.stderr);
        assert.match(run.stderr, /this kernel cannot create vlan links/);
      } else {
        assert.is(run.exitCode, 0, run.stderr);
        assert.equal(
          cached(kind.node),
          kind.needs.map((t) => `link ${t}`).sort(),
          'the probe remembered again',
        );
      }
    });
  }
}

test.run();
