// The plain failover command lines main.ts runs without yargs (lib/cli/failover-args.ts):
// exactly the forms yargs would read the same way; everything else goes to yargs.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { plainFailover } from '../../lib/cli/failover-args.js';

const F = suite('cli: the plain failover path');

F('takeover and release with --node, the container and the global options, in any order', () => {
  assert.equal(plainFailover(['takeover', '--node', '3']), { verb: 'takeover', node: '3' });
  assert.equal(plainFailover(['release', '--node=3', '--netns', 'c1']), {
    verb: 'release',
    node: '3',
    netns: 'c1',
  });
  assert.equal(
    plainFailover(['takeover', '-c', '/etc/net.conf', '--pid', '4242', '--node', '7', '-v']),
    {
      verb: 'takeover',
      node: '7',
      config: '/etc/net.conf',
      pid: '4242',
      verbose: true,
    },
  );
  assert.equal(plainFailover(['takeover', '--config=/x/net.conf', '--quiet', '--node', '2']), {
    verb: 'takeover',
    node: '2',
    config: '/x/net.conf',
    quiet: true,
  });
});

F(
  'anything else is left to yargs: other commands, help, unknown or repeated options, missing values, conflicts',
  () => {
    for (const argv of [
      [],
      ['run', 'init-post'],
      ['show', '--node', '3'],
      ['-c', '/etc/net.conf', 'takeover', '--node', '3'],
      ['takeover'],
      ['takeover', '--help'],
      ['takeover', '--node', '3', '--help'],
      ['takeover', '--node', '3', '--bogus'],
      ['takeover', '--node', '3', 'extra'],
      ['takeover', '--node'],
      ['takeover', '--node='],
      ['takeover', '--node', '--verbose'],
      ['takeover', '--node', '3', '--node', '4'],
      ['takeover', '--node', '3', '-v', '--verbose'],
      ['takeover', '--node', '3', '--pid', '1', '--netns', 'c1'],
      ['takeover', '--node', '3', '-v', '-q'],
      ['takeover', '-n', '3'],
      ['takeover', '--node', '3', '--no-verbose'],
      ['takeover', '--node', '3', '--'],
      ['takeover', '--constructor', 'x', '--node', '3'],
    ]) {
      assert.is(plainFailover(argv), undefined, argv.join(' '));
    }
  },
);

F.run();
