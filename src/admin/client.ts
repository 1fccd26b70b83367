/**
 * The command-line side of the admin API: which port to talk to (from --conf, as rippled's CLI
 * finds its RPC port), and one request over HTTP JSON-RPC or WebSocket.
 */
import http from 'node:http';
import https from 'node:https';
import { isIP } from 'node:net';
import { WebSocket } from 'ws';
import { defaultConfig, loadConfig, type PortConfig } from '../config/config.js';
import { isUnspecifiedIp } from '../address/address.js';

const REQUEST_TIMEOUT_MS = 10_000;

export interface AdminEndpoint {
  transport: 'http' | 'ws';
  secure: boolean;
  host: string;
  port: number;
  /** The stanza it came from, for messages: `[port_rpc_admin_local]`. */
  stanza: string;
}

/** A failure to get an answer at all (not a command that answered with an error). */
export class AdminClientError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'AdminClientError';
  }
}

/**
 * The admin port a command goes to: [port_rpc_admin_local] if it speaks http(s), else
 * [port_ws_admin_local]; an unspecified address (0.0.0.0, ::) means the local host, as in rippled.
 * Without --conf it is the node's own default: built-in settings, which open no admin port, so
 * the answer is a plain message saying so.
 */
export function resolveAdminEndpoint(conf?: string): AdminEndpoint {
  const config = conf === undefined ? defaultConfig() : loadConfig(conf);
  const candidates = [config.adminRpc, config.adminWs].filter((p): p is PortConfig => p !== undefined);
  const rpc = candidates.find((p) => p.protocols.includes('http') || p.protocols.includes('https'));
  const ws = candidates.find((p) => p.protocols.some((x) => x.startsWith('ws')));
  const port = rpc ?? ws;
  if (!port && conf === undefined) {
    throw new AdminClientError(
      'no --conf given, and a node started without --conf opens no admin port. Pass the --conf FILE the node runs with; ' +
        'its [port_rpc_admin_local] or [port_ws_admin_local] is where commands go.',
    );
  }
  if (!port) {
    throw new AdminClientError(`${conf} has no [port_rpc_admin_local] or [port_ws_admin_local] (with protocol http or ws), so the node opens no admin port`);
  }
  const host = isUnspecifiedIp(port.ip) ? (isIP(port.ip) === 6 ? '::1' : '127.0.0.1') : port.ip;
  // The node serves a port with TLS when any of its protocols is https or wss.
  const secure = port.protocols.some((x) => x === 'https' || x.startsWith('wss'));
  return { transport: port === rpc ? 'http' : 'ws', secure, host, port: port.port, stanza: `[${port.name}]` };
}

export function describeEndpoint(e: AdminEndpoint): string {
  const host = isIP(e.host) === 6 ? `[${e.host}]` : e.host;
  const scheme = e.transport === 'http' ? (e.secure ? 'https' : 'http') : e.secure ? 'wss' : 'ws';
  return `${scheme}://${host}:${e.port}`;
}

/** A command's `result` as rippled's JSON-RPC gives it: `status` is "success" or "error". */
export type CommandResult = Record<string, unknown> & { status?: string };

/** Sends one command and returns its result (also when the command failed). */
export async function sendCommand(e: AdminEndpoint, command: string, params: Record<string, unknown>): Promise<CommandResult> {
  return e.transport === 'http' ? sendHttp(e, command, params) : sendWs(e, command, params);
}

/** GET /metrics from an HTTP admin port. */
export async function fetchMetrics(e: AdminEndpoint): Promise<string> {
  if (e.transport !== 'http') throw new AdminClientError(`metrics are served on the HTTP admin port; ${e.stanza} is a WebSocket port`);
  const r = await httpExchange(e, 'GET', '/metrics');
  if (r.status !== 200) throw httpFailure(e, r.status, r.body);
  return r.body;
}

async function sendHttp(e: AdminEndpoint, command: string, params: Record<string, unknown>): Promise<CommandResult> {
  const r = await httpExchange(e, 'POST', '/', JSON.stringify({ method: command, params: [params] }));
  if (r.status !== 200) throw httpFailure(e, r.status, r.body);
  let reply: unknown;
  try {
    reply = JSON.parse(r.body);
  } catch {
    throw new AdminClientError(`${describeEndpoint(e)} did not answer with JSON: is it an xrpl-overlay admin port?`);
  }
  const result = (reply as { result?: unknown })?.result;
  if (typeof result !== 'object' || result === null) throw new AdminClientError(`${describeEndpoint(e)} answered without a result`);
  return result as CommandResult;
}

function sendWs(e: AdminEndpoint, command: string, params: Record<string, unknown>): Promise<CommandResult> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(describeEndpoint(e) + '/', { rejectUnauthorized: false, handshakeTimeout: REQUEST_TIMEOUT_MS });
    const timer = setTimeout(() => {
      ws.terminate();
      reject(new AdminClientError(`no answer from ${describeEndpoint(e)} within ${REQUEST_TIMEOUT_MS / 1000} s`));
    }, REQUEST_TIMEOUT_MS);
    const done = (fn: () => void) => {
      clearTimeout(timer);
      ws.removeAllListeners();
      ws.on('error', () => {});
      ws.close();
      fn();
    };
    ws.on('open', () => ws.send(JSON.stringify({ ...params, command, id: 1 })));
    ws.on('message', (data) => {
      let msg: Record<string, unknown>;
      try {
        msg = JSON.parse(String(data)) as Record<string, unknown>;
      } catch {
        return;
      }
      if (msg.id !== 1 || msg.type !== 'response') return;
      done(() => {
        if (msg.status === 'success') {
          resolve({ ...(msg.result as Record<string, unknown>), status: 'success' });
          return;
        }
        const { id: _id, type: _type, ...error } = msg;
        resolve(error as CommandResult);
      });
    });
    ws.on('unexpected-response', (_req, res) => done(() => reject(httpFailure(e, res.statusCode ?? 0, ''))));
    ws.on('error', (err) => done(() => reject(connectFailure(e, err))));
  });
}

function httpExchange(e: AdminEndpoint, method: string, path: string, body?: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const lib = e.secure ? https : http;
    const req = lib.request(
      {
        host: e.host,
        port: e.port,
        method,
        path,
        rejectUnauthorized: false,
        headers: body === undefined ? {} : { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(body) },
      },
      (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (c: string) => (text += c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body: text }));
      },
    );
    req.setTimeout(REQUEST_TIMEOUT_MS, () => req.destroy(Object.assign(new Error('timed out'), { code: 'ETIMEDOUT' })));
    req.on('error', (err) => reject(connectFailure(e, err)));
    req.end(body);
  });
}

function connectFailure(e: AdminEndpoint, err: Error & { code?: string }): AdminClientError {
  const where = `${describeEndpoint(e)} (${e.stanza} of the config)`;
  switch (err.code) {
    case 'ECONNREFUSED':
      return new AdminClientError(`cannot reach the node at ${where}: connection refused. Is xrpl-overlay running?`);
    case 'ETIMEDOUT':
      return new AdminClientError(`no answer from the node at ${where} within ${REQUEST_TIMEOUT_MS / 1000} s`);
    case 'ECONNRESET':
      return new AdminClientError(`the node at ${where} closed the connection`);
    default:
      return new AdminClientError(`cannot reach the node at ${where}: ${err.message}`);
  }
}

function httpFailure(e: AdminEndpoint, status: number, body: string): AdminClientError {
  if (status === 403) {
    return new AdminClientError(`the node at ${describeEndpoint(e)} refused the command (403 Forbidden): this address is not in the admin = list of ${e.stanza}`);
  }
  const text = body.trim();
  return new AdminClientError(`the node at ${describeEndpoint(e)} answered HTTP ${status}${text ? `: ${text}` : ''}`);
}
