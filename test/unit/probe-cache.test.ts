// The per-boot cache of cluster-IP backend probes (lib/clusterip/probe-cache.ts): a
// backend that probed fine in a namespace is not probed again there until the kernel or
// the boot changes; failures are never remembered; a test's fake runner is never cached.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { probeBackendCached, probeCachePath } from '../../lib/clusterip/probe-cache.js';
import type { CommandResult, RunOptions } from '../../lib/system/runner.js';
import { FakeRunner, type Responder } from '../helpers/fake-runner.js';
import { TempDir } from '../helpers/temp.js';
import { CURRENT_NS, type Ns } from '../../lib/system/ns.js';

/** A fake runner that says it reaches the real system: what the cache accepts. */
class SystemFake extends FakeRunner {
  readonly system = true;
  override run(argv: string[], options?: RunOptions): Promise<CommandResult> {
    return super.run(argv, options);
  }
}

// The cluster match known: `iptables -C` of an absent rule says "Bad rule", arptables-save works.
const clusterMatchWorks: Responder = (argv) =>
  argv.includes('-C')
    ? { exitCode: 1, stderr: 'iptables: Bad rule (does a matching rule exist in that chain?).\n' }
    : argv.includes('arptables-nft-save')
      ? { stdout: '' }
      : undefined;
const clusterMatchMissing: Responder = (argv) =>
  argv.includes('-C')
    ? {
        exitCode: 2,
        stderr:
          "iptables v1.8.9 (nf_tables): Couldn't load match `cluster':No such file or directory\n",
      }
    : undefined;

const P = suite('clusterip: probe cache');
let tmp: TempDir;
let env: NodeJS.ProcessEnv;
const at = { kernel: '6.12.57+deb13-amd64', boot: 'b00710ad-0000-4000-8000-000000000001' };

P.before.each(() => {
  tmp = new TempDir();
  env = { CLUSTERNET_RUN_DIR: tmp.path('run') };
});
P.after.each(() => tmp.remove());

P('a backend that runs is probed once, then read from the run dir', async () => {
  const runner = new SystemFake(clusterMatchWorks);
  assert.is(
    await probeBackendCached(runner, CURRENT_NS, 'cluster-match', { env, ...at }),
    undefined,
  );
  const probes = runner.calls.length;
  assert.ok(probes > 0);
  const file = probeCachePath(CURRENT_NS, env);
  assert.equal(JSON.parse(readFileSync(file, 'utf8')), { ...at, ok: ['cluster-match'] });
  assert.is(
    await probeBackendCached(runner, CURRENT_NS, 'cluster-match', { env, ...at }),
    undefined,
  );
  assert.is(runner.calls.length, probes, 'no second probe');
});

P('another kernel release or another boot probes again', async () => {
  const runner = new SystemFake(clusterMatchWorks);
  await probeBackendCached(runner, CURRENT_NS, 'cluster-match', { env, ...at });
  const probes = runner.calls.length;
  await probeBackendCached(runner, CURRENT_NS, 'cluster-match', {
    env,
    ...at,
    kernel: '6.1.0-41-amd64',
  });
  assert.is(runner.calls.length, 2 * probes);
  await probeBackendCached(runner, CURRENT_NS, 'cluster-match', {
    env,
    ...at,
    boot: 'b00710ad-0000-4000-8000-000000000002',
  });
  assert.is(runner.calls.length, 3 * probes);
});

P('a backend that cannot run is never remembered: each run probes it and says why', async () => {
  const runner = new SystemFake(clusterMatchMissing);
  const why = await probeBackendCached(runner, CURRENT_NS, 'cluster-match', { env, ...at });
  assert.match(why ?? '', /cannot use the cluster match/);
  assert.not.ok(existsSync(probeCachePath(CURRENT_NS, env)));
  const probes = runner.calls.length;
  await probeBackendCached(runner, CURRENT_NS, 'cluster-match', { env, ...at });
  assert.is(runner.calls.length, 2 * probes);
});

P('each backend is remembered on its own; a damaged cache file only costs a probe', async () => {
  const runner = new SystemFake(clusterMatchWorks, (argv) =>
    argv[0] === 'nft' ? { exitCode: 0 } : undefined,
  );
  await probeBackendCached(runner, CURRENT_NS, 'nft', { env, ...at });
  await probeBackendCached(runner, CURRENT_NS, 'cluster-match', { env, ...at });
  assert.equal(JSON.parse(readFileSync(probeCachePath(CURRENT_NS, env), 'utf8')).ok, [
    'cluster-match',
    'nft',
  ]);
  writeFileSync(probeCachePath(CURRENT_NS, env), '{"kernel": ');
  const before = runner.calls.length;
  assert.is(await probeBackendCached(runner, CURRENT_NS, 'nft', { env, ...at }), undefined);
  assert.is(runner.calls.length, before + 1);
});

P("a test's fake runner (not the real system) is never cached", async () => {
  const runner = new FakeRunner(clusterMatchWorks);
  await probeBackendCached(runner, CURRENT_NS, 'cluster-match', { env, ...at });
  await probeBackendCached(runner, CURRENT_NS, 'cluster-match', { env, ...at });
  assert.not.ok(existsSync(probeCachePath(CURRENT_NS, env)));
  assert.is(runner.calls.length, 4);
});

P('a namespace whose identity cannot be read is probed, not cached', async () => {
  const gone: Ns = { kind: 'netns', name: 'cnt-no-such-ns' };
  const runner = new SystemFake(clusterMatchWorks);
  assert.is(await probeBackendCached(runner, gone, 'cluster-match', { env, ...at }), undefined);
  await probeBackendCached(runner, gone, 'cluster-match', { env, ...at });
  assert.is(runner.calls.length, 4);
});

P.run();
