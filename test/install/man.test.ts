// The manual pages and the bash completion (issue 16, item 11): real roff that groff and
// mandoc render without a warning in 80 columns, describing every command and option
// that --help has and every key the parser accepts; a completion script that offers only
// real words, net.conf keys for get/set/unset, and starts no process per TAB.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { keyNames } from '../../lib/config/load.js';
import { clusternet, show, tempDir } from './cli.js';

const render = (roff: string) => {
  // -rHY=0: no hyphenation, so an option split at a line end is still found whole.
  const r = spawnSync('groff', ['-man', '-Tutf8', '-ww', '-rHY=0'], {
    input: roff,
    encoding: 'utf8',
    env: { ...process.env, LC_ALL: 'C.UTF-8' },
  });
  return { warnings: r.stderr, text: r.stdout.replace(/.\x08/g, '') };
};
const page = (name: string) => {
  const r = clusternet(['man', name]);
  assert.is(r.code, 0, show(r));
  return r.stdout;
};
const flat = (text: string) =>
  text
    .replace(/\u2010|\u2011/g, '-')
    .replace(/-\n\s*/g, '-')
    .replace(/\s+/g, ' ');

let names: string[] | undefined;
const commands = () =>
  (names ??= [...clusternet(['--help']).stdout.matchAll(/^ {2}clusternet ([a-z][a-z-]*)/gm)].map(
    (m) => m[1]!,
  ));
const helps = new Map<string, string[]>();
/** The long options a command's --help lists (the global ones included). */
const optionsOf = (command: string): string[] => {
  if (!helps.has(command))
    helps.set(
      command,
      [...clusternet([command, '--help']).stdout.matchAll(/^ +(?:-\w, )?(--[a-z-]+)/gm)].map(
        (m) => m[1]!,
      ),
    );
  return helps.get(command)!;
};

test('clusternet(8) and net.conf(5): groff -ww and mandoc -Tlint say nothing; no line over 80 columns', () => {
  for (const name of ['clusternet', 'net.conf']) {
    const roff = page(name);
    assert.not.match(roff, /^\.nf$/m, 'filled text, not --help pasted in');
    const { warnings, text } = render(roff);
    assert.is(warnings, '', name);
    const wide = text.split('\n').filter((l) => [...l].length > 80);
    assert.equal(wide, [], `${name}: lines over 80 columns`);
    const file = join(tempDir(), name === 'clusternet' ? 'clusternet.8' : 'net.conf.5');
    writeFileSync(file, roff);
    const lint = spawnSync('mandoc', ['-Tlint', '-W', 'style', file], { encoding: 'utf8' });
    assert.is(`${lint.stdout}${lint.stderr}`, '', `mandoc on ${name}`);
  }
});

test('clusternet(8) describes every command and every option of --help, and has the sections a man page has', () => {
  const text = flat(render(page('clusternet')).text);
  for (const section of [
    'NAME',
    'SYNOPSIS',
    'DESCRIPTION',
    'COMMANDS',
    'ENVIRONMENT',
    'FILES',
    'EXIT STATUS',
    'EXAMPLES',
    'SEE ALSO',
  ])
    assert.ok(text.includes(` ${section} `), section);
  const names = commands();
  assert.ok(names.length >= 20, names.join(' '));
  for (const command of names) {
    assert.ok(text.includes(` ${command} `), `the command ${command}`);
    for (const option of optionsOf(command))
      assert.ok(text.includes(option), `${command} ${option}`);
  }
  for (const variable of [
    'CLUSTERNET_CONFIG',
    'CLUSTERNET_NODE_ID',
    'CLUSTERNET_DRY_RUN',
    'CLUSTERNET_SYSLOG',
    'JOURNAL_STREAM',
    'VISUAL',
  ])
    assert.ok(text.includes(variable), variable);
  assert.match(text, /EXIT STATUS 0 Success\. 1 A failure while applying/);
});

test('net.conf(5) describes every section and every key the parser accepts', () => {
  const text = flat(render(page('net.conf')).text);
  for (const section of ['[cluster]', '[net]', '[clusterip]', '[clusterip NAME]', '[node N]'])
    assert.ok(text.includes(section), section);
  const bySection = (kind: string) =>
    text.slice(
      text.indexOf(
        kind === 'clusterip' ? '[clusterip] and' : `[${kind === 'node' ? 'node N' : kind}]`,
      ),
    );
  for (const { kind, key } of keyNames())
    assert.match(bySection(kind), new RegExp(` ${key} = `), `${kind}.${key}`);
});

/** What the completion offers for a command line (the last word is the one being completed). */
function complete(script: string, words: string[]): string[] {
  const sh = `source "$1"; shift; COMP_WORDS=("$@"); COMP_CWORD=$(($# - 1)); _clusternet; printf '%s\\n' "\${COMPREPLY[@]}"`;
  const r = spawnSync('bash', ['-c', sh, 'bash', script, 'clusternet', ...words], {
    encoding: 'utf8',
  });
  assert.is(r.stderr, '');
  return r.stdout.split('\n').filter(Boolean);
}

test('bash completion: real words only, option values, net.conf keys for get, set and unset', () => {
  const out = clusternet(['completion']);
  assert.is(out.code, 0, show(out));
  const script = join(tempDir(), 'clusternet');
  writeFileSync(script, out.stdout);
  assert.match(out.stdout, /^complete -F _clusternet clusternet$/m);
  const top = complete(script, ['']);
  const names = commands();
  for (const word of top)
    assert.ok(
      names.includes(word) ||
        ['--config', '--verbose', '--quiet', '--help', '--version'].includes(word),
      `"${word}" is a command or option`,
    );
  for (const c of names) assert.ok(top.includes(c), c);
  for (const c of names) {
    for (const word of complete(script, [c, '-']))
      assert.ok(optionsOf(c).includes(word), `${c}: "${word}" is one of its options`);
  }
  assert.not.ok(
    complete(script, ['status', '-']).some((w) => /^--\w$/.test(w)),
    'no --c --v --q',
  );
  assert.equal(complete(script, ['server-config', '--format', '']), [
    'ip',
    'ifupdown',
    'networkd',
    'nmcli',
  ]);
  assert.equal(complete(script, ['-c', '/etc/net.conf', 'run', 'init-']), [
    'init-pre',
    'init-post',
  ]);
  assert.equal(complete(script, ['install-hooks', '--init', '']), ['systemd', 'sysv', 'kerrighed']);
  assert.equal(complete(script, ['status', '--node', '']), [], 'no file names for a node id');
  assert.equal(complete(script, ['get', 'net.m']), ['net.mac', 'net.mtu']);
  assert.equal(complete(script, ['set', 'net.mt']), ['net.mtu=']);
  assert.equal(complete(script, ['unset', 'node.4.d']), ['node.4.device']);
  assert.equal(complete(script, ['get', 'clusterip.web.s']), ['clusterip.web.seed']);
  // Every key the parser knows is offered.
  const keys = complete(script, ['get', '']);
  for (const { kind, key } of keyNames().filter((k) => k.kind !== 'node'))
    assert.ok(keys.includes(`${kind}.${key}`), `${kind}.${key}`);
});

test('bash completion: a TAB starts no node process (measured per TAB, bash included)', () => {
  const script = join(tempDir(), 'clusternet');
  writeFileSync(script, clusternet(['completion']).stdout);
  const tabs = 200;
  const sh = `source "$1"; s=$(date +%s%N); for ((i = 0; i < ${tabs}; i++)); do COMP_WORDS=(clusternet set net.); COMP_CWORD=2; _clusternet; done; e=$(date +%s%N); echo $(((e - s) / ${tabs}000))`;
  const r = spawnSync('bash', ['-c', sh, 'bash', script], { encoding: 'utf8' });
  const microseconds = Number(r.stdout.trim());
  process.stdout.write(`  completion: ${microseconds} µs per TAB\n`);
  // A generous sanity bound: a node start alone is ~40 ms.
  assert.ok(microseconds > 0 && microseconds < 30_000, `${microseconds} µs`);
});

test.run();
