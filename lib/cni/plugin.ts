// clusternet-cni: a CNI 1.0.0 meta plugin (as xcluster-cni is). It works out this node's
// range from net.conf and hands the real work to a reference plugin (bridge or macvlan)
// with host-local IPAM filled in: no IPAM of ours, host-local keeps the leases with
// its own locking. Called exactly as a runtime calls any plugin: config on stdin, CNI_* in
// the environment, the result or the spec's error JSON on stdout.
import { accessSync, constants, statSync } from 'node:fs';
import { join } from 'node:path';
import { InputError } from '../errors.js';
import { loadConfigFile } from '../config/load.js';
import { configPath } from '../config/file.js';
import type { Config } from '../config/types.js';
import { resolveNodeId } from '../derive/node-id.js';
import { CNI_VERSION, delegateConfWith, mtuFrom, mtuSource, type MtuSource } from './conf.js';
import { linkMtu } from '../system/link-mtu.js';
import { callPlugin, type PluginOutcome } from './exec.js';
import { cacheMaterial, keepAnswer, type CacheInputs, type CachedAnswer } from './cache.js';

/** The spec's well-known error codes (SPEC.md, "Error"); 100 and up are ours. */
export const CNI_ERRORS = {
  incompatibleVersion: 1,
  unsupportedField: 2,
  containerUnknown: 3,
  invalidEnvironment: 4,
  ioFailure: 5,
  decodeFailure: 6,
  invalidConfig: 7,
  tryAgainLater: 11,
  /** The delegate plugin is not in CNI_PATH. */
  delegateMissing: 100,
  /** The delegate failed without the spec's error JSON. */
  delegateFailed: 101,
} as const;

/** The versions we pass through: what the reference plugins 1.1.1 accept with CHECK and a full result. */
export const SUPPORTED_VERSIONS = ['0.3.0', '0.3.1', '0.4.0', '1.0.0'];

export interface Reply {
  exitCode: number;
  stdout: string;
}

class CniFailure extends Error {
  constructor(
    readonly code: number,
    message: string,
    readonly details = '',
  ) {
    super(message);
  }
}

const errorReply = (version: string, e: CniFailure): Reply => ({
  exitCode: 1,
  stdout: `${JSON.stringify({ cniVersion: version, code: e.code, msg: e.message, ...(e.details ? { details: e.details } : {}) })}\n`,
});

export interface PluginDeps {
  loadConfig: (path: string) => Config;
  call: (binary: string, env: NodeJS.ProcessEnv, input: string) => Promise<PluginOutcome>;
  /** A link's MTU in the namespace the plugin runs in (the node's host); undefined when it is absent. */
  linkMtu: (dev: string) => number | undefined;
  /** Leaves the answer for clusternet-cni's start path (lib/cni/cache.ts). */
  keep: (inputs: CacheInputs, before: Buffer | undefined, answer: CachedAnswer) => void;
  /** What the answer comes from, taken before net.conf is read. */
  material: (inputs: CacheInputs) => Buffer | undefined;
}

const realDeps: PluginDeps = {
  loadConfig: loadConfigFile,
  call: callPlugin,
  linkMtu,
  keep: keepAnswer,
  material: cacheMaterial,
};

/** One CNI call: CNI_COMMAND from `env`, the network config in `stdin`. */
export async function handle(
  env: NodeJS.ProcessEnv,
  stdin: string,
  deps: PluginDeps = realDeps,
): Promise<Reply> {
  let version = CNI_VERSION;
  try {
    const command = env.CNI_COMMAND;
    if (command === 'VERSION')
      return {
        exitCode: 0,
        stdout: `${JSON.stringify({ cniVersion: CNI_VERSION, supportedVersions: SUPPORTED_VERSIONS })}\n`,
      };
    if (command !== 'ADD' && command !== 'DEL' && command !== 'CHECK') {
      throw new CniFailure(
        CNI_ERRORS.invalidEnvironment,
        command ? `unknown CNI_COMMAND "${command}"` : 'CNI_COMMAND is not set',
        'allowed: ADD, DEL, CHECK, VERSION',
      );
    }
    const conf = readNetConf(stdin);
    version = conf.cniVersion;
    const required = [
      'CNI_CONTAINERID',
      'CNI_IFNAME',
      'CNI_PATH',
      ...(command === 'DEL' ? [] : ['CNI_NETNS']),
    ];
    const missing = required.filter((name) => !env[name]);
    if (missing.length > 0)
      throw new CniFailure(
        CNI_ERRORS.invalidEnvironment,
        `${missing.join(', ')} ${missing.length === 1 ? 'is' : 'are'} not set`,
        `${command} needs ${required.join(', ')}`,
      );

    const inputs: CacheInputs = {
      name: conf.name,
      file: configPath(conf.raw.config as string | undefined, env),
      node: conf.raw.node as number | undefined,
      env,
    };
    const before = deps.material(inputs);
    const { mtu, kept } = answerOf(conf, inputs.file, env, deps);
    deps.keep(inputs, before, {
      versions: SUPPORTED_VERSIONS,
      type: kept.type as string,
      mtu,
      delegate: kept,
    });
    // A bridge's MTU is read at every call, here as in the start path; a fixed one is in `kept`.
    const live = 'bridge' in mtu ? mtuFrom(mtu, deps.linkMtu) : undefined;
    // The runtime's own fields travel on: CHECK needs prevResult, runtimeConfig carries
    // port mappings and the like for plugins that read them.
    const passed = Object.fromEntries(
      ['args', 'runtimeConfig', 'prevResult']
        .filter((k) => k in conf.raw)
        .map((k) => [k, conf.raw[k]]),
    );
    const delegate: Record<string, unknown> = {
      cniVersion: conf.cniVersion,
      name: conf.name,
      ...kept,
      ...(live === undefined ? {} : { mtu: live }),
      ...passed,
    };
    const type = delegate.type as string;
    const binary = findPlugin(type, env.CNI_PATH!);
    const input = JSON.stringify(delegate);
    const outcome = await deps.call(binary, env, input);
    if (outcome.exitCode === 0) return { exitCode: 0, stdout: outcome.stdout };
    // A failed ADD leaves nothing: the bridge plugin keeps the veth it made when host-local
    // then fails (and the lease when a later step fails): its DEL removes both.
    if (command === 'ADD') await deps.call(binary, { ...env, CNI_COMMAND: 'DEL' }, input);
    return delegateError(type, outcome, version);
  } catch (error) {
    if (error instanceof CniFailure) return errorReply(version, error);
    throw error;
  }
}

interface NetConf {
  cniVersion: string;
  name: string;
  raw: Record<string, unknown>;
}

function readNetConf(stdin: string): NetConf {
  let raw: unknown;
  try {
    raw = JSON.parse(stdin);
  } catch (error) {
    throw new CniFailure(
      CNI_ERRORS.decodeFailure,
      'the network configuration on stdin is not JSON',
      (error as Error).message,
    );
  }
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw))
    throw new CniFailure(
      CNI_ERRORS.decodeFailure,
      'the network configuration on stdin is not a JSON object',
    );
  const conf = raw as Record<string, unknown>;
  if (typeof conf.cniVersion !== 'string')
    throw new CniFailure(CNI_ERRORS.invalidConfig, 'the network configuration has no cniVersion');
  if (!SUPPORTED_VERSIONS.includes(conf.cniVersion)) {
    throw new CniFailure(
      CNI_ERRORS.incompatibleVersion,
      `CNI version ${conf.cniVersion} is not supported`,
      `supported: ${SUPPORTED_VERSIONS.join(', ')}`,
    );
  }
  if (typeof conf.name !== 'string' || !/^[A-Za-z0-9][A-Za-z0-9_.-]*$/.test(conf.name))
    throw new CniFailure(
      CNI_ERRORS.invalidConfig,
      'the network configuration has no valid name',
      'a name of A-Z a-z 0-9 _ . -',
    );
  if (
    conf.config !== undefined &&
    (typeof conf.config !== 'string' || !conf.config.startsWith('/'))
  ) {
    throw new CniFailure(
      CNI_ERRORS.invalidConfig,
      '"config" is not an absolute path',
      'the net.conf to read, e.g. /etc/net.conf',
    );
  }
  if (conf.node !== undefined && !(Number.isSafeInteger(conf.node) && (conf.node as number) > 0)) {
    throw new CniFailure(
      CNI_ERRORS.invalidConfig,
      '"node" is not a node id',
      "a whole number, one of net.conf's cluster.nodes",
    );
  }
  return { cniVersion: conf.cniVersion, name: conf.name, raw: conf };
}

/**
 * The delegate's config for this node from net.conf (`file`: the conf's "config", else
 * CLUSTERNET_CONFIG, else /etc/net.conf), without a bridge's MTU, and where containers'
 * MTU comes from. The node id: the conf's "node" (as --node: a runtime may call plugins
 * with an environment of its own, podman's cleanup does), else as every command finds it.
 * A [cni] section missing or disabled is refused here, with the file named.
 */
function answerOf(
  conf: NetConf,
  file: string,
  env: NodeJS.ProcessEnv,
  deps: PluginDeps,
): { mtu: MtuSource; kept: Record<string, unknown> } {
  try {
    const config = deps.loadConfig(file);
    const { id } = resolveNodeId(config, { env, flag: conf.raw.node as number | undefined });
    const mtu = mtuSource(config, id);
    return { mtu, kept: delegateConfWith(config, id, 'fixed' in mtu ? mtu.fixed : undefined) };
  } catch (error) {
    if (error instanceof InputError)
      throw new CniFailure(
        CNI_ERRORS.invalidConfig,
        'net.conf gives this node no container range',
        error.message,
      );
    throw error;
  }
}

/** The first executable `type` in CNI_PATH's folders, as libcni's FindInPath looks. */
function findPlugin(type: string, cniPath: string): string {
  const dirs = cniPath.split(':').filter((d) => d !== '');
  for (const dir of dirs) {
    const file = join(dir, type);
    try {
      if (!statSync(file).isFile()) continue;
      accessSync(file, constants.X_OK);
      return file;
    } catch {
      /* not in this folder */
    }
  }
  throw new CniFailure(
    CNI_ERRORS.delegateMissing,
    `the delegate plugin "${type}" is not in CNI_PATH`,
    `looked in ${dirs.join(', ') || '(no folder)'}; install the reference plugins (Debian: containernetworking-plugins) or set CNI_PATH`,
  );
}

/** The delegate's own error JSON when it wrote one, else ours around its exit and output. */
function delegateError(type: string, outcome: PluginOutcome, version: string): Reply {
  try {
    const parsed = JSON.parse(outcome.stdout) as { code?: unknown; msg?: unknown };
    if (typeof parsed.code === 'number' && typeof parsed.msg === 'string')
      return { exitCode: outcome.exitCode || 1, stdout: outcome.stdout };
  } catch {
    /* not JSON: wrapped below */
  }
  const details = outcome.notStarted ?? outcome.stdout.replace(/^[ \t\n\r]+|[ \t\n\r]+$/g, '');
  return errorReply(
    version,
    new CniFailure(
      CNI_ERRORS.delegateFailed,
      `the delegate plugin "${type}" failed (exit ${outcome.exitCode})`,
      details,
    ),
  );
}
