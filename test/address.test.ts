import { describe, expect, it } from 'vitest';
import {
  parsePort,
  splitHostPort,
  formatEndpoint,
  isLoopbackIp,
  isPublicIp,
  isUnspecifiedIp,
  normalizeIp,
  parseEndpoint,
  sameIp,
  v6Groups,
} from '../src/address/address.js';

describe('isPublicIp', () => {
  it.each([
    '10.0.0.1',
    '10.255.255.255',
    '172.16.0.1',
    '172.31.255.254',
    '192.168.0.1',
    '192.168.255.255',
    '127.0.0.1',
    '127.1.2.3',
    '169.254.1.1',
    '100.64.0.1',
    '100.127.255.255',
    '0.0.0.0',
    '224.0.0.1',
    '255.255.255.255',
    '::',
    '::1',
    'fc00::1',
    'fd12:3456::1',
    'fe80::1',
    'febf::1',
    'ff02::1',
    '::ffff:10.0.0.1',
    '::ffff:127.0.0.1',
    '::FFFF:192.168.1.1',
    // rippled develop's reserved ranges beyond the private ones
    '192.0.0.8',
    '192.0.2.1',
    '192.88.99.1',
    '198.18.0.1',
    '198.19.255.255',
    '198.51.100.7',
    '203.0.113.9',
    '100::1',
    '2001:db8::1',
    '2001:0:4136:e378::1',
    '2001:20::1',
    '2001:2f:ffff::1',
    '2002:c000:0204::1',
    '::ffff:c000:0201',
  ])('%s is not public', (ip) => {
    expect(isPublicIp(ip)).toBe(false);
  });

  it.each([
    '8.8.8.8',
    '1.1.1.1',
    '172.15.255.255',
    '172.32.0.0',
    '192.167.1.1',
    '169.253.1.1',
    '100.63.255.255',
    '100.128.0.0',
    '11.0.0.1',
    '2001:4860::8888',
    '2001:4860:4860::8888',
    '2a00:1450:4001::1',
    'fec0::1',
    '::ffff:8.8.8.8',
    '192.0.1.1',
    '198.20.0.1',
    '203.0.112.1',
    '2001:1::1',
    '2001:30::1',
    '2001:200::1',
    '2003::1',
  ])('%s is public', (ip) => {
    expect(isPublicIp(ip)).toBe(true);
  });

  it('junk is not public', () => {
    for (const s of ['', 'example.com', '1.2.3', '256.1.1.1', '1.2.3.4:5', '[::1]', 'gggg::1']) {
      expect(isPublicIp(s), s).toBe(false);
    }
  });
});

describe('address helpers', () => {
  it('normalizeIp unwraps v4-mapped v6 only', () => {
    expect(normalizeIp('::ffff:1.2.3.4')).toBe('1.2.3.4');
    expect(normalizeIp('::FFFF:1.2.3.4')).toBe('1.2.3.4');
    expect(normalizeIp('1.2.3.4')).toBe('1.2.3.4');
    expect(normalizeIp('::1')).toBe('::1');
    expect(normalizeIp('2001:db8::1')).toBe('2001:db8::1');
  });

  it('v6Groups expands zero compression and embedded v4', () => {
    expect(v6Groups('::')).toEqual([0, 0, 0, 0, 0, 0, 0, 0]);
    expect(v6Groups('::1')).toEqual([0, 0, 0, 0, 0, 0, 0, 1]);
    expect(v6Groups('1::')).toEqual([1, 0, 0, 0, 0, 0, 0, 0]);
    expect(v6Groups('2001:db8::8:800:200c:417a')).toEqual([0x2001, 0xdb8, 0, 0, 8, 0x800, 0x200c, 0x417a]);
    expect(v6Groups('1:2:3:4:5:6:7:8')).toEqual([1, 2, 3, 4, 5, 6, 7, 8]);
    expect(v6Groups('::ffff:1.2.3.4')).toEqual([0, 0, 0, 0, 0, 0xffff, 0x0102, 0x0304]);
    expect(v6Groups('64:ff9b::192.0.2.33')).toEqual([0x64, 0xff9b, 0, 0, 0, 0, 0xc000, 0x0221]);
    expect(v6Groups('1.2.3.4')).toBeUndefined();
    expect(v6Groups('junk')).toBeUndefined();
  });

  it('isUnspecifiedIp and isLoopbackIp', () => {
    for (const ip of ['0.0.0.0', '::', '0:0:0:0:0:0:0:0', '::ffff:0.0.0.0']) expect(isUnspecifiedIp(ip), ip).toBe(true);
    for (const ip of ['0.0.0.1', '::1', '1.2.3.4']) expect(isUnspecifiedIp(ip), ip).toBe(false);
    for (const ip of ['127.0.0.1', '127.9.9.9', '::1', '0:0:0:0:0:0:0:1', '::ffff:127.0.0.1']) expect(isLoopbackIp(ip), ip).toBe(true);
    for (const ip of ['128.0.0.1', '::', '::2', '10.0.0.1']) expect(isLoopbackIp(ip), ip).toBe(false);
  });

  it('sameIp compares spellings of one address', () => {
    expect(sameIp('1.2.3.4', '1.2.3.4')).toBe(true);
    expect(sameIp('::ffff:1.2.3.4', '1.2.3.4')).toBe(true);
    expect(sameIp('2001:db8::1', '2001:0db8:0:0:0:0:0:1')).toBe(true);
    expect(sameIp('2001:DB8::1', '2001:db8::1')).toBe(true);
    expect(sameIp('1.2.3.4', '1.2.3.5')).toBe(false);
    expect(sameIp('2001:db8::1', '2001:db8::2')).toBe(false);
    expect(sameIp('::1', '127.0.0.1')).toBe(false);
  });
});

describe('endpoints', () => {
  it('formats v4, v6 and v4-mapped', () => {
    expect(formatEndpoint('1.2.3.4', 51235)).toBe('1.2.3.4:51235');
    expect(formatEndpoint('2001:db8::1', 2459)).toBe('[2001:db8::1]:2459');
    expect(formatEndpoint('::', 51235)).toBe('[::]:51235');
    expect(formatEndpoint('::ffff:1.2.3.4', 5)).toBe('1.2.3.4:5');
  });

  it('parses v4 and bracketed v6', () => {
    expect(parseEndpoint('1.2.3.4:51235')).toEqual({ ip: '1.2.3.4', port: 51235 });
    expect(parseEndpoint('[2001:db8::1]:2459')).toEqual({ ip: '2001:db8::1', port: 2459 });
    expect(parseEndpoint('[::]:51350')).toEqual({ ip: '::', port: 51350 });
    expect(parseEndpoint('[::ffff:1.2.3.4]:5')).toEqual({ ip: '1.2.3.4', port: 5 });
    expect(parseEndpoint('1.2.3.4:1')).toEqual({ ip: '1.2.3.4', port: 1 });
    expect(parseEndpoint('1.2.3.4:65535')).toEqual({ ip: '1.2.3.4', port: 65535 });
  });

  it('refuses malformed endpoints', () => {
    for (const s of [
      '',
      '1.2.3.4',
      '1.2.3.4:',
      '1.2.3.4:0',
      '1.2.3.4:65536',
      '1.2.3.4:123456',
      '1.2.3.4:-1',
      '1.2.3.4:5x',
      ':51235',
      'example.com:51235',
      '2001:db8::1:51235', // v6 must be bracketed
      '[2001:db8::1]',
      '[2001:db8::1]:',
      '[junk]:5',
      '256.1.1.1:5',
      '1.2.3:5',
    ]) {
      expect(parseEndpoint(s), s).toBeUndefined();
    }
  });

  it('format and parse round-trip', () => {
    for (const [ip, port] of [
      ['8.8.8.8', 51235],
      ['2001:4860::8888', 2459],
      ['::1', 1],
    ] as const) {
      expect(parseEndpoint(formatEndpoint(ip, port))).toEqual({ ip, port });
    }
  });
});

describe('splitHostPort and parsePort (one splitter for config, admin CLI and crawler)', () => {
  it('splits each written form', () => {
    expect(splitHostPort('1.2.3.4:51235')).toEqual({ host: '1.2.3.4', port: '51235' });
    expect(splitHostPort('r.ripple.com:51235')).toEqual({ host: 'r.ripple.com', port: '51235' });
    expect(splitHostPort('r.ripple.com')).toEqual({ host: 'r.ripple.com' });
    expect(splitHostPort('[2001:db8::1]:2459')).toEqual({ host: '2001:db8::1', port: '2459' });
    expect(splitHostPort('[2001:db8::1]')).toEqual({ host: '2001:db8::1' });
    expect(splitHostPort('2001:db8::1')).toEqual({ host: '2001:db8::1' });
    expect(splitHostPort('::ffff:1.2.3.4')).toEqual({ host: '::ffff:1.2.3.4' });
    expect(splitHostPort('1.2.3.4:')).toEqual({ host: '1.2.3.4', port: '' });
  });
  it('gives undefined for colons it cannot place', () => {
    expect(splitHostPort('a:b:c')).toBeUndefined();
    expect(splitHostPort('2001:db8::1:x:51235')).toBeUndefined();
  });
  it('reads ports 1-65535 in decimal (0 when asked)', () => {
    expect(parsePort('1')).toBe(1);
    expect(parsePort('65535')).toBe(65535);
    expect(parsePort('65536')).toBeUndefined();
    expect(parsePort('0')).toBeUndefined();
    expect(parsePort('0', true)).toBe(0);
    expect(parsePort('')).toBeUndefined();
    expect(parsePort('12a')).toBeUndefined();
    expect(parsePort('-1')).toBeUndefined();
    expect(parsePort('123456')).toBeUndefined();
  });
});
