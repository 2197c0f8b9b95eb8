import { createHash } from 'node:crypto';
import type { AuditFields, AuditRecord } from './audit.ts';

/**
 * The audit hash chain, pure: rows in, hashes and verdicts out.
 *
 *   genesis = SHA-256("signet-audit-genesis-v1" 0x00 chain_id)
 *   hash(n) = SHA-256("signet-audit-v1" 0x00 ‖ field(seq) ‖ field(time) ‖ field(user) ‖
 *             field(key_fingerprint) ‖ field(kind) ‖ field(subject) ‖ field(sha256) ‖
 *             field(request_id) ‖ field(prev_hash))
 *   field(null) = 0x00;  field(s) = 0x01 ‖ uint32be(len(utf8 s)) ‖ utf8 s;  seq in decimal
 *
 * Tag and length prefix make the encoding unambiguous: no two different rows encode alike,
 * so a field cannot be moved into its neighbour or a null passed off as "". The genesis
 * value binds the chain to one database (a random chain_id in `meta`): rows spliced in from
 * another Signet database do not link.
 *
 * What the chain detects on its own: an edited row (its hash no longer matches), a deleted
 * row (the next row's prev_hash no longer matches), reordered rows, a row inserted without
 * a hash. What it cannot detect alone: a truncated tail (the remaining rows are intact), or
 * an attacker with write access who recomputes every hash after their edit (the chain is
 * unkeyed). Both are caught by comparing with a head hash recorded elsewhere (a checkpoint).
 */

const ROW_LABEL = 'signet-audit-v1';
const GENESIS_LABEL = 'signet-audit-genesis-v1';
export const HASH_PATTERN = /^[0-9a-f]{64}$/;
export const CHAIN_ID_PATTERN = /^[0-9a-f]{64}$/;

export function genesisHash(chainId: string): string {
  return createHash('sha256').update(`${GENESIS_LABEL}\0${chainId}`, 'utf8').digest('hex');
}

const ROW_PREFIX = Buffer.from(`${ROW_LABEL}\0`, 'utf8');

/** The canonical bytes hashed for one row, written into one buffer (no per-field allocations). */
export function canonicalRow(seq: number, row: AuditFields, prevHash: string): Buffer {
  const fields = [String(seq), row.time, row.user, row.keyFingerprint, row.kind, row.subject, row.sha256, row.requestId, prevHash];
  let size = ROW_PREFIX.length;
  for (const value of fields) size += value === null ? 1 : 5 + Buffer.byteLength(value, 'utf8');
  const out = Buffer.allocUnsafe(size);
  let offset = ROW_PREFIX.copy(out, 0);
  for (const value of fields) {
    if (value === null) {
      out[offset++] = 0; // field(null) = 0x00
      continue;
    }
    // field(s) = 0x01 ‖ uint32be(len(utf8 s)) ‖ utf8 s
    out[offset] = 1;
    const length = out.write(value, offset + 5, 'utf8');
    out.writeUInt32BE(length, offset + 1);
    offset += 5 + length;
  }
  return out.subarray(0, offset); // == size; never hash bytes that were not written
}

export function rowHash(seq: number, row: AuditFields, prevHash: string): string {
  return createHash('sha256').update(canonicalRow(seq, row, prevHash)).digest('hex');
}

/** Why the chain is broken at a row. */
export type ChainBreakReason = 'edited' | 'deleted' | 'reordered' | 'unchained' | 'bad-genesis';

export interface ChainBreak {
  readonly seq: number;
  readonly reason: ChainBreakReason;
  readonly detail: string;
}

export interface ChainHead {
  readonly seq: number;
  readonly hash: string;
}

/**
 * Lookups over the whole table, used only to explain a break: the seq of the row whose
 * hash is `hash`, and of the row whose prev_hash is `hash`.
 */
export interface ChainLookup {
  seqOfHash(hash: string): number | undefined;
  seqOfPrev(hash: string): number | undefined;
}

const NO_LOOKUP: ChainLookup = { seqOfHash: () => undefined, seqOfPrev: () => undefined };

/**
 * Where a row whose own hash does not verify at its seq came from: a genuine entry moved to
 * another position verifies at the seq after its predecessor, or before its successor.
 */
function originalSeq(row: AuditRecord, genesis: string, lookup: ChainLookup): number | undefined {
  if (row.prevHash === null || row.hash === null) return undefined;
  const before = row.prevHash === genesis ? 0 : lookup.seqOfHash(row.prevHash);
  const after = lookup.seqOfPrev(row.hash);
  for (const s of [before === undefined ? undefined : before + 1, after === undefined ? undefined : after - 1]) {
    if (s !== undefined && s >= 1 && s !== row.seq && rowHash(s, row, row.prevHash) === row.hash) return s;
  }
  return undefined;
}

function range(from: number, to: number): string {
  return from === to ? `seq ${from}` : `seq ${from}-${to}`;
}

/**
 * Walks rows in seq order, stopping at the first break. Feed it every row with push();
 * push returns the break (and keeps returning it) once one is found.
 */
export class ChainVerifier {
  readonly genesis: string;
  readonly #lookup: ChainLookup;
  #prev: ChainHead | null = null;
  #rows = 0;
  #break: ChainBreak | null = null;

  /** Rows up to this seq were chained late (at the upgrade that introduced the chain). */
  readonly lateThrough: number;

  constructor(genesis: string, options: { lookup?: ChainLookup; lateThrough?: number } = {}) {
    this.genesis = genesis;
    this.#lookup = options.lookup ?? NO_LOOKUP;
    this.lateThrough = options.lateThrough ?? 0;
  }

  get rows(): number {
    return this.#rows;
  }

  /** The last row verified (null before the first). */
  get head(): ChainHead | null {
    return this.#prev;
  }

  get broken(): ChainBreak | null {
    return this.#break;
  }

  push(row: AuditRecord): ChainBreak | null {
    if (this.#break !== null) return this.#break;
    this.#break = this.#check(row);
    if (this.#break === null) {
      this.#rows += 1;
      this.#prev = { seq: row.seq, hash: row.hash as string };
    }
    return this.#break;
  }

  #check(row: AuditRecord): ChainBreak | null {
    const expectedPrev = this.#prev?.hash ?? this.genesis;
    const expectedSeq = (this.#prev?.seq ?? 0) + 1;
    if (row.hash === null || row.prevHash === null || !HASH_PATTERN.test(row.hash) || !HASH_PATTERN.test(row.prevHash)) {
      return { seq: row.seq, reason: 'unchained', detail: 'the row has no valid hash or prev_hash: it was inserted or altered outside Signet' };
    }
    if (rowHash(row.seq, row, row.prevHash) !== row.hash) {
      const from = originalSeq(row, this.genesis, this.#lookup);
      if (from !== undefined) return { seq: row.seq, reason: 'reordered', detail: `the row holds the entry written as seq ${from}` };
      return { seq: row.seq, reason: 'edited', detail: 'the row no longer matches its hash: a field was changed after it was written' };
    }
    if (row.prevHash === expectedPrev) {
      // Threat: a truncated tail followed by new appends. New rows take their seq from
      // sqlite_sequence, which a DELETE does not lower, so the gap shows. Gaps among rows
      // chained late predate the chain and cannot be judged by it.
      if (row.seq !== expectedSeq && row.seq > this.lateThrough) {
        return { seq: row.seq, reason: 'deleted', detail: `${range(expectedSeq, row.seq - 1)} missing: rows were deleted before this one was appended` };
      }
      return null;
    }
    if (this.#prev === null && row.seq === 1) {
      return { seq: row.seq, reason: 'bad-genesis', detail: "the first row does not chain to this database's genesis value (chain_id changed, or the row came from another database)" };
    }
    if (row.seq !== expectedSeq) {
      return { seq: row.seq, reason: 'deleted', detail: `${range(expectedSeq, row.seq - 1)} missing: the row before this one was deleted` };
    }
    const p = this.#lookup.seqOfHash(row.prevHash);
    if (p !== undefined && p !== row.seq - 1) {
      return { seq: row.seq, reason: 'reordered', detail: `the row chains to seq ${p}, not to seq ${row.seq - 1}` };
    }
    return { seq: row.seq, reason: 'deleted', detail: `the row chains to an entry that is no longer in the log (seq ${expectedSeq - 1} replaced, or rows deleted and renumbered)` };
  }
}
