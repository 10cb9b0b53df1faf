// The README's Pacemaker recipe, as written: the fenced block after each
// `<!-- pacemaker-recipe:NAME -->` marker, so the test runs exactly the text users copy.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

export const README = join(import.meta.dirname, '..', '..', 'README.md');

export function recipe(name: 'node' | 'cluster'): string {
  const text = readFileSync(README, 'utf8');
  const m = new RegExp(
    `<!-- pacemaker-recipe:${name} -->\\n\`\`\`sh\\n([\\s\\S]*?)\\n\`\`\`\\n`,
  ).exec(text);
  if (!m) throw new Error(`README.md has no pacemaker-recipe:${name} block`);
  return `${m[1]}\n`;
}
