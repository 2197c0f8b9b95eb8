import { copyFileSync, mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { BIN, run, type RunResult } from '../../scripts/lib/run.ts';
import { verifyWithRpmkeys } from '../../scripts/lib/verify-rpm.ts';
import type { ConntrackFlow, FirewallTopology } from '../helpers/netns.ts';
import { startNsDaemon, type NsDaemon } from './daemon.ts';
import { PORTS, writeConfigs, type ConfigSettings, type FirewallDeployment } from './deployment.ts';
import { countLinkEvents, type LinkCounts } from './link-events.ts';

export const SAMPLE_RPM = path.resolve(import.meta.dirname, '../../samples/rpms/signet-demo-hello-1.0-1.noarch.rpm');

export interface PhaseOptions {
  label: string;
  topo: FirewallTopology;
  fw: FirewallDeployment;
  /** Directory for this phase's configs and signed outputs. */
  dir: string;
  settings: ConfigSettings;
  idleS: number;
  /** Hard cap on the sign after the idle period; past it the client is killed. */
  finalSignTimeoutMs: number;
  /** Every process started is added here, so a signal handler can kill it. */
  processes: Set<NsDaemon>;
  /** When set, each process's full log is written here as <label>.log (kept after the run). */
  logDir: string | undefined;
  log: (msg: string) => void;
}

export interface SignOutcome {
  ok: boolean;
  seconds: number;
  /** rpmkeys -Kv said OK for the signed copy. */
  verified: boolean;
  detail: string;
  /** The client's stderr (retries show here). */
  stderr: string;
}

export interface PhaseResult {
  warmUp: SignOutcome;
  afterIdle: SignOutcome;
  /** Server and bridge link events from the start of the idle period to the end of the phase. */
  counts: LinkCounts;
  /** Flows to the bridge's server port in the firewall's conntrack table after the idle period. */
  conntrackAfterIdle: ConntrackFlow[];
  /** Last lines of the bridge's and the server's logs, for failure reports. */
  tails: string;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * One run of the three programs across the firewall: bridge and client in the bridge
 * namespace, server in the server namespace. Sign once (warm-up), stay idle, sign again.
 * Processes are stopped before returning, also on failure.
 */
export async function runPhase(o: PhaseOptions): Promise<PhaseResult> {
  mkdirSync(o.dir, { recursive: true });
  const files = writeConfigs(o.fw, o.dir, o.settings);
  o.topo.flushConntrack();
  const started: NsDaemon[] = [];
  const start = (label: string, ns: string, entry: string, args: string[]): NsDaemon => {
    const d = startNsDaemon(`${o.label} ${label}`, ns, entry, args);
    started.push(d);
    o.processes.add(d);
    return d;
  };
  try {
    const bridge = start('bridge', o.topo.ns.bridge, BIN.bridge, ['--config', files.bridge]);
    await bridge.waitFor((l) => l['event'] === 'listening', 15_000, 'bridge "listening"');
    const server = start('server', o.topo.ns.server, BIN.server, ['run', '--config', files.server]);
    await server.waitFor((l) => l['event'] === 'link-ready', 20_000, 'server "link-ready"');
    await waitUntil(() => server.count('link-opened') >= o.settings.poolSize, 10_000, `${o.label}: the server's pool of ${o.settings.poolSize} links`, server);

    const warmUp = await sign(o, files.client, 'warm-up', 60_000);
    if (!warmUp.ok || !warmUp.verified) throw new Error(`${o.label}: warm-up sign failed: ${warmUp.detail}`);
    o.log(`${o.label}: warm-up signed in ${warmUp.seconds.toFixed(1)} s`);
    // The paired link's slot dials a replacement at once; let it land before the window opens.
    await waitUntil(
      () => server.count('link-opened') >= o.settings.poolSize + pairings(server, 0),
      10_000,
      `${o.label}: the replacement link after the warm-up`,
      server,
    );

    const serverMark = server.mark();
    const bridgeMark = bridge.mark();
    o.log(`${o.label}: idle for ${o.idleS} s`);
    await sleep(o.idleS * 1000);
    const conntrackAfterIdle = o.topo.conntrackFlows(PORTS.server);
    o.log(`${o.label}: conntrack after idle: ${conntrackAfterIdle.map((f) => `${f.state}(${f.timeoutS}s left) sport=${f.sport}`).join(', ') || 'no flows'}`);

    const afterIdle = await sign(o, files.client, 'after-idle', o.finalSignTimeoutMs);
    o.log(`${o.label}: sign after idle: ${afterIdle.ok ? 'ok' : 'FAILED'} in ${afterIdle.seconds.toFixed(1)} s${afterIdle.ok ? '' : `: ${afterIdle.detail}`}`);
    if (afterIdle.ok && afterIdle.stderr !== '') o.log(`${o.label}: client said: ${afterIdle.stderr}`);
    const counts = countLinkEvents(server.events.slice(serverMark), bridge.events.slice(bridgeMark));
    const tails = [bridge, server].map((d) => `--- ${d.label}, last lines:\n${d.tail(40)}`).join('\n');
    return { warmUp, afterIdle, counts, conntrackAfterIdle, tails };
  } finally {
    await Promise.all(started.map((d) => d.stop()));
    for (const d of started) o.processes.delete(d);
    if (o.logDir !== undefined) {
      mkdirSync(o.logDir, { recursive: true });
      for (const d of started) writeFileSync(path.join(o.logDir, `${d.label.replace(/[^a-z0-9]+/gi, '-')}.log`), `${d.lines.join('\n')}\n`);
    }
  }
}

/** Client sessions the server took (each hands its link over and dials a replacement). */
function pairings(server: NsDaemon, from: number): number {
  return server.count('session-start', from) + server.count('session-refused', from);
}

/** Runs the real client in the bridge namespace; times it; checks the output with rpmkeys. */
async function sign(o: PhaseOptions, clientConfig: string, step: string, timeoutMs: number): Promise<SignOutcome> {
  const out = path.join(o.dir, step);
  mkdirSync(out, { recursive: true });
  const input = path.join(o.dir, `${step}-${path.basename(SAMPLE_RPM)}`);
  copyFileSync(SAMPLE_RPM, input);
  const t0 = performance.now();
  const r: RunResult = await run(
    'ip',
    ['netns', 'exec', o.topo.ns.bridge, process.execPath, BIN.client, '--config', clientConfig, 'sign-rpm', '--key', o.fw.dep.keyName, '--passphrase-file', o.fw.dep.passphraseFile, '-o', out, input],
    { timeoutMs },
  );
  const seconds = (performance.now() - t0) / 1000;
  const signed = path.join(out, path.basename(input));
  const stderr = r.stderr.trim();
  if (r.code !== 0) return { ok: false, seconds, verified: false, detail: `exit ${r.code}${seconds * 1000 >= timeoutMs ? ` (killed after ${timeoutMs} ms)` : ''}: ${stderr}`, stderr };
  const v = await verifyWithRpmkeys(signed, o.fw.publicKey);
  return { ok: true, seconds, verified: v.ok, detail: v.output.trim(), stderr };
}

async function waitUntil(cond: () => boolean, timeoutMs: number, what: string, d: NsDaemon): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error(`${what} not seen within ${timeoutMs} ms; last lines:\n${d.tail()}`);
    await sleep(100);
  }
}
