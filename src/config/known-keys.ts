/**
 * `key = value` lines inside stanzas we read whose key neither we nor rippled know, such as
 * `protocl = peer` in a port stanza: a typo that would otherwise be ignored in silence. Keys that
 * rippled reads and we do not use are reported apart, at a lower level.
 */
import type { StanzaFile } from './stanzas.js';
import { timerConfigKeys } from './timers.js';

/** Keys we read in a port stanza (and in [server], which gives them to every port). */
const PORT_KEYS = ['ip', 'port', 'protocol', 'admin', 'ssl_key', 'ssl_cert', 'ssl_chain'];
/** Port keys rippled reads (Port.cpp parse_Port) that we have no use for. */
const RIPPLED_PORT_KEYS = [
  'limit', 'send_queue_limit', 'secure_gateway', 'user', 'password', 'admin_user', 'admin_password', 'ssl_ciphers',
  'permessage_deflate', 'client_max_window_bits', 'server_max_window_bits', 'client_no_context_takeover',
  'server_no_context_takeover', 'compress_level', 'memory_level',
];

/** Stanzas of `key = value` lines, other than ports, [overlay] and [peerfinder] (checked elsewhere). */
const KEYED_STANZAS: Record<string, { ours: readonly string[]; rippled: readonly string[] }> = {
  crawl: { ours: ['overlay', 'server', 'counts', 'unl', 'private_peers', 'snapshot_ms'], rippled: [] },
  vl: { ours: ['enabled'], rippled: [] },
  reduce_relay: {
    ours: ['tx_enable', 'tx_metrics', 'tx_min_peers', 'tx_relay_percentage', 'vp_base_squelch_enable', 'vp_enable',
      'vp_base_squelch_max_selected_peers'],
    rippled: [],
  },
  hashrouter: { ours: timerConfigKeys('hashrouter'), rippled: [] },
};

export interface KeyIssue {
  stanza: string;
  line: number;
  key: string;
  /** unknown: nobody reads it (a typo?); unused: rippled reads it, we do not. */
  reason: 'unknown' | 'unused';
}

/** Checks the keys of the port stanzas in use (and [server]) and of the keyed stanzas above. */
export function checkKeys(file: StanzaFile, portStanzas: Iterable<string>): KeyIssue[] {
  const issues: KeyIssue[] = [];
  const check = (name: string, ours: readonly string[], rippled: readonly string[]) => {
    const stanza = file.stanzas.get(name);
    if (stanza === undefined) return;
    for (const e of stanza.entries.values()) {
      if (ours.includes(e.key)) continue;
      issues.push({ stanza: name, line: e.line, key: e.key, reason: rippled.includes(e.key) ? 'unused' : 'unknown' });
    }
  };
  for (const name of new Set(['server', ...portStanzas])) check(name, PORT_KEYS, RIPPLED_PORT_KEYS);
  for (const [name, keys] of Object.entries(KEYED_STANZAS)) check(name, keys.ours, keys.rippled);
  return issues.sort((a, b) => a.line - b.line);
}
