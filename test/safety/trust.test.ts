// Adversarial: what a non-root user (uid 65534, as `setpriv` makes one) can do to a root
// run through the files and folders root reads or runs — hook folders, net.conf and its
// folders, the run dir — and that every case is refused (exit 2) or harmless. Needs root.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { spawn, spawnSync } from 'node:child_process';
import {
  chmodSync,
  chownSync,
  existsSync,
  mkdirSync,
  readFileSync,
  readlinkSync,
  renameSync,
  statSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { join } from 'node:path';
import { RecordStore } from '../../lib/apply/record.js';
import { readConfigText } from '../../lib/config/file.js';
import { listHooks, phaseDir } from '../../lib/hooks/runparts.js';
import { acquireLock } from '../../lib/system/lock.js';
import { InputError } from '../../lib/errors.js';
import { buildOnce, cli, show } from '../helpers/cli.js';
import { rejectsInput, throwsInput } from '../helpers/errors.js';
import { NATIVE_CONF } from '../helpers/fixtures.js';
import { TempDir } from '../helpers/temp.js';
import { CURRENT_NS } from '../../lib/system/ns.js';

export const NOBODY = 65534;
let tmp: TempDir;

/** A folder of `tmp` owned by uid 65534 with `mode`. */
function nobodyDir(name: string, mode = 0o755): string {
  const dir = tmp.mkdir(name, mode);
  chownSync(dir, NOBODY, NOBODY);
  return dir;
}

/** A hooks root R holding init-post.d/50mark, a site hook writing its uid to `marker`. */
function hooksRoot(root: string, marker: string): string {
  const dir = join(root, 'init-post.d');
  mkdirSync(dir, { recursive: true, mode: 0o755 });
  chmodSync(dir, 0o755);
  writeFileSync(join(dir, '50mark'), `#!/bin/sh\nid -u > ${marker}\n`, { mode: 0o755 });
  chmodSync(join(dir, '50mark'), 0o755);
  return root;
}

/** `clusternet run init-post` over the hooks root `root`: a run that only runs site hooks. */
function runInitPost(root: string) {
  const config = tmp.write('good.conf', NATIVE_CONF);
  return cli(['run', 'init-post', '--node', '1', '-c', config, '--hooks-dir', root], {
    env: { CLUSTERNET_RUN_DIR: tmp.path('run'), CLUSTERNET_SYSLOG: 'none' },
  });
}

const hooks = suite('trust: hook folders');
hooks.before(() => buildOnce());
hooks.before.each(() => {
  tmp = new TempDir();
  chmodSync(tmp.root, 0o755); // uid 65534 may reach its own folders in it
});
hooks.after.each(() => tmp.remove());

hooks('the control: a trusted hooks root runs its site hook as root', () => {
  const marker = tmp.path('marker');
  const r = runInitPost(hooksRoot(tmp.mkdir('R'), marker));
  assert.is(r.code, 0, show(r));
  assert.is(readFileSync(marker, 'utf8').trim(), '0');
});

hooks('a hooks root owned by another user is refused: root never runs a hook under it', () => {
  const marker = tmp.path('marker');
  const root = hooksRoot(nobodyDir('R'), marker);
  const r = runInitPost(root);
  assert.is(r.code, 2, show(r));
  assert.match(r.stderr, `${root}: a folder holding the hook folder is owned by uid ${NOBODY}`);
  assert.not.ok(existsSync(marker), 'the hook did not run');
});

hooks(
  'another user renaming their folder into place during a run: refused before (their R), and the real folder is used once',
  () => {
    // uid 65534 owns R; root's init-post.d in it; the user renames their own folder over it.
    const marker = tmp.path('marker');
    const root = hooksRoot(nobodyDir('R'), marker);
    const theirs = join(root, 'theirs.d');
    const r0 = spawnSync('setpriv', [
      '--reuid=65534',
      '--regid=65534',
      '--clear-groups',
      'sh',
      '-c',
      `mkdir ${theirs} && printf '#!/bin/sh\\nid -u > ${marker}\\n' > ${theirs}/50mark && chmod 755 ${theirs}/50mark`,
    ]);
    assert.is(r0.status, 0, r0.stderr.toString());
    renameSync(join(root, 'init-post.d'), join(root, 'old.d'));
    renameSync(theirs, join(root, 'init-post.d'));
    const r = runInitPost(root);
    assert.is(r.code, 2, show(r));
    assert.not.ok(existsSync(marker), 'their hook did not run as root');
    // In a trusted root, the listed paths are the real folder's: nothing is looked up again.
    const good = hooksRoot(tmp.mkdir('G'), marker);
    symlinkSync('init-post.d', join(good, 'alias.d'));
    const listed = listHooks(join(good, 'alias.d'));
    assert.equal(
      listed.map((h) => h.path),
      [join(good, 'init-post.d', '50mark')],
    );
  },
);

hooks('a hooks root of mode 0777 is refused', () => {
  const marker = tmp.path('marker');
  const root = hooksRoot(tmp.mkdir('R', 0o777), marker);
  chmodSync(root, 0o777);
  const r = runInitPost(root);
  assert.is(r.code, 2, show(r));
  assert.match(r.stderr, 'has mode 0777: it is writable by group or others');
  assert.not.ok(existsSync(marker));
});

hooks(
  'a phase folder that is a symlink: refused under a loose root, and refused when it leads under a folder another user owns',
  () => {
    const marker = tmp.path('marker');
    const target = hooksRoot(tmp.mkdir('rootowned'), marker);
    const loose = nobodyDir('R');
    symlinkSync(join(target, 'init-post.d'), join(loose, 'init-post.d'));
    throwsInput(() => listHooks(phaseDir(loose, 'init-post')), {
      file: loose,
      message: `owned by uid ${NOBODY}`,
    });
    // A trusted root whose phase folder leads into another user's folder.
    const theirs = nobodyDir('theirs');
    const inside = join(theirs, 'init-post.d');
    mkdirSync(inside, { mode: 0o755 });
    const trusted = tmp.mkdir('T');
    symlinkSync(inside, join(trusted, 'init-post.d'));
    throwsInput(() => listHooks(phaseDir(trusted, 'init-post')), {
      file: theirs,
      message: `owned by uid ${NOBODY}`,
    });
  },
);

const config = suite('trust: net.conf and its folders');
config.before.each(() => {
  tmp = new TempDir();
});
config.after.each(() => tmp.remove());

config('a net.conf in a folder another user owns is refused', () => {
  const dir = nobodyDir('etc');
  const path = join(dir, 'net.conf');
  writeFileSync(path, NATIVE_CONF, { mode: 0o644 });
  throwsInput(() => readConfigText(path), {
    file: dir,
    message: `a folder holding the config file is owned by uid ${NOBODY}`,
  });
});

config(
  'a net.conf in a world-writable folder is refused; in a sticky one (like /tmp) only an entry of root is taken',
  () => {
    const open = tmp.mkdir('open', 0o777);
    chmodSync(open, 0o777);
    writeFileSync(join(open, 'net.conf'), NATIVE_CONF, { mode: 0o644 });
    throwsInput(() => readConfigText(join(open, 'net.conf')), {
      file: open,
      message: 'has mode 0777',
    });
    const sticky = tmp.mkdir('sticky');
    chmodSync(sticky, 0o1777);
    const ours = join(sticky, 'ours');
    mkdirSync(ours, { mode: 0o755 });
    writeFileSync(join(ours, 'net.conf'), NATIVE_CONF, { mode: 0o644 });
    assert.is(readConfigText(join(ours, 'net.conf')), NATIVE_CONF);
    const theirs = join(sticky, 'theirs');
    mkdirSync(theirs, { mode: 0o755 });
    chownSync(theirs, NOBODY, NOBODY);
    writeFileSync(join(theirs, 'net.conf'), NATIVE_CONF, { mode: 0o644 });
    throwsInput(() => readConfigText(join(theirs, 'net.conf')), {
      file: sticky,
      message: 'has mode 1777',
    });
  },
);

config(
  "a symlink to a net.conf under another user's folder is refused (the target's folders are checked)",
  () => {
    const dir = nobodyDir('theirs');
    writeFileSync(join(dir, 'net.conf'), NATIVE_CONF, { mode: 0o644 });
    const link = tmp.path('net.conf');
    symlinkSync(join(dir, 'net.conf'), link);
    throwsInput(() => readConfigText(link), { file: dir, message: `owned by uid ${NOBODY}` });
  },
);

config(
  "a symlink swapped between root's file and another user's: never their content (checked on the descriptor read)",
  async () => {
    const good = tmp.write('good.conf', NATIVE_CONF);
    const bad = tmp.write('bad.conf', `${NATIVE_CONF}\n# theirs\n`);
    chownSync(bad, NOBODY, NOBODY);
    const link = tmp.path('net.conf');
    symlinkSync(good, link);
    // A process flipping the link as fast as it can (rename of a fresh link: atomic).
    const flipper = spawn(process.execPath, [
      '-e',
      `const fs=require('fs');let i=0;for(;;){const t=${JSON.stringify(link)}+'.'+(i%2);try{fs.unlinkSync(t)}catch{};fs.symlinkSync(i++%2?${JSON.stringify(good)}:${JSON.stringify(bad)},t);fs.renameSync(t,${JSON.stringify(link)})}`,
    ]);
    let theirs = 0;
    let refused = 0;
    let reads = 0;
    const until = Date.now() + 3000;
    try {
      await new Promise((r) => setTimeout(r, 200));
      while (Date.now() < until) {
        for (let k = 0; k < 200; k++) {
          reads++;
          try {
            if (readConfigText(link).includes('# theirs')) theirs++;
          } catch (error) {
            if (!(error instanceof InputError)) throw error;
            refused++;
          }
        }
        await new Promise((r) => setImmediate(r));
      }
    } finally {
      flipper.kill('SIGKILL');
    }
    assert.ok(refused > 0, `the flipper was running (${reads} reads, ${refused} refused)`);
    assert.is(theirs, 0, `${theirs} of ${reads} reads returned the other user's content`);
  },
);

const run = suite('trust: the run dir');
run.before.each(() => {
  tmp = new TempDir();
});
run.after.each(() => tmp.remove());

const envOf = (dir: string): NodeJS.ProcessEnv => ({
  CLUSTERNET_RUN_DIR: dir,
  CLUSTERNET_LOCK_WAIT: '0',
});

run('made with mode 0700 when absent', async () => {
  const dir = tmp.path('run', 'clusternet');
  (await acquireLock('test', envOf(dir))).release();
  assert.is(statSync(dir).mode & 0o7777, 0o700);
});

run(
  'a run dir owned by another user, mode 0777, is refused: nothing is created in it',
  async () => {
    const dir = nobodyDir('run', 0o777);
    chmodSync(dir, 0o777);
    await rejectsInput(() => acquireLock('test', envOf(dir)), {
      file: dir,
      message: `the run dir is owned by uid ${NOBODY}`,
    });
    assert.not.ok(existsSync(join(dir, 'lock')));
    const loose = tmp.mkdir('loose', 0o777);
    chmodSync(loose, 0o777);
    await rejectsInput(() => acquireLock('test', envOf(loose)), {
      file: loose,
      message: 'the run dir has mode 0777',
    });
  },
);

run(
  'a planted lock.holder, lock.generation.tmp or node-*.json.tmp symlink: the target is never written',
  async () => {
    const dir = tmp.mkdir('run', 0o700);
    const victim = tmp.write('victim', 'precious\n');
    for (const name of ['lock.holder', 'lock.generation.tmp', `lock.generation.${process.pid}.tmp`])
      symlinkSync(victim, join(dir, name));
    const store = new RecordStore(1, CURRENT_NS, envOf(dir));
    symlinkSync(victim, `${store.path}.tmp`);
    const lock = await acquireLock('test', envOf(dir));
    store.save({
      phases: {
        'init-pre': [
          { op: 'sysctl', ns: CURRENT_NS, key: 'net.ipv4.ip_forward', value: '1', undo: '0' },
        ],
      },
    });
    lock.release();
    assert.is(readFileSync(victim, 'utf8'), 'precious\n');
    assert.not.ok(
      existsSync(join(dir, 'lock.holder')),
      'the note (it replaced the planted link) is gone after release',
    );
  },
);

run(
  'a dangling lock symlink: its target is not created, and the error names the file',
  async () => {
    const dir = tmp.mkdir('run', 0o700);
    const target = tmp.path('made-by-root');
    symlinkSync(target, join(dir, 'lock'));
    await rejectsInput(() => acquireLock('test', envOf(dir)), {
      file: join(dir, 'lock'),
      message: 'is a symlink',
    });
    assert.not.ok(existsSync(target));
    assert.is(readlinkSync(join(dir, 'lock')), target);
  },
);

hooks.run();
config.run();
run.run();
