// `get`, `set` and `unset`: one key at a time, from the command line, in place. The result
// is validated as a whole (and every node derived from it) before anything is written;
// an invalid result leaves the file untouched.
import { readFileSync, statSync } from 'node:fs';
import { InputError } from '../errors.js';
import { readConfigText } from '../config/file.js';
import { parseConfig } from '../config/load.js';
import type { Config } from '../config/types.js';
import { deriveAll } from '../derive/node.js';
import { writeAtomic } from '../install/fsutil.js';
import { ConfigDocument } from './document.js';
import { editTarget, lockConfig } from './lock.js';
import { describeChange } from './meaning.js';

export function loadDocument(path: string): ConfigDocument {
  readConfigText(path); // size, encoding, ownership: the same checks as every reader
  return new ConfigDocument(readFileSync(path, 'utf8'));
}

/** The text as the config parser reads it. */
const withoutBom = (text: string) => text.replace(/^\uFEFF/, '');

/** Parses and derives every node; throws the InputError of the first problems found. */
export function validateText(text: string, file: string): Config {
  const config = parseConfig(withoutBom(text), file);
  deriveAll(config);
  return config;
}

export function tryParse(text: string, file: string): Config | undefined {
  try {
    return validateText(text, file);
  } catch {
    return undefined;
  }
}

export interface Assignment {
  path: string;
  value: string;
}

export function parseAssignment(raw: string): Assignment {
  const eq = raw.indexOf('=');
  if (eq <= 0) throw new InputError({ key: raw, message: 'not KEY=VALUE; e.g. net.mtu=1400' });
  const assignment = {
    path: checkKeyText(raw.slice(0, eq)).trim(),
    value: raw.slice(eq + 1).trim(),
  };
  if (CONTROL.test(raw.slice(eq + 1)))
    throw new InputError({
      key: assignment.path,
      message:
        'the value holds a control character (a newline would write a second line); allowed: printable text',
    });
  return assignment;
}

const CONTROL = /[\u0000-\u001f\u007f]/;

/** A key named on the command line: printable, so it can only ever be one line's key. */
export function checkKeyText(key: string): string {
  if (CONTROL.test(key))
    throw new InputError({
      key,
      message:
        'the key holds a control character (a newline would write a second line); allowed: SECTION.KEY like net.address',
    });
  return key;
}

export interface EditResult {
  changed: boolean;
  meaning: string[];
}

/** Applies sets and unsets to the file, validated and written atomically with its owner and mode. */
export function editKeys(path: string, sets: Assignment[], unsets: string[]): EditResult {
  const target = editTarget(path);
  const unlock = lockConfig(target);
  try {
    const doc = loadDocument(target);
    const before = doc.text();
    for (const { path: key, value } of sets) doc.set(key, value);
    for (const key of unsets) doc.unset(checkKeyText(key));
    const after = doc.text();
    if (after === before) return { changed: false, meaning: [] };
    const config = validateText(after, path);
    const meaning = describeChange(tryParse(before, path), config);
    const st = statSync(target);
    writeAtomic(target, after, { uid: st.uid, gid: st.gid, mode: st.mode & 0o7777 });
    return { changed: true, meaning };
  } finally {
    unlock();
  }
}
