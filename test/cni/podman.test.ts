// A real runtime: Debian's podman 4.3 with its CNI backend runs a container on the
// clusternet network, calling clusternet-cni as it calls any plugin (ADD at start, DEL at
// its cleanup, from conmon, with an environment of its own). Everything of podman's lives
// in a folder of this test (storage, run root, containers.conf, the network folder); it
// runs in node 2's host namespace, so the bridge and the container's link are made there,
// never in the root namespace. Why the flags (README, "Containers: podman on this
// machine"): this machine mounts cgroup v1 with a cgroup2 beside it ("hybrid", which crun
// refuses) and forbids raising RLIMIT_NOFILE/NPROC to podman's defaults. So podman runs
// in a mount namespace of its own with only cgroup2 at /sys/fs/cgroup (--cgroups=disabled),
// with lower limits; `nsenter --net`, not `ip netns exec`, which would remount /sys. Needs root.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawnSync } from 'node:child_process';
import { chmodSync, copyFileSync, mkdirSync, symlinkSync } from 'node:fs';
import { join } from 'node:path';
import { $ } from 'zx';
import { cli, show } from '../helpers/cli.js';
import { TempDir } from '../helpers/temp.js';
import { bridgePorts, createCniLab, PLUGIN, resultIps, type CniLab } from './harness.js';

let lab: CniLab;
let tmp: TempDir;
let containersConf: string;
const NODE = 2;

/** podman in node 2's host namespace, in a mount namespace of its own (see above). */
function podman(args: string[], timeout = 180_000) {
  const script = 'mount -t cgroup2 none /sys/fs/cgroup && exec podman "$@"';
  const global = [
    '--root',
    tmp.path('storage'),
    '--runroot',
    tmp.path('run'),
    '--tmpdir',
    tmp.path('tmp'),
    '--storage-driver',
    'vfs',
  ];
  const r = spawnSync(
    'nsenter',
    [
      `--net=/run/netns/${lab.sim.host(NODE)}`,
      'unshare',
      '-m',
      '--propagation',
      'slave',
      'sh',
      '-c',
      script,
      'sh',
      ...global,
      ...args,
    ],
    {
      env: { PATH: process.env.PATH, CONTAINERS_CONF: containersConf },
      encoding: 'utf8',
      timeout,
    },
  );
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

const rootLinks = async () =>
  (await $`ip -o link show`).stdout
    .split('\n')
    .map((l) => l.split(': ')[1])
    .sort();

test.before(async () => {
  lab = await createCniLab([1, 2, 3], 'network = 10.90.0.0/16\nnode-prefix = 24');
  tmp = new TempDir('clusternet-podman-');
  chmodSync(tmp.root, 0o755);
  for (const d of ['net.d', 'bin', 'tmp', 'rootfs/bin'])
    mkdirSync(tmp.path(d), { recursive: true });
  symlinkSync(PLUGIN, tmp.path('bin', 'clusternet-cni'));
  containersConf = tmp.write(
    'containers.conf',
    `[network]\nnetwork_backend = "cni"\ncni_plugin_dirs = ["${tmp.path('bin')}", "/usr/lib/cni"]\nnetwork_config_dir = "${tmp.path('net.d')}"\n[engine]\ncgroup_manager = "cgroupfs"\nevents_logger = "file"\nevents_logfile_path = "${tmp.path('events.log')}"\n`,
  );
  // The image: busybox-static alone, imported (nothing pulled from a registry).
  copyFileSync('/bin/busybox', tmp.path('rootfs', 'bin', 'busybox'));
  for (const applet of ['sh', 'ip', 'ping'])
    symlinkSync('busybox', tmp.path('rootfs', 'bin', applet));
  await $`tar -C ${tmp.path('rootfs')} -cf ${tmp.path('rootfs.tar')} .`;
  const imported = podman(['import', tmp.path('rootfs.tar'), 'localhost/clusternet-busybox']);
  assert.is(imported.code, 0, imported.stderr);
});
test.after(async () => {
  if (tmp) podman(['rm', '--all', '--force']);
  await lab?.destroy();
  tmp?.remove();
});

test("podman run --network NAME: the container gets node 2's range from clusternet-cni, reaches the bridge and a container of the spec-level calls; its exit frees the lease", async () => {
  const before = await rootLinks();
  // The network: `clusternet cni-config --meta`, node 2 written in (conmon's cleanup calls
  // the plugin without our environment).
  const list = cli([
    '-c',
    lab.config,
    'cni-config',
    '--meta',
    '--node',
    String(NODE),
    '--output-dir',
    tmp.path('net.d'),
  ]);
  assert.is(list.code, 0, show(list));
  const neighbour = await lab.container();
  const added = await lab.call(NODE, 'ADD', neighbour);
  assert.is(added.exitCode, 0, added.stdout);
  const other = resultIps(added.json)[0]!.split('/')[0]!;

  const run = podman([
    'run',
    '--rm',
    '--cgroups=disabled',
    '--ulimit',
    'nofile=1024:1024',
    '--ulimit',
    'nproc=1000:1000',
    '--network',
    lab.name,
    'localhost/clusternet-busybox',
    'sh',
    '-c',
    `ip -4 -o addr show eth0 && ping -c 1 -W 2 10.90.2.1 && ping -c 1 -W 2 ${other}`,
  ]);
  assert.is(run.code, 0, `${run.stdout}\n${run.stderr}`);
  assert.match(run.stdout, /inet 10\.90\.2\.\d+\/24/);
  assert.match(run.stdout, /1 packets received[^]*1 packets received/);
  // Its exit: podman's cleanup called DEL; only the neighbour's lease and port are left.
  assert.equal(lab.leases(), [other]);
  assert.is((await bridgePorts(lab.sim.host(NODE))).length, 1);
  assert.equal(await rootLinks(), before, 'the root namespace has no new link');
  assert.is((await lab.call(NODE, 'DEL', neighbour)).exitCode, 0);
  assert.equal(lab.leases(), []);
});

test.run();
