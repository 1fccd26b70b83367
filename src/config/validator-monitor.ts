/**
 * `[validator_monitor]` (ours; rippled has no monitor): the monitor's timers and limits.
 *
 *   [validator_monitor]
 *   settle_time = 10             seconds after its quorum at most before a validated ledger's verdict (who
 *                                missed it) is final; the next validated ledger settles it sooner
 *   untrusted_active_time = 300  an untrusted validator is judged on each ledger while heard from this recently
 *   max_validators = 1000        validators followed at most (the longest silent untrusted one goes first)
 *   save_interval = 60           seconds between writes of validator-monitor.json (when changed; and at stop)
 */
import { ConfigError, type StanzaFile } from './stanzas.js';

export interface ValidatorMonitorConfig {
  settleMs: number;
  untrustedActiveMs: number;
  maxValidators: number;
  saveIntervalMs: number;
}

export const VALIDATOR_MONITOR_STANZA = 'validator_monitor';

export const VALIDATOR_MONITOR_DEFAULTS: ValidatorMonitorConfig = { settleMs: 10_000, untrustedActiveMs: 300_000, maxValidators: 1000, saveIntervalMs: 60_000 };

const KEYS: Record<string, { field: keyof ValidatorMonitorConfig; min: number; max: number; seconds: boolean }> = {
  settle_time: { field: 'settleMs', min: 0.1, max: 3600, seconds: true },
  untrusted_active_time: { field: 'untrustedActiveMs', min: 1, max: 86_400, seconds: true },
  max_validators: { field: 'maxValidators', min: 1, max: 1_000_000, seconds: false },
  save_interval: { field: 'saveIntervalMs', min: 1, max: 86_400, seconds: true },
};

export function readValidatorMonitor(source: StanzaFile): ValidatorMonitorConfig {
  const out = { ...VALIDATOR_MONITOR_DEFAULTS };
  const stanza = source.stanzas.get(VALIDATOR_MONITOR_STANZA);
  if (!stanza) return out;
  const fail = (line: number, detail: string): never => {
    throw new ConfigError({ file: source.file, line, stanza: VALIDATOR_MONITOR_STANZA }, detail);
  };
  for (const v of stanza.values) fail(v.line, `expected 'key = value', got '${v.text}'`);
  for (const e of stanza.entries.values()) {
    const k = KEYS[e.key] ?? fail(e.line, `unknown key '${e.key}' (known: ${Object.keys(KEYS).join(', ')})`);
    const ok = k.seconds ? /^\d+(\.\d+)?$/.test(e.value) : /^\d+$/.test(e.value);
    const n = Number(e.value);
    if (!ok || n < k.min || n > k.max) fail(e.line, `${e.key}: expected ${k.seconds ? 'a number of seconds' : 'a whole number'} from ${k.min} to ${k.max}, got '${e.value}'`);
    out[k.field] = k.seconds ? n * 1000 : n;
  }
  return out;
}
