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
import { lockConfig } from './lock.js';
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
  return { path: raw.slice(0, eq).trim(), value: raw.slice(eq + 1).trim() };
}

export interface EditResult {
  changed: boolean;
  meaning: string[];
}

/** Applies sets and unsets to the file, validated and written atomically with its owner and mode. */
export function editKeys(path: string, sets: Assignment[], unsets: string[]): EditResult {
  const unlock = lockConfig(path);
  try {
    const doc = loadDocument(path);
    const before = doc.text();
    for (const { path: key, value } of sets) doc.set(key, value);
    for (const key of unsets) doc.unset(key);
    const after = doc.text();
    if (after === before) return { changed: false, meaning: [] };
    const config = validateText(after, path);
    const meaning = describeChange(tryParse(before, path), config);
    const st = statSync(path);
    writeAtomic(path, after, { uid: st.uid, gid: st.gid, mode: st.mode & 0o7777 });
    return { changed: true, meaning };
  } finally {
    unlock();
  }
}
