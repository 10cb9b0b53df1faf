// What an administrator sees on a usage mistake (issue 16, items 6 and 13): a version, a
// suggestion for a mistyped command, the subcommand's own help named, a bad number quoted
// as typed, no "[default: []]" beside "[required]", and `auto` named among the MTUs.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ROOT, buildOnce, cli, show } from '../helpers/cli.js';
import { TempDir } from '../helpers/temp.js';

const env = { CLUSTERNET_SYSLOG: 'none' };
let tmp: TempDir;

test.before(() => {
  buildOnce();
  tmp = new TempDir('clusternet-usage-');
});
test.after(() => tmp.remove());

test('--version prints the package version and exits 0', () => {
  const r = cli(['--version'], { env });
  assert.is(r.code, 0, show(r));
  assert.is(
    r.stdout,
    `${(JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { version: string }).version}\n`,
  );
});

test('a mistyped command gets a suggestion, exit 2', () => {
  for (const args of [['instal-hooks'], ['-c', '/etc/net.conf', 'isntall-hooks']]) {
    const r = cli(args, { env });
    assert.is(r.code, 2, show(r));
    assert.is(
      r.stderr,
      `clusternet: unknown command "${args.at(-1)}"; did you mean install-hooks?\n(see clusternet --help)\n`,
    );
  }
});

test("a usage error in a command points at that command's help", () => {
  const r = cli(['set'], { env });
  assert.is(r.code, 2, show(r));
  assert.match(r.stderr, /\(see clusternet set --help\)\n$/);
  const unknown = cli(['status', '--bogus'], { env });
  assert.is(unknown.code, 2);
  assert.match(unknown.stderr, /Unknown arguments?: bogus\n\(see clusternet status --help\)\n$/);
});

test('--timeout abc is quoted as typed, before anything is read', () => {
  const r = cli(['wait', '--timeout', 'abc', '-c', '/nonexistent/net.conf'], { env });
  assert.is(r.code, 2, show(r));
  assert.is(
    r.stderr,
    'clusternet: --timeout: "abc" is not a number of seconds; allowed: 0 or more, e.g. 30 or 2.5\n',
  );
});

test('set --help and unset --help: a required list has no "[default: []]"', () => {
  for (const command of ['set', 'unset']) {
    const r = cli([command, '--help'], { env });
    assert.is(r.code, 0);
    assert.match(r.stdout, /\[required\]/);
    assert.not.match(r.stdout, /\[default: \[\]\]/);
  }
});

test('net.mtu= names auto among the allowed values', () => {
  const conf = tmp.write('net.conf', readFileSync(join(ROOT, 'etc', 'net.conf'), 'utf8'));
  const r = cli(['-c', conf, 'set', 'net.mtu='], { env });
  assert.is(r.code, 2, show(r));
  assert.match(
    r.stderr,
    /net\.mtu: "" is not an MTU; allowed: auto, or a whole number from 68 to 65535\n/,
  );
});

test.run();
