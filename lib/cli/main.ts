#!/usr/bin/env node
// The clusternet command. `takeover` and `release`, and `assign`, `unassign`, `assigned`,
// with plain options — what a cluster manager runs at failover, on the critical path, and
// its monitor every few seconds — go straight to their handler
// (failover-entry.ts) without loading the option parser or any other command; everything
// else, help and every usage error included, is parsed by yargs in cli.ts.
// Each is loaded from its one-file CommonJS bundle when the build made one (scripts/
// bundle.mjs says why), through require() and V8's code cache, else from tsc's ES modules;
// node:fs is reached through require() too, as an ES import of it alone costs
// milliseconds (its ES facade loads the streams stack).
import { createRequire } from 'node:module';
import { plainFailover } from './failover-args.js';

const require = createRequire(import.meta.url);

/** The bundle `name`.cjs beside this file, through the code cache; else `fallback()`. */
async function entry<T>(name: string, fallback: () => Promise<T>): Promise<T> {
  const { fileURLToPath } = require('node:url') as typeof import('node:url');
  const bundle = fileURLToPath(new URL(`./${name}.cjs`, import.meta.url));
  // Through V8's code cache, as the hooks load theirs (lib/hooks/start.cts).
  const { load } = require('../hooks/start.cjs') as { load: <E>(file: string) => E };
  return (require('node:fs') as typeof import('node:fs')).existsSync(bundle)
    ? load<T>(bundle)
    : fallback();
}

const failover = plainFailover(process.argv.slice(2));
if (failover)
  await (
    await entry<typeof import('./failover-entry.js')>(
      'failover-entry',
      () => import('./failover-entry.js'),
    )
  ).runFailover(failover);
else await (await entry<typeof import('./cli.js')>('cli', () => import('./cli.js'))).runCli();
