// bin/clusternet-cni.awk, the JSON reading of clusternet-cni's start path, with each awk this
// machine has (Debian's default mawk, and gawk): it must accept only what JSON.parse accepts
// and read from it what JSON.parse reads, and its error 101 must be what JSON.stringify
// writes. Inputs are written out, then mutated at random (seeded) to find disagreements.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';

const PROGRAM = join(import.meta.dirname, '..', '..', 'bin', 'clusternet-cni.awk');
const AWKS = ['/usr/bin/mawk', '/usr/bin/gawk', '/usr/bin/original-awk'].filter((a) =>
  existsSync(a),
);

interface Read {
  ok: boolean;
  fields?: { version: string; name: string; config: string; node: string; passed: string };
  rest: string;
}

function readConf(awk: string, input: string): Read {
  const r = spawnSync(awk, ['-v', 'mode=conf', '-f', PROGRAM], {
    input,
    env: { LC_ALL: 'C' },
    encoding: 'latin1',
  });
  assert.is(r.status, 0, `${awk}: ${r.stderr}`);
  const lines = r.stdout.split('\n');
  if (lines[0] === 'no') return { ok: false, rest: lines.slice(1).join('\n') };
  assert.is(lines[0], 'ok', r.stdout);
  const [v, n, c, i, p] = lines.slice(1, 6);
  assert.equal([v![0], n![0], c![0], i![0], p![0]], ['v', 'n', 'c', 'i', 'p']);
  return {
    ok: true,
    fields: {
      version: v!.slice(1),
      name: n!.slice(1),
      config: c!.slice(1),
      node: i!.slice(1),
      passed: p!.slice(1),
    },
    rest: lines.slice(6).join('\n'),
  };
}

/** What the start path builds from the fields, parsed: must equal what Node reads. */
function agrees(input: string, read: Read): void {
  const parsed = JSON.parse(input) as Record<string, unknown>;
  const f = read.fields!;
  assert.is(f.version, parsed.cniVersion);
  assert.is(f.name, parsed.name);
  assert.is(f.config, parsed.config ?? '');
  assert.is(f.node, parsed.node === undefined ? '' : String(parsed.node));
  const passed = JSON.parse(`{"x":0${f.passed}}`) as Record<string, unknown>;
  delete passed.x;
  const expected = Object.fromEntries(
    ['args', 'runtimeConfig', 'prevResult'].filter((k) => k in parsed).map((k) => [k, parsed[k]]),
  );
  assert.equal(passed, expected);
}

const SAMPLE =
  '{ "cniVersion": "1.0.0", "name": "pods", "type": "clusternet-cni", "config": "/etc/net.conf", "node": 3,\n  "args": {"a": ["x\\u00e9\\n", -0.5e-3, true, false, null, {}]},\n\t"runtimeConfig": {"portMappings": [{"hostPort": 80}]},\r\n "prevResult": {"cniVersion": "1.0.0", "ips": [{"address": "10.0.0.2/24"}], "s": "\\"\\\\\\/\\b\\f\\r\\t"} }';

test("a runtime's config: the fields the start path needs, as JSON.parse reads them, and the text for Node behind them", () => {
  assert.ok(AWKS.length > 0, 'no awk');
  for (const awk of AWKS) {
    const read = readConf(awk, SAMPLE);
    assert.ok(read.ok, awk);
    agrees(SAMPLE, read);
    assert.is(read.rest, SAMPLE);
    const bare = readConf(awk, '{"cniVersion":"0.4.0","name":"a.b_c-1"}');
    assert.equal(bare.fields, {
      version: '0.4.0',
      name: 'a.b_c-1',
      config: '',
      node: '',
      passed: '',
    });
  }
});

test('what it is not sure of is "no" with the text for Node: not JSON, escapes in our keys or values, a key twice, a bad name or node', () => {
  const cases = [
    '',
    '[]',
    '"x"',
    '{"cniVersion":"1.0.0","name":"p"',
    '{"cniVersion":"1.0.0","name":"p"} x',
    '{"cniVersion":"1.0.0","name":"p",}',
    '{"cniVersion":"1.0.0","name":"p","a":01}',
    '{"cniVersion":"1.0.0","name":"p","a":"\\x"}',
    '{"cniVersion":"1.0.0","name":"p","a":"\\u12"}',
    '{"cniVersion":"1.0.0","name":"p","a":"tab\there"}',
    '{"cniVersion":"1.0.0","name":"p","a":tru}',
    '{"cniVersion":"1.0.0","name":"p","a":[1,]}',
    '{"cniVersion":"1.0.0","name":"p","a":1.}',
    '{"cniVersion":"1.0.0","name":"p","a":-}',
    '{"cniVersion":"1.0.0","na\\u006de":"p"}',
    '{"cniVersion":"1.0.0","name":"p","name":"p"}',
    '{"cniVersion":"1.0.0","name":"p\\u0041"}',
    '{"cniVersion":"1.0.0","name":"../p"}',
    '{"cniVersion":"1.0.0","name":"-p"}',
    '{"cniVersion":1,"name":"p"}',
    '{"name":"p"}',
    '{"cniVersion":"1.0.0","name":"p","config":"etc/net.conf"}',
    '{"cniVersion":"1.0.0","name":"p","node":0}',
    '{"cniVersion":"1.0.0","name":"p","node":"2"}',
    '{"cniVersion":"1.0.0","name":"p","node":2.0}',
    '{"cniVersion":"1.0.0","name":"p","node":1234567890123456}',
    `{"cniVersion":"1.0.0","name":"p","a":${'['.repeat(64)}${']'.repeat(64)}}`,
  ];
  for (const awk of AWKS) {
    for (const input of cases) {
      const read = readConf(awk, input);
      assert.not.ok(read.ok, `${awk} took ${input}`);
      assert.is(read.rest, input);
    }
  }
});

// A seeded generator (mulberry32): the same mutations on every run.
function random(seed: number): () => number {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

test('mutated configs: whatever it takes, JSON.parse takes too and reads the same (300 mutations per awk)', () => {
  const next = random(20261202);
  const pieces = [
    '"',
    '\\',
    '{',
    '}',
    '[',
    ']',
    ',',
    ':',
    ' ',
    '0',
    '-',
    'e',
    '.',
    'u',
    'n',
    '\n',
    '\u0001',
    'a',
    '"name"',
    '"node"',
    '1',
  ];
  for (const awk of AWKS) {
    let taken = 0;
    for (let i = 0; i < 300; i++) {
      let input = SAMPLE;
      for (let m = 0; m < 1 + Math.floor(next() * 3); m++) {
        const at = Math.floor(next() * input.length);
        const op = next();
        const piece = pieces[Math.floor(next() * pieces.length)]!;
        input =
          op < 0.4
            ? input.slice(0, at) + input.slice(at + 1)
            : op < 0.8
              ? input.slice(0, at) + piece + input.slice(at)
              : input.slice(0, at) + piece + input.slice(at + 1);
      }
      const read = readConf(awk, input);
      if (!read.ok) continue;
      taken++;
      let parsed = true;
      try {
        JSON.parse(input);
      } catch {
        parsed = false;
      }
      assert.ok(parsed, `${awk} took what JSON.parse refuses: ${JSON.stringify(input)}`);
      agrees(input, read);
    }
    // Mutations that keep the text JSON (inside strings, whitespace) must be taken too.
    assert.ok(taken > 20, `${awk} took only ${taken}`);
  }
});

test("a delegate's error: its own JSON as it is (exit 0), anything else inside error 101 as JSON.stringify escapes it (exit 1)", () => {
  const error = (awk: string, out: string) =>
    spawnSync(
      awk,
      ['-v', 'mode=error', '-v', 'version=0.4.0', '-v', 'type=bridge', '-v', 'rc=3', '-f', PROGRAM],
      { input: out, env: { LC_ALL: 'C' }, encoding: 'utf8' },
    );
  const controls = Array.from({ length: 31 }, (_, i) => String.fromCharCode(i + 1)).join('');
  for (const awk of AWKS) {
    const own = '{"cniVersion":"1.0.0","code":11,"msg":"try again"}\n';
    const a = error(awk, own);
    assert.is(a.status, 0);
    assert.is(a.stdout, own.trimEnd());
    for (const out of [
      '',
      'panic: x',
      `  "quoted" \\ back\nline ${controls}\n\n`,
      '{"code":"7","msg":"x"}',
      '{"code":7}',
      'null',
    ]) {
      const r = error(awk, out);
      assert.is(r.status, 1, `${awk} ${JSON.stringify(out)}`);
      const details = out.replace(/^[ \t\n\r]+|[ \t\n\r]+$/g, '');
      const expected = {
        cniVersion: '0.4.0',
        code: 101,
        msg: 'the delegate plugin "bridge" failed (exit 3)',
        ...(details ? { details } : {}),
      };
      assert.is(r.stdout, `${JSON.stringify(expected)}\n`, `${awk} ${JSON.stringify(out)}`);
    }
  }
});

test.run();
