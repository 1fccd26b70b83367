/** The stanzas and keys a config file holds that we do not use, listed for the operator's warnings. */
import type { Stanza } from './stanzas.js';
import { checkKeys } from './known-keys.js';
import { timerConfigKeys } from './timers.js';
import { VALIDATOR_STANZAS } from './validators.js';
import type { Reader } from './reader.js';
import type { IgnoredStanza } from './types.js';

/** [overlay] keys rippled reads that we do not use. */
const RIPPLED_OVERLAY_KEYS = ['max_untrusted_count', 'max_trusted_count'];
export const OVERLAY_KEYS = ['ip_limit', 'public_ip', 'verify_endpoints', ...timerConfigKeys('overlay')];

// ---------------------------------------------------------------------------------------
// What the file holds that we do not use

const USED_STANZAS = new Set([
  'server', 'ips', 'ips_fixed', 'peer_private', 'peers_max', 'peers_in_max', 'peers_out_max',
  'node_seed', 'network_id', 'server_domain', 'cluster_nodes', 'crawl', 'overlay', 'compression',
  'ledger_replay', 'database_path', 'debug_logfile', 'vl', 'hashrouter', 'peerfinder',
  'crawl_network',
  'rpc_startup', 'validator_monitor', 'reduce_relay',
]);

/** Stanzas rippled reads (xrpl/config/Constants.h and older releases) that an overlay node has no use for. */
const RIPPLED_STANZAS = new Set([
  'amendments', 'amendment_majority_time', 'beta_rpc_api', 'elb_support', 'features', 'fee_default',
  'fetch_depth', 'historical_shard_paths', 'import_db', 'insight', 'io_workers', 'ledger_history',
  'ledger_tx_tables', 'max_subscriptions_per_connection', 'max_transactions', 'network_quorum', 'node_db',
  'node_size', 'path_search', 'path_search_fast', 'path_search_max', 'path_search_old', 'perf',
  'port_grpc', 'prefetch_workers', 'relational_db', 'relay_proposals', 'relay_validations',
  'shard_db', 'signing_support', 'sntp_servers', 'sqdb', 'sqlite', 'ssl_verify', 'ssl_verify_dir',
  'ssl_verify_file', 'sweep_interval', 'transaction_queue', 'validation_seed', 'validator_keys',
  'validator_key_revocation', 'validator_list_keys', 'validator_list_sites', 'validator_list_threshold',
  'validator_token', 'validators', 'validators_file', 'veto_amendments', 'voting', 'workers',
]);

export function listIgnored(r: Reader, portsInUse: Set<string>): IgnoredStanza[] {
  const ignored: IgnoredStanza[] = r.source.preamble.map(({ line }) => ({ stanza: '', line, reason: 'outside-stanza' }));
  for (const stanza of r.source.stanzas.values()) {
    const reason = stanzaIgnoreReason(stanza, portsInUse);
    if (reason !== undefined) ignored.push({ stanza: stanza.name, line: stanza.line, reason });
  }
  if (r.single('peers_max') !== undefined) {
    for (const name of ['peers_in_max', 'peers_out_max']) {
      const stanza = r.stanza(name);
      if (stanza !== undefined) ignored.push({ stanza: name, line: stanza.line, reason: 'overridden' });
    }
  }
  ignored.push(...ignoredOverlayKeys(r.stanza('overlay')));
  // Ports: those in use (with a [server], the ones it lists; else the short-form stanzas present).
  ignored.push(...checkKeys(r.source, portsInUse));
  return ignored;
}

function stanzaIgnoreReason(stanza: Stanza, portsInUse: Set<string>): IgnoredStanza['reason'] | undefined {
  if (portsInUse.has(stanza.name) || USED_STANZAS.has(stanza.name)) return undefined;
  if ((VALIDATOR_STANZAS as readonly string[]).includes(stanza.name)) return undefined;
  if (RIPPLED_STANZAS.has(stanza.name)) return 'unused';
  if (looksLikePort(stanza)) return 'not-in-server';
  return 'unknown';
}

function looksLikePort(stanza: Stanza): boolean {
  return stanza.name.startsWith('port_') || stanza.entries.has('port') || stanza.entries.has('protocol');
}

function ignoredOverlayKeys(stanza: Stanza | undefined): IgnoredStanza[] {
  if (stanza === undefined) return [];
  const keys = [...stanza.entries.values()]
    .filter((e) => !OVERLAY_KEYS.includes(e.key))
    .map((e): IgnoredStanza => ({
      stanza: 'overlay',
      line: e.line,
      key: e.key,
      reason: RIPPLED_OVERLAY_KEYS.includes(e.key) ? 'unused' : 'unknown',
    }));
  const values = stanza.values.map((v): IgnoredStanza => ({ stanza: 'overlay', line: v.line, reason: 'unknown' }));
  return [...keys, ...values];
}
