// npm run bench, part 6: one container's CNI ADD and DEL on a node, clusternet-cni beside
// the reference bridge + host-local called directly with the same configuration
// (`clusternet cni-config`'s). clusternet-cni twice: as runtimes meet it on a running node
// (its sh start path answering from what the Node plugin worked out for the first call),
// and its worst case, every call through the Node plugin (one Node start, net.conf read,
// the node's range worked out), as the first call after boot or a net.conf change is. Both exactly as a runtime calls them: config
// on stdin, CNI_* in the environment, run inside a namespace that plays the node's host
// (the bridge is made there), a fresh container namespace per call. Rounds alternate which
// side goes first; the first is a warm-up. Nothing in the root namespace.
import { randomBytes } from 'node:crypto';
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface CniFigures {
  rounds: number;
  bare: number;
  cn: { add: number; del: number };
  node: { add: number; del: number };
  ref: { add: number; del: number };
}

interface Timed {
  code: number;
  stdout: string;
  stderr: string;
  ms: number;
}

/** What bench.ts lends: its timer (inside a namespace, stdin given) and helpers. */
export interface BenchTools {
  timedIn: (ns: string, argv: string[], env: NodeJS.ProcessEnv, input?: string) => Promise<Timed>;
  must: (argv: string[]) => Promise<string>;
  median: (xs: number[]) => number;
  pkg: string;
  rounds: number;
}

const CNI_BIN = '/usr/lib/cni';
const PATH = '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';

export async function measureCni(t: BenchTools): Promise<CniFigures> {
  const prefix = `cnb${randomBytes(3).toString('hex')}`;
  const host = `${prefix}-h`;
  const made: string[] = [];
  const dir = mkdtempSync(join(tmpdir(), `${prefix}-`));
  chmodSync(dir, 0o755);
  const name = `${prefix}-net`;
  const config = join(dir, 'net.conf');
  writeFileSync(
    config,
    `[cluster]\nnodes = 1-4\n[net]\nlink = macvlan\ndevice = eth0\nmac = 02:00:00:00:07:00\naddress = 10.4.135.0/24\n[cni]\nname = ${name}\nnetwork = 10.88.0.0/16\nnode-prefix = 24\nlease-dir = ${dir}\n`,
    { mode: 0o644 },
  );
  const addNs = async (ns: string) => {
    await t.must(['ip', 'netns', 'add', ns]);
    made.push(ns);
  };
  try {
    await addNs(host);
    await t.must(['ip', '-n', host, 'link', 'set', 'lo', 'up']);
    const list = JSON.parse(
      await t.must([
        process.execPath,
        join(t.pkg, 'dist', 'lib', 'cli', 'main.js'),
        '-c',
        config,
        'cni-config',
        '--node',
        '1',
      ]),
    ) as { cniVersion: string; name: string; plugins: Record<string, unknown>[] };
    const sides = {
      cn: {
        argv: [join(t.pkg, 'bin', 'clusternet-cni')],
        input: JSON.stringify({ cniVersion: '1.0.0', name, type: 'clusternet-cni' }),
      },
      node: {
        argv: [process.execPath, join(t.pkg, 'bin', 'clusternet-cni.cjs')],
        input: JSON.stringify({ cniVersion: '1.0.0', name, type: 'clusternet-cni' }),
      },
      ref: {
        argv: [join(CNI_BIN, 'bridge')],
        input: JSON.stringify({ cniVersion: list.cniVersion, name: list.name, ...list.plugins[0] }),
      },
    };
    const times = {
      cn: { add: [] as number[], del: [] as number[] },
      node: { add: [] as number[], del: [] as number[] },
      ref: { add: [] as number[], del: [] as number[] },
    };
    const bare: number[] = [];
    let count = 0;
    const rounds = Math.max(t.rounds * 2, 5);
    for (let round = 0; round <= rounds; round++) {
      const order =
        round % 2 === 0 ? (['cn', 'node', 'ref'] as const) : (['ref', 'node', 'cn'] as const);
      for (const side of order) {
        const ns = `${prefix}-k${++count}`;
        await addNs(ns);
        const env = {
          PATH,
          CNI_CONTAINERID: `${ns}-id`,
          CNI_NETNS: `/run/netns/${ns}`,
          CNI_IFNAME: 'eth0',
          CNI_PATH: CNI_BIN,
          CLUSTERNET_CONFIG: config,
          CLUSTERNET_NODE_ID: '1',
          CLUSTERNET_RUN_DIR: join(dir, 'run'),
        };
        const add = await t.timedIn(
          host,
          sides[side].argv,
          { ...env, CNI_COMMAND: 'ADD' },
          sides[side].input,
        );
        if (add.code !== 0) throw new Error(`${side} ADD failed: ${add.stdout}${add.stderr}`);
        const del = await t.timedIn(
          host,
          sides[side].argv,
          { ...env, CNI_COMMAND: 'DEL' },
          sides[side].input,
        );
        if (del.code !== 0) throw new Error(`${side} DEL failed: ${del.stdout}${del.stderr}`);
        await t.must(['ip', 'netns', 'del', ns]);
        made.splice(made.indexOf(ns), 1);
        if (round > 0) {
          times[side].add.push(add.ms);
          times[side].del.push(del.ms);
        }
      }
      const start = await t.timedIn(host, [process.execPath, '-e', ''], { PATH });
      if (round > 0) bare.push(start.ms);
    }
    const m = t.median;
    const both = (x: { add: number[]; del: number[] }) => ({ add: m(x.add), del: m(x.del) });
    return {
      rounds,
      bare: m(bare),
      cn: both(times.cn),
      node: both(times.node),
      ref: both(times.ref),
    };
  } finally {
    for (const ns of made.reverse())
      await t.must(['ip', 'netns', 'del', ns]).catch(() => undefined);
    rmSync(dir, { recursive: true, force: true });
  }
}

export function renderCni(c: CniFigures, ms: (x: number) => string): string[] {
  const over = (a: number, b: number) => a - b;
  const within = (a: number, b: number) => (over(a, b) <= c.bare ? 'yes' : 'no');
  const row = (label: string, x: { add: number; del: number }) =>
    `| ${label} | ${ms(x.add)} | ${ms(x.del)} | ${ms(over(x.add, c.ref.add))} | ${ms(over(x.del, c.ref.del))} | ${within(x.add, c.ref.add)} / ${within(x.del, c.ref.del)} |`;
  return [
    `**6. CNI: one container's ADD and DEL on a node** (bridge + host-local, ${c.rounds} rounds after a warm-up) — target: clusternet-cni's overhead ≤ one Node start (bare \`node -e ''\` ${ms(c.bare)})`,
    '',
    '| plugin | ADD | DEL | ADD overhead | DEL overhead | within |',
    '| --- | ---: | ---: | ---: | ---: | :---: |',
    row('clusternet-cni → bridge + host-local (a running node: the sh start path)', c.cn),
    row('clusternet-cni, worst case: every call through the Node plugin', c.node),
    `| bridge + host-local, called directly | ${ms(c.ref.add)} | ${ms(c.ref.del)} | | | |`,
    '',
  ];
}
