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
  private readonly prefix = new HeadPrefixCheck();

  constructor(private readonly limits: HeadLimits = DEFAULT_HEAD_LIMITS) {}

  /**
   * Feed bytes; returns the head and the bytes after it once the blank line has arrived. Throws
   * HttpHeadError as soon as a byte arrives that no HTTP head could have there (as rippled's parser
   * does), not only once the head is complete.
   */
  push(chunk: Buffer): { head: HttpHead; rest: Buffer } | undefined {
    this.prefix.check(chunk);
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

const enum At {
  StartToken,
  Target,
  RequestVersion,
  ResponseVersion,
  Status,
  Reason,
  LineFeed,
  LineStart,
  Name,
  Value,
  Done,
}

/** RFC 9110 tchar. */
function isTokenChar(b: number): boolean {
  if (b >= 0x30 && b <= 0x39) return true;
  if ((b | 0x20) >= 0x61 && (b | 0x20) <= 0x7a) return true;
  return "!#$%&'*+-.^_`|~".includes(String.fromCharCode(b));
}

/**
 * Follows the bytes of a head as they arrive and throws at the first one that cannot belong to an
 * HTTP/1.x request or response head: the start line's token, target and version, header names of
 * token characters, values without control characters, CRLF line ends. The full parse still
 * happens once the head is complete; this only makes garbage fail at once.
 */
class HeadPrefixCheck {
  private at = At.StartToken;
  private token = '';
  private count = 0;
  private afterLineFeed = At.LineStart;

  check(chunk: Buffer): void {
    for (let i = 0; i < chunk.length && this.at !== At.Done; i++) this.step(chunk[i]!);
  }

  private fail(b: number): never {
    throw new HttpHeadError('malformed', `not an HTTP head (byte 0x${b.toString(16).padStart(2, '0')} where none can be)`);
  }

  private step(b: number): void {
    switch (this.at) {
      case At.StartToken:
        if (isTokenChar(b) && this.token.length < 32) {
          this.token += String.fromCharCode(b);
          return;
        }
        if (b === 0x2f && this.token === 'HTTP') {
          this.at = At.ResponseVersion;
          this.token = 'HTTP/';
          return;
        }
        if (b === 0x20 && this.token.length > 0) {
          this.at = At.Target;
          this.count = 0;
          return;
        }
        return this.fail(b);
      case At.Target:
        if (b > 0x20 && b < 0x7f) {
          this.count++;
          return;
        }
        if (b === 0x20 && this.count > 0) {
          this.at = At.RequestVersion;
          this.token = '';
          return;
        }
        return this.fail(b);
      case At.RequestVersion:
        return this.version(b, 'HTTP/', At.LineFeed, 0x0d);
      case At.ResponseVersion:
        return this.version(b, '', At.Status, 0x20);
      case At.Status:
        if (b >= 0x30 && b <= 0x39 && this.count < 3) {
          this.count++;
          return;
        }
        if (this.count === 3 && b === 0x20) {
          this.at = At.Reason;
          return;
        }
        if (this.count === 3 && b === 0x0d) {
          this.at = At.LineFeed;
          return;
        }
        return this.fail(b);
      case At.Reason:
      case At.Value:
        if (b === 0x0d) {
          this.at = At.LineFeed;
          return;
        }
        if (b === 0x09 || (b >= 0x20 && b !== 0x7f)) return;
        return this.fail(b);
      case At.LineFeed:
        if (b !== 0x0a) return this.fail(b);
        this.at = this.afterLineFeed;
        this.afterLineFeed = At.LineStart;
        return;
      case At.LineStart:
        if (b === 0x0d) {
          this.at = At.LineFeed;
          this.afterLineFeed = At.Done;
          return;
        }
        if (isTokenChar(b)) {
          this.at = At.Name;
          return;
        }
        return this.fail(b);
      case At.Name:
        if (isTokenChar(b)) return;
        if (b === 0x3a) {
          this.at = At.Value;
          return;
        }
        return this.fail(b);
      default:
        return;
    }
  }

  /** "HTTP/d.d" (the "HTTP/" of a response has been read already), then `end`. */
  private version(b: number, expectPrefix: string, next: At, end: number): void {
    const soFar = this.token;
    const pattern = `${expectPrefix}d.d`;
    const i = soFar.length - (this.at === At.ResponseVersion ? 5 : 0);
    if (i < pattern.length) {
      const want = pattern[i]!;
      const ok = want === 'd' ? b >= 0x30 && b <= 0x39 : b === want.charCodeAt(0);
      if (!ok) return this.fail(b);
      this.token += String.fromCharCode(b);
      return;
    }
    if (b !== end) return this.fail(b);
    this.at = next;
    this.count = 0;
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
