/**
 * GET /crawl from one host over HTTPS. Peer ports use self-signed certificates, so the certificate is
 * not checked (the node's identity is the key in its answer, not its certificate).
 *
 * One hard deadline covers everything (TCP connect, TLS, request, the whole body): a host that accepts
 * TCP and then never speaks TLS or HTTP costs at most `timeoutMs`. The body is capped at `maxBytes`.
 */
import https from 'node:https';
import { isIP } from 'node:net';

export interface FetchOptions {
  timeoutMs: number;
  maxBytes: number;
  signal?: AbortSignal;
}

export type FetchFailure = 'timeout' | 'refused' | 'tls' | 'http-status' | 'too-large' | 'bad-json' | 'aborted' | 'network';

export class CrawlFetchError extends Error {
  constructor(
    readonly reason: FetchFailure,
    detail: string,
  ) {
    super(detail);
  }
}

export function fetchCrawl(host: string, port: number, opts: FetchOptions): Promise<unknown> {
  return new Promise((resolve, reject) => {
    let done = false;
    const finish = (err: CrawlFetchError | undefined, value?: unknown) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      opts.signal?.removeEventListener('abort', onAbort);
      req.destroy();
      if (err) reject(err);
      else resolve(value);
    };
    const req = https.request({
      host,
      port,
      path: '/crawl',
      method: 'GET',
      agent: false,
      rejectUnauthorized: false,
      // An IP needs no SNI; a name gets its own.
      servername: isIP(host) === 0 ? host : '',
      headers: { 'User-Agent': 'xrpl-overlay-crawler', Accept: 'application/json', Connection: 'close' },
    });
    const timer = setTimeout(() => finish(new CrawlFetchError('timeout', `no answer within ${opts.timeoutMs} ms`)), opts.timeoutMs);
    const onAbort = () => finish(new CrawlFetchError('aborted', 'crawl stopped'));
    if (opts.signal?.aborted) return onAbort();
    opts.signal?.addEventListener('abort', onAbort, { once: true });
    req.on('error', (err: NodeJS.ErrnoException) => {
      const code = err.code ?? '';
      const reason: FetchFailure = code === 'ECONNREFUSED' ? 'refused' : /SSL|TLS|EPROTO|CERT/i.test(code + err.message) ? 'tls' : 'network';
      finish(new CrawlFetchError(reason, code ? `${code}: ${err.message}` : err.message));
    });
    req.on('response', (res) => {
      if (res.statusCode !== 200) {
        res.resume();
        return finish(new CrawlFetchError('http-status', `HTTP ${res.statusCode}`));
      }
      const chunks: Buffer[] = [];
      let size = 0;
      res.on('data', (chunk: Buffer) => {
        size += chunk.length;
        if (size > opts.maxBytes) return finish(new CrawlFetchError('too-large', `answer over ${opts.maxBytes} bytes`));
        chunks.push(chunk);
      });
      res.on('error', (err) => finish(new CrawlFetchError('network', err.message)));
      res.on('end', () => {
        try {
          finish(undefined, JSON.parse(Buffer.concat(chunks).toString('utf8')));
        } catch (err) {
          finish(new CrawlFetchError('bad-json', (err as Error).message));
        }
      });
    });
    req.end();
  });
}
