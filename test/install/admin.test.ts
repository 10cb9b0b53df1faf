// What an administrator hit with install-hooks (issue 16): a missing prefix, a second
// install with another --init, the unit's device, the config given with --config.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { CLI, clusternet, env, show, tempDir } from './cli.js';

test('install-hooks --prefix of a folder that does not exist is refused at once, exit 2', () => {
  const missing = join(tempDir(), 'no', 'such', 'prefix');
  const r = spawnSync(
    process.execPath,
    [CLI, 'install-hooks', '--prefix', missing, '--init', 'sysv'],
    { env: env(), encoding: 'utf8', timeout: 20_000 },
  );
  assert.is(r.error, undefined, 'it returns (it used to loop for ever)');
  assert.is(r.status, 2, `${r.stdout}${r.stderr}`);
  assert.match(r.stderr, new RegExp(`--prefix: ${missing} is not an existing folder`));
  assert.not.ok(existsSync(missing));
});

test("a second install with another --init keeps the first one's files on record; uninstall removes both", () => {
  const p = tempDir();
  assert.is(clusternet(['install-hooks', '--prefix', p, '--init', 'systemd']).code, 0);
  const second = clusternet(['install-hooks', '--prefix', p, '--init', 'sysv']);
  assert.is(second.code, 0, show(second));
  const manifest = JSON.parse(
    readFileSync(join(p, 'var/lib/clusternet/install-manifest.json'), 'utf8'),
  ) as { installed: { init: string[] }; entries: { path: string }[] };
  assert.equal(manifest.installed.init, ['systemd', 'sysv']);
  for (const path of [
    '/lib/systemd/system/clusternet.service',
    '/lib/systemd/system/clusternet-wait-online.service',
    '/etc/init.d/clusternet',
  ]) {
    assert.ok(
      manifest.entries.some((e) => e.path === path),
      path,
    );
  }
  // Without --init, a re-install renews what is installed here (both), not the machine's default.
  const third = clusternet(['install-hooks', '--prefix', p]);
  assert.match(third.stdout, /systemd, sysv integration under /);
  const r = clusternet(['uninstall-hooks', '--prefix', p]);
  assert.is(r.code, 0, show(r));
  assert.equal(readdirSync(p), [], 'nothing left');
});

test('the unit names no device (it follows net.conf at start); --config is what is installed as /etc/net.conf', () => {
  const p = tempDir();
  const mine =
    '# my cluster\n[cluster]\nnodes = 1-2\n[net]\nlink = macvlan\ndevice = eth1\nmac = 02:00:00:00:00:00\naddress = 10.9.0.0/24\n[node 2]\ndevice = eth3\n';
  const conf = join(tempDir(), 'net.conf');
  writeFileSync(conf, mine, { mode: 0o644 });
  const r = clusternet(['-c', conf, 'install-hooks', '--prefix', p, '--init', 'systemd']);
  assert.is(r.code, 0, show(r));
  assert.is(readFileSync(join(p, 'etc/net.conf'), 'utf8'), mine);
  const unit = readFileSync(join(p, 'lib/systemd/system/clusternet.service'), 'utf8');
  assert.not.match(unit, /sys-subsystem-net-devices|eth[0-9]/);
  assert.match(unit, /^After=network-pre\.target$/m);
  // A bad --config is refused before anything is installed.
  writeFileSync(conf, mine.replace('nodes = 1-2', 'nodes = 0'));
  const q = tempDir();
  assert.is(clusternet(['-c', conf, 'install-hooks', '--prefix', q]).code, 2);
  assert.equal(readdirSync(q), []);
});

test('service start before /etc/net.conf is written (a fresh Debian install) does nothing and says why', () => {
  const defaults = join(tempDir(), 'clusternet');
  writeFileSync(
    defaults,
    'CONTAINER_NETNS=cnt-never-made\nCLUSTERNET_CONFIG=/nonexistent/net.conf\n',
  );
  const r = clusternet(['service', 'start', '--defaults', defaults]);
  assert.is(r.code, 0, show(r));
  assert.match(
    r.stderr,
    /\/nonexistent\/net\.conf does not exist: nothing to do until it is written/,
  );
  assert.not.ok(existsSync('/run/netns/cnt-never-made'));
});

test.run();
