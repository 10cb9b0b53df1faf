// Recognises the plain failover command lines, `takeover|release --node N` with any of
// --pid P | --netns NAME, --config/-c FILE, --verbose/-v | --quiet/-q, as `--opt value` or
// `--opt=value`. Anything else — help, an unknown or repeated option, a missing value, a
// conflict — returns undefined, and yargs parses it and says what is wrong, as always.
// Tiny on purpose: main.ts imports it before deciding what else to load.

export interface FailoverRequest {
  verb: 'takeover' | 'release';
  node: string;
  pid?: string;
  netns?: string;
  config?: string;
  verbose?: boolean;
  quiet?: boolean;
}

type Valued = 'node' | 'pid' | 'netns' | 'config';
type Flag = 'verbose' | 'quiet';
const VALUED: Record<string, Valued> = {
  '--node': 'node',
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
};

export function plainFailover(argv: readonly string[]): FailoverRequest | undefined {
  const [verb, ...rest] = argv;
  if (verb !== 'takeover' && verb !== 'release') return undefined;
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
  if (
    got.node === undefined ||
    (got.pid !== undefined && got.netns !== undefined) ||
    (got.verbose && got.quiet)
  )
    return undefined;
  return { verb, node: got.node, ...got };
}
