import { writeFileSync } from 'node:fs';

/**
 * The JSON configs of the three programs for a throwaway deployment, built in one place:
 * the demo, the benchmark, the end-to-end tests and the firewall test differ only in
 * addresses, ports and a few overrides. Pure builders return the config objects; the
 * caller writes them with `writeConfigFile`. `overrides` are spread last: a key already
 * present keeps its place and takes the new value, a new key is appended.
 */

/** What the builders need of a deployment (a `Deployment` has all of it). */
export interface ConfigParties {
  stateDir: string;
  serverName: string;
  user: string;
  caCert: string;
  cert(name: string): { cert: string; key: string };
}

export interface TlsFiles {
  cert: string;
  key: string;
  ca: string;
}

/** Where a server or a client dials the bridge. */
export interface BridgeEndpoint {
  host: string;
  port: number;
}

export interface BridgeListen {
  host: string;
  clientPort: number;
  serverPort: number;
}

export type ConfigOverrides = Record<string, unknown>;

/** Certificate `name` of the deployment's PKI, with the CA to check peers against. */
export function tlsFor(dep: ConfigParties, name: string): TlsFiles {
  return { ...dep.cert(name), ca: dep.caCert };
}

/** The bridge's config: listening on `listen`, presenting certificate `certName`. */
export function bridgeConfigFor(dep: ConfigParties, listen: BridgeListen, certName: string, overrides: ConfigOverrides = {}): ConfigOverrides {
  return { listen: { host: listen.host, clientPort: listen.clientPort, serverPort: listen.serverPort }, tls: tlsFor(dep, certName), ...overrides };
}

/** The signing server's config: the deployment's state and server certificate, dialling `bridge`. */
export function serverConfigFor(dep: ConfigParties, bridge: BridgeEndpoint, poolSize: number, overrides: ConfigOverrides = {}): ConfigOverrides {
  return {
    stateDir: dep.stateDir,
    bridge: { host: bridge.host, port: bridge.port },
    tls: tlsFor(dep, dep.serverName),
    poolSize,
    ...overrides,
  };
}

/** The client's config: the deployment's user certificate, pinning its server name, dialling `bridge`. */
export function clientConfigFor(dep: ConfigParties, bridge: BridgeEndpoint, overrides: ConfigOverrides = {}): ConfigOverrides {
  return { bridge: { host: bridge.host, port: bridge.port }, serverName: dep.serverName, tls: tlsFor(dep, dep.user), ...overrides };
}

/** Writes `config` as JSON: indented for people to read, or compact. */
export function writeConfigFile(file: string, config: ConfigOverrides, style: 'indented' | 'compact' = 'indented'): void {
  writeFileSync(file, style === 'indented' ? JSON.stringify(config, null, 2) : JSON.stringify(config));
}
