/**
 * rippled's transaction reduce-relay metrics (TxMetrics), answered by the admin `tx_reduce_relay`
 * command when `[reduce_relay] tx_metrics` is on: rolling averages over the last 30 one-second (or
 * longer) intervals of message counts and bytes per second, and of peers selected, suppressed and
 * without the feature per relayed transaction.
 */

/** rippled keeps the last 30 interval averages, starting as zeros. */
const ROLLING = 30;

class SingleMetric {
  private accum = 0;
  private n = 0;
  private intervalStart: number;
  private readonly averages: number[] = new Array(ROLLING).fill(0);
  rollingAvg = 0;

  /** `perSecond`: average per elapsed second; otherwise per sample. */
  constructor(
    private readonly now: () => number,
    private readonly perSecond = true,
  ) {
    this.intervalStart = now();
  }

  add(value: number): void {
    this.accum += value;
    this.n++;
    const seconds = Math.floor((this.now() - this.intervalStart) / 1000);
    if (seconds < 1) return;
    this.averages.shift();
    this.averages.push(Math.floor(this.accum / (this.perSecond ? seconds : this.n)));
    this.rollingAvg = Math.floor(this.averages.reduce((a, b) => a + b, 0) / ROLLING);
    this.intervalStart = this.now();
    this.accum = 0;
    this.n = 0;
  }
}

/** Messages per second (m1) and their bytes per second (m2). */
class MessageMetric {
  readonly count: SingleMetric;
  readonly bytes: SingleMetric;
  constructor(now: () => number) {
    this.count = new SingleMetric(now);
    this.bytes = new SingleMetric(now);
  }
  add(bytes: number): void {
    this.count.add(1);
    this.bytes.add(bytes);
  }
}

/** The message types rippled's TxMetrics follows. */
export type TxMetricMessage = 'TRANSACTION' | 'HAVE_TRANSACTIONS' | 'GET_LEDGER' | 'LEDGER_DATA' | 'TRANSACTIONS';

export class TxMetrics {
  private readonly messages: Record<TxMetricMessage, MessageMetric>;
  private readonly selected: SingleMetric;
  private readonly suppressed: SingleMetric;
  private readonly notEnabled: SingleMetric;
  private readonly missing: SingleMetric;

  constructor(now: () => number = () => performance.now()) {
    this.messages = {
      TRANSACTION: new MessageMetric(now),
      HAVE_TRANSACTIONS: new MessageMetric(now),
      GET_LEDGER: new MessageMetric(now),
      LEDGER_DATA: new MessageMetric(now),
      TRANSACTIONS: new MessageMetric(now),
    };
    this.selected = new SingleMetric(now, false);
    this.suppressed = new SingleMetric(now, false);
    this.notEnabled = new SingleMetric(now, false);
    this.missing = new SingleMetric(now);
  }

  /** An incoming message of a followed type, `bytes` long. */
  addMessage(type: TxMetricMessage, bytes: number): void {
    this.messages[type].add(bytes);
  }

  /** One relayed transaction: peers it went to, peers that had it, peers without the feature. */
  addRelay(selected: number, suppressed: number, notEnabled: number): void {
    this.selected.add(selected);
    this.suppressed.add(suppressed);
    this.notEnabled.add(notEnabled);
  }

  /** Transactions that came in a TMTransactions (ones we had asked for). */
  addMissing(count: number): void {
    this.missing.add(count);
  }

  /** rippled's TxMetrics::json: every value a decimal string. */
  json(): Record<string, string> {
    const m = this.messages;
    const s = (x: SingleMetric) => String(x.rollingAvg);
    return {
      txr_tx_cnt: s(m.TRANSACTION.count),
      txr_tx_sz: s(m.TRANSACTION.bytes),
      txr_have_txs_cnt: s(m.HAVE_TRANSACTIONS.count),
      txr_have_txs_sz: s(m.HAVE_TRANSACTIONS.bytes),
      txr_get_ledger_cnt: s(m.GET_LEDGER.count),
      txr_get_ledger_sz: s(m.GET_LEDGER.bytes),
      txr_ledger_data_cnt: s(m.LEDGER_DATA.count),
      txr_ledger_data_sz: s(m.LEDGER_DATA.bytes),
      txr_transactions_cnt: s(m.TRANSACTIONS.count),
      txr_transactions_sz: s(m.TRANSACTIONS.bytes),
      txr_selected_cnt: s(this.selected),
      txr_suppressed_cnt: s(this.suppressed),
      txr_not_enabled_cnt: s(this.notEnabled),
      txr_missing_tx_freq: s(this.missing),
    };
  }
}
