// A resident `clusternet` for one network namespace, for slow machines (the lab's
// emulated guests, where starting the CLI costs 10-30 s of module loading, against 0.3 s
// natively). Started as `ip netns exec NS node agent.mjs CLI`, it reads one JSON request
// per line on stdin, { args, env }, and answers one JSON line on stdout,
// { exitCode, stdout, stderr, ms }.
//
// Each request evaluates the CLI's entry module afresh (a new URL: `main.js?call=N`), so
// every call runs the built CLI's own code from its first line: argument parsing, the
// command, the error-to-exit-code mapping. Only the modules it imports are shared between
// calls (loaded once). The differences from a new process, all undone after each call:
// process.argv and the requested environment variables are set, stdout and stderr are
// captured, and process.exit() ends the call instead of the process.
// Plain JavaScript on purpose: starting tsx in the guest costs another 6-15 s.
import { createInterface } from 'node:readline';
import { pathToFileURL } from 'node:url';

const cli = process.argv[2];
if (!cli) {
  process.stderr.write('usage: agent.mjs /path/to/dist/lib/cli/main.js\n');
  process.exit(2);
}
const entry = pathToFileURL(cli).href;
const answer = process.stdout.write.bind(process.stdout);

class Exit extends Error {
  constructor(code) {
    super(`process.exit(${code})`);
    this.code = code;
  }
}

let calls = 0;

async function call(args, env) {
  const saved = {
    argv: process.argv,
    exit: process.exit,
    out: process.stdout.write,
    err: process.stderr.write,
    exitCode: process.exitCode,
  };
  const savedEnv = Object.fromEntries(Object.keys(env).map((k) => [k, process.env[k]]));
  let stdout = '';
  let stderr = '';
  let exited;
  const capture = (append) =>
    function (chunk, encoding, callback) {
      // After process.exit() a real process would print nothing more.
      if (exited === undefined) append(typeof chunk === 'string' ? chunk : Buffer.from(chunk).toString());
      const done = typeof encoding === 'function' ? encoding : callback;
      if (typeof done === 'function') done();
      return true;
    };
  process.stdout.write = capture((s) => (stdout += s));
  process.stderr.write = capture((s) => (stderr += s));
  process.argv = [process.execPath, cli, ...args];
  process.exitCode = undefined;
  process.exit = (code) => {
    exited = code ?? 0;
    throw new Exit(exited);
  };
  Object.assign(process.env, env);
  const started = performance.now();
  try {
    await import(`${entry}?call=${++calls}`);
  } catch (error) {
    // main.js catches everything itself; what reaches here is our own Exit (or a bug).
    if (!(error instanceof Exit)) stderr += `agent: ${error?.stack ?? error}\n`;
  } finally {
    process.argv = saved.argv;
    process.exit = saved.exit;
    process.stdout.write = saved.out;
    process.stderr.write = saved.err;
    for (const [k, v] of Object.entries(savedEnv)) {
      if (v === undefined) delete process.env[k];
      else process.env[k] = v;
    }
  }
  const exitCode = exited ?? process.exitCode ?? 0;
  process.exitCode = saved.exitCode;
  return { exitCode: Number(exitCode), stdout, stderr, ms: Math.round(performance.now() - started) };
}

// One call at a time: each owns process.argv, the environment and the output while it runs.
let queue = Promise.resolve();
createInterface({ input: process.stdin }).on('line', (line) => {
  queue = queue.then(async () => {
    let reply;
    try {
      const { args, env } = JSON.parse(line);
      reply = await call(args, env ?? {});
    } catch (error) {
      reply = { exitCode: 125, stdout: '', stderr: `agent: ${error?.stack ?? error}\n`, ms: 0 };
    }
    answer(`${JSON.stringify(reply)}\n`);
  });
});
// Warm-up: load every module the CLI imports once, before the first request arrives
// (--help: nothing is read or changed).
queue = queue.then(() => call(['--help'], {})).then((r) => answer(`${JSON.stringify({ ready: true, ms: r.ms })}\n`));
