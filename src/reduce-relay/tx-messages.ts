/** The incoming message types rippled's TxMetrics follows. */
import type { TxMetricMessage } from './tx-metrics.js';

const FOLLOWED = new Set<string>(['TRANSACTION', 'HAVE_TRANSACTIONS', 'GET_LEDGER', 'LEDGER_DATA', 'TRANSACTIONS']);

export function isTxMetricMessage(name: string): name is TxMetricMessage {
  return FOLLOWED.has(name);
}
