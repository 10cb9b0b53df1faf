// Rendering templates/*.in: every placeholder filled, none left, no value able to add a
// line.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import {
  TEMPLATES_DIR,
  placeholders,
  renderTemplate,
  renderText,
} from '../../lib/install/templates.js';

const VALUES = {
  NODE: '/usr/bin/node',
  CLI: '/usr/lib/clusternet/dist/lib/cli/main.js',
  CONFIG: '/etc/net.conf',
  DEFAULTS: '/etc/default/clusternet',
  HOOKS_DIR: '/etc/clusternet/hooks',
  NETNS: 'cluster',
  CONTAINER_UNIT: 'systemd-nspawn@cluster.service',
  VERSION: '0.1.0',
  LIBBIN: '/usr/lib/clusternet/bin',
  INSTALLED_SIZE: '100',
  MAINTAINER: 'clusternet maintainers <clusternet@lists.clusternet.org>',
};

const templates = (dir = TEMPLATES_DIR, base = ''): string[] =>
  readdirSync(join(dir, base), { withFileTypes: true }).flatMap((e) =>
    e.isDirectory()
      ? templates(dir, join(base, e.name))
      : e.name.endsWith('.in')
        ? [join(base, e.name)]
        : [],
  );

test('every template renders completely', () => {
  const all = templates();
  assert.ok(all.length >= 5, all.join(' '));
  for (const t of all) {
    const out = renderTemplate(t, VALUES);
    assert.equal(placeholders(out), [], t);
    for (const key of placeholders(readFileSync(join(TEMPLATES_DIR, t), 'utf8')))
      assert.ok(key in VALUES, `${t} uses @${key}@`);
  }
  assert.match(
    renderTemplate('systemd/clusternet.service.in', VALUES),
    /^ExecStart=\/usr\/bin\/node \/usr\/lib\/clusternet\/dist\/lib\/cli\/main\.js service start --defaults \/etc\/default\/clusternet$/m,
  );
});

test('a missing value or a value with a line break is refused', () => {
  assert.throws(() => renderText('a @X@ b', {}), /no value for @X@/);
  assert.throws(
    () => renderText('ExecStart=@X@', { X: '/bin/true\nExecStartPost=/bin/evil' }),
    /line break/,
  );
  assert.is(
    renderText('@A@-@B@ @c@', { A: '1', B: '2' }),
    '1-2 @c@',
    'only @UPPER@ names are placeholders',
  );
});

test.run();
