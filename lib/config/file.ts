// Reading /etc/net.conf safely: size, encoding and (when root) ownership of the file and
// of every folder above it are checked before a single key is looked at, because hooks
// run as root at boot.
import { statSync } from 'node:fs';
import { InputError } from '../errors.js';
import { euid, looseness, readTrusted } from '../system/trust.js';

export const DEFAULT_CONFIG_PATH = '/etc/net.conf';
const MAX_BYTES = 1024 * 1024;

/** The path to read: `--config`, then CLUSTERNET_CONFIG, then /etc/net.conf. */
export function configPath(flag: string | undefined, env: NodeJS.ProcessEnv = process.env): string {
  return flag ?? env.CLUSTERNET_CONFIG ?? DEFAULT_CONFIG_PATH;
}

/**
 * Like sshd's StrictModes: a root hook must not act on a file that someone other than
 * root can change. The whole rule (every folder up to /) is lib/system/trust.ts.
 */
export function checkOwnership(path: string, what: string, uid = euid()): void {
  if (uid !== 0) return;
  const why = looseness(statSync(path), uid);
  if (why) throw new InputError({ file: path, message: `${what} ${why}` });
}

/** The file's text, with a UTF-8 BOM removed; clear errors for anything unusable. */
export function readConfigText(path: string): string {
  let bytes: Buffer;
  try {
    bytes = readTrusted(path, 'the config file', { bytes: MAX_BYTES, noun: 'a net.conf' }).bytes;
  } catch (error) {
    if (error instanceof InputError) throw error;
    const code = (error as NodeJS.ErrnoException).code ?? 'error';
    throw new InputError({
      file: path,
      message: `cannot read the config file (${code === 'ELOOP' ? 'ELOOP: a symlink loop' : code})`,
    });
  }
  const nul = bytes.indexOf(0);
  if (nul >= 0) {
    const line = bytes.subarray(0, nul).toString('latin1').split('\n').length;
    throw new InputError({
      file: path,
      line,
      message: 'binary data (a NUL byte); a net.conf is a text file',
    });
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
