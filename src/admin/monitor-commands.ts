/**
 * The admin side of the validator monitor: `validator_monitor`, the `validations` stream (rippled's
 * message, one per verified validation) and the /metrics gauges per validator and per amendment.
 */
import { encodeNodePublic } from 'ripple-address-codec';
import type { ValidatorMonitor } from '../monitor/validator-monitor.js';
import { ratio } from '../monitor/agreement.js';
import { validationStreamJson, validatorMonitorJson } from '../monitor/reports.js';
import { rpcError } from './errors.js';
import { METRIC_PREFIX, type MetricsRegistry } from './metrics.js';

/** rippled's stream name for validations. */
export const VALIDATIONS_STREAM = 'validations';

export function monitorOf(ctx: { overlay: { monitor?: ValidatorMonitor } }): ValidatorMonitor {
  const m = ctx.overlay.monitor;
  if (!m) throw rpcError('notSupported');
  return m;
}

export function validatorMonitorCommand(ctx: { overlay: { monitor?: ValidatorMonitor } }): Record<string, unknown> {
  return validatorMonitorJson(monitorOf(ctx));
}

/** Calls `publish` with rippled's validationReceived message for each validation; returns the detach. */
export function publishValidations(m: ValidatorMonitor, networkId: number | undefined, publish: (event: Record<string, unknown>) => void): () => void {
  const on = (v: Parameters<typeof validationStreamJson>[0]) => publish(validationStreamJson(v, networkId));
  m.on('validation', on);
  return () => m.off('validation', on);
}

export function registerMonitorMetrics(r: MetricsRegistry, m: ValidatorMonitor): void {
  const p = METRIC_PREFIX;
  r.register({
    name: `${p}validated_ledger_seq`,
    help: 'The network validated ledger from a quorum of trusted validations (0: none yet).',
    type: 'gauge',
    collect: () => [{ value: m.validated?.seq ?? 0 }],
  });
  r.register({
    name: `${p}validator_agreement`,
    help: 'Share of settled validated ledgers each validator validated, over the last 256 ledgers, 1 h and 24 h (absent: none settled).',
    type: 'gauge',
    collect: () => {
      const now = m.now();
      return m.states().flatMap((s) => {
        const key = encodeNodePublic(Buffer.from(s.masterHex, 'hex'));
        return (
          [
            ['256', s.record.recent()],
            ['1h', s.record.hour.counts(now)],
            ['24h', s.record.day.counts(now)],
          ] as const
        ).flatMap(([window, c]) => {
          const value = ratio(c);
          return value === undefined ? [] : [{ labels: { master_key: key, window }, value }];
        });
      });
    },
  });
  r.register({
    name: `${p}validator_last_seen_seconds`,
    help: 'Seconds since each validator last sent a validation.',
    type: 'gauge',
    collect: () =>
      m.states().flatMap((s) => (s.lastSeenAt === undefined ? [] : [{ labels: { master_key: encodeNodePublic(Buffer.from(s.masterHex, 'hex')) }, value: Math.floor((m.now() - s.lastSeenAt) / 1000) }])),
  });
  r.register({
    name: `${p}amendment_vote_share`,
    help: 'Share of the trusted validators voting for each amendment on the last voting ledger.',
    type: 'gauge',
    collect: () => m.amendmentShares().map((a) => ({ labels: { amendment: a.amendment }, value: a.share })),
  });
  r.register({
    name: `${p}amendment_majority`,
    help: '1 when the amendment has 80 % of the trusted votes on the last voting ledger.',
    type: 'gauge',
    collect: () => m.amendmentShares().map((a) => ({ labels: { amendment: a.amendment }, value: a.majority ? 1 : 0 })),
  });
}
