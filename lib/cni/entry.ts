// What bin/clusternet-cni runs (through its one-file bundle, scripts/bundle.mjs): stdin
// whole, one call, the reply on stdout, the exit code. An unexpected error still answers
// in the spec's JSON, so a runtime shows it.
import { readFileSync } from 'node:fs';
import { CNI_VERSION } from './conf.js';
import { handle } from './plugin.js';

function readStdin(): string {
  try {
    return readFileSync(0, 'utf8');
  } catch {
    return '';
  }
}

export async function main(): Promise<void> {
  let reply;
  try {
    reply = await handle(process.env, readStdin());
  } catch (error) {
    const details = error instanceof Error ? (error.stack ?? error.message) : String(error);
    reply = {
      exitCode: 1,
      stdout: `${JSON.stringify({ cniVersion: CNI_VERSION, code: 5, msg: 'clusternet-cni failed', details })}\n`,
    };
  }
  process.stdout.write(reply.stdout, () => process.exit(reply.exitCode));
}
