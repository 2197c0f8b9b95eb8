/**
 * `npm run test:firewall`: Signet across a real stateful firewall (root only; fails, never
 * skips, where namespaces cannot be made).
 *
 * The server (ns server) dials the bridge (ns bridge) through a router namespace whose
 * conntrack forgets an established TCP flow after 5 s of silence and then drops its
 * packets silently. Before Signet runs, the test bed itself is checked: an idle flow is
 * really forgotten, and nothing but the server side's SYN to the bridge's server port
 * opens a flow.
 *
 * Phase 1, heartbeats every 2 s: after 30 s idle a package is signed at once, and the
 * server's pool of links survived the idle period (no link lost, no redial), with the
 * flows still ESTABLISHED in the firewall.
 * Phase 2, heartbeats and TCP keepalive off, 10 s silence deadline: after 30 s idle the
 * sign still succeeds, within probeTimeoutMs + deadAfterMs + RECOVERY_SLACK_S.
 *
 * Progress goes to stderr; the last line on stdout is one JSON object with the results.
 * Exit status 0 when every check passed, 1 otherwise.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { requireTools } from '../helpers/gpg.ts';
import { createFirewallTopology, listNamespaces, requireNetnsSupport, type FirewallTopology } from '../helpers/netns.ts';
import type { NsDaemon } from './daemon.ts';
import { createFirewallDeployment, PORTS, type Keepalive } from './deployment.ts';
import { runPhase, type PhaseOptions, type PhaseResult } from './phase.ts';
import { checkTestbed } from './testbed-check.ts';

const CONNTRACK_TIMEOUT_S = 5;
const IDLE_S = 30;
const POOL_SIZE = 2;
const HEARTBEAT: Keepalive = { intervalMs: 2_000, deadAfterMs: 6_000, tcpKeepAliveMs: 2_000 };
const PROBE_TIMEOUT_MS = 3_000;
const NO_HEARTBEAT: Keepalive = { intervalMs: 0, deadAfterMs: 10_000, tcpKeepAliveMs: 0 };
/** The client-bridge path (same namespace, no firewall) is not under test: default deadline. */
const CLIENT_NO_HEARTBEAT: Keepalive = { intervalMs: 0, deadAfterMs: 45_000, tcpKeepAliveMs: 0 };
/** Client start-up, redial backoff, two TLS handshakes and the signature itself. */
const RECOVERY_SLACK_S = 5;
const RECOVERY_BOUND_S = (PROBE_TIMEOUT_MS + NO_HEARTBEAT.deadAfterMs) / 1000 + RECOVERY_SLACK_S;
/** The whole run, checks and cleanup included, must end within this. */
const WATCHDOG_MS = 150_000;

const T0 = performance.now();
const log = (msg: string): void => void process.stderr.write(`[firewall ${((performance.now() - T0) / 1000).toFixed(1)}s] ${msg}\n`);

const processes = new Set<NsDaemon>();
let topo: FirewallTopology | undefined;
let workDir: string | undefined;

/** Synchronous last resort (signal, watchdog): kill everything, delete the namespaces. */
function emergencyCleanup(): void {
  for (const d of processes) d.killNow();
  topo?.destroy();
  if (workDir) rmSync(workDir, { recursive: true, force: true });
}

for (const sig of ['SIGINT', 'SIGTERM'] as const) {
  process.once(sig, () => {
    log(`${sig}: cleaning up`);
    emergencyCleanup();
    process.exit(130);
  });
}
const watchdog = setTimeout(() => {
  log(`FAIL: the run exceeded ${WATCHDOG_MS / 1000} s; killed`);
  emergencyCleanup();
  process.exit(1);
}, WATCHDOG_MS);

async function main(): Promise<number> {
  const failures: string[] = [];
  const check = (ok: boolean, what: string): void => {
    log(`${ok ? 'ok  ' : 'FAIL'} ${what}`);
    if (!ok) failures.push(what);
  };
  let p1: PhaseResult | undefined;
  let p2: PhaseResult | undefined;
  try {
    requireNetnsSupport();
    requireTools('rpmkeys');
    topo = createFirewallTopology({ allowedPort: PORTS.server, conntrackTimeoutS: CONNTRACK_TIMEOUT_S });
    log(`namespaces ${Object.values(topo.ns).join(', ')}; conntrack established timeout ${CONNTRACK_TIMEOUT_S} s`);
    workDir = mkdtempSync(path.join(os.tmpdir(), 'signet-fw-'));
    const [bed, fw] = await Promise.all([checkTestbed(topo), createFirewallDeployment(workDir)]);
    check(bed.idleFlowForgotten, `test bed: a flow idle ${CONNTRACK_TIMEOUT_S + 2} s is forgotten and its next packet dropped silently`);
    check(bed.bridgeSideCannotDial, 'test bed: the bridge side cannot open a flow to the server side');
    check(bed.otherPortsClosed, "test bed: the server side can open flows only to the bridge's server port");
    if (failures.length > 0) throw new Error('the firewall does not behave as the test needs; nothing else was run');

    const checked: CheckedPhaseContext = {
      common: { topo, fw, idleS: IDLE_S, processes, log, logDir: process.env['SIGNET_FW_LOG_DIR'] || undefined },
      workDir,
      check,
      failed: () => failures.length > 0,
    };
    const heartbeat = { bridge: HEARTBEAT, server: HEARTBEAT, client: HEARTBEAT };
    p1 = await runCheckedPhase(checked, { n: 1, name: 'heartbeat 2 s', signedHow: '', keepalive: heartbeat, finalSignTimeoutMs: 60_000 }, (p) => {
      check(p.counts.redials === 0, `phase 1: no server link lost or redialled while idle (link-dead ${p.counts.linkDead}, link-closed ${p.counts.linkClosed}, reconnected ${p.counts.reconnected}, dial-failed ${p.counts.dialFailed}, extra link-opened ${p.counts.extraOpened})`);
      check(p.counts.bridgeServerLinkDead === 0, `phase 1: the bridge found no server link dead (server-link-dead ${p.counts.bridgeServerLinkDead})`);
      const established = p.conntrackAfterIdle.filter((f) => f.state === 'ESTABLISHED').length;
      check(established >= POOL_SIZE, `phase 1: after the idle period the firewall still tracks the ${POOL_SIZE} pool links as ESTABLISHED (found ${established})`);
    });

    const noHeartbeat = { bridge: NO_HEARTBEAT, server: NO_HEARTBEAT, client: CLIENT_NO_HEARTBEAT };
    p2 = await runCheckedPhase(checked, { n: 2, name: 'no heartbeat', signedHow: ' without heartbeats', keepalive: noHeartbeat, finalSignTimeoutMs: 45_000 }, (p) =>
      check(
        p.afterIdle.seconds <= RECOVERY_BOUND_S,
        `phase 2: recovered in ${p.afterIdle.seconds.toFixed(1)} s <= probeTimeoutMs + deadAfterMs + ${RECOVERY_SLACK_S} s = ${RECOVERY_BOUND_S} s (warm sign took ${p.warmUp.seconds.toFixed(1)} s)`,
      ),
    );
  } catch (err) {
    failures.push((err as Error).message);
    log(`FAIL ${(err as Error).message}`);
  } finally {
    await Promise.all([...processes].map((d) => d.stop(2_000)));
    const names = topo ? Object.values(topo.ns) : [];
    const left = topo?.destroy() ?? [];
    if (workDir) rmSync(workDir, { recursive: true, force: true });
    const listed = listNamespacesSafe();
    const leaked = names.filter((n) => listed.includes(n) || left.includes(n));
    check(leaked.length === 0, `cleanup: namespaces deleted (ip netns list shows ${leaked.length === 0 ? 'none of ours' : leaked.join(', ')})`);
  }
  const round = (s: number | undefined): number | null => (s === undefined ? null : Math.round(s * 10) / 10);
  process.stdout.write(
    `${JSON.stringify({
      conntrack_timeout_s: CONNTRACK_TIMEOUT_S,
      idle_s: IDLE_S,
      heartbeat_s: HEARTBEAT.intervalMs / 1000,
      signed_after_idle: p1 ? p1.afterIdle.ok && p1.afterIdle.verified : false,
      reconnects_with_heartbeat: p1 ? p1.counts.redials : null,
      recovery_s_without_heartbeat: p2?.afterIdle.ok ? round(p2.afterIdle.seconds) : null,
    })}\n`,
  );
  log(failures.length === 0 ? 'PASS' : `FAILED (${failures.length}):\n  - ${failures.join('\n  - ')}`);
  return failures.length === 0 ? 0 : 1;
}

/** What every phase shares: the test bed, where its files go, and how checks are reported. */
interface CheckedPhaseContext {
  common: Pick<PhaseOptions, 'topo' | 'fw' | 'idleS' | 'processes' | 'log' | 'logDir'>;
  workDir: string;
  check: (ok: boolean, what: string) => void;
  /** Whether any check so far failed (then the phase's log tails are printed). */
  failed: () => boolean;
}

/** What one phase changes besides its own checks: its number and name, the keepalive settings. */
interface PhaseSpec {
  n: number;
  /** In the phase's label: `phase <n> (<name>)`. */
  name: string;
  /** Inserted after "signing after N s idle" in the check line ('' or ' without …'). */
  signedHow: string;
  keepalive: { bridge: Keepalive; server: Keepalive; client: Keepalive };
  finalSignTimeoutMs: number;
}

/**
 * Runs phase `spec.n` with the pool size and probe timeout every phase uses, then checks
 * that the sign after the idle period succeeded and verifies, then `ownChecks`;
 * prints the processes' last lines once any check has failed.
 */
async function runCheckedPhase(c: CheckedPhaseContext, spec: PhaseSpec, ownChecks: (p: PhaseResult) => void): Promise<PhaseResult> {
  const tag = `phase ${spec.n}`;
  const p = await runPhase({
    ...c.common,
    label: `${tag} (${spec.name})`,
    dir: path.join(c.workDir, `phase${spec.n}`),
    settings: { poolSize: POOL_SIZE, probeTimeoutMs: PROBE_TIMEOUT_MS, keepalive: spec.keepalive },
    finalSignTimeoutMs: spec.finalSignTimeoutMs,
  });
  c.common.log(`${tag} link events after warm-up: ${JSON.stringify(p.counts)}`);
  c.check(p.afterIdle.ok, `${tag}: signing after ${IDLE_S} s idle${spec.signedHow} succeeded${p.afterIdle.ok ? '' : `: ${p.afterIdle.detail}`}`);
  c.check(p.afterIdle.verified, `${tag}: rpmkeys -Kv verifies the package signed after the idle period`);
  ownChecks(p);
  if (c.failed()) c.common.log(p.tails);
  return p;
}

function listNamespacesSafe(): string[] {
  try {
    return listNamespaces();
  } catch {
    return [];
  }
}

const code = await main();
clearTimeout(watchdog);
process.exit(code);
