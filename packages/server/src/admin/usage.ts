export const USAGE = `Usage: signet-server admin --state DIR <command>

Console-only administration of the key store <DIR>/signet.db. Nothing here uses the network.

Commands:
  init [--binding-file F]                create an empty key store in DIR; with --binding-file,
                                         also create F (32 random bytes, mode 0600) and bind
                                         the store to it: no key unlocks without F
  user add NAME                          add a user (a client certificate CN)
  user delete NAME [--force] [--yes]     delete a user and their grants (refused if a key would
                                         be left without holder or key admin, unless --force)
  user list [--json]                     list users and the keys they hold
  user show NAME [--json]                a user's grants, roles and failed unlocks
  user unlock NAME [--key KEY]           clear failed unlocks and a lockout (all keys, or KEY)
  key generate NAME --type TYPE --user USER [--uid "Name <email>"] [--json]
                                         generate a key (TYPE: rsa4096, rsa3072, ed25519);
                                         USER becomes its first holder and key admin
  key import NAME FILE --user USER [--key-passphrase-file F] [--json]
                                         import an armored secret key
                                         (gpg --export-secret-keys --armor KEYID > FILE)
  key list [--json]                      list keys (fingerprint, key ID, Koji sigkey, dates,
                                         status active|expired|revoked, holders)
  key export-public NAME [-o FILE|DIR]   print or write the armored public key (in a DIR:
                                         DIR/RPM-GPG-KEY-NAME)
  key expire NAME --date YYYY-MM-DD|--never [--by ADMIN] [--by-passphrase-file F] [--json]
                                         new expiry (00:00 UTC on DATE), self-signed by the key
  key revoke NAME --reason compromised|superseded|retired [--by ADMIN]
             [--by-passphrase-file F] [-o FILE] [--json]
                                         revoke the key for good; prints (or writes) the
                                         revocation certificate
  key delete NAME [--force] [--yes]      delete a key and its secret material (refused while
                                         users hold it, unless --force)
  key rename OLD NEW                     rename a key (grants stay valid)
  grant KEY USER [--by GRANTER] [--by-passphrase-file F] [--key-admin]
                                         let USER use KEY; GRANTER must be a key admin of KEY
                                         (default: the key's only key admin)
  revoke KEY USER [--force]              take KEY away from USER (refused for the last holder
                                         or the last key admin, unless --force)
  audit show [--since ISO] [--user USER] [--key NAME|FPR] [--limit N] [--json]
                                         show the most recent audit rows (default 100) and
                                         the chain head (seq and hash)
  audit verify [--expect-head HASH] [--json]
                                         walk the hash chain; exit 1 naming the first bad row.
                                         --expect-head: a head recorded earlier must still be
                                         in the chain (catches a truncated tail)
  audit export [--since ISO] -o FILE     write every row as JSON lines (FILE atomically, or -)
  backup --to FILE [--json]              consistent snapshot of the store (also while the
                                         daemon runs) with a manifest; FILE must not exist
  restore --from FILE [--force] [--json] check a backup and install it as DIR; --force
                                         moves an existing DIR aside to DIR.replaced-<time>

Passphrases (never on the command line):
  --passphrase-file F      the access passphrase being set for the user the command names
                           (key generate/import: --user; grant: USER). First line of F,
                           trailing newline removed, 8..1024 bytes.
  --by-passphrase-file F   the acting key admin's access passphrase (grant, key expire,
                           key revoke; --by names the admin, default the key's only one)
  --key-passphrase-file F  the passphrase protecting the imported key file (key import)
  Without a file, the passphrase is asked for on the terminal without echo (twice when it is
  being set). Without a terminal and without a file the command fails with exit status 2.

Options:
  --state DIR              state directory (default: $SIGNET_STATE_DIR)
  --binding-file F         the store's binding file (needed by every command that wraps or
                           unwraps a passphrase when the store is bound; init: create it)
  --yes                    confirm key delete / user delete without a prompt (scripts)
  --argon2 LEVEL           Argon2id cost for passphrases wrapped by this command:
                           moderate (default: 3 passes, 256 MiB, ~0.7-1.3 s), interactive
                           (2 passes, 64 MiB) or min (1 pass, 8 KiB). Use min/interactive only
                           for tests and throwaway provisioning: a cheaper cost makes a stolen
                           signet.db cheaper to attack. Unlocking always uses the cost stored
                           with each grant.
  -h, --help               show this help

Exit status: 0 success, 1 failure, 2 usage error.
`;
