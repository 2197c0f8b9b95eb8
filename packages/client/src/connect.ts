import tls from 'node:tls';
import WebSocket from 'ws';
import { checkPeer, ConfigError, dialBridge, loadCrlBundle, loadTlsMaterial, TLS_VERSION, WsDuplex, isSignetError, watchLink } from '@signet/protocol';
import type { ClientConfig } from './config.ts';
import { ClientError } from './errors.ts';
import { RpcClient } from './rpc-client.ts';
import { PROTOCOL_VERSION } from '@signet/protocol/e2e';

/**
 * Opens a session with the signing server:
 *  1. mutual TLS 1.3 + WebSocket to the bridge's client port, bridge name and role checked;
 *  2. wait for the bridge to pair us with a server link;
 *  3. inner TLS 1.3 to the server through the relay, the server's name pinned
 *     (config.serverName) and its server role checked, our certificate naming the user.
 * Everything after step 3 is unreadable and unforgeable for the bridge.
 */
export async function openSession(config: ClientConfig): Promise<RpcClient> {
  const material = withCrl(loadTlsMaterial(config.tls), config.tls.crl);
  const ws = await dialClientLink(config, material);
  // A link a firewall dropped silently is found within deadAfterMs; the session then
  // fails with SESSION_CLOSED, which sign-rpm retries on a new session.
  watchLink(ws, config.keepalive, () => undefined);
  try {
    const duplex = await waitForPairing(ws, config.limits.sessionTimeoutMs);
    const socket = await innerHandshake(duplex, config, material);
    // The inner socket does not own the link: when the session ends, so does the link.
    socket.once('close', () => duplex.destroy());
    const rpc = new RpcClient(socket, { requestTimeoutMs: config.limits.requestTimeoutMs, maxBin: config.limits.maxHeaderBytes });
    await greet(rpc, config.serverName);
    return rpc;
  } catch (err) {
    ws.terminate();
    throw err;
  }
}

/**
 * First exchange of every session. Under TLS 1.3 the client's handshake completes before
 * the server has judged the client's certificate, so a refusal shows up only as the
 * session closing here: say so plainly. Also checks the protocol version.
 */
async function greet(rpc: RpcClient, serverName: string): Promise<void> {
  let version: number;
  try {
    version = (await rpc.call('hello', { version: PROTOCOL_VERSION })).result.version;
  } catch (err) {
    if (isSignetError(err, 'SESSION_CLOSED')) {
      throw new ClientError('SERVER_REFUSED', `server '${serverName}' closed the session at once: it refused our certificate (wrong CA, role, or validity; see the server log)`, { cause: err });
    }
    throw err;
  }
  if (version !== PROTOCOL_VERSION) {
    throw new ClientError('BAD_RESPONSE', `server speaks protocol version ${version}; this client speaks ${PROTOCOL_VERSION}`);
  }
}

type Material = ReturnType<typeof loadTlsMaterial> & { crl?: Buffer[] };

/** Adds the revocation lists named by tls.crl; a named list that is missing stops us. */
function withCrl(material: ReturnType<typeof loadTlsMaterial>, file: string | undefined): Material {
  if (file === undefined) return material;
  const crl = loadCrlBundle(file);
  if (crl === undefined) throw new ConfigError('CONFIG_INVALID', `the CRL file ${file} (tls.crl) does not exist; install signet-pki's crl-bundle.pem there or remove tls.crl`);
  return { ...material, crl };
}

/** Socket errors that mean "not reachable right now", worth a retry. */
const NETWORK_ERRORS = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENETUNREACH', 'EPIPE', 'EAI_AGAIN']);

function dialClientLink(config: ClientConfig, material: Material): Promise<WebSocket> {
  const where = `bridge ${config.bridge.host}:${config.bridge.port}`;
  const options = {
    host: config.bridge.host,
    port: config.bridge.port,
    servername: config.bridge.servername,
    tls: material,
    crl: material.crl,
    handshakeTimeoutMs: config.limits.connectTimeoutMs,
    tcpKeepAliveMs: config.keepalive.tcpKeepAliveMs,
    where: 'bridge',
  };
  return dialBridge(options, (failure) => {
    if (failure.kind === 'peer') return new ClientError('BRIDGE_REFUSED', failure.cause.message, { cause: failure.cause });
    if (failure.kind === 'http') {
      return new ClientError('BRIDGE_REFUSED', `bridge refused the connection: HTTP ${failure.status ?? '?'} (is this certificate a client certificate?)`);
    }
    const err = failure.cause;
    // Network failures (bridge down or restarting) are transient; a TLS failure (the
    // bridge's certificate, or ours, not accepted) is not.
    const code = NETWORK_ERRORS.has(err.code ?? '') ? 'CONNECT_FAILED' : 'BRIDGE_REFUSED';
    // Under TLS 1.3 a bridge that refuses our certificate often just hangs up after the
    // handshake: indistinguishable from a restart, so it is retried, but say so.
    const hint = err.code === 'ECONNRESET' ? ' (if this persists, the bridge may be refusing our certificate: see its log for tls-refused)' : '';
    return new ClientError(code, `cannot connect to ${where}: ${err.message.trim()}${hint}`, { cause: err });
  });
}

function waitForPairing(ws: WebSocket, timeoutMs: number): Promise<WsDuplex> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new ClientError('TIMEOUT', `no signing server became available within ${timeoutMs} ms`)), timeoutMs);
    const duplex: WsDuplex = new WsDuplex(ws, (msg) => {
      clearTimeout(timer);
      if (msg.type === 'paired') resolve(duplex);
      else {
        const transient = msg.code === 'BRIDGE_BUSY' || msg.code === 'BRIDGE_NO_SERVER';
        reject(new ClientError(transient ? 'BRIDGE_UNAVAILABLE' : 'BRIDGE_REFUSED', `bridge: ${msg.code}: ${msg.message}`));
      }
    });
    duplex.once('close', () => {
      clearTimeout(timer);
      reject(new ClientError('CONNECT_FAILED', 'the bridge closed the link before pairing'));
    });
    duplex.on('error', () => undefined);
  });
}

function innerHandshake(duplex: WsDuplex, config: ClientConfig, material: Material): Promise<tls.TLSSocket> {
  return new Promise((resolve, reject) => {
    const socket = tls.connect({
      ...TLS_VERSION,
      socket: duplex,
      // The server's name is pinned: the peer must hold a certificate from our CA naming
      // config.serverName, so the bridge cannot stand in for the server.
      servername: config.serverName,
      cert: material.cert,
      key: material.key,
      ca: material.ca,
      ...(material.crl ? { crl: material.crl } : {}),
      rejectUnauthorized: true,
    });
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new ClientError('TIMEOUT', `end-to-end handshake with the server did not finish within ${config.limits.sessionTimeoutMs} ms`));
    }, config.limits.sessionTimeoutMs);
    socket.once('secureConnect', () => {
      clearTimeout(timer);
      try {
        checkPeer(socket, 'server', 'signing server');
        resolve(socket);
      } catch (err) {
        socket.destroy();
        reject(new ClientError('SERVER_IDENTITY', (err as Error).message, { cause: err }));
      }
    });
    socket.once('error', (err) => {
      clearTimeout(timer);
      const code = isSignetError(err) ? 'SERVER_IDENTITY' : /certificate|altname|Hostname/i.test(err.message) ? 'SERVER_IDENTITY' : 'CONNECT_FAILED';
      reject(new ClientError(code, `end-to-end session with '${config.serverName}' failed: ${err.message.trim()}`, { cause: err }));
    });
  });
}
