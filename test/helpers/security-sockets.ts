import fs from 'node:fs';
import path from 'node:path';

/**
 * The Internet sockets a process owns, read from Linux /proc: the socket inodes among
 * its file descriptors, looked up in /proc/<pid>/net/{tcp,tcp6,udp,udp6}. Used to prove
 * who listens and who dials, from the kernel's point of view rather than the code's.
 */

export type Proto = 'tcp' | 'tcp6' | 'udp' | 'udp6';

export interface InetSocket {
  proto: Proto;
  localPort: number;
  remotePort: number;
  /** Kernel state, hex as in /proc: 01 ESTABLISHED, 0A LISTEN, 06 TIME_WAIT, 07 CLOSE … */
  state: string;
  inode: string;
}

export const TCP_ESTABLISHED = '01';
export const TCP_LISTEN = '0A';

/** Socket inodes among the open file descriptors of `pid`. */
export function socketInodes(pid: number): Set<string> {
  const dir = `/proc/${pid}/fd`;
  const out = new Set<string>();
  for (const fd of fs.readdirSync(dir)) {
    let target: string;
    try {
      target = fs.readlinkSync(path.join(dir, fd));
    } catch {
      continue; // closed while we looked
    }
    const m = /^socket:\[(\d+)\]$/.exec(target);
    if (m?.[1]) out.add(m[1]);
  }
  return out;
}

function parseTable(pid: number, proto: Proto): InetSocket[] {
  const text = fs.readFileSync(`/proc/${pid}/net/${proto}`, 'utf8');
  const rows: InetSocket[] = [];
  for (const line of text.split('\n').slice(1)) {
    const f = line.trim().split(/\s+/);
    if (f.length < 10) continue;
    const local = f[1] as string;
    const remote = f[2] as string;
    rows.push({
      proto,
      localPort: parseInt(local.slice(local.lastIndexOf(':') + 1), 16),
      remotePort: parseInt(remote.slice(remote.lastIndexOf(':') + 1), 16),
      state: (f[3] as string).toUpperCase(),
      inode: f[9] as string,
    });
  }
  return rows;
}

/** Every TCP and UDP socket (v4 and v6) owned by `pid`. */
export function inetSocketsOf(pid: number): InetSocket[] {
  const mine = socketInodes(pid);
  const out: InetSocket[] = [];
  for (const proto of ['tcp', 'tcp6', 'udp', 'udp6'] as const) {
    for (const s of parseTable(pid, proto)) if (mine.has(s.inode)) out.push(s);
  }
  return out;
}

export function isTcp(s: InetSocket): boolean {
  return s.proto === 'tcp' || s.proto === 'tcp6';
}

export interface WatchedSigning {
  /** Every socket of the watched process seen in any sample. */
  seen: InetSocket[];
  samples: number;
  signed: { code: number; stderr: string };
}

/**
 * Samples the sockets of process `pid` every 10 ms while the cluster signs a real
 * package, until `settled` resolves, and once more 300 ms later: the kernel's view of
 * every connection the process held while all of its code paths ran.
 */
export async function watchSocketsWhileSigning(
  cluster: { signet(args: string[]): Promise<{ code: number; stderr: string }>; dep: { keyName: string; passphraseFile: string } },
  pid: number,
  work: string,
  settled: () => Promise<unknown>,
): Promise<WatchedSigning> {
  const { copySample, sleep } = await import('./security-common.ts');
  const fs = await import('node:fs');
  const path = await import('node:path');
  const input = copySample(work);
  const out = path.join(work, 'out');
  fs.mkdirSync(out);
  const result: WatchedSigning = { seen: [], samples: 0, signed: { code: -1, stderr: '' } };
  let running = true;
  const sampler = (async () => {
    while (running) {
      result.seen.push(...inetSocketsOf(pid));
      result.samples++;
      await sleep(10);
    }
  })();
  result.signed = await cluster.signet(['sign-rpm', '--key', cluster.dep.keyName, '--passphrase-file', cluster.dep.passphraseFile, '-o', out, input]);
  await settled();
  await sleep(300);
  running = false;
  await sampler;
  result.seen.push(...inetSocketsOf(pid));
  result.samples++;
  return result;
}
