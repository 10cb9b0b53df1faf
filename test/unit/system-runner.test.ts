// The real command runner (lib/system/runner.ts), on harmless commands: argument arrays,
// input fed and closed, output kept whole, LC_ALL=C, a command that cannot start, the
// timeout and SIGKILL, and `system` carried through the tracing wrapper.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import {
  DEFAULT_TIMEOUT_MS,
  commandTimeoutMs,
  runChecked,
  systemRunner,
  tracingRunner,
} from '../../lib/system/runner.js';
import { ApplyError } from '../../lib/errors.js';
import { FakeRunner } from '../helpers/fake-runner.js';

const R = suite('system: the command runner');

R(
  'argv is passed as is, never through a shell; stdout, stderr and the exit code come back whole',
  async () => {
    const r = await systemRunner.run([
      'sh',
      '-c',
      'printf "%s|" "$@"; echo oops >&2; exit 3',
      'sh',
      'a b',
      '$HOME',
      "'q'",
    ]);
    assert.equal(r, { exitCode: 3, stdout: "a b|$HOME|'q'|", stderr: 'oops\n', timedOut: false });
  },
);

R('input is fed on stdin and closed; without input the command reads end of file', async () => {
  assert.is(
    (await systemRunner.run(['cat'], { input: 'address show\nroute show\n' })).stdout,
    'address show\nroute show\n',
  );
  assert.is((await systemRunner.run(['cat'])).stdout, '');
  // A command that exits without reading a large input is not our error.
  assert.is((await systemRunner.run(['true'], { input: 'x'.repeat(1 << 20) })).exitCode, 0);
});

R('commands run with LC_ALL=C over the caller environment', async () => {
  const r = await systemRunner.run(['sh', '-c', 'echo "$LC_ALL:${PATH:+path}"']);
  assert.is(r.stdout, 'C:path\n');
});

R('a command that cannot be started answers 127 and says why; runChecked names it', async () => {
  const r = await systemRunner.run(['clusternet-no-such-command', '-x']);
  assert.is(r.exitCode, 127);
  assert.match(r.stderr, /clusternet-no-such-command: cannot run it \(ENOENT\)/);
  try {
    await runChecked(systemRunner, ['clusternet-no-such-command', '-x']);
    assert.unreachable('runChecked should throw');
  } catch (error) {
    assert.instance(error, ApplyError);
    assert.is((error as ApplyError).command, 'clusternet-no-such-command -x');
  }
});

R(
  'past the timeout the command is killed (SIGKILL), even one that ignores SIGTERM, and reported',
  async () => {
    const r = await systemRunner.run(['sh', '-c', 'trap "" TERM; sleep 30'], { timeoutMs: 150 });
    assert.is(r.timedOut, true);
    assert.is(r.exitCode, 124);
    assert.match(r.stderr, /timed out after 150 ms and was killed/);
  },
);

R('a grandchild keeping the output open does not hold the result past the timeout', async () => {
  const r = await systemRunner.run(['sh', '-c', 'sleep 30 & echo started'], { timeoutMs: 150 });
  assert.is(r.stdout, 'started\n');
  assert.is(r.timedOut, true);
});

R(
  'CLUSTERNET_COMMAND_TIMEOUT (seconds) sets the timeout of commands that set none, for slow machines',
  async () => {
    assert.is(commandTimeoutMs({}), DEFAULT_TIMEOUT_MS);
    assert.is(commandTimeoutMs({ CLUSTERNET_COMMAND_TIMEOUT: '90' }), 90_000);
    for (const bad of ['0', '-5', 'soon', ''])
      assert.is(commandTimeoutMs({ CLUSTERNET_COMMAND_TIMEOUT: bad }), DEFAULT_TIMEOUT_MS, bad);
    const saved = process.env.CLUSTERNET_COMMAND_TIMEOUT;
    process.env.CLUSTERNET_COMMAND_TIMEOUT = '0.15';
    try {
      const r = await systemRunner.run(['sleep', '30']);
      assert.is(r.timedOut, true);
      assert.match(r.stderr, /timed out after 150 ms/);
    } finally {
      if (saved === undefined) delete process.env.CLUSTERNET_COMMAND_TIMEOUT;
      else process.env.CLUSTERNET_COMMAND_TIMEOUT = saved;
    }
  },
);

R('the tracing wrapper keeps whether the runner reaches the real system', () => {
  assert.is(tracingRunner(systemRunner, () => {}).system, true);
  assert.is(tracingRunner(new FakeRunner(), () => {}).system, false);
});

R.run();
