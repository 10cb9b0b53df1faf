// clusternet-cni's Node part (lib/cni/plugin.ts): what its start path (clusternet-cni.sh)
// runs for every call it does not answer itself. CommonJS, so node starts it without its ES module
// loader; the one-file bundle (scripts/bundle.mjs) through V8's code cache in the run dir,
// as the hooks load theirs (lib/hooks/start.cts); else tsc's ES modules.
const { join } = require('node:path');
const dist = join(__dirname, '..', 'dist', 'lib');
let entry;
try {
  entry = require(join(dist, 'hooks', 'start.cjs')).load(join(dist, 'cni', 'entry.cjs'));
} catch (error) {
  if (error.code !== 'ENOENT' && error.code !== 'MODULE_NOT_FOUND') throw error;
}
if (entry) entry.main();
else import('../dist/lib/cni/entry.js').then((m) => m.main());
