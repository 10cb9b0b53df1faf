// Run one bash script in a guest by hand:
//   node --import tsx test/lab/run.ts [--timeout SECONDS] [--cpus 1|2] [--verbose] <6.1|6.12> '<bash script>'
// Prints the script's output and exits with its exit code (124 on timeout,
// 125 when the guest never reported one).
import { parseArgs } from 'node:util';
import { runInGuest } from './harness.js';

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: {
    timeout: { type: 'string', default: '300' },
    cpus: { type: 'string', default: '1' },
    verbose: { type: 'boolean', short: 'v', default: false },
  },
});
const [kernel, script] = positionals;
if (
  (kernel !== '6.1' && kernel !== '6.12') ||
  script === undefined ||
  positionals.length !== 2 ||
  (values.cpus !== '1' && values.cpus !== '2')
) {
  process.stderr.write(
    "usage: run.ts [--timeout SECONDS] [--cpus 1|2] [--verbose] <6.1|6.12> '<bash script>'\n",
  );
  process.exit(2);
}
const r = await runInGuest({
  kernel,
  script,
  timeoutMs: Number(values.timeout) * 1000,
  cpus: values.cpus === '2' ? 2 : 1,
  verbose: values.verbose,
});
process.stdout.write(r.output);
process.stderr.write(
  `lab: ${r.timedOut ? 'timed out' : `exit code ${r.exitCode}`} after ${r.seconds.toFixed(1)} s\n`,
);
if (r.exitCode === null && !r.timedOut && !values.verbose)
  process.stderr.write(r.console.slice(-3000));
process.exit(r.timedOut ? 124 : (r.exitCode ?? 125));
