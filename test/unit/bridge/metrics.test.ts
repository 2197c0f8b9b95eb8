import { describe, expect, it } from 'vitest';
import { bridgeMetrics, Counter, Histogram } from '@signet/bridge';

describe('Prometheus text rendering', () => {
  it('renders counters with sorted, escaped labels', () => {
    const c = new Counter('x_total', 'help');
    c.inc({ port: 'client', stage: 'tls' });
    c.inc({ stage: 'tls', port: 'client' });
    c.inc({ port: 'a"b\\c' });
    expect(c.render()).toBe('# HELP x_total help\n# TYPE x_total counter\nx_total{port="client",stage="tls"} 2\nx_total{port="a\\"b\\\\c"} 1');
  });

  it('renders cumulative histogram buckets, sum and count', () => {
    const h = new Histogram('d_seconds', 'help', [0.1, 1]);
    h.observe(0.05);
    h.observe(0.5);
    h.observe(5);
    expect(h.render().split('\n').slice(2)).toEqual(['d_seconds_bucket{le="0.1"} 1', 'd_seconds_bucket{le="1"} 2', 'd_seconds_bucket{le="+Inf"} 3', 'd_seconds_sum 5.55', 'd_seconds_count 3']);
  });

  it('the bridge registry reads its gauges at scrape time', () => {
    let active = 0;
    const m = bridgeMetrics({ activeSessions: () => active, waitingClients: () => 0, idleServerLinks: () => 2 });
    active = 3;
    expect(m.render()).toMatch(/^signet_bridge_sessions_active 3$/m);
    expect(m.render()).toMatch(/^signet_bridge_server_links_idle 2$/m);
  });
});
