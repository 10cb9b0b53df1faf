// Part of `npm run build`, after tsc: rewrites the two entry points that sit on a critical
// path as ONE file each, holding the entry and the library modules it imports:
//   dist/lib/hooks/entry.js       what every hook executable imports (boot)
//   dist/lib/cli/failover-entry.js  `clusternet takeover|release` (failover)
// Node loads each ES module with several asynchronous file operations; the ~40 modules
// behind an entry cost more of its cold start than everything the hook then does
// (measured by test/bench/bench.ts). The bundles are made from tsc's own output, so they
// are the type-checked code, unchanged. Left outside: packages (node_modules is read at
// run time as before; lib/cjs.ts loads the CommonJS ones with require). Each entry is
// imported only by its own callers (the hook files; main.ts on the failover path, which
// then loads nothing else), so no module is ever loaded twice in one process. Without
// this step (tsc alone) everything works the same, only slower to start.
import { build } from 'esbuild';
import { readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

// The dist folder to work on: the package's own, or another tsc output (the benchmark
// builds a private copy: `node scripts/bundle.mjs /path/to/dist`).
const dist = process.argv[2]
  ? resolve(process.argv[2])
  : join(dirname(fileURLToPath(import.meta.url)), '..', 'dist');
const ENTRIES = [join('lib', 'hooks', 'entry.js'), join('lib', 'cli', 'failover-entry.js')];

for (const entry of ENTRIES) {
  const file = join(dist, entry);
  await build({
    entryPoints: [file],
    outfile: file,
    allowOverwrite: true,
    bundle: true,
    packages: 'external',
    platform: 'node',
    format: 'esm',
    target: 'node20',
    banner: {
      js: `// Built by scripts/bundle.mjs from tsc output: dist/${entry} and the library modules it imports, in one file.`,
    },
    logLevel: 'warning',
  });
  if (!/^export \{/m.test(readFileSync(file, 'utf8')))
    throw new Error(`${file}: the bundle exports nothing`);
}
