/**
 * GET /health the way rippled reports it: only metrics out of range are listed under "info";
 * 200 when healthy, 503 on a warning, 500 when critical. An overlay node holds no ledgers of its
 * own, so its ledger metric is the age of the newest validated ledger its peers reported.
 */

export interface HealthSource {
  peers(): unknown[];
  serverState(): string;
  /** Seconds since a peer last reported an accepted ledger; undefined when none has. */
  ledgerAgeSeconds(): number | undefined;
  /** A validator list has expired: rippled is then UNL-blocked and held at "connected" at best. */
  validatorListExpired?(): boolean;
}

type Level = 0 | 1 | 2; // healthy, warning, critical

export function buildHealth(source: HealthSource): { status: number; reason: string; body: { info: Record<string, unknown> } } {
  const info: Record<string, unknown> = {};
  let level: Level = 0;
  const raise = (l: Level) => {
    if (l > level) level = l;
  };

  const peers = source.peers().length;
  if (peers === 0) {
    info.peers = peers;
    raise(2);
  } else if (peers < 8) {
    info.peers = peers;
    raise(1);
  }

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
