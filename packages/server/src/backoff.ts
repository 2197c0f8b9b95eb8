/**
 * Exponential backoff with full jitter, capped: attempt 0 waits up to `initial`, each
 * further failure doubles the ceiling up to `max`. Jitter spreads the redials of many
 * links (or many servers) so a bridge restart is not met by a synchronized stampede.
 */
export function backoffDelay(attempt: number, initial: number, max: number, random: () => number = Math.random): number {
  const ceiling = Math.min(max, initial * 2 ** Math.min(attempt, 30));
  return Math.round(ceiling / 2 + (random() * ceiling) / 2);
}
