// Adversarial: site hooks that leave processes behind, and clusternet stopped by a signal
// while a site hook runs. The hook's whole process group is bounded by the hook timeout
// (CLUSTERNET_HOOK_TIMEOUT, 2 s here), and the lock is let go only once nothing of the
// hook still runs. Needs root (the run dir and hook folders are root's).
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { spawn, spawnSync } from 'node:child_process';
import { chmodSync, existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { buildOnce, CLI, cleanEnv, cli, show } from '../helpers/cli.js';
import { NATIVE_CONF } from '../helpers/fixtures.js';
import { TempDir } from '../helpers/temp.js';

let tmp: TempDir;

const G = suite('hooks: a site hook is bounded with its process group');
G.before(() => buildOnce());
G.before.each(() => {
  tmp = new TempDir();
});
G.after.each(() => tmp.remove());

/** A hooks root whose init-post.d holds one site hook with `body`. */
function hooksWith(body: string): string {
  const dir = tmp.mkdir('hooks/init-post.d');
  writeFileSync(join(dir, '50site'), `#!/bin/sh\n${body}\n`);
  chmodSync(join(dir, '50site'), 0o755);
  return tmp.path('hooks');
}

const envOf = () => ({
  CLUSTERNET_RUN_DIR: tmp.path('run'),
  CLUSTERNET_SYSLOG: 'none',
  CLUSTERNET_HOOK_TIMEOUT: '2',
  CLUSTERNET_LOCK_WAIT: '0',
});
const args = (root: string) => [
  'run',
  'init-post',
  '--node',
  '1',
  '-c',
  tmp.write('net.conf', NATIVE_CONF),
  '--hooks-dir',
  root,
];

const gone = (pid: number): boolean => {
  try {
    process.kill(pid, 0);
    return false;
  } catch {
    return true;
  }
};
const pidIn = (file: string) => Number(readFileSync(file, 'utf8').trim());
/** Can another run take the lock right now? */
const lockFree = () => spawnSync('flock', ['-n', tmp.path('run', 'lock'), 'true']).status === 0;

for (const [what, child] of [
  ['a child holding its stderr (sleep 300 &)', 'sleep 300 &'],
  [
    'a child with every descriptor closed (sleep infinity &)',
    'sleep infinity </dev/null >/dev/null 2>&1 &',
  ],
] as const) {
  G(`${what}: killed with the group at the timeout; the run ends and the lock is free`, () => {
    const pidFile = tmp.path('child.pid');
    const started = Date.now();
    const r = cli(args(hooksWith(`${child}\necho $! > ${pidFile}\nexit 0`)), { env: envOf() });
    const took = Date.now() - started;
    assert.is(r.code, 1, show(r));
    assert.match(
      r.stderr,
      /timed out after 2 s \(with what it started, its process group\); killed/,
    );
    assert.ok(took < 15_000, `bounded: ${took} ms`);
    assert.ok(gone(pidIn(pidFile)), 'the child is gone');
    assert.ok(lockFree(), 'the lock is free');
  });
}

G(
  'SIGTERM to clusternet during a site hook: the group is killed and waited for before the lock is let go',
  async () => {
    const pidFile = tmp.path('hook.pid');
    const marker = tmp.path('marker');
    const root = hooksWith(
      `(sleep 3; echo child >> ${marker}) &\necho $! > ${pidFile}.child\necho $$ > ${pidFile}\nsleep 3\necho hook >> ${marker}`,
    );
    const run = spawn(process.execPath, [CLI, ...args(root)], {
      env: cleanEnv(envOf()),
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    let stderr = '';
    run.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    const exited = new Promise<number | null>((resolve) =>
      run.once('exit', (code) => resolve(code)),
    );
    for (let i = 0; i < 200 && !existsSync(pidFile); i++)
      await new Promise((r) => setTimeout(r, 25));
    assert.ok(existsSync(pidFile), 'the hook started');
    run.kill('SIGTERM');
    const code = await exited;
    // The moment clusternet is gone: nothing of the hook runs, and the lock is free.
    assert.ok(
      gone(pidIn(pidFile)) && gone(pidIn(`${pidFile}.child`)),
      `the hook and its child are gone\n${stderr}`,
    );
    assert.ok(lockFree(), 'the lock is free');
    assert.is(code, 1, stderr);
    assert.match(stderr, /clusternet got SIGTERM: the hook and its process group were killed/);
    // A second run now cannot interleave with anything of the first.
    await new Promise((r) => setTimeout(r, 3500));
    assert.not.ok(existsSync(marker), 'nothing of the killed hook ran afterwards');
  },
);

G.run();
