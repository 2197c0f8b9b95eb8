import pino, { type Logger, type LevelWithSilent } from 'pino';

/**
 * Paths redacted from every log line, whatever the component: a passphrase, key or token
 * that reaches a logger by mistake is written as [redacted], never in clear.
 */
export const REDACT_PATHS = [
  'passphrase',
  '*.passphrase',
  'newPassphrase',
  '*.newPassphrase',
  'key.private',
  'privateKey',
  '*.privateKey',
  'secret',
  '*.secret',
  'token',
  '*.token',
  'password',
  '*.password',
  'req.headers.authorization',
];

/** The one root logger of a process; components take `child({ component })`. */
export function createLogger(name: string, level: LevelWithSilent = 'info', destination: pino.DestinationStream = pino.destination(1)): Logger {
  return pino(
    {
      name,
      level,
      redact: { paths: REDACT_PATHS, censor: '[redacted]' },
      base: { pid: process.pid },
      timestamp: pino.stdTimeFunctions.isoTime,
    },
    destination,
  );
}
