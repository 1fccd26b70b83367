/**
 * The one TLS port: every connection's first HTTP head decides what it is. A peer upgrade goes to
 * the overlay's handshake; GET /crawl and GET /health get JSON; anything else gets 403. Clients
 * that are slow to finish TLS or to send their head are cut off.
 */
import tls from 'node:tls';
import { tlsServerOptions, type TlsMaterial } from '../identity/certificate.js';
import { isLoopbackIp } from '../address/address.js';
import { formatHead, type HeadLimits, type HttpHead, HttpHeadError, HttpHeadReader } from '../protocol/http-head.js';

export interface ListenerOptions {
  host: string;
  port: number;
  tls: TlsMaterial;
  /** TLS handshake deadline (rippled: 8 s for outbound; we use the same for inbound). */
  tlsTimeoutMs: number;
  /** Time a client has to send its HTTP head. */
  headTimeoutMs: number;
  /** The same for a client on a loopback address (rippled BaseHTTPPeer: 3 s instead of 30 s). */
  loopbackHeadTimeoutMs: number;
  headLimits: HeadLimits;
  serverName: string;
}

export interface ListenerHandlers {
  /** A complete HTTP head arrived; `rest` holds whatever followed it. */
  onRequest(socket: tls.TLSSocket, head: HttpHead, rest: Buffer): void;
  onBadClient?(remote: string, reason: string): void;
}

export class Listener {
  private server: tls.Server | undefined;
  private readonly sockets = new Set<tls.TLSSocket>();
  /** performance.now() when each connection's TLS session was established. */
  private readonly secureAt = new WeakMap<tls.TLSSocket, number>();

  constructor(
    private readonly opts: ListenerOptions,
    private readonly handlers: ListenerHandlers,
  ) {}

  get address(): { host: string; port: number } {
    const a = this.server?.address();
    if (!a || typeof a === 'string') throw new Error('listener is not listening');
    return { host: a.address, port: a.port };
  }

  async start(): Promise<void> {
    const server = tls.createServer({ ...tlsServerOptions(this.opts.tls), handshakeTimeout: this.opts.tlsTimeoutMs });
    this.server = server;
    server.on('secureConnection', (socket) => this.onConnection(socket));
    server.on('tlsClientError', (err, socket) => {
      this.handlers.onBadClient?.(socket.remoteAddress ?? '?', `TLS: ${err.message}`);
      socket.destroy();
    });
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen({ host: this.opts.host, port: this.opts.port }, () => {
        server.off('error', reject);
        resolve();
      });
    });
  }

  async stop(): Promise<void> {
    const server = this.server;
    if (!server) return;
    this.server = undefined;
    for (const s of this.sockets) s.destroy();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  /** When the connection's TLS session was established (performance.now()), if it came through here. */
  secureSince(socket: tls.TLSSocket): number | undefined {
    return this.secureAt.get(socket);
  }

  private onConnection(socket: tls.TLSSocket): void {
    this.secureAt.set(socket, performance.now());
    this.track(socket);
    this.readHead(socket);
  }

  /**
   * The handlers that stay for the connection's life, made apart from readHead's: closures made in
   * one call share its variables, and these would otherwise keep the head reader of every peer.
   */
  private track(socket: tls.TLSSocket): void {
    this.sockets.add(socket);
    socket.on('close', () => this.sockets.delete(socket));
    socket.on('error', () => socket.destroy());
  }

  private readHead(socket: tls.TLSSocket): void {
    const reader = new HttpHeadReader(this.opts.headLimits);
    const timer = setTimeout(() => {
      this.handlers.onBadClient?.(socket.remoteAddress ?? '?', 'HTTP head timeout');
      socket.destroy();
    }, isLoopbackIp(socket.remoteAddress ?? '') ? this.opts.loopbackHeadTimeoutMs : this.opts.headTimeoutMs);
    const onData = (chunk: Buffer) => {
      let done: ReturnType<HttpHeadReader['push']>;
      try {
        done = reader.push(chunk);
      } catch (err) {
        clearTimeout(timer);
        socket.off('data', onData);
        const status = err instanceof HttpHeadError && err.reason !== 'malformed' ? 431 : 400;
        this.handlers.onBadClient?.(socket.remoteAddress ?? '?', (err as Error).message);
        socket.end(formatHead(`HTTP/1.1 ${status} ${status === 431 ? 'Request Header Fields Too Large' : 'Bad Request'}`, [
          ['Server', this.opts.serverName],
          ['Connection', 'close'],
          ['Content-Length', '0'],
        ]));
        return;
      }
      if (!done) return;
      clearTimeout(timer);
      socket.off('data', onData);
      socket.pause();
      // Ownership passes to the handler; it removes the socket from our set if it keeps it.
      this.handlers.onRequest(socket, done.head, done.rest);
    };
    socket.on('data', onData);
  }

  /**
   * A socket that became a peer is no longer closed with the listener (the overlay closes peers
   * itself). Returns when its TLS session was established (performance.now()), as secureSince.
   */
  release(socket: tls.TLSSocket): number | undefined {
    this.sockets.delete(socket);
    const since = this.secureAt.get(socket);
    this.secureAt.delete(socket);
    return since;
  }
}

/** Write a complete HTTP response and close. */
export function sendHttp(socket: tls.TLSSocket, status: number, reason: string, body: string | Buffer, serverName: string, contentType = 'application/json'): void {
  const head = formatHead(`HTTP/1.1 ${status} ${reason}`, [
    ['Server', serverName],
    ['Content-Type', contentType],
    ['Connection', 'close'],
    ['Content-Length', String(typeof body === 'string' ? Buffer.byteLength(body) : body.length)],
  ]);
  if (typeof body === 'string') return void socket.end(head + body);
  // A shared body (the /crawl snapshot) is written as it is, not copied into one string with the head.
  socket.cork();
  socket.write(head);
  socket.end(body);
}
