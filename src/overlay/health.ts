/**
 * GET /health the way rippled reports it (OverlayImpl::processHealth): only metrics out of range
 * are listed under "info"; 200 when healthy, 503 on a warning, 500 when critical.
 *
 * rippled's rules, and how they read for a relay that holds no ledger of its own:
 * - peers: 0 is critical, fewer than 8 a warning. The 8 is `[overlay] health_min_peers` here, so
 *   that a relay meant to have few peers (a private node behind its fixed peers) can be healthy.
 * - validated_ledger: the age of the newest validated ledger; 7 s or more is a warning, 20 s or
 *   more critical, none at all (-1) a warning. Ours is the newest ledger most of our peers have
 *   accepted: fresh while the peers are tracking the network, stale when they are not.
 * - server_state: rippled warns below "full", since a server that is not full cannot answer for
 *   the ledger. A relay has no ledger to be full of: its "connected" with fresh peer ledgers is its
 *   working state, so only "disconnected" (no peers) counts, as critical.
 * - load_factor and amendment_blocked: a relay runs no transactions and has neither.
 */

export interface HealthSource {
  peers(): unknown[];
  serverState(): string;
  /** Seconds since the newest ledger most peers have accepted was reported; undefined when none. */
  ledgerAgeSeconds(): number | undefined;
  /** A validator list has expired: rippled is then UNL-blocked and held at "connected" at best. */
  validatorListExpired?(): boolean;
}

export interface HealthOptions {
  /** Fewer peers than this (but some) is a warning. rippled: 8. */
  minPeers?: number;
}

/** rippled warns at 7 peers or fewer. */
export const DEFAULT_HEALTH_MIN_PEERS = 8;

type Level = 0 | 1 | 2; // healthy, warning, critical

export function buildHealth(source: HealthSource, opts: HealthOptions = {}): { status: number; reason: string; body: { info: Record<string, unknown> } } {
  const minPeers = opts.minPeers ?? DEFAULT_HEALTH_MIN_PEERS;
  const info: Record<string, unknown> = {};
  let level: Level = 0;
  const raise = (l: Level) => {
    if (l > level) level = l;
  };

  const age = source.ledgerAgeSeconds();
  if (age === undefined) {
    info.validated_ledger = -1;
    raise(1);
  } else if (age >= 20) {
    info.validated_ledger = age;
    raise(2);
  } else if (age >= 7) {
    info.validated_ledger = age;
    raise(1);
  }

  const peers = source.peers().length;
  if (peers === 0) {
    info.peers = peers;
    raise(2);
  } else if (peers < minPeers) {
    info.peers = peers;
    raise(1);
  }

  const state = source.serverState();
  if (state === 'disconnected') {
    info.server_state = state;
    raise(2);
  } else if (source.validatorListExpired?.()) {
    // A UNL-blocked rippled cannot leave "connected", which its /health reports as a warning.
    info.server_state = state;
    raise(1);
  }

  const [status, reason] = level === 0 ? [200, 'OK'] : level === 1 ? [503, 'Service Unavailable'] : [500, 'Internal Server Error'];
  return { status, reason, body: { info } };
}
