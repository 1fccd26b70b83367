/** The CLI's `validators --watch [SECONDS]`: the validator monitor as a table, redrawn until Ctrl-C. */
import { type AdminEndpoint, type CommandResult, resolveAdminEndpoint, sendCommand } from './client.js';
import { table } from './format.js';

type Row = Record<string, any>;
const pct = (a: Row | undefined) => (a && typeof a.score === 'number' ? `${(a.score * 100).toFixed(1)}%` : '-');
const str = (v: unknown) => (v === undefined || v === null || v === '' ? '-' : String(v));

/** The monitor's table: one row per validator, then the validated ledger and the amendment shares. */
export function formatMonitor(r: CommandResult | Row): string {
  const rows = ((r.validators as Row[] | undefined) ?? []).map((v) => {
    const votes = v.votes ? `${v.votes.amendments.length} amend${v.votes.fees ? `, fee ${str(v.votes.fees.base_fee)}/${str(v.votes.fees.reserve_base)}/${str(v.votes.fees.reserve_inc)}` : ''}` : '-';
    return [
      String(v.master_key),
      v.trusted ? 'yes' : 'no',
      str(v.last_ledger_index),
      v.agrees_with_validated === undefined ? '-' : v.agrees_with_validated ? 'yes' : 'NO',
      pct(v.agreement?.ledgers_256),
      pct(v.agreement?.['1h']),
      pct(v.agreement?.['24h']),
      str(v.missed),
      str(v.disagreed),
      v.last_seen_seconds === undefined ? '-' : `${v.last_seen_seconds}s`,
      str(v.version),
      votes,
      str(v.domain),
    ];
  });
  const out: string[] = [];
  const vl = r.validated_ledger as Row | null | undefined;
  out.push(vl ? `validated ledger ${vl.ledger_index} ${vl.ledger_hash} (quorum ${vl.quorum}, ${vl.validators.length} validations, ${vl.age}s ago)` : 'no validated ledger yet (no quorum of trusted validations)');
  out.push(`quorum ${str(r.validation_quorum)}; ${str(r.trusted_count)} trusted`, '');
  out.push(rows.length ? table(['MASTER KEY', 'TRUSTED', 'LAST SEQ', 'AGREES', '256 LEDGERS', '1H', '24H', 'MISSED', 'DISAGREED', 'SEEN', 'VERSION', 'VOTES', 'DOMAIN'], rows) : 'no validations seen');
  const faults = ((r.validators as Row[] | undefined) ?? []).filter((v) => v.missed_ledgers?.length || v.disagreed_ledgers?.length);
  if (faults.length) {
    out.push('', 'in the last 256 validated ledgers:');
    for (const v of faults) {
      const parts = [];
      if (v.missed_ledgers.length) parts.push(`missed ${v.missed_ledgers.join(', ')}`);
      if (v.disagreed_ledgers.length) parts.push(`validated another ledger at ${v.disagreed_ledgers.join(', ')}`);
      out.push(`  ${v.master_key}: ${parts.join('; ')}`);
    }
  }
  const amendments = (r.amendments as Row[] | undefined) ?? [];
  if (amendments.length) {
    out.push('', table(['AMENDMENT', 'VOTES', 'SHARE', '80 %'], amendments.map((a) => [String(a.amendment), `${a.votes}/${a.of}`, `${(a.share * 100).toFixed(1)}%`, a.majority ? 'yes' : 'no'])));
  }
  return out.join('\n');
}

/** Redraws every `seconds` (default 2) until Ctrl-C (or `signal`); returns the exit code. */
export async function watchValidators(conf: string | undefined, args: string[], out: NodeJS.WritableStream = process.stdout, signal?: AbortSignal): Promise<number> {
  const seconds = args.length ? Number(args[0]) : 2;
  if (!(seconds > 0) || args.length > 1) {
    process.stderr.write('usage: xrpl-overlay validators --watch [SECONDS]\n');
    return 2;
  }
  let endpoint: AdminEndpoint;
  try {
    endpoint = resolveAdminEndpoint(conf);
  } catch (err) {
    process.stderr.write(`xrpl-overlay: ${(err as Error).message}\n`);
    return 1;
  }
  const ctrlC = new AbortController();
  const stopSignal = signal ?? ctrlC.signal;
  const onSigint = () => ctrlC.abort();
  if (!signal) process.once('SIGINT', onSigint);
  while (!stopSignal.aborted) {
    try {
      const r = await sendCommand(endpoint, 'validator_monitor', {});
      out.write(`\x1b[2J\x1b[H${r.status === 'success' ? formatMonitor(r) : `validator_monitor: ${str(r.error_message ?? r.error)}`}\n`);
    } catch (err) {
      out.write(`\x1b[2J\x1b[Hxrpl-overlay: ${(err as Error).message}\n`);
    }
    await new Promise<void>((res) => {
      const t = setTimeout(res, seconds * 1000);
      stopSignal.addEventListener('abort', () => (clearTimeout(t), res()), { once: true });
    });
  }
  process.off('SIGINT', onSigint);
  return 0;
}
