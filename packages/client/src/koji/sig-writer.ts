import { isKojiFault, KojiError } from './errors.ts';
import type { KojiSession } from './session.ts';
import type { KojiCall, MultiCallResult } from './xmlrpc.ts';
import { parseSigRows } from './tagged.ts';

/**
 * Stores verified signatures in Koji and writes the signed copies, many rpms per hub
 * round trip. A Koji session takes one call at a time, so one `addRPMSig` and one
 * `writeSignedRPM` per rpm made the hub's latency the pace of a whole tag; here the writes
 * of every rpm that became ready while the previous batch was on the wire go out together
 * in one `multiCall` (Koji runs each call under its own savepoint: one rpm's fault leaves
 * the others alone). Nothing waits for a timer: a lone rpm goes out at once.
 *
 * Per rpm, in the batch: `addRPMSig(id, base64)` (unless only the copy is missing), then
 * `writeSignedRPM(id, sigkey, force)`. Outcomes:
 * - "Signature already exists" counts as stored (an earlier or parallel run stored it);
 * - any other `addRPMSig` fault is that rpm's failure (its `writeSignedRPM`, which then
 *   finds no signature or an older one, is ignored);
 * - the whole answer lost (connection, timeout, HTTP error): writes are never resent;
 *   each rpm's signature is looked up with `queryRPMSigs` and, when stored, its copy is
 *   written on its own; when not, the rpm fails and a rerun signs it.
 */

export interface SigWrite {
  readonly rpmId: number;
  /** The signature header to store; undefined when it is stored and only the copy is missing. */
  readonly region: Buffer | undefined;
}

interface Pending extends SigWrite {
  resolve(): void;
  reject(err: unknown): void;
}

const lostAnswer = (err: unknown): boolean => err instanceof KojiError && !isKojiFault(err) && (err.code === 'KOJI_CONNECT' || err.code === 'KOJI_TIMEOUT' || err.code === 'KOJI_HTTP');

export class SignatureWriter {
  private readonly session: KojiSession;
  private readonly sigkey: string;
  private readonly maxBatch: number;
  private queue: Pending[] = [];
  private flushing = false;
  /** Batches sent (for tests and logs). */
  batches = 0;

  constructor(session: KojiSession, sigkey: string, maxBatch = 50) {
    this.session = session;
    this.sigkey = sigkey;
    this.maxBatch = maxBatch;
  }

  /** Resolves once the signature is stored and the signed copy written; rejects with that rpm's reason. */
  write(w: SigWrite): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      this.queue.push({ ...w, resolve, reject });
      if (!this.flushing) void this.flush();
    });
  }

  private async flush(): Promise<void> {
    this.flushing = true;
    try {
      while (this.queue.length > 0) {
        const batch = this.queue.splice(0, this.maxBatch);
        this.batches++;
        await this.send(batch);
      }
    } finally {
      this.flushing = false;
    }
  }

  private async send(batch: readonly Pending[]): Promise<void> {
    const calls: KojiCall[] = [];
    const index: { add: number | undefined; write: number }[] = [];
    for (const p of batch) {
      // The hub base64-decodes a str: the blob goes as base64 TEXT (a <base64> fails with TypeError).
      const add = p.region === undefined ? undefined : calls.push({ method: 'addRPMSig', args: [p.rpmId, p.region.toString('base64')] }) - 1;
      const write = calls.push({ method: 'writeSignedRPM', args: [p.rpmId, this.sigkey], kwargs: { force: true } }) - 1;
      index.push({ add, write });
    }
    let results: MultiCallResult[];
    try {
      results = await this.session.multiCall(calls);
    } catch (err) {
      if (!lostAnswer(err)) {
        for (const p of batch) p.reject(err);
        return;
      }
      await Promise.all(batch.map((p) => this.settleLost(p, err)));
      return;
    }
    batch.forEach((p, i) => {
      const at = index[i] as { add: number | undefined; write: number };
      const added = at.add === undefined ? undefined : (results[at.add] as MultiCallResult);
      if (added !== undefined && !added.ok && !isKojiFault(added.fault, 'KOJI_SIGNATURE_EXISTS')) return p.reject(added.fault);
      const written = results[at.write] as MultiCallResult;
      if (!written.ok) return p.reject(written.fault);
      p.resolve();
    });
  }

  /** A batch whose answer was lost: ask the hub what it has, never resend a write blindly. */
  private async settleLost(p: Pending, cause: unknown): Promise<void> {
    try {
      const rows = parseSigRows(await this.session.call('queryRPMSigs', [], { rpm_id: p.rpmId, sigkey: this.sigkey }));
      if (!rows.some((s) => s.sigkey === this.sigkey)) throw cause;
      // Stored: (re)writing the copy from the stored signature is idempotent.
      await this.session.writeSignedRPM(p.rpmId, this.sigkey, true);
      p.resolve();
    } catch (err) {
      p.reject(err);
    }
  }
}
