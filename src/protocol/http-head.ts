/**
 * Incremental reader for an HTTP/1.1 head (request or response line plus headers), bounded in
 * size and header count, as the peer handshake and the HTTP endpoints on the peer port need it.
 * Bytes after the blank line are returned untouched: after a 101 they are already peer frames.
 */

export interface HttpHead {
  /** "GET /crawl HTTP/1.1" → method GET, target /crawl; responses have status/reason instead. */
  method?: string;
  target?: string;
  status?: number;
  reason?: string;
  version: string;
  /** Headers in wire order, names as sent. */
  headers: [string, string][];
}

export class HttpHeadError extends Error {
  constructor(
    readonly reason: 'too-large' | 'too-many-headers' | 'malformed',
    message: string,
  ) {
    super(message);
    this.name = 'HttpHeadError';
  }
}

export interface HeadLimits {
  maxBytes: number;
  maxHeaders: number;
}

export const DEFAULT_HEAD_LIMITS: HeadLimits = { maxBytes: 8192, maxHeaders: 100 };

/** First value of a header, names compared case-insensitively. */
export function header(head: { headers: [string, string][] }, name: string): string | undefined {
  const lower = name.toLowerCase();
  for (const [k, v] of head.headers) if (k.toLowerCase() === lower) return v;
  return undefined;
}

/**
 * The elements of a comma-separated header value as rippled's rfc2616 split reads them (Connect-As):
 * spaces and tabs are dropped wherever they stand, a double-quoted string is taken without its quotes
 * (a backslash escapes the next character), and empty elements are left out.
 */
export function splitCommaList(value: string): string[] {
  const out: string[] = [];
  let element = '';
  const flush = () => {
    const e = element.replace(/[ \t\r\n\f\v]+$/, '');
    if (e) out.push(e);
    element = '';
  };
  for (let i = 0; i < value.length; ) {
    const c = value[i]!;
    if (c === '"') {
      i++;
      while (i < value.length && value[i] !== '"') {
        if (value[i] === '\\') i++;
        if (i < value.length) element += value[i++];
      }
      i++; // the closing quote, if any
      if (element) {
        out.push(element);
        element = '';
      }
    } else if (c === ',') {
      flush();
      i++;
    } else {
      if (c !== ' ' && c !== '\t') element += c;
      i++;
    }
  }
  flush();
  return out;
}

/** Whether a token list header (Connection) names `token`, compared case-insensitively. */
export function headerHasToken(head: { headers: [string, string][] }, name: string, token: string): boolean {
  const wanted = token.toLowerCase();
  return (header(head, name) ?? '').split(',').some((t) => t.trim().toLowerCase() === wanted);
}

/** "HTTP/1.1" or a later version (rippled refuses upgrades on HTTP/1.0). */
export function isHttp11OrLater(version: string): boolean {
  const v = /^HTTP\/(\d)\.(\d)$/.exec(version);
  return !!v && Number(v[1]) * 10 + Number(v[2]) >= 11;
}

const TERMINATOR = Buffer.from('\r\n\r\n');

export class HttpHeadReader {
  private buffered: Buffer = Buffer.alloc(0);

  constructor(private readonly limits: HeadLimits = DEFAULT_HEAD_LIMITS) {}

  /** Feed bytes; returns the head and the bytes after it once the blank line has arrived. */
  push(chunk: Buffer): { head: HttpHead; rest: Buffer } | undefined {
    // Search only the new bytes (plus 3 of the old, for a terminator split across chunks).
    const from = Math.max(0, this.buffered.length - 3);
    this.buffered = this.buffered.length ? Buffer.concat([this.buffered, chunk]) : chunk;
    const end = this.buffered.indexOf(TERMINATOR, from);
    if (end < 0) {
      if (this.buffered.length > this.limits.maxBytes) {
        throw new HttpHeadError('too-large', `HTTP head exceeds ${this.limits.maxBytes} bytes`);
      }
      return undefined;
    }
    if (end + 4 > this.limits.maxBytes) {
      throw new HttpHeadError('too-large', `HTTP head exceeds ${this.limits.maxBytes} bytes`);
    }
    const head = parseHead(this.buffered.subarray(0, end).toString('latin1'), this.limits);
    const rest = this.buffered.subarray(end + 4);
    this.buffered = Buffer.alloc(0);
    return { head, rest };
  }
}

function parseHead(text: string, limits: HeadLimits): HttpHead {
  const lines = text.split('\r\n');
  const start = lines.shift() ?? '';
  if (lines.length > limits.maxHeaders) {
    throw new HttpHeadError('too-many-headers', `more than ${limits.maxHeaders} HTTP headers`);
  }
  const headers: [string, string][] = [];
  for (const line of lines) {
    const colon = line.indexOf(':');
    if (colon <= 0 || !/^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/.test(line.slice(0, colon))) {
      throw new HttpHeadError('malformed', `malformed HTTP header line '${line.slice(0, 80)}'`);
    }
    headers.push([line.slice(0, colon), line.slice(colon + 1).trim()]);
  }
  const response = /^(HTTP\/\d\.\d) (\d{3})(?: (.*))?$/.exec(start);
  if (response) return { version: response[1]!, status: Number(response[2]), reason: response[3] ?? '', headers };
  const request = /^([A-Z]+) (\S+) (HTTP\/\d\.\d)$/.exec(start);
  if (request) return { method: request[1]!, target: request[2]!, version: request[3]!, headers };
  throw new HttpHeadError('malformed', `malformed HTTP start line '${start.slice(0, 80)}'`);
}

/** Serialise a head; header values must not contain CR/LF. */
export function formatHead(startLine: string, headers: [string, string][]): string {
  let out = `${startLine}\r\n`;
  for (const [k, v] of headers) {
    if (/[\r\n]/.test(v)) throw new Error(`header ${k} contains a line break`);
    out += `${k}: ${v}\r\n`;
  }
  return `${out}\r\n`;
}
