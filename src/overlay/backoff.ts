/**
 * Reconnect delays for fixed peers: the Fibonacci series times a base, capped (rippled uses
 * 1,1,2,3,5,8,13,21,34,55 minutes by failure count and resets on success).
 */
export function fixedPeerBackoffMs(failures: number, baseMs: number, maxMs: number): number {
  if (failures <= 0) return 0;
  let a = 1;
  let b = 1;
  for (let i = 1; i < failures; i++) {
    [a, b] = [b, a + b];
    if (a * baseMs >= maxMs) return maxMs;
  }
  return Math.min(a * baseMs, maxMs);
}
