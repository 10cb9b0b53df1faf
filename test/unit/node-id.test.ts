// Which node is this: --node, then CLUSTERNET_NODE_ID, then /sys/kerrighed/node_id, then
// clusternet.node=N on the kernel command line, then a host name of a [node N] section.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { parseConfig } from '../../lib/config/load.js';
import {
  KERNEL_CMDLINE,
  SYSFS_NODE_ID,
  checkNodeId,
  resolveNodeId,
  type NodeIdSources,
} from '../../lib/derive/node-id.js';
import { InputError } from '../../lib/errors.js';
import { LEGACY_CONF, NATIVE_CONF, conf, lineOf } from '../helpers/fixtures.js';
import { throwsInput } from '../helpers/errors.js';

const F = 'net.conf';
const text = conf({
  nodes: '1-16',
  extra: '[node 5]\nhostname = n5\n\n[node 6]\nhostname = n6.cluster.example\n',
});
const config = parseConfig(text, F);

const CMDLINE = 'BOOT_IMAGE=/vmlinuz root=/dev/nfs clusternet.node=3 quiet';

/** Every source answering, each with a different id; `drop` removes sources from the top. */
function sources(drop: number): NodeIdSources {
  const files: Record<string, string> = {
    [SYSFS_NODE_ID]: '2\n',
    [KERNEL_CMDLINE]: `${CMDLINE}\n`,
  };
  return {
    flag: drop < 1 ? '9' : undefined,
    env: drop < 2 ? { CLUSTERNET_NODE_ID: '8' } : {},
    readFile: (path) =>
      path === SYSFS_NODE_ID && drop >= 3
        ? undefined
        : path === KERNEL_CMDLINE && drop >= 4
          ? 'quiet\n'
          : files[path],
    hostname: () => 'n5',
  };
}

const order = suite('node id: sources in order');

order('--node beats everything', () => {
  assert.equal(resolveNodeId(config, sources(0)), { id: 9, source: '--node' });
});

order('CLUSTERNET_NODE_ID beats sysfs, the command line and the host name', () => {
  assert.equal(resolveNodeId(config, sources(1)), { id: 8, source: 'CLUSTERNET_NODE_ID' });
});

order('/sys/kerrighed/node_id beats the command line and the host name', () => {
  assert.equal(resolveNodeId(config, sources(2)), { id: 2, source: '/sys/kerrighed/node_id' });
});

order('clusternet.node=N on /proc/cmdline beats the host name', () => {
  assert.equal(resolveNodeId(config, sources(3)), {
    id: 3,
    source: '/proc/cmdline (clusternet.node=)',
  });
});

order('the host name of a [node N] section comes last', () => {
  assert.equal(resolveNodeId(config, sources(4)), {
    id: 5,
    source: 'host name n5 (node.5.hostname)',
  });
});

order('the flag may be a number; sysfs content is trimmed', () => {
  assert.equal(resolveNodeId(config, { flag: 4, env: {}, readFile: () => undefined }), {
    id: 4,
    source: '--node',
  });
  assert.equal(
    resolveNodeId(config, {
      env: {},
      readFile: (p) => (p === SYSFS_NODE_ID ? '  7 \n' : undefined),
    }),
    { id: 7, source: SYSFS_NODE_ID },
  );
});

order('an empty CLUSTERNET_NODE_ID or an empty sysfs file is skipped', () => {
  const got = resolveNodeId(config, {
    env: { CLUSTERNET_NODE_ID: '' },
    readFile: (p) => (p === SYSFS_NODE_ID ? '\n' : p === KERNEL_CMDLINE ? CMDLINE : undefined),
    hostname: () => 'x',
  });
  assert.equal(got, { id: 3, source: '/proc/cmdline (clusternet.node=)' });
});

order('clusternet.node= must be a whole word of the command line', () => {
  const none = {
    env: {},
    readFile: (p: string) => (p === KERNEL_CMDLINE ? 'myclusternet.node=4 quiet' : undefined),
    hostname: () => 'n5',
  };
  assert.equal(resolveNodeId(config, none), { id: 5, source: 'host name n5 (node.5.hostname)' });
  const first = {
    env: {},
    readFile: (p: string) => (p === KERNEL_CMDLINE ? 'clusternet.node=12' : undefined),
    hostname: () => 'x',
  };
  assert.equal(resolveNodeId(config, first).id, 12);
});

order('a fully qualified host name matches a short [node N] hostname, and an exact FQDN', () => {
  const base = { env: {}, readFile: () => undefined };
  assert.equal(resolveNodeId(config, { ...base, hostname: () => 'n5.cluster.example' }), {
    id: 5,
    source: 'host name n5.cluster.example (node.5.hostname)',
  });
  assert.equal(resolveNodeId(config, { ...base, hostname: () => 'n6.cluster.example' }).id, 6);
});

const bad = suite('node id: refused');

bad('no source at all', () => {
  throwsInput(
    () => resolveNodeId(config, { env: {}, readFile: () => undefined, hostname: () => 'stranger' }),
    {
      key: 'node id',
      message:
        'unknown: give --node N, set CLUSTERNET_NODE_ID, boot with clusternet.node=N, or map host name stranger',
    },
  );
});

bad('node 0, and a node outside cluster.nodes, name the source and the nodes line', () => {
  const line = lineOf(text, 'nodes =');
  throwsInput(() => resolveNodeId(config, { flag: '0' }), {
    file: F,
    line,
    key: 'cluster.nodes',
    message: 'node 0 (from --node) is not in the cluster; allowed: 1-16',
  });
  throwsInput(() => resolveNodeId(config, { flag: 17 }), {
    file: F,
    line,
    key: 'cluster.nodes',
    message: 'node 17 (from --node) is not in the cluster',
  });
  throwsInput(() => resolveNodeId(config, { env: { CLUSTERNET_NODE_ID: '40' } }), {
    file: F,
    line,
    key: 'cluster.nodes',
    message: 'node 40 (from CLUSTERNET_NODE_ID)',
  });
  throwsInput(
    () =>
      resolveNodeId(config, {
        env: {},
        readFile: (p) => (p === SYSFS_NODE_ID ? '0\n' : undefined),
      }),
    { file: F, line, key: 'cluster.nodes', message: 'node 0 (from /sys/kerrighed/node_id)' },
  );
});

bad('a gap in the node list is outside the cluster too', () => {
  const gappy = parseConfig(conf({ nodes: '1-4,7' }), F);
  assert.is(checkNodeId(gappy, '7', '--node'), 7);
  throwsInput(() => checkNodeId(gappy, '5', '--node'), {
    file: F,
    line: 2,
    key: 'cluster.nodes',
    message: 'allowed: 1-4,7',
  });
});

bad('an id that is not a number names its source as the key', () => {
  throwsInput(() => resolveNodeId(config, { flag: 'four' }), {
    key: '--node',
    message: '"four" is not a node id; allowed: one of 1-16',
  });
  throwsInput(() => resolveNodeId(config, { env: { CLUSTERNET_NODE_ID: '-1' } }), {
    key: 'CLUSTERNET_NODE_ID',
    message: 'is not a node id',
  });
  throwsInput(
    () =>
      resolveNodeId(config, {
        env: {},
        readFile: (p) => (p === KERNEL_CMDLINE ? 'clusternet.node=4x' : undefined),
      }),
    { key: '/proc/cmdline (clusternet.node=)', message: '"4x" is not a node id' },
  );
  throwsInput(() => resolveNodeId(config, { flag: '4.0' }), {
    key: '--node',
    message: 'is not a node id',
  });
});

bad('legacy file: a node outside the implicit 1-16 names cluster.nodes without a line 0', () => {
  // The legacy format has no nodes line: the message must not point at a line 0.
  const legacy = parseConfig(LEGACY_CONF, 'legacy.conf');
  let error: unknown;
  try {
    resolveNodeId(legacy, { flag: 17 });
  } catch (e) {
    error = e;
  }
  assert.instance(error, InputError);
  const message = (error as InputError).message;
  assert.match(message, /node 17 \(from --node\) is not in the cluster; allowed: 1-16/);
  assert.not.match(message, /legacy\.conf:0:/);
});

bad('the full config: [node 16] hostname n16 resolves, others need another source', () => {
  const full = parseConfig(NATIVE_CONF, F);
  assert.equal(resolveNodeId(full, { env: {}, readFile: () => undefined, hostname: () => 'n16' }), {
    id: 16,
    source: 'host name n16 (node.16.hostname)',
  });
  assert.throws(
    () => resolveNodeId(full, { env: {}, readFile: () => undefined, hostname: () => 'n15' }),
    (e: unknown) => e instanceof InputError && /node id: unknown/.test(e.message),
  );
});

order.run();
bad.run();
