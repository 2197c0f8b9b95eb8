import { z } from 'zod';

/**
 * Messages of the end-to-end session between client and server. They travel only inside
 * the inner TLS session: the bridge never sees them in clear and does not import this
 * module (see test/security/bridge-cannot-decode.test.ts).
 *
 * Every message is a strict object: unknown keys are refused, not dropped.
 */
export const PROTOCOL_VERSION = 1;

/** Key names: what an operator types at the console and users pass with --key. */
/** Same rule as the key store's (packages/server/src/keystore/names.ts); a test keeps them equal. */
export const KEY_NAME_PATTERN = /^[a-z0-9][a-z0-9_.+-]{0,63}$/;
export const KeyName = z.string().regex(KEY_NAME_PATTERN, 'key names are 1–64 of a-z 0-9 _ . + -, starting with a letter or digit');

/** Access passphrases are bounded: enough for any diceware phrase, too small to be a vector. */
export const Passphrase = z.string().min(1).max(1024);

const RequestId = z.number().int().min(0).max(2 ** 31 - 1);

export const Request = z.discriminatedUnion('op', [
  z.strictObject({ t: z.literal('req'), id: RequestId, op: z.literal('hello'), version: z.number().int() }),
  z.strictObject({ t: z.literal('req'), id: RequestId, op: z.literal('ping') }),
  z.strictObject({ t: z.literal('req'), id: RequestId, op: z.literal('whoami') }),
  z.strictObject({ t: z.literal('req'), id: RequestId, op: z.literal('list-keys') }),
  z.strictObject({ t: z.literal('req'), id: RequestId, op: z.literal('get-public-key'), key: KeyName }),
  z.strictObject({ t: z.literal('req'), id: RequestId, op: z.literal('unlock'), key: KeyName, passphrase: Passphrase }),
  /** Attachment: the package's main header blob, exactly the bytes that are signed. */
  z.strictObject({ t: z.literal('req'), id: RequestId, op: z.literal('sign-rpm-header'), key: KeyName }),
  /** Attachment: the data to sign (a detached signature comes back). */
  z.strictObject({ t: z.literal('req'), id: RequestId, op: z.literal('sign-data'), key: KeyName }),
  /**
   * The one write a user may make: re-wrap their own access to `key` under a new
   * passphrase. Needs the current one; nothing else about keys, users or grants changes.
   */
  z.strictObject({ t: z.literal('req'), id: RequestId, op: z.literal('change-passphrase'), key: KeyName, passphrase: Passphrase, newPassphrase: Passphrase }),
]);
export type Request = z.infer<typeof Request>;
export type Op = Request['op'];

export const KeyInfo = z.strictObject({
  name: KeyName,
  fingerprint: z.string().regex(/^[0-9A-F]{40}$/),
  keyId: z.string().regex(/^[0-9A-F]{16}$/),
  algorithm: z.string().max(64),
  created: z.string().max(64),
  expires: z.string().max(64).nullable(),
});
export type KeyInfo = z.infer<typeof KeyInfo>;

/** Results by operation. Binary results (signature packets) travel as the attachment. */
export const Results = {
  hello: z.strictObject({ version: z.number().int(), server: z.string().max(256) }),
  ping: z.strictObject({ time: z.string().max(64) }),
  whoami: z.strictObject({ user: z.string().max(64) }),
  'list-keys': z.strictObject({ keys: z.array(KeyInfo).max(10_000) }),
  'get-public-key': z.strictObject({ key: KeyInfo, armored: z.string().max(1024 * 1024) }),
  unlock: z.strictObject({ key: KeyInfo }),
  'sign-rpm-header': z.strictObject({ keyId: z.string().regex(/^[0-9A-F]{16}$/), subject: z.string().max(512) }),
  'sign-data': z.strictObject({ keyId: z.string().regex(/^[0-9A-F]{16}$/) }),
  'change-passphrase': z.strictObject({ key: KeyName }),
} as const satisfies Record<Op, z.ZodType>;
export type Result<O extends Op> = z.infer<(typeof Results)[O]>;

export const WireError = z.strictObject({
  code: z.string().regex(/^[A-Z][A-Z0-9_]{0,63}$/),
  message: z.string().max(2048),
  retryable: z.boolean(),
});
export type WireError = z.infer<typeof WireError>;

export const Response = z.discriminatedUnion('ok', [
  z.strictObject({ t: z.literal('res'), id: RequestId, ok: z.literal(true), result: z.unknown() }),
  z.strictObject({ t: z.literal('res'), id: RequestId, ok: z.literal(false), error: WireError }),
]);
export type Response = z.infer<typeof Response>;
