// A net.conf as a list of located entries. The `ini` package gives values (quotes and
// inline comments handled), but it reports no line numbers and silently keeps the last of
// duplicate keys, so the structure — sections, keys, lines, duplicates — is read here.
import { ini } from '../cjs.js';
import type { InputProblem } from '../errors.js';

const iniValue = ini.unsafe;

export interface Entry {
  section: string;
  key: string;
  value: string;
  line: number;
}

export interface SectionHeader {
  name: string;
  line: number;
}

export interface ParsedLines {
  sections: SectionHeader[];
  entries: Entry[];
  problems: InputProblem[];
  /** True when the file has no [section] at all: the legacy Kerrighed shell format. */
  flat: boolean;
}

const SECTION = /^\[([^\]]*)\](.*)$/;
const COMMENT = /^\s*([;#].*)?$/;

/**
 * A section name as it is compared: white space collapsed, a node id without leading
 * zeros — [node 04] is [node 4], so writing both is a duplicate, not a silent replacement.
 */
export function canonicalSection(name: string): string {
  const n = name.trim().replace(/\s+/g, ' ');
  const m = /^node 0*(\d+)$/.exec(n);
  return m ? `node ${m[1]}` : n;
}

/** Splits into lines the way editors write them: LF or CRLF, trailing spaces ignored. */
export function splitLines(text: string): string[] {
  return text.split('\n').map((line) => line.replace(/\r$/, ''));
}

export function parseLines(text: string, file: string): ParsedLines {
  const sections: SectionHeader[] = [];
  const entries: Entry[] = [];
  const problems: InputProblem[] = [];
  const seenSection = new Map<string, number>();
  const seenKey = new Map<string, number>();
  let section = '';

  splitLines(text).forEach((raw, index) => {
    const line = index + 1;
    const text = raw.trim();
    if (COMMENT.test(text)) return;
    const header = SECTION.exec(text);
    if (header) {
      const name = canonicalSection(header[1] ?? '');
      const rest = (header[2] ?? '').trim();
      if (rest !== '' && !/^[;#]/.test(rest)) {
        problems.push({
          file,
          line,
          key: `[${name}]`,
          message: `unexpected text after the section header: "${rest}"`,
        });
      }
      const first = seenSection.get(name);
      if (first !== undefined) {
        problems.push({
          file,
          line,
          key: `[${name}]`,
          message: `duplicate section (first at line ${first}); merge the two`,
        });
      }
      seenSection.set(name, line);
      sections.push({ name, line });
      section = name;
      return;
    }
    const eq = text.indexOf('=');
    if (eq <= 0) {
      problems.push({
        file,
        line,
        message: `not a "key = value" line or a [section] header: "${text}"`,
      });
      return;
    }
    // A shell file may write `export KEY=…`: the same variable as `KEY=…`.
    const key =
      section === ''
        ? text
            .slice(0, eq)
            .trim()
            .replace(/^export\s+/, '')
        : text.slice(0, eq).trim();
    const shown = section ? `${section}.${key}` : key;
    const first = seenKey.get(`${section}\0${key}`);
    if (first !== undefined) {
      problems.push({
        file,
        line,
        key: shown,
        message: `duplicate key (first at line ${first}); keep one`,
      });
    }
    seenKey.set(`${section}\0${key}`, line);
    entries.push({ section, key, value: text.slice(eq + 1).trim(), line });
  });

  // Values are read once the format is known: a flat file is a shell file.
  const flat = sections.length === 0;
  for (const e of entries) e.value = readValue(e.value, flat);
  return { sections, entries, problems, flat };
}

/**
 * `ini` unquotes a value only when the whole of it is quoted: a quoted value followed by
 * an inline comment (`"krg0" # the interface`) is handed over as the quoted part alone.
 * Unquoted, an inline comment starts at a `;` or `#` after white space only, so a value
 * holding one (`eth0;x`) reaches its parser whole and is refused there, never cut short.
 * A flat (Kerrighed shell) file reads as sh does: `#` after white space starts a comment,
 * and an unquoted `;` ends the assignment.
 */
function readValue(raw: string, flat: boolean): string {
  const quoted = /^(["'])(.*?)\1\s*(?:[;#].*)?$/.exec(raw);
  if (quoted) return iniValue(`${quoted[1]}${quoted[2]}${quoted[1]}`);
  const end = (flat ? /\s#|;/ : /\s[;#]/).exec(raw);
  return (end ? raw.slice(0, end.index) : raw).trim();
}
