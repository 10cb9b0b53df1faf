// Recognises the plain failover command lines, `takeover|release --node N` and a cluster
// manager's `assign|unassign|assigned --bucket B [--clusterip NAME] [--node N]
// [--validate-only]`, with any of --pid P | --netns NAME, --config/-c FILE, --verbose/-v |
// --quiet/-q, as `--opt value` or `--opt=value`. Anything else — help, an unknown or repeated option, a missing value, a
// conflict — returns undefined, and yargs parses it and says what is wrong, as always.
// Tiny on purpose: main.ts imports it before deciding what else to load.

export type FailoverVerb = 'takeover' | 'release' | 'assign' | 'unassign' | 'assigned';
const VERBS: readonly string[] = ['takeover', 'release', 'assign', 'unassign', 'assigned'];

export interface FailoverRequest {
  verb: FailoverVerb;
  /** takeover/release: the other node; assign…: this node (else the usual sources). */
  node?: string;
  bucket?: string;
  clusterip?: string;
  'validate-only'?: boolean;
  pid?: string;
  netns?: string;
  config?: string;
  verbose?: boolean;
  quiet?: boolean;
}

type Valued = 'node' | 'pid' | 'netns' | 'config' | 'bucket' | 'clusterip';
type Flag = 'verbose' | 'quiet' | 'validate-only';
const VALUED: Record<string, Valued> = {
  '--node': 'node',
  '--bucket': 'bucket',
  '--clusterip': 'clusterip',
  '--pid': 'pid',
  '--netns': 'netns',
  '--config': 'config',
  '-c': 'config',
};
const FLAGS: Record<string, Flag> = {
  '--verbose': 'verbose',
  '-v': 'verbose',
  '--quiet': 'quiet',
  '-q': 'quiet',
  '--validate-only': 'validate-only',
};

export function plainFailover(argv: readonly string[]): FailoverRequest | undefined {
  const [verb, ...rest] = argv;
  if (verb === undefined || !VERBS.includes(verb)) return undefined;
  const got: Partial<Record<Valued, string>> & Partial<Record<Flag, true>> = {};
  for (let i = 0; i < rest.length; i++) {
    const arg = rest[i]!;
    const eq = arg.startsWith('--') ? arg.indexOf('=') : -1;
    const name = eq > 0 ? arg.slice(0, eq) : arg;
    const valued = Object.hasOwn(VALUED, name) ? VALUED[name] : undefined;
    const flag = Object.hasOwn(FLAGS, arg) ? FLAGS[arg] : undefined;
    if (valued) {
      const value = eq > 0 ? arg.slice(eq + 1) : rest[++i];
      if (value === undefined || value === '' || value.startsWith('-') || got[valued] !== undefined)
        return undefined;
      got[valued] = value;
    } else if (flag) {
      if (got[flag]) return undefined;
      got[flag] = true;
    } else {
      return undefined;
    }
  }
  const failover = verb === 'takeover' || verb === 'release';
  const wellFormed = failover
    ? got.node !== undefined &&
      got.bucket === undefined &&
      got.clusterip === undefined &&
      !got['validate-only']
    : got.bucket !== undefined;
  if (
    !wellFormed ||
    (got.pid !== undefined && got.netns !== undefined) ||
    (got.verbose && got.quiet)
  )
    return undefined;
  return { verb: verb as FailoverVerb, ...got };
}
