import fs from 'node:fs';
import path from 'node:path';
import { generateRsaKeyPairAsync, initCaDir, issueToDir, type KeyBits, type IssueOptions } from '@signet/pki';

/** Paths of one certificate and its private key (PEM files). */
export interface CertKeyPaths {
  cert: string;
  key: string;
}

export interface TestPki {
  /** The directory everything was written under. */
  dir: string;
  /** A real signet-pki CA directory (ca.crt, ca.key, index.json, issued/). */
  caDir: string;
  caCert: string;
  caKey: string;
  serverName: string;
  /** Bridge certificate for DNS:localhost and IP:127.0.0.1. */
  bridge: CertKeyPaths;
  /** Server certificate named `serverName` (default signet-server.test). */
  server: CertKeyPaths;
  /** Client certificates by user name (default just alice). */
  clients: Record<string, CertKeyPaths>;
  /**
   * An unrelated CA and certificates signed by it with the very same names as the real
   * ones: the attacker who can mint certificates, but not with our CA.
   */
  rogue: {
    caDir: string;
    caCert: string;
    caKey: string;
    /** Client certificate for the first user's name. */
    client: CertKeyPaths;
    server: CertKeyPaths;
    bridge: CertKeyPaths;
  };
}

export interface MintTestPkiOptions {
  serverName?: string;
  users?: readonly string[];
  /** Default 2048, for speed. */
  keyBits?: KeyBits;
}

/**
 * Mints a complete test PKI under `dir`: CA, bridge, server, clients, and a rogue CA
 * with its own client, server and bridge certificates. Keys are generated in parallel.
 */
export async function mintTestPki(dir: string, opts: MintTestPkiOptions = {}): Promise<TestPki> {
  const serverName = opts.serverName ?? 'signet-server.test';
  const users = opts.users ?? ['alice'];
  const firstUser = users[0];
  if (firstUser === undefined) throw new Error('mintTestPki: at least one user is needed');
  const bits = opts.keyBits ?? 2048;
  const keys = await Promise.all(Array.from({ length: 7 + users.length }, () => generateRsaKeyPairAsync(bits)));
  const nextKey = () => {
    const key = keys.pop();
    if (key === undefined) throw new Error('mintTestPki: ran out of keys');
    return key;
  };

  const caDir = path.join(dir, 'ca');
  const rogueDir = path.join(dir, 'rogue-ca');
  const ca = initCaDir(caDir, { name: 'Signet Test CA', keyPair: nextKey() });
  const rogueCa = initCaDir(rogueDir, { name: 'Signet Test CA', keyPair: nextKey() });

  const issue = (inDir: string, prefix: string, o: Omit<IssueOptions, 'keyPair'>): CertKeyPaths => {
    const r = issueToDir(inDir, { ...o, keyPair: nextKey(), out: path.join(inDir, 'issued', prefix) });
    return { cert: r.certPath, key: r.keyPath };
  };
  const bridge = { role: 'bridge', name: 'localhost', ip: ['127.0.0.1'] } as const;
  const server = { role: 'server', name: serverName } as const;

  const clients: Record<string, CertKeyPaths> = {};
  for (const user of users) clients[user] = issue(caDir, `client-${user}`, { role: 'client', name: user });

  return {
    dir,
    caDir,
    caCert: ca.certPath,
    caKey: ca.keyPath,
    serverName,
    bridge: issue(caDir, 'bridge', bridge),
    server: issue(caDir, 'server', server),
    clients,
    rogue: {
      caDir: rogueDir,
      caCert: rogueCa.certPath,
      caKey: rogueCa.keyPath,
      client: issue(rogueDir, `client-${firstUser}`, { role: 'client', name: firstUser }),
      server: issue(rogueDir, 'server', server),
      bridge: issue(rogueDir, 'bridge', bridge),
    },
  };
}

/**
 * One more certificate from a test PKI's CA (or the rogue one), e.g. expired or not yet
 * valid: `issueTestCert(pki.caDir, 'alice-expired', { role: 'client', name: 'alice',
 * notBefore: new Date('2020-01-01'), notAfter: new Date('2020-02-01') })`.
 */
export function issueTestCert(caDir: string, prefix: string, o: IssueOptions): CertKeyPaths {
  const r = issueToDir(caDir, { keyBits: 2048, ...o, out: path.join(caDir, 'issued', prefix) });
  return { cert: r.certPath, key: r.keyPath };
}

/** Reads a certificate/key pair for node:tls options. */
export function readPair(pair: CertKeyPaths): { cert: Buffer; key: Buffer } {
  return { cert: fs.readFileSync(pair.cert), key: fs.readFileSync(pair.key) };
}
