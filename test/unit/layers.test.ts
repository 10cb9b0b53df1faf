// The folders of lib/ form layers: a module imports only from its own layer or lower ones,
// so no two folders import each other (no cycle) and a low folder never needs a high one.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { readFileSync, readdirSync } from 'node:fs';
import { dirname, join, normalize, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

const LIB = join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'lib');

/** Lowest first; folders on one line share a layer (they may not import each other either). */
const LAYERS: readonly (readonly string[])[] = [
  ['.'], // errors.ts, log.ts, paths.ts, cjs.ts, …
  ['value'],
  ['system'],
  ['link'],
  ['config'],
  ['clusterip'],
  ['derive'],
  ['cni'],
  ['plan'],
  ['apply'],
  ['status', 'server', 'hooks'],
  ['install'],
  ['edit'],
  ['cli'],
];
/** Top-level files that belong to a higher layer than the plain helpers beside them. */
const TOP_FILES: Record<string, string> = {
  'context.ts': 'cli',
  'dryrun.ts': 'cli',
  'systemlog.ts': 'cli',
};

const folderOf = (file: string): string => {
  const rel = relative(LIB, file);
  const parts = rel.split('/');
  return parts.length === 1 ? (TOP_FILES[rel] ?? '.') : (parts[0] as string);
};
const layerOf = (folder: string): number => {
  const at = LAYERS.findIndex((l) => l.includes(folder));
  if (at < 0) throw new Error(`lib/${folder} has no layer in this test: add it to LAYERS`);
  return at;
};

function tsFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory()
      ? tsFiles(join(dir, e.name))
      : /\.c?ts$/.test(e.name)
        ? [join(dir, e.name)]
        : [],
  );
}

test('no module of lib/ imports from a higher folder or a sibling folder of its layer', () => {
  const wrong: string[] = [];
  for (const file of tsFiles(LIB)) {
    const from = folderOf(file);
    const text = readFileSync(file, 'utf8');
    for (const m of text.matchAll(/^(?:import|export)\b[^;]*?from\s+'(\.[^']+)'/gms)) {
      const target = normalize(join(dirname(file), m[1] as string));
      const to = folderOf(target);
      if (to === from) continue;
      if (layerOf(to) >= layerOf(from))
        wrong.push(`${relative(LIB, file)} → ${relative(LIB, target)}`);
    }
  }
  assert.equal(wrong, []);
});

test.run();
