// /etc/default/clusternet: shell-style NAME=value switches (Kerrighed's
// /etc/default/kerrighed-host had ISOLATE_NET). Read here, never sourced by a shell, so a
// value is only ever data.
import { readFileSync } from 'node:fs';
import { InputError, type InputProblem } from '../errors.js';
import { parseBool, parseIfName, parseInteger, ValueProblem } from '../value/parse.js';
import { PHASES, type Phase } from '../plan/ops.js';

export const DEFAULTS_FILE = '/etc/default/clusternet';

export interface Defaults {
  file: string;
  isolateNet: boolean;
  netns: string;
  phases: Phase[];
  config: string | undefined;
  hooksDir: string | undefined;
  nodeId: string | undefined;
  waitTimeout: number;
}

const BUILTIN: Omit<Defaults, 'file'> = {
  isolateNet: true,
  netns: 'cluster',
  phases: ['boot-pre', 'boot-post', 'init-pre', 'init-post'],
  config: undefined,
  hooksDir: undefined,
  nodeId: undefined,
  waitTimeout: 60,
};

/** A missing file means the built-in values, like systemd's `EnvironmentFile=-`. */
export function readDefaults(file: string = DEFAULTS_FILE): Defaults {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return { file, ...BUILTIN };
    throw new InputError({
      file,
      message: `cannot read (${(error as NodeJS.ErrnoException).code})`,
    });
  }
  return parseDefaults(text, file);
}

export function parseDefaults(text: string, file: string): Defaults {
  const d: Defaults = { file, ...BUILTIN, phases: [...BUILTIN.phases] };
  const problems: InputProblem[] = [];
  text.split('\n').forEach((raw, index) => {
    const line = raw.replace(/\r$/, '').trim();
    if (line === '' || line.startsWith('#')) return;
    const m = /^(?:export\s+)?([A-Za-z_][A-Za-z0-9_]*)=(.*)$/.exec(line);
    if (!m) {
      problems.push({ file, line: index + 1, message: `not a NAME=value line: "${line}"` });
      return;
    }
    const [, key, rawValue] = m as unknown as [string, string, string];
    const value = unquote(rawValue);
    try {
      switch (key) {
        case 'ISOLATE_NET':
          d.isolateNet = parseBool(value);
          break;
        case 'CONTAINER_NETNS':
          d.netns = parseIfName(value);
          break;
        case 'PHASES':
          d.phases = parsePhases(value);
          break;
        case 'CLUSTERNET_CONFIG':
          d.config = value || undefined;
          break;
        case 'CLUSTERNET_HOOKS_DIR':
          d.hooksDir = value || undefined;
          break;
        case 'CLUSTERNET_NODE_ID':
          d.nodeId = value || undefined;
          break;
        case 'WAIT_TIMEOUT':
          d.waitTimeout = parseInteger(value, 0, 86400, 'a number of seconds');
          break;
        default:
          // Other variables are the site's own (the file is shared with shell scripts).
          break;
      }
    } catch (error) {
      if (!(error instanceof ValueProblem)) throw error;
      problems.push({ file, line: index + 1, key, message: error.message });
    }
  });
  if (problems.length > 0) throw new InputError(problems);
  return d;
}

/** "a b" or 'a b' or a; an unquoted trailing `# comment` is dropped. */
function unquote(raw: string): string {
  const v = raw.trim();
  const quoted = /^"([^"]*)"|^'([^']*)'/.exec(v);
  if (quoted) return quoted[1] ?? quoted[2] ?? '';
  return v.replace(/\s+#.*$/, '');
}

function parsePhases(value: string): Phase[] {
  const phases = value.split(/[\s,]+/).filter(Boolean);
  for (const p of phases) {
    if (!PHASES.includes(p as Phase) || p === 'stop')
      throw new ValueProblem(
        `"${p}" is not a phase to start; allowed: boot-pre, boot-post, init-pre, init-post`,
      );
  }
  // Always in boot order, whatever order they were written in.
  return PHASES.filter((p) => phases.includes(p));
}
