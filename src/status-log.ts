/**
 * The periodic one-line status at info level: peers in and out, the newest ledger the peers
 * agree on, and items relayed per second since the previous line.
 * `[overlay] status_log_interval` (5 minutes; 0: off).
 */
import type { Logger } from 'pino';

export interface StatusSource {
  peers(): { info: { direction: 'in' | 'out' } }[];
  readonly relayed: { items: number };
  serverInfo(): { newest_peer_ledger?: { seq: number } };
  ledgerAgeSeconds(): number | undefined;
}

export interface StatusLine {
  peersIn: number;
  peersOut: number;
  ledger?: number;
  ledgerAge?: number;
  relayedPerSecond: number;
}

/** Counts relayed items between two reads; `now` in milliseconds (injected for tests). */
export class StatusMeter {
  private lastItems: number;
  private lastAt: number;

  constructor(
    private readonly source: StatusSource,
    private readonly now: () => number = Date.now,
  ) {
    this.lastItems = source.relayed.items;
    this.lastAt = now();
  }

  read(): StatusLine {
    const peers = this.source.peers();
    const peersIn = peers.filter((p) => p.info.direction === 'in').length;
    const at = this.now();
    const items = this.source.relayed.items;
    const seconds = (at - this.lastAt) / 1000;
    const relayedPerSecond = seconds > 0 ? Math.round(((items - this.lastItems) / seconds) * 10) / 10 : 0;
    this.lastItems = items;
    this.lastAt = at;
    const line: StatusLine = { peersIn, peersOut: peers.length - peersIn, relayedPerSecond };
    const ledger = this.source.serverInfo().newest_peer_ledger?.seq;
    if (ledger !== undefined) line.ledger = ledger;
    const age = this.source.ledgerAgeSeconds();
    if (age !== undefined) line.ledgerAge = age;
    return line;
  }
}

export function statusText(s: StatusLine): string {
  const ledger = s.ledger === undefined ? 'no ledger yet' : `ledger ${s.ledger} (${s.ledgerAge ?? '?'} s ago)`;
  return `status: ${s.peersIn + s.peersOut} peers (${s.peersIn} in, ${s.peersOut} out), ${ledger}, ${s.relayedPerSecond} relayed/s`;
}

/** Logs the status every `intervalMs`; returns the function that stops it. 0 logs nothing. */
export function startStatusLog(source: StatusSource, log: Logger, intervalMs: number): () => void {
  if (intervalMs <= 0) return () => {};
  const meter = new StatusMeter(source);
  const timer = setInterval(() => {
    const s = meter.read();
    log.info({ ...s }, statusText(s));
  }, intervalMs);
  timer.unref();
  return () => clearInterval(timer);
}
