import { type Daemon, type RunResult } from './run.ts';
/**
 * A throwaway Signet deployment in one directory: a CA and certificates for the three
 * parties, a server state with one key and one user, config files, and the passphrase
 * in a file. Used by the demo, the end-to-end tests and the benchmark; each party runs
 * as its own process, exactly as installed.
 */
export interface DeploymentOptions {
    dir: string;
    keyName?: string;
    keyType?: 'rsa4096' | 'ed25519';
    user?: string;
    serverName?: string;
    /** RSA size of the TLS keys; 2048 keeps tests fast. */
    tlsKeyBits?: 2048 | 3072 | 4096;
    /** Argon2id cost of the user's access passphrase wrapping. */
    argon2?: 'moderate' | 'interactive' | 'min';
}
export interface Deployment {
    dir: string;
    pkiDir: string;
    stateDir: string;
    keyName: string;
    user: string;
    serverName: string;
    passphraseFile: string;
    clientConfig: string;
    bridgeConfig: string;
    serverConfig: string;
    cert(name: string): {
        cert: string;
        key: string;
    };
    caCert: string;
}
export declare function createDeployment(opts: DeploymentOptions): Promise<Deployment>;
export interface BridgeProcess extends Daemon {
    clientPort: number;
    serverPort: number;
}
/** Starts the bridge on ephemeral loopback ports and reads back the ports it bound. */
export declare function startBridge(dep: Deployment, configFile?: string): Promise<BridgeProcess>;
/** Writes the server's and client's configs for a bridge on `ports`. */
export declare function writeEndpointConfigs(dep: Deployment, ports: {
    clientPort: number;
    serverPort: number;
}, extra?: {
    poolSize?: number;
}): void;
/** Starts the signing server and waits until it has a link open to the bridge. */
export declare function startServer(dep: Deployment): Promise<Daemon>;
/** Runs the real client with the deployment's config. */
export declare function client(dep: Deployment, args: string[]): Promise<RunResult>;
