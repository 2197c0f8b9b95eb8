/**
 * The one rule for Signet user names: POSIX-style, lowercase, at most 64 characters.
 *
 * It is shared because two parties must agree on it: `signet-pki` puts a user name into a
 * client certificate's CN, and the server takes that CN as the key-store user (its audit
 * log checks it again). Threat: two copies that drift apart would issue certificates the
 * server cannot map to a user, or let the server accept a CN the PKI would never issue
 * (look-alike twins such as "Alice"/"alice", stray whitespace, "../x").
 */
export const USER_NAME_PATTERN = /^[a-z_][a-z0-9_.-]{0,63}$/;
