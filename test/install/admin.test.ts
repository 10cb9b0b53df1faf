// What an administrator hit with install-hooks (issue 16): a missing prefix, a second
// install with another --init, the unit's device, the config given with --config.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { CLI, clusternet, env, show, tempDir } from './cli.js';

test('install-hooks --prefix of a folder that does not exist is refused at once, exit 2', () => {
  const missing = join(tempDir(), 'no', 'such', 'prefix');
  const r = spawnSync(process.execPath, [CLI, 'install-hooks', '--prefix', missing, '--init', 'sysv'], { env: env(), encoding: 'utf8', timeout: 20_000 });
  assert.is(r.error, undefined, 'it returns (it used to loop for ever)');
  assert.is(r.status, 2, `${r.stdout}${r.stderr}`);
  assert.match(r.stderr, new RegExp(`--prefix: ${missing} is not an existing folder`));
  assert.not.ok(existsSync(missing));
});

test.run();
