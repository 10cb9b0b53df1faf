// What test/kerrighed/boots.sh prints, read back, and what each line must say for the
// Kerrighed file both the namespace test and the lab boot (templates 02:16:3e:00:2a:10 and
// 10.4.135.100/24, CLUSTERADDR=10.4.199.1/18): the values Kerrighed's hooks gave node N
// (`${VIRTMAC%:*}:$(printf %02x $node_id)`, `${VIRTPREFIX%.*}.$node_id/${VIRTPREFIX#*/}`,
// `ip addr add $CLUSTERADDR dev $VIRT`).
import { dirname } from 'node:path';
import { fileURLToPath } from 'node:url';

export const KERRIGHED_DIR = dirname(fileURLToPath(import.meta.url));

export interface BootLine {
  boot: number;
  order: string;
  node: number;
  status: string;
  waited: string;
  kind: string;
  mac: string;
  addrs: string;
  routes: string;
  started: string;
  ping: string;
}

export function parseBoots(stdout: string): BootLine[] {
  return stdout
    .split('\n')
    .filter((l) => l.startsWith('boot='))
    .map((l) => {
      const f = Object.fromEntries(
        l.split(' ').map((kv) => [kv.slice(0, kv.indexOf('=')), kv.slice(kv.indexOf('=') + 1)]),
      );
      return { ...f, boot: Number(f.boot), node: Number(f.node) } as unknown as BootLine;
    });
}

/** `link.kind`: as boots.sh prints it; `link.ping`: 'ok' with two nodes or more, '-' with one. */
export function expectedBoot(
  boot: number,
  node: number,
  link: { kind: string; ping: 'ok' | '-' },
): BootLine {
  const addrs = `10.4.135.${node}/24,10.4.199.1/18`;
  return {
    boot,
    order: boot % 2 ? 'init-first' : 'post-first',
    node,
    status: '0',
    // init-first: init-pre started before the link was there and waited for it.
    waited: boot % 2 ? 'yes' : 'no',
    kind: link.kind,
    mac: `02:16:3e:00:2a:${node.toString(16).padStart(2, '0')}`,
    addrs,
    // The node's /24 and the cluster address's /18 (10.4.192.0/18): both on-link.
    routes: '10.4.135.0/24,10.4.192.0/18',
    // 50kerrighed_start, after 20clusterip, already sees both addresses.
    started: addrs,
    ping: link.ping,
  };
}
