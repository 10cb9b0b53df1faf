// The machine-wide lock (lib/system/lock.ts): a flock(2) held on a descriptor only this
// process has. One holder at a time; a waiter gives up and names the holder; a holder
// killed by SIGKILL leaves no stale lock; nothing we start inherits it.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { spawn, spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { acquireLock, LOCK_HELD_ENV } from '../../lib/system/lock.js';
import { ApplyError } from '../../lib/errors.js';
import { TempDir } from '../helpers/temp.js';

const L = suite('system: the clusternet lock');
let tmp: TempDir;
let env: NodeJS.ProcessEnv;

L.before.each(() => {
  tmp = new TempDir();
  env = { CLUSTERNET_RUN_DIR: tmp.path('run'), CLUSTERNET_LOCK_WAIT: '0' };
});
L.after.each(() => tmp.remove());

/** Can someone else take the lock right now? (`flock -n` exits 1 when it cannot.) */
const free = () =>
  spawnSync('flock', ['-n', join(env.CLUSTERNET_RUN_DIR!, 'lock'), 'true']).status === 0;

async function refusal(promise: Promise<unknown>): Promise<ApplyError> {
  try {
    await promise;
  } catch (error) {
    assert.instance(error, ApplyError);
    return error as ApplyError;
  }
  throw new assert.Assertion({
    message: 'the lock was granted twice',
    generated: false,
    operator: 'throws',
    expects: 'a refusal',
    actual: 'the lock',
  });
}

L('one holder at a time; the waiter gives up, naming the holder; release frees it', async () => {
  const lock = await acquireLock('init-pre for node 4', env);
  assert.is(env[LOCK_HELD_ENV], '1');
  assert.not.ok(free());
  const other = { ...env, [LOCK_HELD_ENV]: undefined };
  const e = await refusal(acquireLock('stop for node 4', other));
  assert.match(
    e.stderr,
    new RegExp(
      `another clusternet holds the lock \\(pid ${process.pid}: init-pre for node 4, since `,
    ),
  );
  assert.match(e.stderr, /gave up after 0 s/);
  lock.release();
  assert.is(env[LOCK_HELD_ENV], undefined);
  assert.ok(free());
  // Released twice: harmless.
  lock.release();
  const again = await acquireLock('stop for node 4', env);
  again.release();
  assert.ok(free());
});

L(
  'inside a run that holds it (a site hook calling clusternet), taking it again is a no-op',
  async () => {
    const lock = await acquireLock('run', env);
    const inner = await acquireLock('hook', env);
    inner.release();
    assert.not.ok(free(), 'the outer lock is still held');
    lock.release();
    assert.ok(free());
  },
);

L(
  'a process we start does not inherit the lock: released while it still runs, the lock is free',
  async () => {
    const lock = await acquireLock('run', env);
    const child = spawn('sleep', ['30'], { stdio: ['ignore', 'pipe', 'pipe'] });
    try {
      await new Promise((r) => child.once('spawn', r));
      lock.release();
      assert.ok(free());
    } finally {
      child.kill('SIGKILL');
    }
  },
);

L('a holder killed by SIGKILL leaves no stale lock', async () => {
  const script = `import { acquireLock } from ${JSON.stringify(join(import.meta.dirname, '..', '..', 'lib', 'system', 'lock.ts'))};
await acquireLock('held by a doomed process');
process.stdout.write('held\\n');
setTimeout(() => {}, 60_000);`;
  const child = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], {
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  try {
    await new Promise<void>((resolve, reject) => {
      child.stdout!.on('data', (b: Buffer) => b.toString().includes('held') && resolve());
      child.once('exit', (code) =>
        reject(new Error(`the holder exited (${code}) before taking the lock`)),
      );
    });
    const e = await refusal(acquireLock('next', env));
    assert.match(e.stderr, /held by a doomed process/);
  } finally {
    child.kill('SIGKILL');
  }
  await new Promise((r) =>
    child.exitCode !== null || child.signalCode !== null ? r(undefined) : child.once('exit', r),
  );
  const lock = await acquireLock('next', env);
  lock.release();
});

L.run();
