// Reading the file itself: size, encoding, ownership and mode are checked before a key is
// looked at (hooks run as root). These tests run as root and make their own temp files.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { chownSync, symlinkSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import {
  DEFAULT_CONFIG_PATH,
  checkOwnership,
  configPath,
  readConfigText,
} from '../../lib/config/file.js';
import { loadConfigFile, parseConfig } from '../../lib/config/load.js';
import { NATIVE_CONF, LEGACY_CONF, conf, lineOf } from '../helpers/fixtures.js';
import { throwsInput } from '../helpers/errors.js';
import { TempDir } from '../helpers/temp.js';

const meaning = (text: string, file = 'f') => {
  const c = parseConfig(text, file);
  return { nodes: c.nodes, net: c.net, clusterIps: c.clusterIps, nodeSettings: c.nodeSettings };
};

let tmp: TempDir;
const file = suite('config file: refused');
file.before(() => {
  tmp = new TempDir();
});
file.after(() => tmp.remove());

file('running as root (these tests need it)', () => {
  assert.is(process.getuid?.(), 0);
});

file('an empty file, and one of white space only', () => {
  for (const [name, text] of [
    ['empty.conf', ''],
    ['blank.conf', ' \n\n\t\n'],
  ] as const) {
    const path = tmp.write(name, text);
    throwsInput(() => loadConfigFile(path), { file: path, message: 'the config file is empty' });
  }
});

file('a file of comments only has no [cluster] and no [net]', () => {
  const path = tmp.write('comments.conf', '# nothing here\n; really\n');
  throwsInput(() => loadConfigFile(path), {
    file: path,
    key: '[cluster]',
    message: 'missing section',
  });
});

file('a missing file', () => {
  const path = tmp.path('no-such.conf');
  throwsInput(() => loadConfigFile(path), {
    file: path,
    message: 'cannot read the config file (ENOENT)',
  });
});

file('an unreadable path: a folder, a path through a file, a FIFO', () => {
  const dir = tmp.mkdir('a-folder.conf');
  throwsInput(() => loadConfigFile(dir), { file: dir, message: 'is not a regular file' });
  const through = `${tmp.write('plain', NATIVE_CONF)}/net.conf`;
  throwsInput(() => loadConfigFile(through), {
    file: through,
    message: 'cannot read the config file (ENOTDIR)',
  });
  const fifo = tmp.path('fifo.conf');
  execFileSync('mkfifo', [fifo]);
  throwsInput(() => loadConfigFile(fifo), { file: fifo, message: 'is not a regular file' });
});

file('a binary file (a NUL byte) is refused at the line of the NUL', () => {
  const bytes = Buffer.concat([
    Buffer.from('[cluster]\nnodes = 1-4\nde'),
    Buffer.from([0]),
    Buffer.from('vice = eth0\n'),
  ]);
  const path = tmp.write('binary.conf', bytes);
  throwsInput(() => loadConfigFile(path), {
    file: path,
    line: 3,
    message: 'binary data (a NUL byte)',
  });
});

file('a file that is not UTF-8', () => {
  const path = tmp.write(
    'latin1.conf',
    Buffer.concat([Buffer.from(conf()), Buffer.from('# caf\xe9\n', 'latin1')]),
  );
  throwsInput(() => loadConfigFile(path), { file: path, message: 'is not valid UTF-8 text' });
});

file('a file over 1 MiB; exactly 1 MiB is still read', () => {
  const base = conf();
  const pad = (size: number) => `${base}${'#'.repeat(size - Buffer.byteLength(base) - 1)}\n`;
  const big = tmp.write('big.conf', pad(1024 * 1024 + 1));
  throwsInput(() => loadConfigFile(big), {
    file: big,
    message: 'is 1048577 bytes; a net.conf is at most 1048576 bytes',
  });
  const limit = tmp.write('limit.conf', pad(1024 * 1024));
  assert.is(loadConfigFile(limit).net.device, 'eth0');
});

file('not owned by root', () => {
  const path = tmp.write('owned.conf', NATIVE_CONF);
  chownSync(path, 1000, 1000);
  throwsInput(() => loadConfigFile(path), {
    file: path,
    message: 'the config file is owned by uid 1000; hooks run as root and need it owned by root',
  });
});

file('group- or world-writable', () => {
  for (const mode of [0o664, 0o646, 0o666, 0o620]) {
    const path = tmp.write(`mode-${mode.toString(8)}.conf`, NATIVE_CONF, mode);
    throwsInput(() => loadConfigFile(path), {
      file: path,
      message: `has mode 0${mode.toString(8)}: it is writable by group or others`,
    });
  }
});

file('checkOwnership checks only when the caller is root (uid parameter)', () => {
  const path = tmp.write('loose.conf', NATIVE_CONF, 0o666);
  chownSync(path, 1000, 1000);
  checkOwnership(path, 'the config file', 1000); // not root: nothing to protect
  throwsInput(() => checkOwnership(path, 'the config file', 0), {
    file: path,
    message: 'owned by uid 1000',
  });
});

file('modes that are fine for root: 0644, 0600, 0400, 0444', () => {
  for (const mode of [0o644, 0o600, 0o400, 0o444]) {
    const path = tmp.write(`ok-${mode.toString(8)}.conf`, NATIVE_CONF, mode);
    assert.is(loadConfigFile(path).format, 'native');
  }
});

file('a symlink to a good file is read (the target is checked)', () => {
  const target = tmp.write('target.conf', NATIVE_CONF);
  const link = tmp.path('link.conf');
  symlinkSync(target, link);
  assert.is(loadConfigFile(link).net.device, 'eth0');
});

const accepted = suite('config file: read correctly, not refused');
accepted.before(() => {
  tmp = new TempDir();
});
accepted.after(() => tmp.remove());

accepted('a UTF-8 BOM is dropped', () => {
  const path = tmp.write('bom.conf', `\ufeff${NATIVE_CONF}`);
  assert.equal(readConfigText(path), NATIVE_CONF);
  const c = loadConfigFile(path);
  assert.equal(
    { nodes: c.nodes, net: c.net, clusterIps: c.clusterIps, nodeSettings: c.nodeSettings },
    meaning(NATIVE_CONF),
  );
  assert.is(
    c.keys.get('cluster.nodes')?.line,
    lineOf(NATIVE_CONF, 'nodes ='),
    'the BOM does not shift line numbers',
  );
});

accepted('a BOM on a legacy file: the first variable is still recognised', () => {
  const path = tmp.write(
    'bom-legacy.conf',
    `\ufeffPHYS=eth0\n${LEGACY_CONF.replace('PHYS=eth0\n', '')}`,
  );
  const c = loadConfigFile(path);
  assert.is(c.format, 'legacy');
  assert.is(c.net.device, 'eth0');
});

accepted('CRLF line endings, trailing spaces and inline comments all at once', () => {
  const text = conf({ net: { vlan: '7 ; the VLAN', mac: 'f0:00:00:00:07:00 # template' } })
    .split('\n')
    .map((l) => (l === '' ? l : `${l}   `))
    .join('\r\n');
  const path = tmp.write('windows.conf', `\ufeff${text}`);
  const c = loadConfigFile(path);
  assert.is(c.net.linkKeys.get('vlan'), 7);
  assert.is(c.net.mac, 'f0:00:00:00:07:00');
  assert.is(c.net.device, 'eth0');
  assert.is(c.file, path);
});

accepted('errors in a CRLF file still give the right line', () => {
  const text = conf({ net: { vlan: '9999' } }).replace(/\n/g, '\r\n');
  const path = tmp.write('crlf-bad.conf', text);
  throwsInput(() => loadConfigFile(path), {
    file: path,
    line: lineOf(text, 'vlan ='),
    key: 'net.vlan',
    message: 'out of range',
  });
});

const where = suite('config file: which path');

where('--config beats CLUSTERNET_CONFIG beats /etc/net.conf', () => {
  assert.is(configPath('/a.conf', { CLUSTERNET_CONFIG: '/b.conf' }), '/a.conf');
  assert.is(configPath(undefined, { CLUSTERNET_CONFIG: '/b.conf' }), '/b.conf');
  assert.is(configPath(undefined, {}), '/etc/net.conf');
  assert.is(DEFAULT_CONFIG_PATH, '/etc/net.conf');
});

file.run();
accepted.run();
where.run();
