import { z } from 'zod';
import { LogLevel } from './config.ts';

/**
 * Config sections and fields that more than one party's config file has, defined once so
 * their bounds, defaults and error messages cannot drift apart. The `tls` section is
 * `TlsFiles` (config.ts) and `keepalive` is `KeepaliveConfig` (link/keepalive.ts); each
 * party's `config.ts` composes these into its strict schema. Documented in
 * docs/configuration.md.
 */

/** A host name or address, as written in a config file. */
export const HostName = z.string().min(1).max(255);

/** A TCP port to dial. */
export const Port = z.number().int().min(1).max(65535);

/** A TCP port to listen on; 0 picks a free port. */
export const ListenPort = z.number().int().min(0).max(65535);

/**
 * Where the bridge is, for the parties that dial it (client and server): the bridge
 * listens on a different port for each, hence `defaultPort`.
 */
export function bridgeEndpoint(defaultPort: number) {
  return z.strictObject({
    /** Bridge host name or address. */
    host: HostName,
    /** The bridge's port for this party. */
    port: Port.default(defaultPort),
    /** Name expected in the bridge's certificate (also sent as SNI); defaults to host. */
    servername: HostName.optional(),
  });
}
export type BridgeEndpoint = z.infer<ReturnType<typeof bridgeEndpoint>>;

/** The `log` section of the daemons (bridge and server). */
export const LogConfig = z
  .strictObject({
    /** Log verbosity; logs are JSON lines on stdout. */
    level: LogLevel.default('info'),
  })
  .prefault({});
export type LogConfig = z.infer<typeof LogConfig>;
