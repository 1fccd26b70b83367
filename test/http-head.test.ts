import { describe, expect, it } from 'vitest';
import {
  DEFAULT_HEAD_LIMITS,
  formatHead,
  header,
  headerHasToken,
  HttpHeadError,
  HttpHeadReader,
  isHttp11OrLater,
  splitCommaList,
} from '../src/protocol/http-head.js';

function reasonOf(fn: () => unknown): string | undefined {
  try {
    fn();
    return undefined;
  } catch (err) {
    expect(err).toBeInstanceOf(HttpHeadError);
    return (err as HttpHeadError).reason;
  }
}

/** Push byte by byte; returns the first completed result. */
function pushBytes(reader: HttpHeadReader, bytes: Buffer) {
  for (let i = 0; i < bytes.length; i++) {
    const out = reader.push(bytes.subarray(i, i + 1));
    if (out) return { out, at: i };
  }
  return undefined;
}

describe('HttpHeadReader', () => {
  const request = 'GET /crawl HTTP/1.1\r\nUser-Agent: x\r\nConnection: close\r\n\r\n';

  it('parses a request head in one chunk, byte by byte, and split anywhere', () => {
    const bytes = Buffer.from(request);
    const one = new HttpHeadReader().push(bytes)!;
    expect(one.head).toEqual({
      method: 'GET',
      target: '/crawl',
      version: 'HTTP/1.1',
      headers: [
        ['User-Agent', 'x'],
        ['Connection', 'close'],
      ],
    });
    expect(one.rest.length).toBe(0);
    const byte = pushBytes(new HttpHeadReader(), bytes)!;
    expect(byte.at).toBe(bytes.length - 1);
    expect(byte.out.head).toEqual(one.head);
    for (let cut = 1; cut < bytes.length; cut++) {
      const reader = new HttpHeadReader();
      expect(reader.push(bytes.subarray(0, cut))).toBeUndefined();
      expect(reader.push(bytes.subarray(cut))!.head).toEqual(one.head);
    }
  });

  it('returns the bytes after the blank line as rest, also when they come with the last byte of the head', () => {
    const tail = Buffer.from([0, 0, 0, 4, 0, 3, 1, 2, 3, 4, 13, 10, 13, 10]);
    const out = new HttpHeadReader().push(Buffer.concat([Buffer.from(request), tail]))!;
    expect(out.rest).toEqual(tail);
    const bytes = Buffer.from(request);
    const reader = new HttpHeadReader();
    expect(reader.push(bytes.subarray(0, bytes.length - 1))).toBeUndefined();
    const late = reader.push(Buffer.concat([bytes.subarray(bytes.length - 1), tail]))!;
    expect(late.rest).toEqual(tail);
    expect(late.head.method).toBe('GET');
  });

  it('parses status lines, with and without a reason', () => {
    const r = new HttpHeadReader().push(Buffer.from('HTTP/1.1 400 Bad Request (Self connection)\r\nServer: x\r\n\r\n'))!;
    expect(r.head.status).toBe(400);
    expect(r.head.reason).toBe('Bad Request (Self connection)');
    expect(r.head.version).toBe('HTTP/1.1');
    const n = new HttpHeadReader().push(Buffer.from('HTTP/1.1 200\r\n\r\n'))!;
    expect(n.head.status).toBe(200);
    expect(n.head.reason).toBe('');
    expect(n.head.headers).toEqual([]);
  });

  it('keeps header order, names as sent, trims values (an empty value stays empty)', () => {
    const { head } = new HttpHeadReader().push(
      Buffer.from('HTTP/1.1 101 Switching Protocols\r\nX-Protocol-Ctl: \r\nb:1\r\nA:   two  \r\nb: 3\r\n\r\n'),
    )!;
    expect(head.headers).toEqual([
      ['X-Protocol-Ctl', ''],
      ['b', '1'],
      ['A', 'two'],
      ['b', '3'],
    ]);
    expect(header(head, 'x-protocol-ctl')).toBe('');
    expect(header(head, 'B')).toBe('1'); // the first one
    expect(header(head, 'missing')).toBeUndefined();
  });

  it('too large (8 KiB by default) even when the terminator never comes', () => {
    expect(DEFAULT_HEAD_LIMITS.maxBytes).toBe(8192);
    const start = 'GET / HTTP/1.1\r\nX-Filler: ';
    // one chunk, no terminator
    const big = Buffer.from(start + 'a'.repeat(9000));
    expect(reasonOf(() => new HttpHeadReader().push(big))).toBe('too-large');
    // byte by byte: the byte that makes it 8193 fails
    const reader = new HttpHeadReader();
    let failedAt = -1;
    for (let i = 0; i < big.length; i++) {
      const r = reasonOf(() => reader.push(big.subarray(i, i + 1)));
      if (r) {
        expect(r).toBe('too-large');
        failedAt = i;
        break;
      }
    }
    expect(failedAt).toBe(8192);
    // a head that ends past the limit
    const over = Buffer.from(`${start}${'a'.repeat(8192 - start.length - 4 + 1)}\r\n\r\n`);
    expect(over.length).toBe(8193);
    expect(reasonOf(() => new HttpHeadReader().push(over))).toBe('too-large');
    // exactly at the limit is fine, and so are lots of bytes after a small head
    const exact = Buffer.from(`${start}${'a'.repeat(8192 - start.length - 4)}\r\n\r\n`);
    expect(exact.length).toBe(8192);
    expect(new HttpHeadReader().push(exact)!.head.headers[0]![1]).toHaveLength(8192 - start.length - 4);
    const frames = Buffer.alloc(100_000, 7);
    expect(new HttpHeadReader().push(Buffer.concat([Buffer.from(request), frames]))!.rest.length).toBe(100_000);
    // custom limits
    expect(reasonOf(() => new HttpHeadReader({ maxBytes: 20, maxHeaders: 10 }).push(Buffer.from(request)))).toBe('too-large');
  });

  it('too many headers', () => {
    const head = (n: number) =>
      Buffer.from(`GET / HTTP/1.1\r\n${Array.from({ length: n }, (_, i) => `X-H${i}: v\r\n`).join('')}\r\n`);
    expect(new HttpHeadReader().push(head(100))!.head.headers).toHaveLength(100);
    expect(reasonOf(() => new HttpHeadReader().push(head(101)))).toBe('too-many-headers');
    expect(reasonOf(() => new HttpHeadReader({ maxBytes: 8192, maxHeaders: 2 }).push(head(3)))).toBe('too-many-headers');
  });

  it('malformed start lines and header lines', () => {
    const bad = (text: string) => reasonOf(() => new HttpHeadReader().push(Buffer.from(text)));
    for (const start of ['', 'GET', 'GET /', 'get / HTTP/1.1', 'GET / HTTP/1.1 extra', 'HTTP/1.1 10 X', 'HTTP/1.1 1000', 'HTTP/1 200 OK', 'SSH-2.0-OpenSSH']) {
      expect(bad(`${start}\r\nA: b\r\n\r\n`), JSON.stringify(start)).toBe('malformed');
    }
    for (const line of ['no colon', ': empty name', 'Bad Name: x', 'Name : x', ' Folded: x', 'X\u00e9: y']) {
      expect(bad(`GET / HTTP/1.1\r\n${line}\r\n\r\n`), line).toBe('malformed');
    }
    expect(bad('GET / HTTP/1.1\r\nA: b\r\n\r\n')).toBeUndefined();
  });
});

describe('formatHead', () => {
  it('writes CRLF lines, "Name: value", and a blank line', () => {
    expect(
      formatHead('HTTP/1.1 101 Switching Protocols', [
        ['Connection', 'Upgrade'],
        ['X-Protocol-Ctl', ''],
      ]),
    ).toBe('HTTP/1.1 101 Switching Protocols\r\nConnection: Upgrade\r\nX-Protocol-Ctl: \r\n\r\n');
  });

  it('refuses a value with a line break (header injection)', () => {
    expect(() => formatHead('GET / HTTP/1.1', [['X', 'a\r\nEvil: 1']])).toThrow();
    expect(() => formatHead('GET / HTTP/1.1', [['X', 'a\nb']])).toThrow();
  });

  it('round-trips through HttpHeadReader', () => {
    const headers: [string, string][] = [
      ['User-Agent', 'xrpl-overlay-0.1.0'],
      ['Upgrade', 'XRPL/2.1, XRPL/2.2'],
      ['X-Protocol-Ctl', ''],
    ];
    const { head } = new HttpHeadReader().push(Buffer.from(formatHead('GET / HTTP/1.1', headers)))!;
    expect(head.headers).toEqual(headers);
  });
});

describe('header value helpers', () => {
  it("splitCommaList reads a list as rippled's rfc2616 split does", () => {
    expect(splitCommaList('Peer')).toEqual(['Peer']);
    expect(splitCommaList('Leaf, peer')).toEqual(['Leaf', 'peer']);
    expect(splitCommaList(' a ,, b , ')).toEqual(['a', 'b']); // empty elements dropped
    expect(splitCommaList('p e\ter')).toEqual(['peer']); // spaces and tabs dropped anywhere
    expect(splitCommaList('"Peer", "a,b"')).toEqual(['Peer', 'a,b']); // quoted strings, commas inside kept
    expect(splitCommaList('"p\\"q"')).toEqual(['p"q']); // backslash escapes
    expect(splitCommaList('x"y"')).toEqual(['xy']);
    expect(splitCommaList('"unterminated')).toEqual(['unterminated']);
    expect(splitCommaList('""')).toEqual([]);
    expect(splitCommaList('')).toEqual([]);
  });

  it('headerHasToken: a comma-separated token, any case, by header name', () => {
    const h = { headers: [['connection', 'keep-alive, UPGRADE']] as [string, string][] };
    expect(headerHasToken(h, 'Connection', 'upgrade')).toBe(true);
    expect(headerHasToken(h, 'Connection', 'keep-alive')).toBe(true);
    expect(headerHasToken(h, 'Connection', 'close')).toBe(false);
    expect(headerHasToken({ headers: [['Connection', 'upgraded']] }, 'Connection', 'upgrade')).toBe(false);
    expect(headerHasToken({ headers: [] }, 'Connection', 'upgrade')).toBe(false);
  });

  it('isHttp11OrLater', () => {
    expect(isHttp11OrLater('HTTP/1.1')).toBe(true);
    expect(isHttp11OrLater('HTTP/2.0')).toBe(true);
    expect(isHttp11OrLater('HTTP/1.0')).toBe(false);
    expect(isHttp11OrLater('HTTP/0.9')).toBe(false);
    expect(isHttp11OrLater('junk')).toBe(false);
  });
});
