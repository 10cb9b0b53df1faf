// `clusternet edit`, like visudo: edit a copy, validate it, show what it means, ask, and
// only then install it atomically with the original's owner and mode. An invalid copy is
// never installed; the person is offered to edit it again.
import { spawnSync } from 'node:child_process';
import {
  chmodSync,
  existsSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { ApplyError, InputError } from '../errors.js';
import { EXAMPLE_CONFIG } from '../paths.js';
import { writeAtomic } from '../install/fsutil.js';
import { describeChange } from './meaning.js';
import { editTarget, lockConfig } from './lock.js';
import { loadDocument, tryParse, validateText } from './keys.js';
import { ask } from './prompt.js';

export interface EditOptions {
  path: string;
  /** Install a valid result without asking; an invalid one is still refused. */
  yes: boolean;
  env?: NodeJS.ProcessEnv;
  out?: (s: string) => void;
}

export type EditOutcome = 'installed' | 'unchanged' | 'declined';

/** $VISUAL, then $EDITOR, then vi; split on white space (never through a shell). */
export function editorArgv(env: NodeJS.ProcessEnv): string[] {
  const editor = (env.VISUAL || env.EDITOR || 'vi').trim();
  return editor.split(/\s+/);
}

export function editConfig(o: EditOptions): EditOutcome {
  const env = o.env ?? process.env;
  const out = o.out ?? ((s: string) => process.stdout.write(s));
  const exists = existsSync(o.path);
  const target = editTarget(o.path);
  const unlock = lockConfig(target);
  const dir = mkdtempSync(join(tmpdir(), 'clusternet-edit-'));
  try {
    // The copy keeps the file's name so the editor shows it (and picks its syntax).
    const copy = join(dir, basename(o.path));
    const original = exists ? loadDocument(o.path).text() : readFileSync(EXAMPLE_CONFIG, 'utf8');
    writeFileSync(copy, original);
    chmodSync(copy, 0o600);
    const before = exists ? tryParse(original, o.path) : undefined;
    for (;;) {
      const [file, ...args] = editorArgv(env);
      const run = spawnSync(file!, [...args, copy], { stdio: 'inherit', env });
      if (run.error)
        throw new ApplyError(`${file} ${copy}`, `cannot start the editor: ${run.error.message}`);
      if (run.status !== 0)
        throw new ApplyError(
          `${file} ${copy}`,
          `the editor exited with ${run.status ?? run.signal}; ${o.path} was not changed`,
        );
      const edited = readFileSync(copy, 'utf8');
      if (edited === original && exists) {
        out(`${o.path}: no changes\n`);
        return 'unchanged';
      }
      let problems: string | undefined;
      let config;
      try {
        config = validateText(edited, o.path);
      } catch (error) {
        if (!(error instanceof InputError)) throw error;
        problems = error.message;
      }
      if (problems !== undefined || !config) {
        out(`the edited ${o.path} is not valid and was not installed:\n${problems}\n`);
        if (o.yes)
          throw new InputError({
            file: o.path,
            message: 'the edited file is not valid; nothing was installed',
          });
        const again = ask(
          'What now? (e)dit again, e(x)it without saving [e]: ',
          { e: 'edit', x: 'exit' },
          'edit',
          'exit',
        );
        if (again === 'edit') continue;
        // Leaving with an invalid copy is a failed edit, as with --yes: scripts see it.
        throw new InputError({
          file: o.path,
          message: 'the edited file is not valid; nothing was installed',
        });
      }
      out(
        `${describeChange(before, config)
          .map((l) => `  ${l}\n`)
          .join('')}`,
      );
      const answer = o.yes
        ? 'yes'
        : ask(
            `Install the new ${o.path}? (y)es, (n)o, (e)dit again [n]: `,
            { y: 'yes', n: 'no', e: 'edit' },
            'no',
            'no',
          );
      if (answer === 'edit') continue;
      if (answer !== 'yes') {
        out(`${o.path} was not changed\n`);
        return 'declined';
      }
      const st = exists ? statSync(target) : undefined;
      writeAtomic(target, edited, {
        uid: st?.uid ?? process.getuid?.() ?? 0,
        gid: st?.gid ?? process.getgid?.() ?? 0,
        mode: st ? st.mode & 0o7777 : 0o644,
      });
      out(`installed ${o.path}\n`);
      return 'installed';
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
    unlock();
  }
}
