/** The CLI's readable get_counts and tx_reduce_relay (src/admin/format-counts.ts). */
import { describe, expect, it } from 'vitest';
import { formatCounts, formatTxReduceRelay } from '../src/admin/format-counts.js';

describe('formatCounts', () => {
  it('one row per category with its four counters in place, busiest first', () => {
    const text = formatCounts({
      overlay_Bytes_In: '120', overlay_Bytes_Out: '80', overlay_Messages_In: '3', overlay_Messages_Out: '2',
      validations_Bytes_In: '2500', validations_Bytes_Out: '7000', validations_Messages_In: '10', validations_Messages_Out: '28',
      uptime: '1 minute, 19 seconds',
    });
    const lines = text.split('\n');
    expect(lines[0]).toMatch(/^CATEGORY\s+BYTES IN\s+BYTES OUT\s+MESSAGES IN\s+MESSAGES OUT$/);
    expect(lines[1]!.split(/\s{2,}/)).toEqual(['validations', '2.5 kB', '7.0 kB', '10', '28']);
    expect(lines[2]!.split(/\s{2,}/)).toEqual(['overlay', '120 B', '80 B', '3', '2']);
    expect(lines.at(-1)).toBe('uptime: 1 minute, 19 seconds');
  });
  it('says so when nothing was counted', () => {
    expect(formatCounts({ uptime: '2 seconds' })).toBe('no traffic counted yet\n\nuptime: 2 seconds');
  });
});

describe('formatTxReduceRelay', () => {
  it('names each metric in words next to its value and rippled name', () => {
    const lines = formatTxReduceRelay({ txr_tx_cnt: '4', txr_selected_cnt: '10', txr_suppressed_cnt: '6' }).split('\n');
    expect(lines[0]).toMatch(/^METRIC \(rolling average\)\s+VALUE\s+RIPPLED NAME$/);
    expect(lines[1]!.split(/\s{2,}/)).toEqual(['transactions', '4', 'txr_tx_cnt']);
    expect(lines[2]!.split(/\s{2,}/)).toEqual(['peers sent a transaction whole', '10', 'txr_selected_cnt']);
    expect(lines[3]!.split(/\s{2,}/)).toEqual(['peers sent only its hash', '6', 'txr_suppressed_cnt']);
  });
});
