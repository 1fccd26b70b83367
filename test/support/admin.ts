/** Helpers for the admin API tests: config stanzas, JSON-RPC and WebSocket clients, a Prometheus parser, the CLI. */
import { spawn } from 'node:child_process';
import { runAdminCommand } from '../../src/admin/cli.js';
import http from 'node:http';
import { randomBytes } from 'node:crypto';
import { encodeSeed } from 'ripple-address-codec';
import { WebSocket } from 'ws';
import { nodeIdentityFromSeed } from '../../src/identity/node-key.js';

/** This test file's admin ports, chosen free at run time (rippled's examples use 5005 and 6006). */
export { RPC_PORT, WS_PORT } from './nodes.js';

export interface AdminPortsSpec {
  ip: string;
  rpcPort?: number;
  wsPort?: number;
  /** The `admin =` value; default 127.0.0.1 (where loopback connections come from). */
  admin?: string;
}

/** `[port_rpc_admin_local]` and `[port_ws_admin_local]` stanzas (short form, no [server]). */
export function adminStanzas(spec: AdminPortsSpec): string {
  const admin = spec.admin ?? '127.0.0.1';
  const parts: string[] = [];
  if (spec.rpcPort !== undefined) {
    parts.push(`[port_rpc_admin_local]\nip = ${spec.ip}\nport = ${spec.rpcPort}\nprotocol = http\nadmin = ${admin}\n`);
  }
  if (spec.wsPort !== undefined) {
    parts.push(`[port_ws_admin_local]\nip = ${spec.ip}\nport = ${spec.wsPort}\nprotocol = ws\nadmin = ${admin}\n`);
  }
  return parts.join('\n');
}

/** A fresh [node_seed] and the n9 key it gives. */
export function makeSeed(): { seed: string; n9: string } {
  const seed = encodeSeed(randomBytes(16), 'secp256k1');
  return { seed, n9: nodeIdentityFromSeed(seed).n9 };
}

export interface HttpReply {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: string;
}

export function httpRequest(opts: { host: string; port: number; method?: string; path?: string; body?: string; localAddress?: string }): Promise<HttpReply> {
  return new Promise((resolve, reject) => {
    const req = http.request(
      {
        host: opts.host,
        port: opts.port,
        method: opts.method ?? 'POST',
        path: opts.path ?? '/',
        localAddress: opts.localAddress,
        headers: opts.body === undefined ? {} : { 'Content-Type': 'application/json' },
        agent: false,
        timeout: 5000,
      },
      (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (c: string) => (body += c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
      },
    );
    req.on('error', reject);
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.end(opts.body);
  });
}

/** A JSON-RPC call the way rippled's clients send it: `{"method":…,"params":[{…}]}`. */
export async function rpc(host: string, port: number, method: string, params: Record<string, unknown> = {}, localAddress?: string): Promise<any> {
  const r = await httpRequest({ host, port, body: JSON.stringify({ method, params: [params] }), localAddress });
  if (r.status !== 200) throw new Error(`HTTP ${r.status}: ${r.body}`);
  return JSON.parse(r.body);
}

/** A WebSocket admin client that matches responses to requests by id and collects stream messages. */
export class WsClient {
  private nextId = 1;
  private readonly pending = new Map<unknown, (m: any) => void>();
  readonly events: any[] = [];
  private readonly eventWaiters: { pred: (m: any) => boolean; resolve: (m: any) => void }[] = [];
  readonly raw: any[] = [];

  private constructor(readonly socket: WebSocket) {
    socket.on('message', (data) => {
      const m = JSON.parse(String(data));
      this.raw.push(m);
      if (m.type === 'response' && this.pending.has(m.id)) {
        const done = this.pending.get(m.id)!;
        this.pending.delete(m.id);
        done(m);
      } else if (m.type === 'response' || m.type === 'error') {
        this.pending.get(undefined)?.(m);
        this.pending.delete(undefined);
      } else {
        this.events.push(m);
        for (const w of [...this.eventWaiters]) {
          if (w.pred(m)) {
            this.eventWaiters.splice(this.eventWaiters.indexOf(w), 1);
            w.resolve(m);
          }
        }
      }
    });
  }

  static open(url: string, localAddress?: string): Promise<WsClient> {
    return new Promise((resolve, reject) => {
      const socket = new WebSocket(url, { localAddress });
      socket.once('open', () => resolve(new WsClient(socket)));
      socket.once('error', reject);
    });
  }

  /** Sends a command with a fresh id (unless `id: undefined` is wanted: pass `noId`). */
  request(message: Record<string, unknown>, noId = false): Promise<any> {
    const id = noId ? undefined : this.nextId++;
    return this.sendRaw(JSON.stringify(noId ? message : { id, ...message }), id);
  }

  sendRaw(text: string, id?: unknown): Promise<any> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no response to ${text}`)), 5000);
      this.pending.set(id, (m) => {
        clearTimeout(timer);
        resolve(m);
      });
      this.socket.send(text);
    });
  }

  /** The first stream message (already received or still to come) that matches. */
  nextEvent(pred: (m: any) => boolean, timeoutMs = 5000): Promise<any> {
    const seen = this.events.find(pred);
    if (seen) {
      this.events.splice(this.events.indexOf(seen), 1);
      return Promise.resolve(seen);
    }
    return new Promise((resolve, reject) => {
      const waiter = {
        pred,
        resolve: (m: any) => {
          clearTimeout(timer);
          this.events.splice(this.events.indexOf(m), 1);
          resolve(m);
        },
      };
      const timer = setTimeout(() => {
        this.eventWaiters.splice(this.eventWaiters.indexOf(waiter), 1);
        reject(new Error('timed out waiting for a stream message'));
      }, timeoutMs);
      this.eventWaiters.push(waiter);
    });
  }

  close(): void {
    this.socket.terminate();
  }
}

// ---------------------------------------------------------------------------------------------- Prometheus text

export interface MetricFamily {
  help?: string;
  type?: string;
  samples: { labels: Record<string, string>; value: number }[];
  /** A histogram's _bucket, _sum and _count series (its `samples` stay empty). */
  series?: { suffix: '_bucket' | '_sum' | '_count'; labels: Record<string, string>; value: number }[];
}

/**
 * A strict parser for the Prometheus text format (0.0.4) as far as we produce it: HELP and TYPE
 * before the samples, one family per name, escaped label values, a histogram's series under its
 * family, blank lines between families. Throws on anything malformed.
 */
export function parsePrometheus(text: string): Map<string, MetricFamily> {
  const families = new Map<string, MetricFamily>();
  if (!text.endsWith('\n')) throw new Error('exposition must end with a newline');
  const lines = text.slice(0, -1).split('\n');
  const family = (name: string) => {
    let f = families.get(name);
    if (!f) families.set(name, (f = { samples: [] }));
    return f;
  };
  for (const [n, line] of lines.entries()) {
    const where = `line ${n + 1}: ${line}`;
    if (line === '') continue;
    let m: RegExpExecArray | null;
    if ((m = /^# HELP ([a-zA-Z_:][a-zA-Z0-9_:]*) (.*)$/.exec(line))) {
      const f = family(m[1]!);
      if (f.help !== undefined || f.samples.length) throw new Error(`repeated or late HELP, ${where}`);
      f.help = m[2]!;
    } else if ((m = /^# TYPE ([a-zA-Z_:][a-zA-Z0-9_:]*) (counter|gauge|histogram|summary|untyped)$/.exec(line))) {
      const f = family(m[1]!);
      if (f.type !== undefined || f.samples.length) throw new Error(`repeated or late TYPE, ${where}`);
      f.type = m[2]!;
    } else if ((m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{.*\})? (\S+)$/.exec(line))) {
      const value = m[3] === '+Inf' ? Infinity : m[3] === '-Inf' ? -Infinity : Number(m[3]);
      if (Number.isNaN(value) && m[3] !== 'NaN') throw new Error(`bad value, ${where}`);
      const h = /^(.*)(_bucket|_sum|_count)$/.exec(m[1]!);
      const hist = h && families.get(h[1]!)?.type === 'histogram' ? families.get(h[1]!)! : undefined;
      if (hist) {
        (hist.series ??= []).push({ suffix: h![2] as '_bucket' | '_sum' | '_count', labels: parseLabels(m[2] ?? '', where), value });
        continue;
      }
      const f = families.get(m[1]!);
      if (!f?.type) throw new Error(`sample before its TYPE, ${where}`);
      if (f.type === 'histogram') throw new Error(`histogram sample without _bucket/_sum/_count, ${where}`);
      f.samples.push({ labels: parseLabels(m[2] ?? '', where), value });
    } else {
      throw new Error(`unparsable ${where}`);
    }
  }
  return families;
}

function parseLabels(text: string, where: string): Record<string, string> {
  const labels: Record<string, string> = {};
  if (!text) return labels;
  const body = text.slice(1, -1);
  const re = /([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"(,|$)/gy;
  let m: RegExpExecArray | null;
  let end = 0;
  while ((m = re.exec(body))) {
    labels[m[1]!] = m[2]!.replace(/\\(.)/g, (_s, c: string) => (c === 'n' ? '\n' : c));
    end = re.lastIndex;
    if (m[3] === '') break;
  }
  if (end !== body.length) throw new Error(`bad labels, ${where}`);
  return labels;
}

/** The value of one sample, or undefined. */
export function sampleValue(families: Map<string, MetricFamily>, name: string, labels: Record<string, string> = {}): number | undefined {
  const f = families.get(name);
  const s = f?.samples.find((x) => Object.keys(labels).every((k) => x.labels[k] === labels[k]) && Object.keys(x.labels).length === Object.keys(labels).length);
  return s?.value;
}

/** One series of a histogram (`_count`, `_sum`, or `_bucket` with its `le`), or undefined. */
export function histogramValue(
  families: Map<string, MetricFamily>,
  name: string,
  suffix: '_bucket' | '_sum' | '_count',
  labels: Record<string, string> = {},
): number | undefined {
  const s = families.get(name)?.series?.find(
    (x) => x.suffix === suffix && Object.keys(x.labels).length === Object.keys(labels).length && Object.keys(labels).every((k) => x.labels[k] === labels[k]),
  );
  return s?.value;
}

// ---------------------------------------------------------------------------------------------- the CLI

export interface CliRun {
  code: number | null;
  out: string;
  err: string;
}

/**
 * Runs `xrpl-overlay ARGS`. A command (`--conf F [--json] <command> [args…]`) runs in this process,
 * through the same runAdminCommand the CLI calls, so that a test does not pay a Node start and a
 * TypeScript compile per command; anything else (starting a daemon) runs src/cli.ts in a child.
 */
export async function runCli(args: string[], opts: { onLine?: (line: string) => void; timeoutMs?: number } = {}): Promise<CliRun> {
  const command = inProcessCommand(args);
  if (command && !opts.onLine) {
    let out = '';
    let err = '';
    const code = await runAdminCommand(command.name, command.args, { conf: command.conf, json: command.json }, {
      out: (t) => (out += t),
      err: (t) => (err += t),
    });
    return { code, out, err };
  }
  return spawnCli(args, opts);
}

/** The parts of a command line that name an admin command, as src/cli.ts reads them; undefined for anything else. */
function inProcessCommand(args: string[]): { name: string; args: string[]; conf?: string; json: boolean } | undefined {
  let conf: string | undefined;
  let json = false;
  let i = 0;
  for (; i < args.length; i++) {
    if (args[i] === '--conf' && i + 1 < args.length) conf = args[++i];
    else if (args[i] === '--json') json = true;
    else break;
  }
  const rest = args.slice(i);
  if (rest.length === 0 || rest.some((a) => a.startsWith('--'))) return undefined;
  return { name: rest[0]!, args: rest.slice(1), conf, json };
}

function spawnCli(args: string[], opts: { onLine?: (line: string) => void; timeoutMs?: number }): Promise<CliRun> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', 'src/cli.ts', ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`xrpl-overlay ${args.join(' ')} did not exit`));
    }, opts.timeoutMs ?? 15_000);
    child.stdout.on('data', (c: Buffer) => {
      out += c.toString();
      for (const line of c.toString().split('\n')) if (line) opts.onLine?.(line);
    });
    child.stderr.on('data', (c: Buffer) => (err += c.toString()));
    child.on('exit', (code) => {
      clearTimeout(timer);
      resolve({ code, out, err });
    });
  });
}
