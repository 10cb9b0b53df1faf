// `npm run demo [-- --kernel 6.1|6.12]`: the built-in example, run for real. Fetches a
// Debian kernel into the lab cache if needed (test/lab/kernels.ts), boots it under qemu with
// this machine's files as its root, and there builds a 4-node cluster from the shipped
// etc/net.conf (test/lab/guest/demo.ts): derived values, what each phase ran, a
// reachability matrix, the cluster IP's share per node, then a one-line verdict.
// Exit 0 on PASS, 1 on FAIL, 2 on bad usage. Needs root, qemu and network to Debian's apt
// the first time (about 530 MB of cache for both kernels, ~120 MB for 6.12 alone).
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { PROJECT_ROOT, runInGuest } from './harness.js';
import { cacheDir, ensureKernel, type Series } from './kernels.js';

const { values } = parseArgs({
  options: {
    kernel: { type: 'string', default: '6.12' },
    timeout: { type: 'string', default: '1800' },
    verbose: { type: 'boolean', default: false },
  },
});
const kernel = values.kernel;
if (kernel !== '6.1' && kernel !== '6.12') {
  process.stderr.write(
    'usage: npm run demo [-- --kernel 6.1|6.12] [--timeout SECONDS] [--verbose]\n',
  );
  process.exit(2);
}
const say = (line = '') => process.stdout.write(`${line}\n`);
const fail = (why: string): never => {
  say(`demo: FAIL: ${why}`);
  process.exit(1);
};

const started = Date.now();
const clock = () => `${Math.round((Date.now() - started) / 1000)} s`;
if (process.getuid?.() !== 0)
  fail(
    'the demo needs root (network namespaces in the guest, the kernel cache in /var/cache): run it with sudo',
  );
if (!existsSync(join(PROJECT_ROOT, 'dist', 'lib', 'cli', 'main.js')))
  fail('dist/ is missing: run `npm run build` first');

say(
  `demo: clusternet on a real Debian ${kernel} kernel under qemu (TCG), with this machine's files as the guest's root.`,
);
say(
  `demo: kernel cache ${cacheDir()} (the first run downloads the kernel package from Debian's apt).`,
);
const k = await ensureKernel(kernel as Series).catch((error: unknown) =>
  fail(`cannot get Linux ${kernel}: ${error instanceof Error ? error.message : String(error)}`),
);
say(
  `demo: Linux ${k.version} ready after ${clock()}; booting it (a few minutes: every program runs emulated, 20-30 times slower than here).`,
);
say('');

let verdict: string | undefined;
const r = await runInGuest({
  kernel: kernel as Series,
  cpus: 2,
  timeoutMs: Number(values.timeout) * 1000,
  verbose: values.verbose,
  script: 'node --import tsx test/lab/guest/demo.ts',
  onConsoleLine: (line) => {
    const m = /^demo\| (.*)$/.exec(line);
    if (!m) return;
    if (m[1]!.startsWith('DEMO-VERDICT ')) verdict = m[1]!.slice('DEMO-VERDICT '.length);
    else say(m[1]);
  },
}).catch((error: unknown) =>
  fail(`the lab could not run: ${error instanceof Error ? error.message : String(error)}`),
);

say('');
if (verdict === undefined) {
  say(r.output.slice(-4000));
  if (!values.verbose) say(r.console.slice(-2000));
  fail(
    r.timedOut
      ? `the guest did not finish within ${values.timeout} s`
      : `the guest ended without a verdict (exit code ${r.exitCode})`,
  );
}
say(`${verdict} — ${clock()} in all.`);
process.exit(verdict!.startsWith('PASS') && r.exitCode === 0 ? 0 : 1);
