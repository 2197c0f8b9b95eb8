import type { LogLine } from './daemon.ts';

/** What the server's and the bridge's logs say about links within one time window. */
export interface LinkCounts {
  /** Server: links declared dead by the silence deadline. */
  linkDead: number;
  /** Server: idle links closed by the peer. */
  linkClosed: number;
  /** Server: links restored after failures. */
  reconnected: number;
  /** Server: dials that failed. */
  dialFailed: number;
  /** Server: successful dials. */
  linkOpened: number;
  /** Server: client sessions that took a link (session-start + session-refused). */
  pairings: number;
  /** Server: dials beyond the one replacement each pairing causes. */
  extraOpened: number;
  /** Bridge: server links it found dead (probe or silence). */
  bridgeServerLinkDead: number;
  /** Bridge: sessions ended. */
  bridgeSessions: number;
  /** Everything above that means a link was lost and redialled; 0 when links survive idling. */
  redials: number;
}

/** Pure: counts events in log lines already cut to the window of interest. */
export function countLinkEvents(server: readonly LogLine[], bridge: readonly LogLine[]): LinkCounts {
  const n = (lines: readonly LogLine[], event: string): number => lines.filter((l) => l['event'] === event).length;
  const linkOpened = n(server, 'link-opened');
  const pairings = n(server, 'session-start') + n(server, 'session-refused');
  const extraOpened = Math.max(0, linkOpened - pairings);
  const c = {
    linkDead: n(server, 'link-dead'),
    linkClosed: n(server, 'link-closed'),
    reconnected: n(server, 'reconnected'),
    dialFailed: n(server, 'dial-failed'),
    linkOpened,
    pairings,
    extraOpened,
    bridgeServerLinkDead: n(bridge, 'server-link-dead'),
    bridgeSessions: n(bridge, 'session'),
  };
  return { ...c, redials: c.linkDead + c.linkClosed + c.reconnected + c.dialFailed + c.extraOpened };
}
