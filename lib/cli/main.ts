#!/usr/bin/env node
// The clusternet command. `takeover` and `release` with plain options — what a cluster
// manager runs at failover, on the critical path — go straight to their handler
// (failover-entry.ts) without loading the option parser or any other command; everything
// else, help and every usage error included, is parsed by yargs in cli.ts.
// The failover handler is loaded from its one-file CommonJS bundle when the build made one
// (scripts/bundle.mjs says why), through require() and V8's code cache; node:fs is reached
// through require() too, as an ES import of it alone costs milliseconds (its ES facade
// loads the streams stack).
import { createRequire } from 'node:module';
import { plainFailover } from './failover-args.js';

const failover = plainFailover(process.argv.slice(2));
if (failover) {
  const require = createRequire(import.meta.url);
  const { fileURLToPath } = require('node:url') as typeof import('node:url');
  const bundle = fileURLToPath(new URL('./failover-entry.cjs', import.meta.url));
  type Entry = typeof import('./failover-entry.js');
  // Through V8's code cache, as the hooks load theirs (lib/hooks/start.cts).
  const { load } = require('../hooks/start.cjs') as { load: <T>(file: string) => T };
  const entry = (require('node:fs') as typeof import('node:fs')).existsSync(bundle)
    ? load<Entry>(bundle)
    : await import('./failover-entry.js');
  await entry.runFailover(failover);
} else await (await import('./cli.js')).runCli();
