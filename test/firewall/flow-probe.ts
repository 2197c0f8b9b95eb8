/**
 * Tiny TCP probes run inside the namespaces to check the test bed itself before any
 * Signet process starts (so the test cannot pass against a firewall that does nothing).
 * Each mode prints JSON lines on stdout and exits by itself within its deadline.
 *
 *   listen HOST PORT MS        accept connections for MS; print every chunk received
 *   dial HOST PORT IDLE_MS     send "before", stay silent IDLE_MS, send "after", wait 2 s, reset
 *   reach HOST PORT MS         try to connect for MS: prints reached (connected or refused) or blocked
 */
import net from 'node:net';

const [mode, host, portArg, msArg] = process.argv.slice(2);
const port = Number(portArg);
const ms = Number(msArg);
const say = (o: Record<string, unknown>): void => void process.stdout.write(`${JSON.stringify({ ...o, t: Date.now() })}\n`);

if (!host || !Number.isInteger(port) || !Number.isInteger(ms) || ms < 0 || ms > 60_000) {
  process.stderr.write('usage: flow-probe.ts listen|dial|reach HOST PORT MS\n');
  process.exit(2);
}

if (mode === 'listen') {
  const sockets = new Set<net.Socket>();
  const server = net.createServer((s) => {
    sockets.add(s);
    s.on('data', (d: Buffer) => say({ event: 'data', text: d.toString().trim() }));
    s.on('error', () => undefined);
  });
  server.listen(port, host, () => say({ event: 'listening' }));
  setTimeout(() => {
    for (const s of sockets) s.resetAndDestroy();
    server.close();
    process.exit(0);
  }, ms);
} else if (mode === 'dial') {
  const s = net.connect({ host, port }, () => {
    say({ event: 'connected' });
    s.write('before\n');
    setTimeout(() => {
      s.write('after\n', () => say({ event: 'sent-after' }));
      // The flow is forgotten by now: this write is retransmitted into the void. Reset it
      // so no orphaned flow keeps retransmitting, and leave.
      setTimeout(() => {
        s.resetAndDestroy();
        process.exit(0);
      }, 2_000);
    }, ms);
  });
  s.on('error', (err) => {
    say({ event: 'error', message: err.message });
    process.exit(1);
  });
} else if (mode === 'reach') {
  const s = net.connect({ host, port });
  const timer = setTimeout(() => {
    say({ event: 'blocked' });
    s.destroy();
    process.exit(0);
  }, ms);
  s.once('connect', () => {
    clearTimeout(timer);
    say({ event: 'reached', how: 'connected' });
    s.resetAndDestroy();
    process.exit(0);
  });
  s.once('error', (err: NodeJS.ErrnoException) => {
    clearTimeout(timer);
    // ECONNREFUSED means a RST came back: the packet got through the firewall.
    say({ event: err.code === 'ECONNREFUSED' ? 'reached' : 'error', how: err.code ?? err.message });
    process.exit(0);
  });
} else {
  process.stderr.write(`unknown mode ${mode}\n`);
  process.exit(2);
}
