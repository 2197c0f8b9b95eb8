import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { SignetError } from '@signet/protocol';

/**
 * A real stateful firewall on one machine, in network namespaces (root only):
 *
 *   ns server 10.77.0.1/30 ── 10.77.0.2/30  ns firewall  10.77.0.5/30 ── 10.77.0.6/30 ns bridge
 *
 * The firewall forwards only flows it has seen start: FORWARD policy DROP, ESTABLISHED and
 * RELATED accepted, NEW accepted only for a TCP SYN from the server side to the bridge's
 * server port. Its conntrack forgets an established flow after `conntrackTimeoutS` of
 * silence, and with `nf_conntrack_tcp_loose=0` a mid-stream packet cannot revive it: from
 * then on every packet of that flow is dropped silently, which is what the firewalls
 * between a signing server and its bridge do in the field. Nothing is added to the root
 * namespace; the only addresses used are the four above, inside these namespaces.
 */

export const ADDR = { server: '10.77.0.1', fwServerSide: '10.77.0.2', fwBridgeSide: '10.77.0.5', bridge: '10.77.0.6' } as const;

/** Raised when this machine cannot host the topology; the message says why and what to do. */
export class NetnsUnavailableError extends SignetError<'NETNS_UNAVAILABLE'> {
  constructor(message: string, options?: { cause?: unknown }) {
    super('NETNS_UNAVAILABLE', message, options);
  }
}

export interface TopologyOptions {
  /** The only port the server side may open connections to (the bridge's server port). */
  allowedPort: number;
  /** `nf_conntrack_tcp_timeout_established` inside the firewall namespace, seconds. */
  conntrackTimeoutS: number;
}

export interface FirewallTopology {
  readonly ns: { readonly server: string; readonly firewall: string; readonly bridge: string };
  readonly conntrackTimeoutS: number;
  /** Flows the firewall tracks towards `port` (conntrack -L), parsed. */
  conntrackFlows(port: number): ConntrackFlow[];
  /** Forgets every tracked flow (conntrack -F); used between phases. */
  flushConntrack(): void;
  /** Deletes the namespaces (kill their processes first). Returns names that would not go. */
  destroy(): string[];
}

export interface ConntrackFlow {
  state: string;
  /** Seconds left before conntrack forgets the flow. */
  timeoutS: number;
  sport: number;
  dport: number;
}

/** Throws NetnsUnavailableError unless root and ip, iptables and conntrack are present. */
export function requireNetnsSupport(): void {
  if (process.getuid?.() !== 0) {
    throw new NetnsUnavailableError('the firewall test needs root (CAP_NET_ADMIN) to create network namespaces; run it as root or in CI');
  }
  for (const tool of ['ip', 'iptables', 'conntrack', 'sysctl']) {
    if (spawnSync('sh', ['-c', `command -v ${tool}`], { stdio: 'ignore' }).status !== 0) {
      throw new NetnsUnavailableError(`${tool} is not installed; install the Debian packages iproute2 iptables conntrack procps`);
    }
  }
}

/** Runs `ip netns exec NS argv...`; stdout as text; throws with stderr on failure. */
export function nsExec(ns: string, argv: string[], timeoutMs = 10_000): string {
  return sh('ip', ['netns', 'exec', ns, ...argv], timeoutMs);
}

export function listNamespaces(): string[] {
  return sh('ip', ['netns', 'list'])
    .split('\n')
    .map((l) => l.split(' ')[0] ?? '')
    .filter((n) => n !== '');
}

/** Builds the three namespaces and the firewall. On any failure, removes what it made and throws. */
export function createFirewallTopology(opts: TopologyOptions): FirewallTopology {
  requireNetnsSupport();
  const tag = `${process.pid}-${randomBytes(2).toString('hex')}`;
  const ns = { server: `sgfw-srv-${tag}`, firewall: `sgfw-fw-${tag}`, bridge: `sgfw-brg-${tag}` };
  const created: string[] = [];
  const destroy = (): string[] => deleteNamespaces(created);
  try {
    for (const name of [ns.server, ns.firewall, ns.bridge]) {
      step(`ip netns add ${name}`, () => sh('ip', ['netns', 'add', name]));
      created.push(name);
    }
    // veth pairs made directly between namespaces: nothing ever exists in the root namespace.
    step('veth server-firewall', () => sh('ip', ['-n', ns.server, 'link', 'add', 'a0', 'type', 'veth', 'peer', 'name', 'fa', 'netns', ns.firewall]));
    step('veth bridge-firewall', () => sh('ip', ['-n', ns.bridge, 'link', 'add', 'b0', 'type', 'veth', 'peer', 'name', 'fb', 'netns', ns.firewall]));
    const addrs: [string, string, string][] = [
      [ns.server, 'a0', `${ADDR.server}/30`],
      [ns.firewall, 'fa', `${ADDR.fwServerSide}/30`],
      [ns.firewall, 'fb', `${ADDR.fwBridgeSide}/30`],
      [ns.bridge, 'b0', `${ADDR.bridge}/30`],
    ];
    for (const [n, dev, cidr] of addrs) step(`address ${cidr}`, () => sh('ip', ['-n', n, 'addr', 'add', cidr, 'dev', dev]));
    for (const [n, dev] of [[ns.server, 'a0'], [ns.firewall, 'fa'], [ns.firewall, 'fb'], [ns.bridge, 'b0'], [ns.server, 'lo'], [ns.firewall, 'lo'], [ns.bridge, 'lo']] as const) {
      step(`link up ${dev}`, () => sh('ip', ['-n', n, 'link', 'set', dev, 'up']));
    }
    step('route server side', () => sh('ip', ['-n', ns.server, 'route', 'add', '10.77.0.4/30', 'via', ADDR.fwServerSide]));
    step('route bridge side', () => sh('ip', ['-n', ns.bridge, 'route', 'add', '10.77.0.0/30', 'via', ADDR.fwBridgeSide]));
    step('ip_forward', () => nsExec(ns.firewall, ['sysctl', '-qw', 'net.ipv4.ip_forward=1']));
    const ipt = (...args: string[]): string => nsExec(ns.firewall, ['iptables', ...args]);
    step('iptables rules', () => {
      ipt('-P', 'FORWARD', 'DROP');
      ipt('-A', 'FORWARD', '-m', 'conntrack', '--ctstate', 'ESTABLISHED,RELATED', '-j', 'ACCEPT');
      // The server dials the bridge and nothing else: no flow may start from the bridge
      // side, and only a SYN starts one (a stray mid-stream packet is not a new flow).
      ipt('-A', 'FORWARD', '-i', 'fa', '-o', 'fb', '-s', ADDR.server, '-d', ADDR.bridge, '-p', 'tcp', '--syn', '--dport', String(opts.allowedPort), '-m', 'conntrack', '--ctstate', 'NEW', '-j', 'ACCEPT');
      return '';
    });
    // Per-namespace conntrack settings (the root namespace keeps its own values).
    const timeoutKey = 'net.netfilter.nf_conntrack_tcp_timeout_established';
    const looseKey = 'net.netfilter.nf_conntrack_tcp_loose';
    step('conntrack sysctls', () => nsExec(ns.firewall, ['sysctl', '-qw', `${timeoutKey}=${opts.conntrackTimeoutS}`, `${looseKey}=0`]));
    const readBack = nsExec(ns.firewall, ['sysctl', '-n', timeoutKey, looseKey]).trim().split(/\s+/);
    if (readBack[0] !== String(opts.conntrackTimeoutS) || readBack[1] !== '0') {
      throw new NetnsUnavailableError(`firewall sysctls did not take: ${timeoutKey}/${looseKey} read back as ${readBack.join('/')}`);
    }
  } catch (err) {
    const left = destroy();
    if (left.length > 0) (err as Error).message += ` (and namespaces ${left.join(', ')} could not be deleted)`;
    throw err;
  }
  return {
    ns,
    conntrackTimeoutS: opts.conntrackTimeoutS,
    conntrackFlows: (port) => parseConntrack(nsExec(ns.firewall, ['conntrack', '-L', '-p', 'tcp', '--dport', String(port)])),
    flushConntrack: () => void nsExec(ns.firewall, ['conntrack', '-F']),
    destroy,
  };
}

/** `ip netns del` each name still listed; returns those that remain afterwards. */
export function deleteNamespaces(names: readonly string[]): string[] {
  for (const name of names) spawnSync('ip', ['netns', 'del', name], { stdio: 'ignore', timeout: 10_000 });
  let present: string[];
  try {
    present = listNamespaces();
  } catch {
    return [...names];
  }
  return names.filter((n) => present.includes(n));
}

/** Parses `conntrack -L` lines: "tcp 6 4 ESTABLISHED src=… dst=… sport=… dport=… …". */
export function parseConntrack(text: string): ConntrackFlow[] {
  const flows: ConntrackFlow[] = [];
  for (const line of text.split('\n')) {
    const m = /^tcp\s+\d+\s+(\d+)\s+([A-Z_]+)\s.*?\bsport=(\d+)\s+dport=(\d+)/.exec(line.trim());
    if (m) flows.push({ timeoutS: Number(m[1]), state: m[2] as string, sport: Number(m[3]), dport: Number(m[4]) });
  }
  return flows;
}

function sh(file: string, args: string[], timeoutMs = 10_000): string {
  const r = spawnSync(file, args, { encoding: 'utf8', timeout: timeoutMs });
  if (r.error) throw r.error;
  if (r.status !== 0) throw new Error(`${file} ${args.join(' ')}: exit ${r.status}: ${r.stderr.trim()}`);
  return r.stdout;
}

function step<T>(what: string, fn: () => T): T {
  try {
    return fn();
  } catch (err) {
    if (err instanceof NetnsUnavailableError) throw err;
    throw new NetnsUnavailableError(`cannot build the firewall topology (${what}): ${(err as Error).message}`, { cause: err });
  }
}
