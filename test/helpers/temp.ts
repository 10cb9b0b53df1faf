// Temporary folders and config files. Tests run as root, and a root hook refuses a config
// that is not owned by root or is group/world-writable: files are written with mode 0644.
import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';

export class TempDir {
  readonly root: string;
  constructor(prefix = 'clusternet-test-') {
    this.root = mkdtempSync(join(tmpdir(), prefix));
  }

  path(...parts: string[]): string {
    return join(this.root, ...parts);
  }

  /** Writes a file (parents created) with exactly `mode`, whatever the umask. */
  write(name: string, content: string | Uint8Array, mode = 0o644): string {
    const path = this.path(name);
    mkdirSync(dirname(path), { recursive: true });
    writeFileSync(path, content);
    chmodSync(path, mode);
    return path;
  }

  mkdir(name: string, mode = 0o755): string {
    const path = this.path(name);
    mkdirSync(path, { recursive: true });
    chmodSync(path, mode);
    return path;
  }

  remove(): void {
    rmSync(this.root, { recursive: true, force: true });
  }
}
