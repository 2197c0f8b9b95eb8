import type { KeyInfo } from '@signet/protocol/e2e';

/** A key unlocked for one session: it signs, and it is forgotten with the session. */
export interface UnlockedKey {
  info: KeyInfo;
  sign(data: Buffer): Promise<Buffer>;
  /** Drops the key material; later sign() calls fail. Called when the session ends. */
  dispose(): void;
}

/** One audit row, written durably before the signature leaves the server. */
export interface SignatureAudit {
  user: string;
  keyFingerprint: string;
  kind: 'rpm-header' | 'data';
  subject: string;
  sha256: string;
  requestId: string;
}

/**
 * What a session needs from key custody. The daemon wires it to the SQLite key store;
 * tests may wire a small fake. Nothing here administers: no operation that creates,
 * grants or exports secret material exists on the network path.
 */
export interface Backend {
  serverName: string;
  listKeys(): KeyInfo[];
  publicKey(name: string): { info: KeyInfo; armored: string };
  unlock(key: string, user: string, passphrase: string): Promise<UnlockedKey>;
  /** Re-wraps the user's own access to `key` under a new passphrase; needs the current one. */
  changePassphrase(key: string, user: string, passphrase: string, newPassphrase: string): Promise<void>;
  /** Resolves once the row is durable; the signature may only leave after that. */
  recordSignature(entry: SignatureAudit): Promise<void>;
}
