/** [validator_monitor]: defaults, values, errors naming file, line and stanza, and its documentation. */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { ConfigError, parseConfig } from '../src/config/config.js';
import { VALIDATOR_MONITOR_DEFAULTS } from '../src/config/validator-monitor.js';

describe('[validator_monitor]', () => {
  it('has our defaults without the stanza and reads every key', () => {
    expect(parseConfig('').validatorMonitor).toEqual({ settleMs: 10_000, untrustedActiveMs: 300_000, maxValidators: 1000, saveIntervalMs: 60_000 });
    expect(VALIDATOR_MONITOR_DEFAULTS.settleMs).toBe(10_000);
    const c = parseConfig('[validator_monitor]\nsettle_time = 2.5\nuntrusted_active_time = 60\nmax_validators = 50\nsave_interval = 5\n');
    expect(c.validatorMonitor).toEqual({ settleMs: 2500, untrustedActiveMs: 60_000, maxValidators: 50, saveIntervalMs: 5000 });
    expect(c.ignored).toEqual([]);
  });

  it.each([
    ['settle_time = -1', "settle_time: expected a number of seconds from 0.1 to 3600, got '-1'"],
    ['max_validators = 1.5', "max_validators: expected a whole number from 1 to 1000000, got '1.5'"],
    ['window = 3', "unknown key 'window'"],
    ['just a line', "expected 'key = value', got 'just a line'"],
  ])('refuses %s with file, line and stanza', (line, message) => {
    let err: unknown;
    try {
      parseConfig(`# x\n[validator_monitor]\n${line}\n`, 'node.cfg');
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(ConfigError);
    expect((err as ConfigError).message).toContain('node.cfg:3: [validator_monitor]');
    expect((err as ConfigError).message).toContain(message);
  });

  it('is documented in rippled.cfg.example, every key', () => {
    const text = readFileSync(new URL('../rippled.cfg.example', import.meta.url), 'utf8');
    expect(text).toContain('# [validator_monitor]');
    for (const k of ['settle_time', 'untrusted_active_time', 'max_validators', 'save_interval']) expect(text).toMatch(new RegExp(`^#\\s+${k} = `, 'm'));
  });
});
