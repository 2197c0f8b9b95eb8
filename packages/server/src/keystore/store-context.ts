import type { DatabaseSync } from 'node:sqlite';
import { appendAudit } from './audit-append.ts';
import { KeyStoreError } from './errors.ts';
import { unlockLimits, type UnlockLimits } from './limiter.ts';
import { int, type Row } from './rows.ts';
import type { KeyStoreOptions } from './types.ts';
import { argon2Params, type Argon2Params } from './wrap.ts';

/**
 * What every area of the key store (users.ts, key-lifecycle.ts, grants.ts, grant-open.ts,
 * signing-guard.ts, …) shares: the connection, the clock, the binding secret, the Argon2id
 * cost and unlock limits, the administrative audit writer, and the row lookups all of them
 * use. `KeyStore` (keystore.ts) owns one and hands it to each area's functions.
 */
export class StoreContext {
  #db: DatabaseSync | null;
  readonly argon2: Argon2Params;
  /** The clock; a plain function, so it can be handed on (createSigner). */
  readonly now: () => Date;
  readonly limits: UnlockLimits;
  /** True when the store is bound to a binding file. */
  readonly bound: boolean;
  /** The binding secret (null: store not bound, or bound and no file given). */
  readonly #binding: Uint8Array | null;
  /** One unwrap at a time per grant, so concurrent guesses are counted one by one (`serialized`). */
  readonly #gates = new Map<string, Promise<void>>();

  constructor(db: DatabaseSync, options: KeyStoreOptions, binding: { bound: boolean; secret: Uint8Array | null }) {
    this.#db = db;
    this.argon2 = argon2Params(options.argon2 ?? 'moderate');
    this.now = options.now ?? (() => new Date());
    this.limits = unlockLimits(options.unlockLimits);
    this.bound = binding.bound;
    this.#binding = binding.secret;
  }

  close(): void {
    this.#db?.close();
    this.#db = null;
  }

  get conn(): DatabaseSync {
    if (this.#db === null) throw new KeyStoreError('STORE_CLOSED', 'the key store is closed');
    return this.#db;
  }

  nowIso(): string {
    return this.now().toISOString();
  }

  /** The binding secret for wrapping/unwrapping; BINDING_REQUIRED when bound and not given. */
  bindingSecret(): Uint8Array | null {
    if (!this.bound) return null;
    if (this.#binding === null) {
      throw new KeyStoreError('BINDING_REQUIRED', 'this store is bound to a binding file: give it (admin --binding-file FILE; daemon binding.file)');
    }
    return this.#binding;
  }

  userId(name: string): number | undefined {
    const row = this.conn.prepare('SELECT id FROM users WHERE name = ?').get(name) as Row | undefined;
    return row === undefined ? undefined : int(row, 'id');
  }

  requireUser(name: string): number {
    const id = this.userId(name);
    if (id === undefined) throw new KeyStoreError('USER_NOT_FOUND', `no user '${name}'; add it with 'admin user add ${name}'`);
    return id;
  }

  keyExists(name: string): boolean {
    return this.conn.prepare('SELECT 1 AS one FROM keys WHERE name = ?').get(name) !== undefined;
  }

  keyRow(name: string): Row {
    const row = this.conn.prepare('SELECT * FROM keys WHERE name = ?').get(name) as Row | undefined;
    if (row === undefined) throw new KeyStoreError('KEY_NOT_FOUND', `no key named '${name}'; see 'admin key list'`);
    return row;
  }

  /**
   * An administrative (or failed-unlock) audit row: no signed bytes, no request id. The one
   * place such rows enter the audit table (recordAudits writes the signatures'); hash-chained
   * (audit-append.ts), joining the caller's transaction, else in its own; on disk (WAL,
   * synchronous=FULL) when this returns.
   */
  audit(user: string, fingerprint: string | null, kind: string, subject: string): void {
    appendAudit(this.conn, { time: this.nowIso(), user, keyFingerprint: fingerprint, kind, subject, sha256: null, requestId: null });
  }

  /**
   * Runs `fn` after every earlier call for the same `gate` (a grant) has finished.
   * Threat: concurrent wrong guesses each passing the throttle check before any is counted.
   */
  async serialized<T>(gate: string, fn: () => Promise<T>): Promise<T> {
    const previous = this.#gates.get(gate) ?? Promise.resolve();
    let release = (): void => {};
    const mine = new Promise<void>((resolve) => {
      release = resolve;
    });
    const tail = previous.then(() => mine);
    this.#gates.set(gate, tail);
    await previous;
    try {
      return await fn();
    } finally {
      release();
      if (this.#gates.get(gate) === tail) this.#gates.delete(gate);
    }
  }
}
