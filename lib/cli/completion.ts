// `clusternet completion`: a bash completion script written out from the commands' own
// option definitions (the same as --help's), with every word it offers fixed in the script:
// a TAB runs no node process (yargs' own completion started the whole CLI, ~0.9 s, per TAB).
// Keys for get/set/unset come from the config schema; node.N. and clusterip.NAME. keys
// are completed once N or NAME is typed.
import yargs, { type CommandModule } from 'yargs';
import { keyNames } from '../config/load.js';

interface OptionWords {
  names: string[];
  /** null: a flag; [] a free value (files offered); else the allowed values. */
  values: string[] | null;
}

interface CommandWords {
  name: string;
  options: OptionWords[];
  /** The allowed values of its positional argument, when it has a fixed set. */
  positional: string[];
  /** What its positional arguments are: keys, KEY=VALUE assignments, files, or nothing to offer. */
  kind: 'keys' | 'assignments' | 'files' | 'none';
}

const GLOBAL = ['config', 'verbose', 'quiet'];
/** Options whose value is a path: files are offered for them (and for install-hooks --node, the node binary). */
const PATH_OPTIONS = ['defaults', 'prefix', 'libdir', 'output-dir', 'hooks-dir'];

/** A command's words, read back from its builder run on an empty parser. */
function commandWords(c: CommandModule<never, never>): CommandWords {
  const spec = String(c.command);
  const name = spec.split(' ')[0]!;
  const positionals = [...spec.matchAll(/<([a-z-]+)(?:\.\.)?>/g)].map((m) => m[1]!);
  const y = yargs([]);
  if (typeof c.builder === 'function') (c.builder as (y: unknown) => unknown)(y);
  // getOptions() is yargs' own (untyped in @types/yargs): what the builder declared.
  const o = (y as unknown as { getOptions(): unknown }).getOptions() as {
    key: Record<string, boolean>;
    alias: Record<string, string[]>;
    boolean: string[];
    choices: Record<string, string[]>;
  };
  const aliases = new Set(Object.values(o.alias).flat());
  const options: OptionWords[] = [];
  for (const key of Object.keys(o.key)) {
    if (aliases.has(key) || positionals.includes(key) || key === 'version' || key === 'help')
      continue;
    const names = [key, ...(o.alias[key] ?? [])].map((n) => (n.length === 1 ? `-${n}` : `--${n}`));
    options.push({ names, values: o.boolean.includes(key) ? null : (o.choices[key] ?? []) });
  }
  const positional = positionals.flatMap((p) => o.choices[p] ?? []);
  const kind =
    name === 'get' || name === 'unset'
      ? 'keys'
      : name === 'set'
        ? 'assignments'
        : name === 'hook'
          ? 'files'
          : 'none';
  return { name, options, positional, kind };
}

const q = (words: readonly string[]) => words.join(' ');

/** The whole script; `commands` are the CLI's own, plus the two that have no options (man, completion). */
export function completionScript(
  commands: readonly CommandModule<never, never>[],
  extra: readonly string[],
): string {
  const all = commands.map(commandWords);
  const globalOptions: OptionWords[] = [
    { names: ['--config', '-c'], values: [] },
    { names: ['--verbose', '-v'], values: null },
    { names: ['--quiet', '-q'], values: null },
    { names: ['--help'], values: null },
    { names: ['--version'], values: null },
  ];
  const keys = keyNames();
  const plain = keys.filter((k) => k.kind !== 'node').map((k) => `${k.kind}.${k.key}`);
  const nodeKeys = keys.filter((k) => k.kind === 'node').map((k) => k.key);
  const cipKeys = keys.filter((k) => k.kind === 'clusterip').map((k) => k.key);
  // Option values: the allowed ones; paths for the options that take one; names of
  // /run/netns for --netns; nothing (never a file name) for a node id, PID, address…
  const valueCases: string[] = [];
  const valued = all.flatMap((c) =>
    c.options
      .filter((o) => o.values !== null && !GLOBAL.includes(o.names[0]!.slice(2)))
      .map((o) => ({ c, o })),
  );
  for (const { c, o } of valued.filter(({ o }) => o.values!.length > 0)) {
    valueCases.push(
      `\t${o.names.map((n) => `'${c.name} ${n}'`).join(' | ')}) COMPREPLY=($(compgen -W '${q(o.values!)}' -- "$cur")); return ;;`,
    );
  }
  const names = (pred: (name: string, command: string) => boolean) => [
    ...new Set(
      valued
        .filter(({ c, o }) => o.values!.length === 0 && pred(o.names[0]!.slice(2), c.name))
        .flatMap(({ c, o }) => o.names.map((n) => `'${c.name} ${n}'`)),
    ),
  ];
  const pathLike = (n: string, command: string) =>
    PATH_OPTIONS.includes(n) || (command === 'install-hooks' && n === 'node');
  valueCases.push(
    `\t${names(pathLike).join(' | ')}) COMPREPLY=($(compgen -f -- "$cur")); return ;;`,
  );
  valueCases.push(
    `\t${names((n) => n === 'netns').join(' | ')}) local ns=(/run/netns/*); [[ -e \${ns[0]} ]] && COMPREPLY=($(compgen -W "\${ns[*]##*/}" -- "$cur")); return ;;`,
  );
  valueCases.push(`\t${names((n, c) => !pathLike(n, c) && n !== 'netns').join(' | ')}) return ;;`);
  const commandCases = all.map((c) => {
    const words = q(
      [...c.options, ...globalOptions.filter((o) => o.names[0] !== '--version')].flatMap((o) =>
        o.names.filter((n) => n.startsWith('--')),
      ),
    );
    const args =
      c.kind === 'keys'
        ? '_clusternet_keys'
        : c.kind === 'assignments'
          ? '_clusternet_keys ='
          : c.kind === 'files'
            ? 'COMPREPLY=($(compgen -f -- "$cur"))'
            : c.positional.length > 0
              ? `COMPREPLY=($(compgen -W '${q(c.positional)}' -- "$cur"))`
              : ':';
    return `\t${c.name}) opts='${words}'; [[ $cur == -* ]] || { ${args}; return; } ;;`;
  });
  return `# bash completion for clusternet: \`clusternet completion > /etc/bash_completion.d/clusternet\`
# (the Debian package installs it). Generated from clusternet's option definitions;
# every word is in the script, so a TAB starts no process.
_clusternet_keys() { # [=]: complete net.conf keys (get, unset), or KEY= (set)
	local eq=\${1:-} words
	if [[ $cur == node.*.* ]]; then
		words="$(printf "\${cur%.*}.%s$eq " ${q(nodeKeys)})"
	elif [[ $cur == clusterip.*.* && $cur != clusterip.*=* ]]; then
		words="$(printf "\${cur%.*}.%s$eq " ${q(cipKeys)})"
	else
		words="$(printf "%s$eq " ${q(plain)}) node. clusterip."
	fi
	COMPREPLY=($(compgen -W "$words" -- "$cur"))
	# KEY= and node. go on without a space: the value, or the node id, follows.
	[[ \${#COMPREPLY[@]} -eq 1 && \${COMPREPLY[0]} == *[=.] ]] && compopt -o nospace 2>/dev/null
	return 0
}

_clusternet() {
	local cur=\${COMP_WORDS[COMP_CWORD]} prev=\${COMP_WORDS[COMP_CWORD-1]} cmd='' opts i
	COMPREPLY=()
	for ((i = 1; i < COMP_CWORD; i++)); do
		case \${COMP_WORDS[i]} in
		-c | --config) ((i++)) ;;
		-*) ;;
		*) cmd=\${COMP_WORDS[i]}; break ;;
		esac
	done
	case $prev in
	-c | --config) COMPREPLY=($(compgen -f -- "$cur")); return ;;
	esac
	case "$cmd $prev" in
${valueCases.join('\n')}
	esac
	case $cmd in
	'') COMPREPLY=($(compgen -W '${q([...all.map((c) => c.name), ...extra])} ${q(globalOptions.flatMap((o) => o.names.filter((n) => n.startsWith('--'))))}' -- "$cur")); return ;;
${commandCases.join('\n')}
	*) opts='--help' ;;
	esac
	COMPREPLY=($(compgen -W "$opts" -- "$cur"))
}
complete -F _clusternet clusternet
`;
}
