/**
 * Reconnect delays for fixed peers, as rippled's PeerFinder spaces them: after the n-th failure in
 * a row the next attempt waits 1, 2, 3, 5, 8, 13, 21, 34, 55, 55 … times the base (rippled: minutes;
 * Fixed::failure counts the failure, then indexes connectionBackoff {1, 1, 2, 3, …}),
 * never more than the cap; a success starts the count again.
 */
const STEPS = [1, 1, 2, 3, 5, 8, 13, 21, 34, 55];

export function fixedPeerBackoffMs(failures: number, baseMs: number, maxMs: number): number {
  if (failures <= 0) return 0;
  return Math.min(STEPS[Math.min(failures, STEPS.length - 1)]! * baseMs, maxMs);
}
