/**
 * The admin ports: `[port_rpc_admin_local]` (HTTP JSON-RPC, and GET /metrics) and
 * `[port_ws_admin_local]` (WebSocket), or one port that lists both protocols. Envelopes, HTTP
 * replies and errors follow rippled's ServerHandler: JSON-RPC answers
 * `{"result":{…,"status":"success"}}`, WebSocket answers
 * `{"id":…,"result":{…},"status":"success","type":"response"}`, and a failed command carries
 * `error`, `error_code`, `error_message` and the `request`.
 *
 * Every command here is admin-only: a client outside the port's `admin =` list gets rippled's
 * answer for an admin command from a non-admin address (HTTP 403 "Forbidden"; on WebSocket the
 * `forbidden` / "Bad credentials." error), and never any data.
 */
import { readFileSync } from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import type { Duplex } from 'node:stream';
import type { Logger } from 'pino';
import { WebSocket, WebSocketServer, type RawData } from 'ws';
import type { Config, PortConfig } from '../config/config.js';
import { listenError } from '../config/listen-error.js';
import { loadTlsMaterial } from '../identity/certificate.js';
import type { OverlayView } from '../overlay/view.js';
import type { Peer, PeerLedgerStatus } from '../peer/peer.js';
import type { PeerClose } from '../peer/reasons.js';
import { AllowList } from './allow-list.js';
import { RPC_ERRORS, RpcError, type RpcErrorFields } from './errors.js';
import { publishValidations, VALIDATIONS_STREAM } from './monitor-commands.js';
import { type AdminContext, type CommandSession, DEFAULT_API_VERSION, type Params, PEER_STATUS_STREAM, type Result, runCommand } from './handlers.js';
import { METRICS_CONTENT_TYPE, type MetricsRegistry, OverlayMetrics } from './metrics.js';
import { formatEndpoint } from '../address/address.js';
import { PeerWatch } from './peer-watch.js';
import { connectionEvent, statusEvent } from './stream-events.js';
import { VERSION } from '../version.js';

/** rippled's RPC::Tuning::maxRequestSize. */
const MAX_REQUEST_BYTES = 1024 * 1024;
/** API versions rippled accepts (1, 2, and 3 in beta). */
const API_VERSIONS = new Set([1, 2, 3]);
const SERVER_HEADER = `xrpl-overlay-json-rpc/${VERSION}`;

export interface AdminServiceOptions {
  config: Config;
  overlay: OverlayView;
  log: Logger;
  /** Called when an admin sends `stop` (after the answer is written). */
  onStop(): void;
  /** The last network map (`[crawl_network]`), served to admins at /network, /network.json, /network.graphml. */
  networkMap?: NetworkMapFiles;
  /** What `logrotate` does: reopen the log file; false when there is none. */
  rotateLog?: () => boolean;
}

/** Where the files of the last network map are; undefined until a crawl has written them. */
export interface NetworkMapFiles {
  file(kind: 'html' | 'json' | 'graphml'): string | undefined;
}

const NETWORK_PATHS: Record<string, { kind: 'html' | 'json' | 'graphml'; type: string }> = {
  '/network': { kind: 'html', type: 'text/html; charset=utf-8' },
  '/network.json': { kind: 'json', type: 'application/json' },
  '/network.graphml': { kind: 'graphml', type: 'application/xml' },
};

/** The admin ports of one node and the state they share (metrics, peer watch, subscribers). */
export class AdminService {
  readonly metrics: MetricsRegistry;
  private readonly overlayMetrics: OverlayMetrics;
  private readonly watch: PeerWatch;
  private readonly ctx: AdminContext;
  private readonly ports: AdminPort[] = [];
  private readonly detach: () => void;
  private closing: Promise<void> | undefined;

  private constructor(private readonly opts: AdminServiceOptions) {
    const t = opts.config.timers;
    this.watch = new PeerWatch(opts.overlay, { sampleIntervalMs: t.rateSampleInterval, samples: t.rateSamples });
    this.overlayMetrics = new OverlayMetrics(opts.overlay);
    this.metrics = this.overlayMetrics.registry;
    this.ctx = { overlay: opts.overlay, config: opts.config, log: opts.log, watch: this.watch, requestStop: () => opts.onStop(), rotateLog: opts.rotateLog };
    const o = opts.overlay;
    const onConnected = (peer: Peer) => this.publish(connectionEvent(peer, 'PEER_CONNECTED'));
    const onDisconnected = (peer: Peer, close: PeerClose) =>
      this.publish({ ...connectionEvent(peer, 'PEER_DISCONNECTED'), reason: close.reason, ...(close.detail ? { detail: close.detail } : {}) });
    const onStatus = (peer: Peer, s: PeerLedgerStatus) => this.publish(statusEvent(peer, s));
    o.on('peerConnected', onConnected);
    o.on('peerDisconnected', onDisconnected);
    o.on('peerStatus', onStatus);
    const offValidations = o.monitor ? publishValidations(o.monitor, o.networkId, (e) => this.ports.forEach((p) => p.publish(VALIDATIONS_STREAM, e))) : () => {};
    this.detach = () => {
      offValidations();
      o.off('peerConnected', onConnected);
      o.off('peerDisconnected', onDisconnected);
      o.off('peerStatus', onStatus);
    };
  }

  /** Opens `[port_rpc_admin_local]` and `[port_ws_admin_local]` when the config has them. */
  static async start(opts: AdminServiceOptions): Promise<AdminService> {
    const service = new AdminService(opts);
    try {
      for (const port of [opts.config.adminRpc, opts.config.adminWs]) {
        if (!port) continue;
        const p = new AdminPort(port, service.ctx, service.metrics, opts.log, opts.networkMap);
        service.ports.push(p);
        await p.start();
      }
    } catch (err) {
      await service.close();
      throw err;
    }
    return service;
  }

  /**
   * Runs one command as an admin on no port (rippled's [rpc_startup]); returns the result or
   * rippled's error fields.
   */
  run(command: string, params: Params): Result | RpcErrorFields {
    try {
      return runCommand(this.ctx, command, { ...params, command }, { transport: 'http' });
    } catch (err) {
      if (err instanceof RpcError) return err.fields;
      return { ...new RpcError(RPC_ERRORS.internal).fields, error_message: (err as Error).message };
    }
  }

  /** Where each admin port listens. */
  addresses(): { name: string; host: string; port: number }[] {
    return this.ports.flatMap((p) => p.address ?? []);
  }

  close(): Promise<void> {
    this.closing ??= (async () => {
      this.detach();
      this.watch.close();
      this.overlayMetrics.close();
      await Promise.all(this.ports.map((p) => p.close()));
    })();
    return this.closing;
  }

  private publish(event: Result): void {
    for (const p of this.ports) p.publish(PEER_STATUS_STREAM, event);
  }
}

// ------------------------------------------------------------------------------ one port

interface WsClient {
  socket: WebSocket;
  admin: boolean;
  session: CommandSession & { streams: Set<string> };
}

class AdminPort {
  private server: http.Server | undefined;
  private readonly wss: WebSocketServer;
  private readonly clients = new Set<WsClient>();
  private readonly allow: AllowList;
  private readonly http: boolean;
  private readonly ws: boolean;
  private readonly secure: boolean;

  constructor(
    private readonly port: PortConfig,
    private readonly ctx: AdminContext,
    private readonly metrics: MetricsRegistry,
    private readonly log: Logger,
    private readonly networkMap?: NetworkMapFiles,
  ) {
    this.allow = new AllowList(port.admin);
    const p = port.protocols;
    this.http = p.includes('http') || p.includes('https');
    this.ws = p.some((x) => x.startsWith('ws'));
    this.secure = p.some((x) => x === 'https' || x.startsWith('wss'));
    this.wss = new WebSocketServer({ noServer: true, maxPayload: MAX_REQUEST_BYTES });
  }

  get address(): { name: string; host: string; port: number } | undefined {
    const a = this.server?.address();
    if (!a || typeof a === 'string') return undefined;
    return { name: this.port.name, host: a.address, port: a.port };
  }

  async start(): Promise<void> {
    const handler = (req: http.IncomingMessage, res: http.ServerResponse) => this.onRequest(req, res);
    let server: http.Server;
    if (this.secure) {
      const tls = loadTlsMaterial({ sslKey: this.port.sslKey, sslCert: this.port.sslCert, sslChain: this.port.sslChain });
      server = https.createServer({ key: tls.key, cert: tls.cert }, handler);
    } else {
      server = http.createServer(handler);
    }
    this.server = server;
    server.on('upgrade', (req: http.IncomingMessage, socket: Duplex, head: Buffer) => this.onUpgrade(req, socket, head));
    server.on('clientError', (_err, socket) => socket.destroy());
    await new Promise<void>((resolve, reject) => {
      const failed = (err: Error) => reject(listenError(this.port.name, this.port.ip, this.port.port, err));
      server.once('error', failed);
      server.listen({ host: this.port.ip, port: this.port.port }, () => {
        server.off('error', failed);
        resolve();
      });
    });
    const where = { port: this.port.name, address: formatEndpoint(this.port.ip, this.port.port), protocols: this.port.protocols.join(',') };
    if (this.allow.empty) this.log.warn(where, 'admin port has no admin = list: every command will be refused');
    else this.log.info({ ...where, admin: this.port.admin.join(',') }, 'admin port listening');
  }

  async close(): Promise<void> {
    for (const c of this.clients) c.socket.terminate();
    this.clients.clear();
    this.wss.close();
    const server = this.server;
    if (!server?.listening) return;
    await new Promise<void>((resolve) => {
      server.close(() => resolve());
      server.closeAllConnections();
    });
  }

  publish(stream: string, event: Result): void {
    if (this.clients.size === 0) return;
    const text = stringify(event);
    for (const c of this.clients) {
      if (c.session.streams.has(stream) && c.socket.readyState === WebSocket.OPEN) c.socket.send(text);
    }
  }

  // ---------------------------------------------------------------- HTTP

  private onRequest(req: http.IncomingMessage, res: http.ServerResponse): void {
    // ServerHandler::onHandoff: on a port with ws, a plain `GET /` (HTTP/1.1 or later, no body)
    // is a load balancer's status check, answered before any other rule and to any address.
    if (this.ws && req.method === 'GET' && req.url === '/' && isHttp11(req)) {
      readBody(req, MAX_REQUEST_BYTES).then(
        (body) => (body.length === 0 ? statusPage(res) : this.onPlainRequest(req, res, body)),
        () => reply(res, 400, 'Unable to parse request: request too large'),
      );
      return;
    }
    this.onPlainRequest(req, res);
  }

  /** Everything but the status check; `body` when it has been read already. */
  private onPlainRequest(req: http.IncomingMessage, res: http.ServerResponse, body?: string): void {
    const path = (req.url ?? '/').split('?')[0];
    const admin = this.allow.allows(req.socket.remoteAddress);
    // ServerHandler::onRequest: a port without http(s) answers plain requests 403.
    if (!this.http) return reply(res, 403, 'Forbidden');
    if (req.method === 'GET' && path === '/metrics') {
      if (!admin) return reply(res, 403, 'Forbidden');
      this.metrics.render().then(
        (text) => sendText(res, 200, text, METRICS_CONTENT_TYPE),
        () => reply(res, 500, 'Internal Server Error'),
      );
      return;
    }
    const map = req.method === 'GET' && this.networkMap ? NETWORK_PATHS[path ?? ''] : undefined;
    if (map) {
      if (!admin) return reply(res, 403, 'Forbidden');
      const file = this.networkMap!.file(map.kind);
      let text: string | undefined;
      try {
        text = file ? readFileSync(file, 'utf8') : undefined;
      } catch {
        text = undefined;
      }
      if (text === undefined) return reply(res, 404, 'No network map yet: the first [crawl_network] crawl has not finished');
      return sendText(res, 200, text, map.type);
    }
    if (body !== undefined) return this.onJsonRpc(req, res, body, admin);
    readBody(req, MAX_REQUEST_BYTES).then(
      (body) => this.onJsonRpc(req, res, body, admin),
      () => reply(res, 400, 'Unable to parse request: request too large'),
    );
  }

  private onJsonRpc(req: http.IncomingMessage, res: http.ServerResponse, body: string, admin: boolean): void {
    let request: unknown;
    try {
      request = JSON.parse(body);
    } catch (err) {
      return reply(res, 400, `Unable to parse request: ${(err as Error).message}`);
    }
    if (!isObject(request)) return reply(res, 400, 'Unable to parse request: expected a JSON object');
    const rawParams = request.params;
    const first = Array.isArray(rawParams) && rawParams.length > 0 ? rawParams[0] : undefined;
    if (isObject(first) && 'api_version' in first && !API_VERSIONS.has(first.api_version as number)) {
      return reply(res, 400, 'invalid_API_version');
    }
    if (!admin) {
      this.log.info({ port: this.port.name, remote: req.socket.remoteAddress, method: String(request.method) }, 'admin command refused: address not in admin list');
      return reply(res, 403, 'Forbidden');
    }
    const method = request.method;
    if (method === undefined || method === null) return reply(res, 400, 'Null method');
    if (typeof method !== 'string') return reply(res, 400, 'method is not string');
    if (method === '') return reply(res, 400, 'method is empty');
    let params: Params;
    if (rawParams === undefined || rawParams === null) params = {};
    else if (!Array.isArray(rawParams) || rawParams.length !== 1) return reply(res, 400, 'params unparsable');
    else if (rawParams[0] === null) params = {};
    else if (!isObject(rawParams[0])) return reply(res, 400, 'params unparsable');
    else params = { ...rawParams[0] };
    // ServerHandler hands the method to the command as `command`, and echoes the request so.
    params.command = method;

    const apiVersion = isObject(first) && 'api_version' in first ? (first.api_version as number) : DEFAULT_API_VERSION;
    const session: CommandSession = { transport: 'http', apiVersion };
    const result = this.execute(method, params, session);
    const out: Result = { result: isError(result) ? { ...result, request: params, status: 'error' } : { ...result, status: 'success' } };
    for (const k of ['jsonrpc', 'ripplerpc', 'id']) if (k in params) out[k] = params[k];
    reply(res, 200, stringify(out) + '\n', session.afterResponse);
  }

  /** Runs a command, turning failures into rippled's error fields. */
  private execute(command: string, params: Params, session: CommandSession): Result | RpcErrorFields {
    this.log.debug({ port: this.port.name, command }, 'admin command');
    try {
      return runCommand(this.ctx, command, params, session);
    } catch (err) {
      if (err instanceof RpcError) return err.fields;
      this.log.error({ command, err: (err as Error).message }, 'admin command failed');
      return new RpcError(RPC_ERRORS.internal).fields;
    }
  }

  // ---------------------------------------------------------------- WebSocket

  private onUpgrade(req: http.IncomingMessage, socket: Duplex, head: Buffer): void {
    if (!this.ws) {
      // ServerHandler::onHandoff: an upgrade on a port without ws is refused.
      socket.end(`HTTP/1.1 401 Unauthorized\r\nServer: ${SERVER_HEADER}\r\nContent-Type: text/html\r\nConnection: close\r\nContent-Length: 17\r\n\r\nInvalid protocol.`);
      return;
    }
    this.wss.handleUpgrade(req, socket, head, (ws) => this.onWsConnection(ws, req));
  }

  private onWsConnection(socket: WebSocket, req: http.IncomingMessage): void {
    const client: WsClient = {
      socket,
      admin: this.allow.allows(req.socket.remoteAddress),
      session: { transport: 'ws', streams: new Set() },
    };
    this.clients.add(client);
    socket.on('message', (data: RawData, isBinary: boolean) => this.onWsMessage(client, data, isBinary));
    socket.on('close', () => this.clients.delete(client));
    socket.on('error', () => socket.terminate());
  }

  private onWsMessage(client: WsClient, data: RawData, isBinary: boolean): void {
    const text = isBinary ? '' : rawText(data);
    let jv: unknown;
    try {
      jv = JSON.parse(text);
    } catch {
      jv = undefined;
    }
    if (!isObject(jv)) return this.wsSend(client, { error: 'jsonInvalid', type: 'error', value: text });

    const envelope = (r: Result): Result => {
      for (const k of ['id', 'jsonrpc', 'ripplerpc', 'api_version']) if (k in jv) r[k] = jv[k];
      r.type = 'response';
      return r;
    };
    const command = jv.command ?? jv.method;
    const badApi = 'api_version' in jv && !API_VERSIONS.has(jv.api_version as number);
    if (
      badApi ||
      command === undefined ||
      typeof command !== 'string' ||
      ('command' in jv && 'method' in jv && jv.command !== jv.method)
    ) {
      return this.wsSend(client, envelope({ error: badApi ? 'invalid_API_version' : 'missingCommand', request: jv, status: 'error' }));
    }
    if (!client.admin) {
      return this.wsSend(client, envelope({ ...new RpcError(RPC_ERRORS.forbidden).fields, request: jv, status: 'error' }));
    }
    const session = client.session;
    session.afterResponse = undefined;
    session.apiVersion = 'api_version' in jv ? (jv.api_version as number) : DEFAULT_API_VERSION;
    const result = this.execute(command, jv, session);
    const after = session.afterResponse;
    session.afterResponse = undefined;
    if (isError(result)) this.wsSend(client, envelope({ ...result, request: jv, status: 'error' }), after);
    else this.wsSend(client, envelope({ result, status: 'success' }), after);
  }

  private wsSend(client: WsClient, message: Result, after?: () => void): void {
    if (client.socket.readyState !== WebSocket.OPEN) return;
    client.socket.send(stringify(message), () => after?.());
  }
}

// ------------------------------------------------------------------------------ helpers

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function isError(r: Result | RpcErrorFields): r is RpcErrorFields {
  return typeof r.error === 'string' && typeof r.error_code === 'number';
}

function rawText(data: RawData): string {
  if (Array.isArray(data)) return Buffer.concat(data).toString('utf8');
  return Buffer.from(data as ArrayBuffer).toString('utf8');
}

/** JSON with object keys in sorted order, as rippled's Json::Value writes them. */
export function stringify(value: unknown): string {
  return JSON.stringify(value, (_key, v: unknown) => {
    if (!isObject(v)) return v;
    const sorted: Record<string, unknown> = {};
    for (const k of Object.keys(v).sort()) sorted[k] = v[k];
    return sorted;
  });
}

function readBody(req: http.IncomingMessage, limit: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (c: Buffer) => {
      size += c.length;
      if (size > limit) {
        req.removeAllListeners('data');
        req.resume();
        reject(new Error('too large'));
        return;
      }
      chunks.push(c);
    });
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

/**
 * rippled's HTTPReply (JSONRPCUtil.cpp): the text, then CRLF, as the body; JSON content type; our
 * Server header. Every JSON-RPC answer and refusal goes through it.
 */
function reply(res: http.ServerResponse, status: number, text: string, after?: () => void): void {
  sendText(res, status, `${text}\r\n`, 'application/json; charset=UTF-8', after);
}

function sendText(res: http.ServerResponse, status: number, body: string, contentType: string, after?: () => void, extra: Record<string, string> = {}): void {
  if (res.headersSent) return;
  res.writeHead(status, { 'Content-Type': contentType, 'Content-Length': Buffer.byteLength(body), Server: SERVER_HEADER, ...extra });
  res.end(body, () => after?.());
}

/** ServerHandler::isStatusRequest needs HTTP/1.1 or later. */
function isHttp11(req: http.IncomingMessage): boolean {
  return req.httpVersionMajor > 1 || (req.httpVersionMajor === 1 && req.httpVersionMinor >= 1);
}

/**
 * ServerHandler::statusResponse for a server that can take clients: 200, an HTML page, and the
 * connection closed. The page is ours; it says only that the port answers.
 */
function statusPage(res: http.ServerResponse): void {
  const page = '<!DOCTYPE html><html><head><title>xrpl-overlay</title></head><body><p>xrpl-overlay is listening on this port.</p></body></html>';
  sendText(res, 200, page, 'text/html', undefined, { Connection: 'close' });
}
