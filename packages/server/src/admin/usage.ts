export const USAGE = `Usage: signet-server admin --state DIR <command>

Console-only administration of the key store <DIR>/signet.db. Nothing here uses the network.

Commands:
  init                                   create an empty key store in DIR
  user add NAME                          add a user (a client certificate CN)
  user list [--json]                     list users and the keys they hold
  key generate NAME --type TYPE --user USER [--uid "Name <email>"]
                                         generate a key (TYPE: rsa4096, rsa3072, ed25519);
                                         USER becomes its first holder and key admin
  key import NAME FILE --user USER [--key-passphrase-file F]
                                         import an armored secret key
                                         (gpg --export-secret-keys --armor KEYID > FILE)
  key list [--json]                      list keys (fingerprint, key ID, Koji sigkey, holders)
  key export-public NAME [-o FILE]       print or write the armored public key
  grant KEY USER [--by GRANTER] [--by-passphrase-file F] [--key-admin]
                                         let USER use KEY; GRANTER must be a key admin of KEY
                                         (default: the key's only key admin)

Passphrases (never on the command line):
  --passphrase-file F      the access passphrase being set for the user the command names
                           (key generate/import: --user; grant: USER). First line of F,
                           trailing newline removed, 8..1024 bytes.
  --by-passphrase-file F   the granter's access passphrase (grant)
  --key-passphrase-file F  the passphrase protecting the imported key file (key import)
  Without a file, the passphrase is asked for on the terminal without echo (twice when it is
  being set). Without a terminal and without a file the command fails with exit status 2.

Options:
  --state DIR              state directory (default: $SIGNET_STATE_DIR)
  --argon2 LEVEL           Argon2id cost for passphrases wrapped by this command:
                           moderate (default: 3 passes, 256 MiB, ~0.7-1.3 s), interactive
                           (2 passes, 64 MiB) or min (1 pass, 8 KiB). Use min/interactive only
                           for tests and throwaway provisioning: a cheaper cost makes a stolen
                           signet.db cheaper to attack. Unlocking always uses the cost stored
                           with each grant.
  -h, --help               show this help

Exit status: 0 success, 1 failure, 2 usage error.
`;
