#!/usr/bin/env node
// The clusternet command. `takeover` and `release` with plain options — what a cluster
// manager runs at failover, on the critical path — go straight to their handler
// (failover-entry.ts) without loading the option parser or any other command; everything
// else, help and every usage error included, is parsed by yargs in cli.ts.
import { plainFailover } from './failover-args.js';

const failover = plainFailover(process.argv.slice(2));
if (failover) await (await import('./failover-entry.js')).runFailover(failover);
else await (await import('./cli.js')).runCli();
