// Adversarial small things: what an error message shows of a hostile value, how a value
// with `;` or `#` is read, an interface name iptables would read as a wildcard, and
// environment knobs given nonsense. Each is refused clearly or read exactly.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { chmodSync } from 'node:fs';
import { parseConfig } from '../../lib/config/load.js';
import { readConfigText } from '../../lib/config/file.js';
import { commandTimeoutMs, systemRunner } from '../../lib/system/runner.js';
import { buildOnce, cli, show } from '../helpers/cli.js';
import { LEGACY_CONF, NATIVE_CONF } from '../helpers/fixtures.js';
import { inputMessage } from '../helpers/errors.js';
import { TempDir } from '../helpers/temp.js';

let tmp: TempDir;
const M = suite('messages: hostile values are shown safely');
M.before(() => buildOnce());
M.before.each(() => {
  tmp = new TempDir();
});
M.after.each(() => tmp.remove());

M(
  'a newline in a value stays one line of message; a zero-width space is shown as an escape',
  () => {
    const s = cli([
      '-c',
      tmp.write('net.conf', NATIVE_CONF),
      'check',
      '--node',
      '1',
      '--netns',
      'ab\ncd',
    ]);
    assert.is(s.code, 2, show(s));
    assert.match(s.stderr, /"ab\\ncd" is not a usable netns name/);
    assert.is(s.stderr.trim().split('\n').length, 1, show(s));
    const zw = inputMessage(() =>
      parseConfig(NATIVE_CONF.replace('device = eth0', 'device = eth0\u200b'), 'net.conf'),
    );
    assert.match(zw, /"eth0\\u200b" is not a valid interface name|eth0\\u200b/);
    assert.not.match(zw, /\u200b/);
  },
);

M('a 100 KB value is not echoed whole; a 1 MiB file of bad lines gives a bounded message', () => {
  const long = inputMessage(() =>
    parseConfig(
      NATIVE_CONF.replace('device = eth0', `device = ${'x'.repeat(100_000)}`),
      'net.conf',
    ),
  );
  assert.ok(long.length < 2000, `${long.length} characters`);
  assert.match(long, /… \(1000\d\d characters\)/);
  const path = tmp.write(
    'bad.conf',
    `${'this is not a line\n'.repeat(55_000)}`.slice(0, 1024 * 1024 - 1),
  );
  const r = cli(['-c', path, 'validate']);
  assert.is(r.code, 2);
  assert.ok(r.stderr.length < 20_000, `${r.stderr.length} bytes of stderr`);
  assert.match(r.stderr, /… and \d+ more problems/);
});

M(
  "';' or '#' without white space before it is part of the value (refused there), not a comment",
  () => {
    assert.match(
      inputMessage(() =>
        parseConfig(NATIVE_CONF.replace('device = eth0', 'device = eth0;x'), 'net.conf'),
      ),
      /net\.device: "eth0;x" is not a valid interface name/,
    );
    assert.match(
      inputMessage(() =>
        parseConfig(NATIVE_CONF.replace('device = eth0', 'device = eth0#x'), 'net.conf'),
      ),
      /net\.device: "eth0#x" is not a valid interface name/,
    );
    assert.is(
      parseConfig(NATIVE_CONF.replace('device = eth0', 'device = eth0 ;x'), 'net.conf').net.device,
      'eth0',
    );
    // The legacy shell file reads as sh: `#` after white space is a comment, `;` ends the value.
    assert.is(
      parseConfig(LEGACY_CONF.replace('PHYS=eth0', 'PHYS=eth1 # the NIC'), 'l').net.device,
      'eth1',
    );
    assert.is(
      parseConfig(LEGACY_CONF.replace('PHYS=eth0', 'PHYS=eth1;echo'), 'l').net.device,
      'eth1',
    );
  },
);

M('interface = krg+ is refused: iptables would read it as a wildcard, nft as a name', () => {
  assert.match(
    inputMessage(() =>
      parseConfig(NATIVE_CONF.replace('interface = krg0', 'interface = krg+'), 'net.conf'),
    ),
    /net\.interface: "krg\+" ends with '\+'/,
  );
});

M(
  'CLUSTERNET_COMMAND_TIMEOUT=99999999 is a day at most, not the 1 ms a timer makes of it',
  async () => {
    assert.is(commandTimeoutMs({ CLUSTERNET_COMMAND_TIMEOUT: '99999999' }), 86_400_000);
    const saved = process.env.CLUSTERNET_COMMAND_TIMEOUT;
    process.env.CLUSTERNET_COMMAND_TIMEOUT = '99999999';
    try {
      const r = await systemRunner.run(['sleep', '0.1']);
      assert.is(r.exitCode, 0, r.stderr);
      assert.not.ok(r.timedOut);
    } finally {
      if (saved === undefined) delete process.env.CLUSTERNET_COMMAND_TIMEOUT;
      else process.env.CLUSTERNET_COMMAND_TIMEOUT = saved;
    }
  },
);

M('CLUSTERNET_LOCK_WAIT=abc is refused by name (exit 2), not "flock: cannot set up timer"', () => {
  const config = tmp.write('net.conf', NATIVE_CONF);
  const r = cli(
    ['run', 'init-post', '--node', '1', '-c', config, '--hooks-dir', tmp.mkdir('hooks')],
    {
      env: {
        CLUSTERNET_RUN_DIR: tmp.path('run'),
        CLUSTERNET_LOCK_WAIT: 'abc',
        CLUSTERNET_SYSLOG: 'none',
      },
    },
  );
  assert.is(r.code, 2, show(r));
  assert.match(
    r.stderr,
    /CLUSTERNET_LOCK_WAIT: "abc" is not a wait; allowed: seconds from 0 to 3600/,
  );
});

M('a loose folder is told chmod go-w (a file chmod 0644)', () => {
  const dir = tmp.mkdir('etc');
  const path = tmp.write('etc/net.conf', NATIVE_CONF);
  chmodSync(dir, 0o775);
  assert.match(
    inputMessage(() => readConfigText(path)),
    /has mode 0775: .*\(chmod go-w\)/,
  );
  chmodSync(dir, 0o755);
  chmodSync(path, 0o664);
  assert.match(
    inputMessage(() => readConfigText(path)),
    /has mode 0664: .*\(e\.g\. chmod 0644\)/,
  );
});

M.run();
