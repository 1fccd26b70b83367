/** Text output of the CLI's `validators` (a table) and `manifest KEY`. */
import { table } from './format.js';

type Row = Record<string, unknown>;
const str = (v: unknown) => (v === undefined || v === null || v === '' ? '-' : String(v));

export function formatValidators(r: Row): string {
  const trusted = new Set((r.trusted_validator_keys as string[] | undefined) ?? []);
  const local = new Set((r.local_static_keys as string[] | undefined) ?? []);
  const signing = (r.signing_keys as Record<string, string> | undefined) ?? {};
  const lists = (r.publisher_lists as Row[] | undefined) ?? [];
  const sources = new Map<string, string[]>();
  for (const k of local) sources.set(k, ['config']);
  for (const l of lists) {
    for (const k of (l.list as string[] | undefined) ?? []) sources.set(k, [...(sources.get(k) ?? []), `${String(l.pubkey_publisher).slice(0, 8)}…#${str(l.seq)}`]);
  }
  for (const k of trusted) if (!sources.has(k)) sources.set(k, []);
  const rows = [...sources.keys()].sort().map((k) => [k, trusted.has(k) ? 'yes' : 'no', str(signing[k]), sources.get(k)!.join(', ') || '-']);
  const vl = (r.validator_list as Row | undefined) ?? {};
  const out: string[] = [];
  out.push(rows.length ? table(['MASTER KEY', 'TRUSTED', 'SIGNING KEY', 'LISTED BY'], rows) : 'no validators listed');
  out.push(
    '',
    `quorum ${str(r.validation_quorum)}; ${trusted.size} trusted; lists: ${str(vl.count)}, ${str(vl.status)}, expiring ${str(vl.expiration)}, threshold ${str(vl.validator_list_threshold)}`,
  );
  for (const l of lists) {
    out.push(`publisher ${str(l.pubkey_publisher)}: ${l.available ? 'available' : 'unavailable'}, seq ${str(l.seq)}, expires ${str(l.expiration)}, from ${str(l.uri)}`);
  }
  return out.join('\n');
}

export function formatManifest(r: Row): string {
  const d = r.details as Row | undefined;
  if (!d) return `no manifest known for ${str(r.requested)}`;
  return [
    `master key:    ${str(d.master_key)}`,
    `ephemeral key: ${str(d.ephemeral_key)}`,
    `sequence:      ${str(d.seq)}`,
    `domain:        ${str(d.domain)}`,
    `manifest:      ${str(r.manifest)}`,
  ].join('\n');
}
