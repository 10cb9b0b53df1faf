// install-hooks into a temporary prefix, then the INSTALLED hooks run for real in a
// simulated cluster of namespaces (macvlan on this kernel): directly as the init system
// runs them, through Kerrighed's helper folders (with Kerrighed's arguments), and through
// the installed sysv init script reading the installed /etc/default/clusternet. Needs root.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { execFileSync, spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createSimCluster, links, reaches, type SimCluster } from '../sim/cluster.js';
import { CLI, clusternet, show, tempDir } from './cli.js';

const CONFIG = `# the admin's file\n[cluster]\nnodes = 1-4\n\n[net]\nlink = macvlan\ndevice = eth0\ninterface = krg0\nmac = 02:00:00:00:07:00\naddress = 10.4.135.0/24\n`;

let sim: SimCluster;
let prefix: string;
let conf: string;
const made: string[] = [];

test.before(async () => {
  sim = await createSimCluster({ nodes: [1, 2, 3] });
  prefix = tempDir();
  const r = clusternet([
    'install-hooks',
    '--prefix',
    prefix,
    '--init',
    'systemd',
    '--init',
    'sysv',
    '--init',
    'kerrighed',
  ]);
  assert.is(r.code, 0, show(r));
  conf = join(prefix, 'etc/net.conf');
  writeFileSync(conf, CONFIG);
  // What the hooks read when run from Kerrighed's helper folders.
  writeFileSync(join(prefix, 'etc/kerrighed/net.conf'), CONFIG);
});
test.after(async () => {
  for (const ns of made) spawnSync('ip', ['netns', 'del', ns]);
  await sim?.destroy();
});

/**
 * The CLI in a node's host namespace through nsenter, which (unlike `ip netns exec`) keeps
 * the machine's mount namespace: a namespace that `service start` creates there is then
 * visible to the test too.
 */
const inHost = (id: number, args: string[]) =>
  spawnSync('nsenter', [`--net=/run/netns/${sim.host(id)}`, '--', process.execPath, CLI, ...args], {
    encoding: 'utf8',
    env: { ...process.env, CLUSTERNET_RUN_DIR: sim.runDir, CLUSTERNET_SYSLOG: 'none' },
  });

/** Runs an installed file in a namespace with the environment the init system would give. */
const runIn = (ns: string, file: string, args: string[], env: Record<string, string>) =>
  sim.exec(ns, [
    'env',
    `CLUSTERNET_RUN_DIR=${sim.runDir}`,
    'CLUSTERNET_SYSLOG=none',
    ...Object.entries(env).map(([k, v]) => `${k}=${v}`),
    join(prefix, file),
    ...args,
  ]);

async function addressesOf(id: number): Promise<string[]> {
  const krg0 = (await links(sim, sim.container(id))).find((l) => l.ifname === 'krg0');
  return (
    krg0?.addr_info.filter((a) => a.family === 'inet').map((a) => `${a.local}/${a.prefixlen}`) ?? []
  );
}

test('the installed hook folders run every phase, in the host and in the container', async () => {
  const env = { CLUSTERNET_CONFIG: conf, CLUSTERNET_NODE_ID: '1' };
  const steps: [string, string, string[]][] = [
    [sim.host(1), 'etc/clusternet/hooks/boot-pre.d/50net', []],
    [sim.host(1), 'etc/clusternet/hooks/boot-post.d/50net', [sim.container(1)]],
    [sim.container(1), 'etc/clusternet/hooks/init-pre.d/10net', []],
    [sim.container(1), 'etc/clusternet/hooks/init-post.d/20clusterip', []],
  ];
  for (const [ns, file, args] of steps) {
    const r = await runIn(ns, file, args, env);
    assert.is(r.exitCode, 0, `${file}: ${r.stderr}`);
  }
  assert.equal(await addressesOf(1), ['10.4.135.1/24']);
});

test("Kerrighed's helper folders run the same hooks with Kerrighed's arguments (PID, conf path), reading /etc/kerrighed/net.conf", async () => {
  // Kerrighed's kernel gave boot-post the container's init PID; krginit_helper gave every
  // init hook its own conf file (`run-parts --arg=$CONF`), which is not net.conf.
  const pid = execFileSync('ip', ['netns', 'pids', sim.container(2)], { encoding: 'utf8' }).trim();
  const holder = pid === '' ? await holdNamespace(sim.container(2)) : undefined;
  try {
    const containerPid = holder?.pid ?? pid.split('\n')[0]!;
    const env = { CLUSTERNET_NODE_ID: '2' };
    const host = [
      ['etc/kerrighed/krgboot_helper-pre.d/50net', []],
      ['etc/kerrighed/krgboot_helper-post.d/50net', [String(containerPid)]],
    ] as const;
    for (const [file, args] of host) {
      const r = await runIn(sim.host(2), file, [...args], env);
      assert.is(r.exitCode, 0, `${file}: ${r.stderr}`);
    }
    const inside = await runIn(
      sim.container(2),
      'etc/kerrighed/krginit_helper-pre.d/10net',
      ['/etc/kerrighed/krginit_helper.conf'],
      env,
    );
    assert.is(inside.exitCode, 0, inside.stderr);
    const post = await runIn(
      sim.container(2),
      'etc/kerrighed/krginit_helper-post.d/20clusterip',
      [],
      env,
    );
    assert.is(post.exitCode, 0, post.stderr);
  } finally {
    holder?.kill();
  }
  assert.equal(await addressesOf(2), ['10.4.135.2/24']);
  assert.ok(await reaches(sim, sim.container(1), '10.4.135.2'));
  assert.ok(await reaches(sim, sim.container(2), '10.4.135.1'));
});

/** A process living in the namespace, standing for the container's init. */
async function holdNamespace(ns: string): Promise<{ pid: number; kill: () => void }> {
  const { spawn } = await import('node:child_process');
  const child = spawn('ip', ['netns', 'exec', ns, 'sleep', '300'], { stdio: 'ignore' });
  for (let i = 0; i < 50; i++) {
    const pids = execFileSync('ip', ['netns', 'pids', ns], { encoding: 'utf8' }).trim();
    if (pids) return { pid: Number(pids.split('\n')[0]), kill: () => child.kill('SIGKILL') };
    await new Promise((r) => setTimeout(r, 50));
  }
  child.kill('SIGKILL');
  throw new Error(`no process showed up in ${ns}`);
}

/** Points the installed switches file at this test's container, config and node. */
function switches(netns: string, node: number): string {
  const file = join(prefix, 'etc/default/clusternet');
  const text = readFileSync(join(prefix, 'etc/default/clusternet'), 'utf8')
    .replace(/^ISOLATE_NET=.*$/m, 'ISOLATE_NET=true')
    .replace(/^CONTAINER_NETNS=.*$/m, `CONTAINER_NETNS=${netns}`)
    .replace(/^CLUSTERNET_CONFIG=.*$/m, `CLUSTERNET_CONFIG=${conf}`)
    .replace(
      /^CLUSTERNET_HOOKS_DIR=.*$/m,
      `CLUSTERNET_HOOKS_DIR=${join(prefix, 'etc/clusternet/hooks')}`,
    )
    .replace(/^#?CLUSTERNET_NODE_ID=.*$/m, `CLUSTERNET_NODE_ID=${node}`);
  writeFileSync(file, text);
  return file;
}

test('the installed init script starts, reports and stops node 3 from /etc/default/clusternet', async () => {
  const env = { CLUSTERNET_DEFAULTS: switches(sim.container(3), 3) };
  const down = await runIn(sim.host(3), 'etc/init.d/clusternet', ['status'], env);
  assert.is(down.exitCode, 3, down.stdout);
  const start = await runIn(sim.host(3), 'etc/init.d/clusternet', ['start'], env);
  assert.is(start.exitCode, 0, start.stderr);
  assert.match(start.stderr, /clusternet\[init-pre node 3\]: changed: /);
  assert.equal(await addressesOf(3), ['10.4.135.3/24']);
  const up = await runIn(sim.host(3), 'etc/init.d/clusternet', ['status'], env);
  assert.is(up.exitCode, 0, up.stdout + up.stderr);
  assert.match(up.stdout, /is ready/);
  const wait = await sim.cli(sim.host(3), [
    'wait',
    '--defaults',
    env.CLUSTERNET_DEFAULTS,
    '--timeout',
    '5',
  ]);
  assert.is(wait.exitCode, 0, wait.stderr);
  const stop = await runIn(sim.host(3), 'etc/init.d/clusternet', ['stop'], env);
  assert.is(stop.exitCode, 0, stop.stderr);
  assert.equal(
    (await links(sim, sim.container(3))).map((l) => l.ifname),
    ['lo'],
  );
  assert.is((await runIn(sim.host(3), 'etc/init.d/clusternet', ['status'], env)).exitCode, 3);
});

test("service start makes the container's namespace when it is missing; ISOLATE_NET=false does nothing", async () => {
  const fresh = `${sim.prefix}-svc`;
  made.push(fresh);
  const file = switches(fresh, 3);
  const start = inHost(3, ['service', 'start', '--defaults', file]);
  assert.is(start.status, 0, start.stderr);
  assert.match(start.stderr, new RegExp(`created network namespace ${fresh}`));
  const inFresh = await sim.exec(fresh, ['ip', '-json', 'address', 'show', 'krg0']);
  assert.match(
    inFresh.stdout,
    /"local":"10\.4\.135\.3"/,
    `${inFresh.stdout}${inFresh.stderr}\n${start.stderr}`,
  );
  assert.is(inHost(3, ['service', 'stop', '--defaults', file]).status, 0);
  writeFileSync(file, readFileSync(file, 'utf8').replace('ISOLATE_NET=true', 'ISOLATE_NET=false'));
  const off = inHost(3, ['service', 'start', '--defaults', file]);
  assert.is(off.status, 0, off.stderr);
  assert.match(off.stderr, /ISOLATE_NET is off/);
  assert.equal(
    (await links(sim, fresh)).map((l) => l.ifname),
    ['lo'],
  );
});

test('CLUSTERNET_DRY_RUN=1: the init script, service and the hook files print what they would do and change nothing', async () => {
  const fresh = `${sim.prefix}-dry`;
  made.push(fresh);
  const env = { CLUSTERNET_DEFAULTS: switches(fresh, 2), CLUSTERNET_DRY_RUN: '1' };
  const names = async (ns: string) =>
    (await links(sim, ns)).map((l) => `${l.ifname} ${l.flags.join(',')}`);
  let before = await names(sim.host(2));
  // No namespace yet: the plan is shown, the namespace is not made.
  const start = await runIn(sim.host(2), 'etc/init.d/clusternet', ['start'], env);
  assert.is(start.exitCode, 0, start.stderr);
  assert.match(start.stderr, new RegExp(`would run: ip netns add ${fresh}`), start.stderr);
  assert.match(
    start.stderr,
    /clusternet\[init-pre node 2\]: would run: \[netns \S+\] ip address add 10\.4\.135\.2\/24 dev krg0/,
    start.stderr,
  );
  assert.not.ok(
    spawnSync('ip', ['netns', 'list'], { encoding: 'utf8' }).stdout.includes(fresh),
    'no namespace made',
  );
  assert.equal(await names(sim.host(2)), before, 'the host is as it was');
  // The existing container's namespace: read, not changed.
  const dry = { CLUSTERNET_DEFAULTS: switches(sim.container(2), 2), CLUSTERNET_DRY_RUN: '1' };
  // (an earlier test may have built node 2: a real stop first, so the dry start has work to show)
  assert.is(
    (
      await runIn(sim.host(2), 'etc/init.d/clusternet', ['stop'], {
        CLUSTERNET_DEFAULTS: dry.CLUSTERNET_DEFAULTS,
      })
    ).exitCode,
    0,
  );
  before = await names(sim.host(2));
  const inContainer = await runIn(sim.host(2), 'etc/init.d/clusternet', ['start'], dry);
  assert.is(inContainer.exitCode, 0, inContainer.stderr);
  assert.match(
    inContainer.stderr,
    /boot-post node 2\]: would run: ip link add link eth0 name /,
    inContainer.stderr,
  );
  assert.equal(
    (await links(sim, sim.container(2))).map((l) => l.ifname),
    ['lo'],
  );
  assert.equal(await names(sim.host(2)), before);
  // A hook file run directly, and the failover commands: honoured or refused, never done.
  const hook = await runIn(
    sim.host(2),
    'etc/clusternet/hooks/boot-post.d/50net',
    [sim.container(2)],
    { CLUSTERNET_CONFIG: conf, CLUSTERNET_NODE_ID: '2', CLUSTERNET_DRY_RUN: '1' },
  );
  assert.is(hook.exitCode, 0, hook.stderr);
  assert.match(hook.stderr, /would run: ip link add/);
  assert.equal(await names(sim.host(2)), before);
  const takeover = await sim.cli(sim.container(2), ['takeover', '--node', '2', '-c', conf], {
    CLUSTERNET_DRY_RUN: '1',
  });
  assert.is(takeover.exitCode, 2, takeover.stderr);
  assert.match(takeover.stderr, /CLUSTERNET_DRY_RUN: takeover has no dry run, so it did nothing/);
  const odd = await runIn(sim.host(2), 'etc/init.d/clusternet', ['start'], {
    ...dry,
    CLUSTERNET_DRY_RUN: 'maybe',
  });
  assert.is(odd.exitCode, 2);
  assert.match(odd.stderr, /CLUSTERNET_DRY_RUN: "maybe" is not a switch/);
  assert.equal(
    (await links(sim, sim.container(2))).map((l) => l.ifname),
    ['lo'],
  );
});

test("service start waits for this node's own device ([node N] device), read from net.conf when it starts", async () => {
  const other = join(tempDir(), 'net.conf');
  writeFileSync(other, `${CONFIG}\n[node 2]\ndevice = cnmissing0\n`, { mode: 0o644 });
  const file = switches(sim.container(2), 2);
  writeFileSync(
    file,
    readFileSync(file, 'utf8')
      .replace(/^CLUSTERNET_CONFIG=.*$/m, `CLUSTERNET_CONFIG=${other}`)
      .replace(/^WAIT_TIMEOUT=.*$/m, 'WAIT_TIMEOUT=1'),
  );
  const start = await runIn(sim.host(2), 'etc/init.d/clusternet', ['start'], {
    CLUSTERNET_DEFAULTS: file,
  });
  assert.is(start.exitCode, 1, start.stderr);
  assert.match(start.stderr, /waiting up to 1 s for the lower device cnmissing0/);
  assert.match(
    start.stderr,
    /node 2's lower device cnmissing0 \(net\.device, or device in \[node 2\], of \S+\) did not appear within 1 s/,
  );
  assert.equal(
    (await links(sim, sim.container(2))).map((l) => l.ifname),
    ['lo'],
  );
});

test("uninstall-hooks leaves the prefix as it found it, but for the admin's changed files", () => {
  const r = clusternet(['uninstall-hooks', '--prefix', prefix]);
  assert.is(r.code, 0, show(r));
  assert.match(r.stderr, /kept \/etc\/net\.conf: changed since it was installed/);
  assert.match(r.stderr, /kept \/etc\/default\/clusternet: changed since it was installed/);
});

test.run();
