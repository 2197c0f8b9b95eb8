import type { ParsedHeader } from './header/types.ts';
import { RPM_TYPE, SIGNATURE_PACKET_TAGS } from './tags.ts';

export interface StoredSignature {
  /** 267 DSA/EdDSA header, 268 RSA header, 1002 / 1005 / 1006 v3 header+payload. */
  readonly tag: number;
  /** The binary OpenPGP signature packet, a copy. */
  readonly packet: Buffer;
}

/** The OpenPGP signature packets a signature header holds, in index order. */
export function extractSignatures(signatureHeader: ParsedHeader): StoredSignature[] {
  return signatureHeader.entries
    .filter((e) => SIGNATURE_PACKET_TAGS.includes(e.tag) && e.type === RPM_TYPE.BIN)
    .map((e) => ({ tag: e.tag, packet: Buffer.from(e.data) }));
}
