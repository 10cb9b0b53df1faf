// net.conf as a list of its exact lines, for `get`/`set`/`unset`/`edit`. Unlike
// `ini.stringify`, nothing is re-serialised: an edit replaces, inserts or removes one line
// and every other byte (comments, order, blank lines, CRLF, a BOM) stays as it was.
import { unsafe as iniValue } from 'ini';
import { InputError } from '../errors.js';
import { LEGACY_KEYS, isLegacy } from '../config/legacy.js';
import { keyProblem } from '../config/load.js';
import { canonicalSection, parseLines } from '../config/lines.js';

interface Line {
  /** The line exactly as in the file, with its line ending. */
  raw: string;
  section: string;
  key?: string;
}

export interface KeyRef {
  /** The dotted name the user gave (net.address, clusterip.web.seed, node.4.device, VLANID). */
  path: string;
  section: string;
  key: string;
}

const SECTION = /^\[([^\]]*)\]/;
const COMMENT = /^\s*([;#].*)?$/;

export class ConfigDocument {
  readonly lines: Line[];
  /** Kerrighed's flat shell format: keys are its variables, outside any section. */
  readonly legacy: boolean;
  private readonly eol: string;

  constructor(text: string) {
    // Split after each \n so every line keeps its own ending (CRLF or LF, or none at the end).
    const raws = text.split(/(?<=\n)/).filter((l) => l !== '');
    let section = '';
    this.lines = raws.map((raw, i) => {
      const bare = (i === 0 ? raw.replace(/^\uFEFF/, '') : raw).replace(/\r?\n$/, '').trim();
      if (COMMENT.test(bare)) return { raw, section };
      const header = SECTION.exec(bare);
      if (header) {
        section = canonicalSection(header[1] ?? '');
        return { raw, section };
      }
      const eq = bare.indexOf('=');
      return eq > 0
        ? {
            raw,
            section,
            key: bare
              .slice(0, eq)
              .trim()
              .replace(/^export\s+/, ''),
          }
        : { raw, section };
    });
    this.eol = raws[0]?.endsWith('\r\n') ? '\r\n' : '\n';
    this.legacy = parseLines(text, '').flat && isLegacy(parseLines(text, '').entries);
  }

  text(): string {
    return this.lines.map((l) => l.raw).join('');
  }

  /** `net.address` → [net] address; `clusterip.web.seed` → [clusterip web] seed; `node.4.mtu` → [node 4] mtu. */
  resolve(path: string): KeyRef {
    if (this.legacy) {
      if (path in LEGACY_KEYS) return { path, section: '', key: path };
      const legacy = Object.entries(LEGACY_KEYS).find(([, [s, k]]) => `${s}.${k}` === path);
      if (legacy) return { path, section: '', key: legacy[0] };
      throw new InputError({
        key: path,
        message: `a legacy Kerrighed net.conf has no such variable; allowed: ${Object.keys(LEGACY_KEYS).join(', ')} (or run clusternet convert)`,
      });
    }
    const parts = path.split('.');
    const [kind, a, b] = parts;
    const ref =
      parts.length === 2 && kind && a
        ? { path, section: kind, key: a }
        : parts.length === 3 && (kind === 'clusterip' || kind === 'node') && a && b
          ? { path, section: canonicalSection(`${kind} ${a}`), key: b }
          : undefined;
    if (ref) {
      // A key the parser would reject is bad input for get and unset too, not "not set".
      const problem = keyProblem(ref.section, ref.key);
      if (problem) throw new InputError({ key: path, message: problem });
      return ref;
    }
    throw new InputError({
      key: path,
      message:
        'not a key name; allowed: SECTION.KEY like net.address, clusterip.seed, clusterip.NAME.seed, node.N.device',
    });
  }

  private find(ref: KeyRef): number {
    return this.lines.findIndex((l) => l.section === ref.section && l.key === ref.key);
  }

  /** The value as written (quotes and inline comment removed), or undefined when not set. */
  get(path: string): string | undefined {
    const i = this.find(this.resolve(path));
    if (i < 0) return undefined;
    const bare = this.lines[i]!.raw.replace(/\r?\n$/, '');
    return iniValue(bare.slice(bare.indexOf('=') + 1).trim());
  }

  /** Sets one key: its line is rewritten in place, or a line (or section) is added. */
  set(path: string, value: string): void {
    if (/[\r\n\0"]/.test(value))
      throw new InputError({
        key: path,
        message: 'a value cannot hold a line break, NUL or a double quote',
      });
    const ref = this.resolve(path);
    const shown = /^\s|\s$|[;#']/.test(value) ? `"${value}"` : value;
    const i = this.find(ref);
    if (i >= 0) {
      this.lines[i]!.raw = replaceValue(this.lines[i]!.raw, shown);
      return;
    }
    // A commented-out `# key = …` of the section (an example's hint, or what unset left)
    // sits under the key's explanation: the key goes back there.
    const hint = this.lines
      .map((l) => l.section === ref.section && commentedKey(l.raw) === ref.key)
      .lastIndexOf(true);
    if (hint >= 0) {
      const old = this.lines[hint]!.raw;
      const indent = /^\s*/.exec(old)![0];
      const sep = /^\s*[#;]\s*\S+?(\s*=\s*)/.exec(old)?.[1] ?? ' = ';
      this.lines[hint] = {
        raw: `${indent}${ref.key}${sep}${shown}${/\r?\n$/.exec(old)?.[0] ?? ''}`,
        section: ref.section,
        key: ref.key,
      };
      return;
    }
    const inSection = this.lines
      .map((l, n) => ({ l, n }))
      .filter(({ l }) => l.section === ref.section);
    const lastKey = [...inSection].reverse().find(({ l }) => l.key !== undefined);
    const header = inSection.find(({ l }) => SECTION.test(l.raw.trim()));
    if (!lastKey && !header && ref.section !== '') {
      // A new section at the end, after one blank line.
      this.ensureFinalEol();
      const last = this.lines.at(-1)?.raw.trim();
      const lead =
        last === undefined || last === '' ? [] : [{ raw: this.eol, section: ref.section }];
      this.lines.push(
        ...lead,
        { raw: `[${ref.section}]${this.eol}`, section: ref.section },
        { raw: `${ref.key} = ${shown}${this.eol}`, section: ref.section, key: ref.key },
      );
      return;
    }
    // After the section's last key (or its header), in the style of that key's line.
    const at = lastKey ?? header;
    const index = at ? at.n : this.lines.length - 1;
    if (index === this.lines.length - 1) this.ensureFinalEol();
    const style = lastKey ? /^(\s*)\S+?(\s*=\s*)/.exec(lastKey.l.raw) : null;
    const sep = style?.[2] ?? (this.legacy ? '=' : ' = ');
    this.lines.splice(index + 1, 0, {
      raw: `${style?.[1] ?? ''}${ref.key}${sep}${shown}${this.eol}`,
      section: ref.section,
      key: ref.key,
    });
  }

  /**
   * Comments the key's line out (`# key = value`), so its default applies and a later set
   * puts it back under its explanation; false when it was not set. A [node N] or
   * [clusterip NAME] section left without a key goes, header and all.
   */
  unset(path: string): boolean {
    const ref = this.resolve(path);
    const i = this.find(ref);
    if (i < 0) return false;
    const line = this.lines[i]!;
    const named = ref.section.includes(' ');
    if (
      named &&
      !this.lines.some((l, n) => n !== i && l.section === ref.section && l.key !== undefined)
    ) {
      this.lines.splice(i, 1);
      this.removeHeader(ref.section);
      return true;
    }
    const indent = /^\s*/.exec(line.raw)![0];
    this.lines[i] = { raw: `${indent}# ${line.raw.slice(indent.length)}`, section: ref.section };
    return true;
  }

  /** Drops a section's header line and the blank line before it; its comments stay. */
  private removeHeader(section: string): void {
    const h = this.lines.findIndex((l) => l.section === section && SECTION.test(l.raw.trim()));
    if (h < 0) return;
    const blankBefore = h > 0 && this.lines[h - 1]!.raw.trim() === '';
    this.lines.splice(blankBefore ? h - 1 : h, blankBefore ? 2 : 1);
  }

  private ensureFinalEol(): void {
    const last = this.lines.at(-1);
    if (last && !last.raw.endsWith('\n')) last.raw += this.eol;
  }
}

/** The key of a commented-out assignment (`# gateway = 10.4.135.254`), else undefined. */
function commentedKey(raw: string): string | undefined {
  return /^\s*[#;]\s*(?:export\s+)?([A-Za-z_][A-Za-z0-9_]*)\s*=/.exec(raw)?.[1];
}

/** Replaces the value of a `key = value ; comment` line, keeping everything around it. */
function replaceValue(raw: string, value: string): string {
  const eol = /\r?\n$/.exec(raw)?.[0] ?? '';
  const body = raw.slice(0, raw.length - eol.length);
  const eq = body.indexOf('=');
  const after = body.slice(eq + 1);
  const lead = /^\s*/.exec(after)![0];
  const rest = after.slice(lead.length);
  let end: number;
  if (rest.startsWith('"') || rest.startsWith("'")) {
    const close = rest.indexOf(rest[0]!, 1);
    end = close < 0 ? rest.length : close + 1;
  } else {
    // An inline comment starts at ; or # after white space (as the parser reads it).
    const comment = /\s[;#]/.exec(rest);
    end = rest.slice(0, comment ? comment.index : rest.length).replace(/\s+$/, '').length;
  }
  return `${body.slice(0, eq + 1)}${lead}${value}${rest.slice(end)}${eol}`;
}
