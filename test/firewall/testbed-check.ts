import path from 'node:path';
import { run } from '../../scripts/lib/run.ts';
import { ADDR, type FirewallTopology } from '../helpers/netns.ts';
import { PORTS } from './deployment.ts';

const PROBE = path.join(import.meta.dirname, 'flow-probe.ts');

export interface TestbedFacts {
  /** "before" crossed the firewall; "after", sent once the flow had been idle too long, did not. */
  idleFlowForgotten: boolean;
  /** A connection attempt from the bridge side to the server side got no answer at all. */
  bridgeSideCannotDial: boolean;
  /** A connection attempt from the server side to a port other than the bridge's server port got no answer. */
  otherPortsClosed: boolean;
}

function lines(stdout: string): Record<string, unknown>[] {
  return stdout
    .split('\n')
    .filter((l) => l.startsWith('{'))
    .map((l) => JSON.parse(l) as Record<string, unknown>);
}

const probe = (ns: string, args: string[], timeoutMs: number) =>
  run('ip', ['netns', 'exec', ns, process.execPath, PROBE, ...args], { timeoutMs });

/**
 * Proves the firewall behaves as in the field before Signet runs on it: an idle flow is
 * forgotten and then silently dropped, and only the server side can open a flow, only to
 * the bridge's server port. Takes about conntrackTimeoutS + 5 s.
 */
export async function checkTestbed(topo: FirewallTopology): Promise<TestbedFacts> {
  const idleMs = (topo.conntrackTimeoutS + 2) * 1000;
  const listenMs = idleMs + 5_000;
  const listener = probe(topo.ns.bridge, ['listen', ADDR.bridge, String(PORTS.server), String(listenMs)], listenMs + 5_000);
  await new Promise((r) => setTimeout(r, 700)); // the listener is up well within this
  const [dial, reverse, otherPort] = await Promise.all([
    probe(topo.ns.server, ['dial', ADDR.bridge, String(PORTS.server), String(idleMs)], idleMs + 10_000),
    probe(topo.ns.bridge, ['reach', ADDR.server, String(PORTS.server), '1500'], 10_000),
    probe(topo.ns.server, ['reach', ADDR.bridge, String(PORTS.client), '1500'], 10_000),
  ]);
  const received = lines((await listener).stdout).filter((l) => l['event'] === 'data').map((l) => String(l['text']));
  const dialEvents = lines(dial.stdout).map((l) => l['event']);
  if (!dialEvents.includes('connected')) throw new Error(`test bed: the server side could not open a flow to the bridge's server port:\n${dial.stdout}${dial.stderr}`);
  return {
    idleFlowForgotten: received.join(' ').includes('before') && !received.join(' ').includes('after') && dialEvents.includes('sent-after'),
    bridgeSideCannotDial: lines(reverse.stdout)[0]?.['event'] === 'blocked',
    otherPortsClosed: lines(otherPort.stdout)[0]?.['event'] === 'blocked',
  };
}
