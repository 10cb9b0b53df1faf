// Boots each Debian kernel once under qemu and checks, inside the guest, what
// the local kernel cannot show: 802.1q VLANs, xt_cluster, CLUSTERIP (6.1 only).
// Needs root (the kernel cache lives in /var/cache) and qemu; no network.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import {
  BOOTS_PER_RUN,
  PROJECT_ROOT,
  SCRIPT_STARTED,
  bootDiedEarly,
  hiddenInGuest,
  runInGuest,
} from './harness.js';
import { ensureKernel, type Series } from './kernels.js';

// Each check prints `PASS name` or `FAIL name: why`; the script then exits 3,
// so the same boot also shows that the guest's exit code reaches the host.
const CHECKS = `
check() {
  local name=$1; shift
  if out=$("$@" 2>&1); then echo "PASS $name"; else echo "FAIL $name: $out" | tr '\\n' ' '; echo; fi
}
echo "uname $(uname -r)"
echo "cwd $(pwd)"
echo "mark $LAB_MARK"
echo "timeout $CLUSTERNET_COMMAND_TIMEOUT"
check netns ip netns add lab
check 8021q modprobe 8021q
check vlan sh -c 'ip -n lab link add d0 type dummy &&
  ip -n lab link add link d0 name d0.7 type vlan id 7 &&
  ip -n lab -d link show d0.7 | grep -q "vlan protocol 802.1Q id 7"'
check xt_cluster modprobe xt_cluster
check clusterip modprobe ipt_CLUSTERIP
check node node -e 'process.exit(0)'
exit 3
`;

// Quotes and a dollar: the environment must arrive as given, unexpanded.
const MARK = `it's "quoted" $HOME`;

function parse(output: string): Record<string, string> {
  const seen: Record<string, string> = {};
  for (const line of output.split('\n')) {
    const m =
      /^(PASS|FAIL) (\S+?):?( |$)/.exec(line) ?? /^(uname|cwd|mark|timeout) (.*)$/.exec(line);
    if (m?.[1] && m[2] !== undefined) {
      if (m[1] === 'PASS' || m[1] === 'FAIL') seen[m[2]] = m[1];
      else seen[m[1]] = m[2];
    }
  }
  return seen;
}

for (const series of ['6.1', '6.12'] as Series[]) {
  test(`Linux ${series} in a guest: 802.1q, xt_cluster, CLUSTERIP ${series === '6.1' ? 'present' : 'gone'}`, async () => {
    const { version } = await ensureKernel(series);
    assert.ok(version.startsWith(`${series}.`), `resolved ${version} for ${series}`);
    const r = await runInGuest({
      kernel: series,
      script: CHECKS,
      env: { LAB_MARK: MARK },
      timeoutMs: 180_000,
    });
    const why = `\n--- output ---\n${r.output}\n--- console (tail) ---\n${r.console.slice(-3000)}`;
    assert.equal(r.timedOut, false, `guest timed out${why}`);
    assert.equal(
      parse(r.output),
      {
        uname: version,
        cwd: PROJECT_ROOT,
        mark: MARK,
        // An emulated machine: clusternet's commands get 90 s there, not 15.
        timeout: '90',
        netns: 'PASS',
        '8021q': 'PASS',
        vlan: 'PASS',
        xt_cluster: 'PASS',
        clusterip: series === '6.1' ? 'PASS' : 'FAIL',
        node: 'PASS',
      },
      `checks in the guest${why}`,
    );
    assert.equal(r.exitCode, 3, `exit code${why}`);
  });
}

test('a project under a folder the guest mounts fresh (/tmp, /run…) is named, not silently missing', () => {
  assert.is(hiddenInGuest('/tmp/ci/main'), '/tmp');
  assert.is(hiddenInGuest('/run/x'), '/run');
  assert.is(hiddenInGuest('/tmpfoo/main'), undefined);
  assert.is(hiddenInGuest('/check/work/main'), undefined);
  assert.is(hiddenInGuest(PROJECT_ROOT), undefined, 'this checkout is visible to the guests');
});

test('a guest that outlives its time bound is killed and reported timedOut', async () => {
  // 30 s: well past a boot (about 10 s here) so the script is seen running first.
  const r = await runInGuest({
    kernel: '6.1',
    script: 'echo sleeping; sleep 600',
    timeoutMs: 30_000,
  });
  assert.equal(r.timedOut, true);
  assert.equal(r.exitCode, null);
  assert.match(r.output, /sleeping/, `the script had started\n${r.console.slice(-3000)}`);
  assert.ok(r.seconds < 40, `killed on time: ${r.seconds} s`);
});

test('a guest whose kernel dies before the script is booted again, at most BOOTS_PER_RUN times in all', async () => {
  // rdinit names no file in the initramfs: the kernel falls back to a root
  // device it has none of and panics before any init of ours runs.
  const r = await runInGuest({
    kernel: '6.1',
    script: 'echo never',
    kernelArgs: ['rdinit=/no-such-init'],
    timeoutMs: 60_000,
  });
  assert.equal(r.timedOut, false);
  assert.equal(r.exitCode, null);
  assert.equal(r.output, '');
  assert.is(
    r.earlyDeaths.length,
    BOOTS_PER_RUN - 1,
    `booted ${BOOTS_PER_RUN} times\n${r.console.slice(-2000)}`,
  );
  for (const tail of [...r.earlyDeaths, r.console])
    assert.match(tail, /Kernel panic - not syncing/);
});

test("a death after the script started is the run's result, never booted again", () => {
  const oops =
    '[    2.9] Oops: int3: 0000 [#2] PREEMPT SMP NOPTI\n[    2.9] Kernel panic - not syncing: Fatal exception in interrupt\n';
  assert.ok(bootDiedEarly(`[    0.0] Linux version 6.12\n${oops}`));
  assert.not.ok(bootDiedEarly(`[    0.0] Linux version 6.12\n${SCRIPT_STARTED}\n${oops}`));
  assert.not.ok(bootDiedEarly(`${SCRIPT_STARTED}\nlab: exit code 0\n`));
  assert.not.ok(bootDiedEarly('qemu: could not open kernel'), 'no panic: not a kernel death');
});

test.run();
