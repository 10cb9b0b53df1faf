// The Debian-specific parts of the package that deb.ts assembles: the copyright file
// (machine-readable, every bundled npm module with its own licence text), the changelog,
// file modes as Debian wants them, md5sums, and the maintainer scripts' templates.
import { createHash } from 'node:crypto';
import {
  chmodSync,
  closeSync,
  openSync,
  readdirSync,
  readFileSync,
  readSync,
  statSync,
} from 'node:fs';
import { join, relative } from 'node:path';

/** SPDX (package.json) → the short names of Debian's copyright format. */
const DEP5_LICENSE: Record<string, string> = {
  MIT: 'Expat',
  ISC: 'ISC',
  'Apache-2.0': 'Apache-2.0',
  'BSD-2-Clause': 'BSD-2-clause',
  'BSD-3-Clause': 'BSD-3-clause',
};

const indent = (text: string) =>
  text
    .trim()
    .split('\n')
    .map((l) => (l.trim() === '' ? ' .' : ` ${l.replace(/\s+$/, '')}`))
    .join('\n');

/** debian/copyright for the staged tree: clusternet's GPL, then each bundled module. */
export function copyrightFile(stage: string, libdir: string): string {
  const parts = [
    'Format: https://www.debian.org/doc/packaging-manuals/copyright-format/1.0/',
    'Upstream-Name: clusternet',
    '',
    'Files: *',
    'Copyright: clusternet contributors',
    'License: GPL-2+',
    ' This program is free software; you can redistribute it and/or modify it under',
    ' the terms of the GNU General Public License as published by the Free Software',
    ' Foundation; either version 2 of the License, or (at your option) any later',
    ' version.',
    ' .',
    ' On Debian systems, the complete text of the GNU General Public License version',
    ' 2 can be found in "/usr/share/common-licenses/GPL-2".',
  ];
  const modules = join(stage, libdir, 'node_modules');
  const names = readdirSync(modules)
    .filter((n) => !n.startsWith('.'))
    .flatMap((n) =>
      n.startsWith('@') ? readdirSync(join(modules, n)).map((m) => `${n}/${m}`) : [n],
    )
    .sort();
  for (const name of names) {
    const dir = join(modules, name);
    const pkg = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as {
      license?: string;
      author?: string | { name?: string };
    };
    const license = DEP5_LICENSE[pkg.license ?? ''];
    if (!license)
      throw new Error(
        `${name}: licence "${pkg.license}" has no Debian short name here; add it to DEP5_LICENSE`,
      );
    const file = readdirSync(dir).find((f) => /^licen[cs]e/i.test(f));
    if (!file) throw new Error(`${name}: no licence file to quote in debian/copyright`);
    const text = readFileSync(join(dir, file), 'utf8');
    const holder =
      /^.*copyright.*$/im
        .exec(text)?.[0]
        .replace(/^.*?copyright\s*(\(c\))?\s*/i, '')
        .trim() ||
      (typeof pkg.author === 'string' ? pkg.author : pkg.author?.name) ||
      `the ${name} authors`;
    parts.push(
      '',
      `Files: ${relative(stage, dir)}/*`,
      `Copyright: ${holder}`,
      `License: ${license}`,
      indent(text.replace(/^.*copyright.*$/gim, '').replace(/^\s*(MIT|ISC) Licen[cs]e\s*$/im, '')),
    );
  }
  return `${parts.join('\n')}\n`;
}

/** A native package's changelog (dpkg-parsechangelog format). */
export function changelogFile(version: string, date: Date): string {
  const stamp = date
    .toUTCString()
    .replace(/^(\w+), (\d+) (\w+) (\d+) ([\d:]+) GMT$/, '$1, $2 $3 $4 $5 +0000');
  return `clusternet (${version}) unstable; urgency=medium\n\n  * Release ${version}: see README.md for what it does and how it is installed.\n\n -- ${MAINTAINER}  ${stamp}\n`;
}

export const MAINTAINER = 'clusternet maintainers <clusternet@lists.clusternet.org>';

/**
 * Debian's modes: folders 0755, files 0644, and 0755 only for the scripts that are run
 * (a `#!` line): the CLI and the hooks. npm tarballs keep whatever modes their authors
 * had (wrap-ansi ships an executable index.js).
 */
export function normaliseModes(dir: string): void {
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, e.name);
    if (e.isSymbolicLink()) continue;
    if (e.isDirectory()) {
      chmodSync(path, 0o755);
      normaliseModes(path);
    } else chmodSync(path, startsWithShebang(path) ? 0o755 : 0o644);
  }
}

function startsWithShebang(path: string): boolean {
  const fd = openSync(path, 'r');
  try {
    const head = Buffer.alloc(2);
    return readSync(fd, head, 0, 2, 0) === 2 && head.toString() === '#!';
  } finally {
    closeSync(fd);
  }
}

/** DEBIAN/md5sums: every regular file of the stage but DEBIAN/ itself. */
export function md5sums(stage: string): string {
  const lines: string[] = [];
  const walk = (d: string) => {
    for (const e of readdirSync(d, { withFileTypes: true }).sort((a, b) =>
      a.name < b.name ? -1 : 1,
    )) {
      const path = join(d, e.name);
      if (e.isDirectory()) {
        if (path !== join(stage, 'DEBIAN')) walk(path);
      } else if (e.isFile())
        lines.push(
          `${createHash('md5').update(readFileSync(path)).digest('hex')}  ${relative(stage, path)}`,
        );
    }
  };
  walk(stage);
  return `${lines.join('\n')}\n`;
}

/** Installed-Size: the size of the files, in KiB. */
export function diskKiB(dir: string): number {
  let bytes = 0;
  const walk = (d: string) => {
    for (const e of readdirSync(d, { withFileTypes: true })) {
      if (e.isDirectory()) walk(join(d, e.name));
      else if (e.isFile()) bytes += statSync(join(d, e.name)).size;
    }
  };
  walk(dir);
  return Math.ceil(bytes / 1024);
}
