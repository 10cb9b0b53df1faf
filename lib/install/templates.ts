// The files clusternet installs are rendered from templates/*.in, the way Kerrighed's
// `.in` files were filled in by make: every @NAME@ is replaced by its value. A template
// naming a value we do not have is a bug caught here, never a literal @NAME@ on disk.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { PACKAGE_ROOT } from '../paths.js';

export const TEMPLATES_DIR = join(PACKAGE_ROOT, 'templates');

export type TemplateValues = Record<string, string>;

const PLACEHOLDER = /@([A-Z][A-Z0-9_]*)@/g;

export function renderText(text: string, values: TemplateValues, name = 'template'): string {
  return text.replace(PLACEHOLDER, (_, key: string) => {
    const value = values[key];
    if (value === undefined) throw new Error(`${name}: no value for @${key}@`);
    // Values are paths and names: a line break would let one value write another line
    // of a unit or script.
    if (/[\n\r\0]/.test(value))
      throw new Error(`${name}: the value of @${key}@ contains a line break or NUL`);
    return value;
  });
}

/** Renders templates/<relative path>. */
export function renderTemplate(relative: string, values: TemplateValues): string {
  return renderText(readFileSync(join(TEMPLATES_DIR, relative), 'utf8'), values, relative);
}

/** The placeholders a template uses, for tests and for checking values up front. */
export function placeholders(text: string): string[] {
  return [...new Set([...text.matchAll(PLACEHOLDER)].map((m) => m[1]!))].sort();
}
