/**
 * A small Prometheus text-format registry (exposition format 0.0.4): counters with
 * labels, gauges read at scrape time, and histograms with fixed buckets. Pure: rendering
 * returns a string; the HTTP listener is in bridge.ts (`metrics.port`).
 */
type Labels = Record<string, string>;

const escape = (v: string): string => v.replace(/\\/g, '\\\\').replace(/\n/g, '\\n').replace(/"/g, '\\"');
const labelText = (labels: Labels): string => {
  const keys = Object.keys(labels).sort();
  return keys.length === 0 ? '' : `{${keys.map((k) => `${k}="${escape(labels[k] as string)}"`).join(',')}}`;
};

export class Counter {
  readonly #values = new Map<string, { labels: Labels; value: number }>();
  readonly name: string;
  readonly help: string;

  constructor(name: string, help: string) {
    this.name = name;
    this.help = help;
  }

  inc(labels: Labels = {}, by = 1): void {
    const key = labelText(labels);
    const entry = this.#values.get(key) ?? { labels, value: 0 };
    entry.value += by;
    this.#values.set(key, entry);
  }

  get(labels: Labels = {}): number {
    return this.#values.get(labelText(labels))?.value ?? 0;
  }

  render(): string {
    const lines = [`# HELP ${this.name} ${this.help}`, `# TYPE ${this.name} counter`];
    for (const { labels, value } of this.#values.values()) lines.push(`${this.name}${labelText(labels)} ${value}`);
    return lines.join('\n');
  }
}

export class Gauge {
  readonly name: string;
  readonly help: string;
  readonly read: () => number;

  constructor(name: string, help: string, read: () => number) {
    this.name = name;
    this.help = help;
    this.read = read;
  }

  render(): string {
    return [`# HELP ${this.name} ${this.help}`, `# TYPE ${this.name} gauge`, `${this.name} ${this.read()}`].join('\n');
  }
}

export class Histogram {
  readonly #counts: number[];
  #sum = 0;
  #count = 0;
  readonly name: string;
  readonly help: string;
  readonly buckets: readonly number[];

  constructor(name: string, help: string, buckets: readonly number[]) {
    this.name = name;
    this.help = help;
    this.buckets = buckets;
    this.#counts = buckets.map(() => 0);
  }

  observe(value: number): void {
    this.#sum += value;
    this.#count++;
    this.buckets.forEach((b, i) => {
      if (value <= b) this.#counts[i] = (this.#counts[i] as number) + 1;
    });
  }

  render(): string {
    const lines = [`# HELP ${this.name} ${this.help}`, `# TYPE ${this.name} histogram`];
    this.buckets.forEach((b, i) => lines.push(`${this.name}_bucket{le="${b}"} ${this.#counts[i]}`));
    lines.push(`${this.name}_bucket{le="+Inf"} ${this.#count}`, `${this.name}_sum ${this.#sum}`, `${this.name}_count ${this.#count}`);
    return lines.join('\n');
  }
}

export type Metric = Counter | Gauge | Histogram;

export function renderMetrics(metrics: readonly Metric[]): string {
  return `${metrics.map((m) => m.render()).join('\n')}\n`;
}

const SECONDS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300];

/** The bridge's metrics. It sees sessions and links, never requests (they are end-to-end encrypted). */
export function bridgeMetrics(read: { activeSessions: () => number; waitingClients: () => number; idleServerLinks: () => number }) {
  const m = {
    sessions: new Counter('signet_bridge_sessions_total', 'Client sessions relayed, by how they ended.'),
    refused: new Counter('signet_bridge_peers_refused_total', 'Connections refused, by port and stage (tls, role, protocol, busy, no_server).'),
    linksDead: new Counter('signet_bridge_links_dead_total', 'Links declared dead: heartbeats missed, or no pong to the pre-pairing probe, by port.'),
    serverLinks: new Counter('signet_bridge_server_links_total', 'Server links accepted; a rise without sessions means the server is reconnecting.'),
    bytes: new Counter('signet_bridge_relayed_bytes_total', 'Bytes relayed, by direction (up: client to server).'),
    pairWait: new Histogram('signet_bridge_pair_wait_seconds', 'Time a client waited for a server link.', SECONDS),
    duration: new Histogram('signet_bridge_session_duration_seconds', 'Session duration.', SECONDS),
    active: new Gauge('signet_bridge_sessions_active', 'Sessions being relayed now.', read.activeSessions),
    waiting: new Gauge('signet_bridge_clients_waiting', 'Clients waiting for a server link.', read.waitingClients),
    idle: new Gauge('signet_bridge_server_links_idle', 'Idle server links ready for a client.', read.idleServerLinks),
  };
  return { ...m, render: () => renderMetrics(Object.values(m)) };
}
export type BridgeMetrics = ReturnType<typeof bridgeMetrics>;
