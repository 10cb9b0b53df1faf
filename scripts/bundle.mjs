// Part of `npm run build`, after tsc: writes the two entry points that sit on a critical
// path as ONE CommonJS file each, holding the entry, the library modules it imports and
// the two small CommonJS packages they use (ipaddr.js, ini):
//   dist/lib/hooks/entry.cjs          what every hook executable loads (boot)
//   dist/lib/cli/failover-entry.cjs   `clusternet takeover|release` (failover)
//   dist/lib/cli/cli.cjs              every other `clusternet` command, yargs inlined: an
//                                     admin's `run`, `check`, `status`, and the lab's guests,
//                                     where each of its ~130 modules is a file read over 9p
//   dist/lib/cni/entry.cjs            clusternet-cni, the CNI plugin (one Node start per call)
// Why one file, and why CommonJS (each measured with `node --cpu-prof` of a hook):
// - Node loads each ES module with several asynchronous file operations; the ~40 modules
//   behind an entry cost more of its cold start than everything the hook then does.
// - An ES module main file starts Node's ES module loader (which loads fs/promises to read
//   sources), and every `import … from 'node:fs'` builds an ES facade of fs, which reads
//   all its getters and so loads the whole streams stack: 5 to 7 ms of a 20 ms budget.
//   A CommonJS file loaded by require() pays none of it.
// - A package loaded at run time costs a module resolution (package.json reads) and, from
//   an ES module, Node's CommonJS export scanner; inlined it costs neither.
// The bundles are made from tsc's own output, so they are the type-checked code,
// unchanged; tsc's ES modules stay beside them (dist/lib/hooks/entry.js…) and are what
// runs when there is no bundle: without this step everything works the same, only slower
// to start. Each bundle is loaded only by its own callers (the hook files; main.ts on the
// failover path, which then loads nothing else), so no module is loaded twice.
import { build } from 'esbuild';
import { createHash } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

// The dist folder to work on: the package's own, or another tsc output (the benchmark
// builds a private copy: `node scripts/bundle.mjs /path/to/dist`).
const dist = process.argv[2]
  ? resolve(process.argv[2])
  : join(dirname(fileURLToPath(import.meta.url)), '..', 'dist');
// Each entry, with the packages it leaves to be loaded at run time (none: the hook and
// failover entries never need the option parser; the CLI's inlines it).
const ENTRIES = [
  [join('lib', 'hooks', 'entry'), ['yargs', 'zx', 'execa']],
  [join('lib', 'cli', 'failover-entry'), ['yargs', 'zx', 'execa']],
  [join('lib', 'cli', 'cli'), ['zx', 'execa']],
  [join('lib', 'cni', 'entry'), ['yargs', 'zx', 'execa']],
];

// lib/cjs.ts loads ipaddr.js and ini with require() from an ES module (see there); in a
// CommonJS bundle they are plain imports that esbuild inlines.
const inlineCjs = {
  name: 'inline-cjs',
  setup(b) {
    b.onLoad({ filter: /[\\/]lib[\\/]cjs\.js$/ }, (args) => ({
      contents: "import ipaddr from 'ipaddr.js';\nimport ini from 'ini';\nexport { ipaddr, ini };\n",
      resolveDir: dirname(args.path),
      loader: 'js',
    }));
  },
};

for (const [entry, external] of ENTRIES) {
  const outfile = join(dist, `${entry}.cjs`);
  const result = await build({
    entryPoints: [join(dist, `${entry}.js`)],
    outfile,
    write: false,
    bundle: true,
    // Only what the entry really needs is inlined (a test checks that no package is left
    // to load at run time).
    external,
    platform: 'node',
    format: 'cjs',
    target: 'node20',
    plugins: [inlineCjs],
    // import.meta.url (lib/paths.ts finds the package from it) is this file's URL.
    define: { 'import.meta.url': '__clusternetModuleUrl' },
    banner: { js: "var __clusternetModuleUrl = require('node:url').pathToFileURL(__filename).href;" },
    logLevel: 'warning',
  });
  const code = result.outputFiles[0].text;
  if (!/^module\.exports = /m.test(code)) throw new Error(`${outfile}: the bundle exports nothing`);
  // The build id names the bundle's V8 code cache (lib/hooks/start.cts): a digest of the
  // code, so a cache never meets another bundle than the one it was made from.
  const id = createHash('sha256').update(code).digest('hex').slice(0, 24);
  writeFileSync(
    outfile,
    `// Built by scripts/bundle.mjs from tsc output: dist/${entry}.js, the library modules it imports and ipaddr.js and ini, in one CommonJS file. Build ${id}.\n${code}`,
  );
}
