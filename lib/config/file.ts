// Reading /etc/net.conf safely: size, encoding and (when root) ownership are checked
// before a single key is looked at, because hooks run as root at boot.
import { readFileSync, statSync } from 'node:fs';
import { InputError } from '../errors.js';

export const DEFAULT_CONFIG_PATH = '/etc/net.conf';
const MAX_BYTES = 1024 * 1024;

/** The path to read: `--config`, then CLUSTERNET_CONFIG, then /etc/net.conf. */
export function configPath(flag: string | undefined, env: NodeJS.ProcessEnv = process.env): string {
  return flag ?? env.CLUSTERNET_CONFIG ?? DEFAULT_CONFIG_PATH;
}

/**
 * Like sshd's StrictModes: a root hook must not act on a file that someone other than
 * root can change.
 */
export function checkOwnership(path: string, what: string, uid = process.getuid?.() ?? -1): void {
  if (uid !== 0) return;
  const st = statSync(path);
  if (st.uid !== 0) {
    throw new InputError({ file: path, message: `${what} is owned by uid ${st.uid}; hooks run as root and need it owned by root` });
  }
  if ((st.mode & 0o022) !== 0) {
    const mode = (st.mode & 0o777).toString(8).padStart(4, '0');
    throw new InputError({ file: path, message: `${what} has mode ${mode}: it is writable by group or others; allowed: not group/world-writable (e.g. chmod 0644)` });
  }
}

/** The file's text, with a UTF-8 BOM removed; clear errors for anything unusable. */
export function readConfigText(path: string): string {
  let bytes: Buffer;
  try {
    const st = statSync(path);
    if (!st.isFile()) throw new InputError({ file: path, message: 'is not a regular file' });
    if (st.size > MAX_BYTES) {
      throw new InputError({ file: path, message: `is ${st.size} bytes; a net.conf is at most ${MAX_BYTES} bytes` });
    }
    checkOwnership(path, 'the config file');
    bytes = readFileSync(path);
  } catch (error) {
    if (error instanceof InputError) throw error;
    const code = (error as NodeJS.ErrnoException).code ?? 'error';
    throw new InputError({ file: path, message: `cannot read the config file (${code})` });
  }
  const nul = bytes.indexOf(0);
  if (nul >= 0) {
    const line = bytes.subarray(0, nul).toString('latin1').split('\n').length;
    throw new InputError({ file: path, line, message: 'binary data (a NUL byte); a net.conf is a text file' });
  }
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch {
    throw new InputError({ file: path, message: 'is not valid UTF-8 text' });
  }
  if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
  if (text.trim() === '') throw new InputError({ file: path, message: 'the config file is empty' });
  return text;
}
