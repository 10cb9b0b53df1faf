// The README's administrator sections (issue 16, items 14 and 15), run as written: every
// ```sh tested block, in order, in one shell, in a private mount and network namespace
// where every folder install-hooks can write into (derived from the install layout's own
// paths, so a file added to the layout later is covered too), /usr/local/bin and /var/lib
// are overlays on a scratch folder (so `install-hooks` and `set` really write
// /etc/net.conf and friends, and this machine's own files are never touched), with a veth eth0 as the node's NIC. A line's
// trailing `# exit N` is the status it must end with (0 otherwise). Needs root.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, realpathSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { PATHS } from '../../lib/install/layout.js';
import { ROOT, tempDir } from './cli.js';

const README = readFileSync(join(ROOT, 'README.md'), 'utf8');
// Whatever this machine had before the test, to tell that the test added nothing.
const hadCompletion = existsSync('/etc/bash_completion.d/clusternet');
const hadOcfAgent = existsSync(PATHS.ocfAgent);

/** The nearest folder above `path` that exists on this machine: what an overlay can cover. */
function existingAbove(path: string): string {
  let dir = dirname(path);
  while (!existsSync(dir)) dir = dirname(dir);
  return realpathSync(dir);
}

/**
 * The folders the sandbox lays over the machine: those above every path install-hooks
 * writes, plus where `set`'s and the completion's files go; none nested in another.
 */
export function sandboxFolders(): string[] {
  const wanted = new Set([
    ...Object.values(PATHS).map(existingAbove),
    ...['/etc', '/var/lib', '/usr/local/bin'].filter(existsSync).map((d) => realpathSync(d)),
  ]);
  const all = [...wanted].sort();
  return all.filter((d) => !all.some((o) => o !== d && d.startsWith(`${o}/`)));
}

/** The command lines of the ```sh tested blocks, with the exit status each must end with. */
export function testedLines(markdown: string): { line: string; exit: number }[] {
  const blocks = [...markdown.matchAll(/^```sh tested\n([\s\S]*?)^```$/gm)].map((m) => m[1]!);
  return blocks.flatMap((b) =>
    b
      .split('\n')
      .filter((l) => l.trim() !== '')
      .map((l) => {
        const m = /^(.*?)\s+# exit (\d+)$/.exec(l);
        return m ? { line: m[1]!, exit: Number(m[2]) } : { line: l, exit: 0 };
      }),
  );
}

const q = (s: string) => `'${s.replace(/'/g, "'\\''")}'`;

test('the README says "as root" and shows the set-up with sudo and as root, without sudo', () => {
  const setup = README.slice(
    README.indexOf('## Set-up: two commands'),
    README.indexOf('### The built-in example'),
  );
  assert.match(setup, /\*\*as root\*\*/);
  assert.match(setup, /^sudo bash scripts\/setup\.sh/m);
  assert.match(setup, /^bash scripts\/setup\.sh$/m, 'the root form, for a machine without sudo');
  assert.match(setup, /^npm test$/m);
  assert.match(setup, /`sudo` is not installed/);
});

test('the README has a section per administrator task, each with tested commands', () => {
  for (const task of [
    '### Install on a node',
    '### Join a server to the cluster VLAN',
    '### Change a key safely',
    '### See the state',
  ]) {
    const at = README.indexOf(task);
    assert.ok(at > 0, task);
    const section = README.slice(at, README.indexOf('\n### ', at + 4));
    assert.match(section, /^```sh tested$/m, `${task} has a tested block`);
  }
  const lines = testedLines(README).map((l) => l.line);
  for (const command of [
    'install-hooks',
    'server-config',
    'set',
    'unset',
    'get',
    'status',
    'check',
    'show',
    'man',
    'completion',
    '--version',
  ]) {
    assert.ok(
      lines.some((l) => l.startsWith(`clusternet ${command}`)),
      command,
    );
  }
});

test('every tested README command runs as written, as root, and ends as it says', () => {
  const lines = testedLines(README);
  const scratch = tempDir('clusternet-readme-');
  // What the sandbox lays over the machine: each folder is an overlay with a scratch upper layer.
  const layered = sandboxFolders();
  const setup = [
    'set -u',
    ...layered.flatMap((d, i) => [
      `mkdir -p ${scratch}/up${i} ${scratch}/work${i}`,
      `mount -t overlay overlay -o lowerdir=${d},upperdir=${scratch}/up${i},workdir=${scratch}/work${i} ${d}`,
    ]),
    'mkdir -p /run/netns /run/clusternet',
    'mount -t tmpfs tmpfs /run/netns',
    'mount -t tmpfs tmpfs /run/clusternet',
    'ip link set lo up',
    'ip link add eth0 type veth peer name eth0peer',
    `cd ${q(ROOT)}`,
  ];
  const body = lines.map(({ line, exit }, i) =>
    [
      `echo "### ${i}: $(printf %s ${q(line)})"`,
      `( ${line} )`,
      `rc=$?`,
      `[ "$rc" = ${exit} ] || { echo "README line failed: ${line.replace(/["$`\\]/g, '\\$&')} (exit $rc, the README says ${exit})" >&2; exit 1; }`,
    ].join('\n'),
  );
  const script = join(scratch, 'readme.sh');
  writeFileSync(script, `${[...setup, ...body, 'echo README-OK'].join('\n')}\n`);
  const env: NodeJS.ProcessEnv = {
    PATH: `/usr/local/bin:${process.env.PATH}`,
    HOME: process.env.HOME ?? '/root',
    CLUSTERNET_SYSLOG: 'none',
    LANG: 'C.UTF-8',
  };
  const r = spawnSync('unshare', ['--mount', '--net', '--propagation', 'private', 'bash', script], {
    env,
    encoding: 'utf8',
    timeout: 300_000,
  });
  const out = `${r.stdout}\n--- stderr\n${r.stderr}`;
  assert.is(r.status, 0, out);
  assert.match(r.stdout, /^README-OK$/m, out);
  // What the commands did, seen in the sandbox's output.
  assert.match(r.stdout, /^install-hooks: sysv integration under \/: \d+ written/m, out);
  assert.match(
    r.stderr,
    /would run: ip netns add cluster/,
    'the dry run showed what start would do',
  );
  assert.match(
    r.stdout,
    /^ip link add link eth0 name krg0 address f0:00:00:00:07:fe mtu 1496 type vlan id 7$/m,
  );
  assert.match(r.stdout, /^1400$/m);
  assert.match(r.stdout, /^node 4: not set up: netns cluster does not exist/m);
  // Nothing reached this machine: its /etc has no net.conf written by the test, no namespace.
  assert.not.ok(existsSync('/run/netns/cluster'));
  assert.ok(
    hadOcfAgent || !existsSync(PATHS.ocfAgent),
    `install-hooks wrote ${PATHS.ocfAgent} on this machine`,
  );
  assert.not.ok(
    existsSync('/etc/bash_completion.d/clusternet') &&
      readFileSync('/etc/bash_completion.d/clusternet', 'utf8').includes('_clusternet') &&
      !hadCompletion,
  );
});

test.run();
