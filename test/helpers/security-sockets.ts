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
