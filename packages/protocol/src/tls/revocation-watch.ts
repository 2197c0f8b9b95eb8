import { CRL_RECHECK_MS, type CrlSource } from './crl.ts';
import { isRevokedBy, type CrlEntries } from './crl-entries.ts';

/**
 * Follows a CRL file and ends open connections its new versions revoke. node:tls applies a
 * CRL to new handshakes only; a party registers each open connection with its peer's
 * certificate here, and when the file changes (checked every second) every connection
 * whose certificate the new CRLs revoke is ended with the callback it registered.
 * Threat: a revoked (stolen) certificate keeping a session or link it already holds.
 */
export interface RevocationWatchOptions {
  /** Told of each new set of CRLs, before connections are checked (e.g. to swap a TLS context). */
  readonly onChange?: (crls: Buffer[]) => void;
  /** Told when a new CRL's entries cannot be read: open connections are then not re-checked. */
  readonly onError: (err: Error) => void;
  readonly intervalMs?: number;
}

export class RevocationWatch<T> {
  private readonly tracked = new Map<T, { cert: Buffer; end: () => void }>();
  private readonly timer: NodeJS.Timeout | undefined;
  /** Entries of the newest CRLs seen, for connections registered after the change. */
  private latest: readonly CrlEntries[] = [];

  /** With no source (no `tls.crl`), tracking is a no-op. */
  constructor(source: CrlSource | undefined, opts: RevocationWatchOptions) {
    if (source === undefined) return;
    let seen = source.current();
    this.timer = setInterval(() => {
      // A fresh look every tick: a change is acted on within one interval.
      const latest = source.current(true);
      if (latest === seen || latest === undefined) return;
      seen = latest;
      opts.onChange?.(latest);
      let lists: readonly CrlEntries[];
      try {
        lists = source.entries();
      } catch (err) {
        opts.onError(err as Error);
        return;
      }
      this.latest = lists;
      for (const [conn, t] of this.tracked) {
        if (!isRevokedBy(t.cert, lists)) continue;
        this.tracked.delete(conn);
        t.end();
      }
    }, opts.intervalMs ?? CRL_RECHECK_MS);
    this.timer.unref();
  }

  /**
   * Registers an open connection; `end` is called (once) if a new CRL revokes `cert` (DER),
   * or at once if a CRL seen since its handshake began already does (a CRL that arrived
   * during the handshake, which used the older one).
   */
  track(conn: T, cert: Buffer, end: () => void): void {
    if (this.timer === undefined) return;
    if (isRevokedBy(cert, this.latest)) {
      end();
      return;
    }
    this.tracked.set(conn, { cert: Buffer.from(cert), end });
  }

  untrack(conn: T): void {
    this.tracked.delete(conn);
  }

  stop(): void {
    if (this.timer !== undefined) clearInterval(this.timer);
    this.tracked.clear();
  }
}
