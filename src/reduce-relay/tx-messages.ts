/**
 * The incoming messages rippled's TxMetrics follows (PeerImp::onMessageBegin): transactions,
 * TMHaveTransactions, TMTransactions, and ledger requests and data for transaction-set candidates.
 */
import type { PeerMessage } from '../protocol/codec.js';
import type { TxMetricMessage } from './tx-metrics.js';

/** TMLedgerInfoType liTS_CANDIDATE. */
const TS_CANDIDATE = 3;

export function txMetricOf(msg: PeerMessage): TxMetricMessage | undefined {
  switch (msg.name) {
    case 'TRANSACTION':
    case 'HAVE_TRANSACTIONS':
    case 'TRANSACTIONS':
      return msg.name;
    case 'GET_LEDGER':
      return msg.message.itype === TS_CANDIDATE ? 'GET_LEDGER' : undefined;
    case 'LEDGER_DATA':
      return msg.message.type === TS_CANDIDATE ? 'LEDGER_DATA' : undefined;
    default:
      return undefined;
  }
}
