/**
 * Who waits for whom. Server links wait for clients; clients wait for server links.
 * Pure: no sockets and no timers; bridge.ts owns both. FIFO on both sides, so a client
 * that arrived first is served first and the server link idle longest is used first
 * (its firewall state is the oldest).
 */
export class Pairing<S, C> {
  readonly #idleServers: S[] = [];
  readonly #waitingClients: C[] = [];

  get idleServers(): number {
    return this.#idleServers.length;
  }

  get waitingClients(): number {
    return this.#waitingClients.length;
  }

  /** A server link is ready. Returns the client it must serve now, if one is waiting. */
  offerServer(server: S): C | undefined {
    const client = this.#waitingClients.shift();
    if (client === undefined) this.#idleServers.push(server);
    return client;
  }

  /** A client arrived. Returns the server link to couple it with, if one is idle. */
  offerClient(client: C): S | undefined {
    const server = this.#idleServers.shift();
    if (server === undefined) this.#waitingClients.push(client);
    return server;
  }

  /** Forget a server link (it closed while idle). True if it was idle. */
  removeServer(server: S): boolean {
    return remove(this.#idleServers, server);
  }

  /** Forget a client (it gave up or timed out). True if it was waiting. */
  removeClient(client: C): boolean {
    return remove(this.#waitingClients, client);
  }
}

function remove<T>(list: T[], item: T): boolean {
  const i = list.indexOf(item);
  if (i < 0) return false;
  list.splice(i, 1);
  return true;
}
