/** Readable text for `get_counts` (traffic by rippled's categories) and `tx_reduce_relay`. */
import type { CommandResult } from './client.js';
import { bytes, table } from './format.js';

const SUFFIXES = ['_Bytes_In', '_Bytes_Out', '_Messages_In', '_Messages_Out'] as const;

/** One row per traffic category, busiest (bytes in and out) first; then the uptime. */
export function formatCounts(result: CommandResult): string {
  const categories = new Map<string, number[]>();
  for (const [key, value] of Object.entries(result)) {
    const suffix = SUFFIXES.find((s) => key.endsWith(s));
    if (!suffix) continue;
    const name = key.slice(0, -suffix.length);
    const row = categories.get(name) ?? [0, 0, 0, 0];
    row[SUFFIXES.indexOf(suffix)] = Number(value);
    categories.set(name, row);
  }
  const out: string[] = [];
  if (categories.size === 0) out.push('no traffic counted yet');
  else {
    const rows = [...categories].sort((a, b) => b[1][0]! + b[1][1]! - (a[1][0]! + a[1][1]!) || a[0].localeCompare(b[0]));
    out.push(table(['CATEGORY', 'BYTES IN', 'BYTES OUT', 'MESSAGES IN', 'MESSAGES OUT'], rows.map(([name, [bi, bo, mi, mo]]) => [name, bytes(bi), bytes(bo), String(mi), String(mo)])));
  }
  if (result.uptime !== undefined) out.push('', `uptime: ${String(result.uptime)}`);
  return out.join('\n');
}

/** rippled's TxMetrics names, said in words (values are rolling averages per second, as rippled keeps them). */
const TX_METRICS: ReadonlyArray<[string, string]> = [
  ['txr_tx_cnt', 'transactions'],
  ['txr_tx_sz', 'transaction bytes'],
  ['txr_have_txs_cnt', 'TMHaveTransactions'],
  ['txr_have_txs_sz', 'TMHaveTransactions bytes'],
  ['txr_get_ledger_cnt', 'TMGetLedger (for transactions)'],
  ['txr_get_ledger_sz', 'TMGetLedger bytes'],
  ['txr_ledger_data_cnt', 'TMLedgerData'],
  ['txr_ledger_data_sz', 'TMLedgerData bytes'],
  ['txr_transactions_cnt', 'TMTransactions'],
  ['txr_transactions_sz', 'TMTransactions bytes'],
  ['txr_selected_cnt', 'peers sent a transaction whole'],
  ['txr_suppressed_cnt', 'peers sent only its hash'],
  ['txr_not_enabled_cnt', 'peers without tx reduce-relay'],
  ['txr_missing_tx_freq', 'transactions asked for again'],
];

export function formatTxReduceRelay(result: CommandResult): string {
  const rows = TX_METRICS.filter(([key]) => result[key] !== undefined).map(([key, label]) => [label, String(result[key]), key]);
  if (rows.length === 0) return 'no tx reduce-relay metrics in the answer';
  return [table(['METRIC (rolling average)', 'VALUE', 'RIPPLED NAME'], rows)].join('\n');
}
