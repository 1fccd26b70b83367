/** Slot accounting (src/peerfinder/slots.ts). */
import { describe, expect, it } from 'vitest';
import { activate, checkNewInbound, checkNewOutbound, countSlots, effectiveInMax, isFixedInbound, isFixedOutbound } from '../../src/peerfinder/slots.js';

describe('slots', () => {
  const slot = (ip: string, port: number, inbound = true) => ({ ip, port, inbound });

  it('limits inbound connections per public IP, counting every connection', () => {
    const existing = [slot('44.0.0.1', 1000), slot('44.0.0.1', 51235, false)];
    expect(checkNewInbound({ ip: '44.0.0.1', port: 1002 }, existing, 2)).toBe('ip-limit');
    expect(checkNewInbound({ ip: '44.0.0.1', port: 1002 }, existing, 3)).toBe('success');
    expect(checkNewInbound({ ip: '::ffff:44.0.0.1', port: 1002 }, existing, 2)).toBe('ip-limit');
  });

  it('does not limit non-public IPs', () => {
    const existing = Array.from({ length: 10 }, (_, i) => slot('127.0.0.1', 1000 + i));
    expect(checkNewInbound({ ip: '127.0.0.1', port: 2000 }, existing, 1)).toBe('success');
  });

  it('refuses the same ip:port twice, either direction', () => {
    const existing = [slot('127.0.0.1', 1000)];
    expect(checkNewInbound({ ip: '127.0.0.1', port: 1000 }, existing, 2)).toBe('duplicate');
    expect(checkNewOutbound({ ip: '127.0.0.1', port: 1000 }, existing)).toBe('duplicate');
    expect(checkNewOutbound({ ip: '127.0.0.1', port: 1001 }, existing)).toBe('success');
  });

  it('fixed: inbound by IP, outbound by exact ip:port', () => {
    const fixed = [{ ip: '44.0.0.1', port: 51235 }];
    expect(isFixedInbound('44.0.0.1', fixed)).toBe(true);
    expect(isFixedOutbound({ ip: '44.0.0.1', port: 51235 }, fixed)).toBe(true);
    expect(isFixedOutbound({ ip: '44.0.0.1', port: 51236 }, fixed)).toBe(false);
  });

  it('counts only peers that hold a slot', () => {
    const c = countSlots([
      { inbound: true, fixed: false, reserved: false },
      { inbound: false, fixed: false, reserved: false },
      { inbound: false, fixed: true, reserved: false },
      { inbound: true, fixed: false, reserved: true },
    ]);
    expect(c).toEqual({ inActive: 1, outActive: 1, fixedActive: 1, total: 4 });
  });

  it('activation: duplicate key first, fixed/reserved bypass, then free slots by direction', () => {
    const limits = { inMax: 11, outMax: 10 };
    const plain = { inbound: true, fixed: false, reserved: false };
    const counts = (inActive: number, outActive: number) => ({ inActive, outActive, fixedActive: 0, total: inActive + outActive });
    expect(activate({ candidate: { ...plain, fixed: true }, keyActive: true, counts: counts(0, 0), limits })).toBe('duplicate');
    expect(activate({ candidate: plain, keyActive: false, counts: counts(10, 0), limits })).toBe('success');
    expect(activate({ candidate: plain, keyActive: false, counts: counts(11, 0), limits })).toBe('full');
    expect(activate({ candidate: { ...plain, fixed: true }, keyActive: false, counts: counts(11, 10), limits })).toBe('success');
    expect(activate({ candidate: { ...plain, reserved: true }, keyActive: false, counts: counts(11, 10), limits })).toBe('success');
    const out = { ...plain, inbound: false };
    expect(activate({ candidate: out, keyActive: false, counts: counts(0, 9), limits })).toBe('success');
    expect(activate({ candidate: out, keyActive: false, counts: counts(0, 10), limits })).toBe('full');
  });

  it('a private node has no inbound slots: only fixed/reserved/cluster get in', () => {
    const inMax = effectiveInMax({ peerPrivate: true, listening: true, inMax: 11 });
    expect(inMax).toBe(0);
    expect(effectiveInMax({ peerPrivate: false, listening: false, inMax: 11 })).toBe(0);
    expect(effectiveInMax({ peerPrivate: false, listening: true, inMax: 11 })).toBe(11);
    const limits = { inMax, outMax: 21 };
    const counts = { inActive: 0, outActive: 0, fixedActive: 0, total: 0 };
    expect(activate({ candidate: { inbound: true, fixed: false, reserved: false }, keyActive: false, counts, limits })).toBe('inbound-disabled');
    expect(activate({ candidate: { inbound: true, fixed: true, reserved: false }, keyActive: false, counts, limits })).toBe('success');
    expect(activate({ candidate: { inbound: true, fixed: false, reserved: true }, keyActive: false, counts, limits })).toBe('success');
  });
});

