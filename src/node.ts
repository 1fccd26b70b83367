/**
 * The node as a library: `new OverlayNode(options)`, `start()`, typed events and an async iterator
 * per stream, `stop()`. Options are the config file's settings, typed; they are turned into config
 * text and read by the same parser, so a bad value fails exactly as it would in rippled.cfg.
 */
import { EventEmitter } from 'node:events';
import { createHash } from 'node:crypto';
import { encodeNodePublic } from 'ripple-address-codec';
import { decode } from 'ripple-binary-codec';
import type { Logger } from 'pino';
import { parseConfig } from './config/config.js';
import { type Daemon, startDaemon } from './daemon.js';
import { silentLogger } from './logger.js';
import { formatEndpoint } from './address/address.js';
import type { Peer } from './peer/peer.js';
import type { CloseReason } from './peer/reasons.js';
import type { PeerMessage } from './protocol/codec.js';
import { parseManifest } from './validators/manifest.js';
import type { AmendmentShare, LedgerVerdict, MonitoredValidation } from './monitor/validator-monitor.js';
import { validatorMonitorJson } from './monitor/reports.js';

/** The config file's settings (see rippled.cfg.example); each maps to the stanza of the same name. */
export interface OverlayNodeOptions {
  /** [port_peer]: where the peer port listens (default 0.0.0.0:51235; port 0: any free port). */
  peerPort?: { ip?: string; port?: number };
  /** [ips] and [ips_fixed]: "host port" or "host:port". */
  ips?: string[];
  ipsFixed?: string[];
  peerPrivate?: boolean;
  /** [network_id]: main, testnet, devnet or a number. */
  networkId?: string | number;
  /** [validators]: trusted validator keys (n9…). */
  validators?: string[];
  /** [validator_list_sites] and [validator_list_keys]. */
  validatorListSites?: string[];
  validatorListKeys?: string[];
  /** [peers_max]. */
  peersMax?: number;
  compression?: boolean;
  /** [overlay] and [peerfinder] keys, as in the file (seconds for timers). */
  overlay?: Record<string, string | number>;
  peerfinder?: Record<string, string | number>;
  /** [validator_monitor] keys: settle_time, untrusted_active_time, save_interval (seconds), max_validators. */
  validatorMonitor?: Partial<Record<'settle_time' | 'untrusted_active_time' | 'max_validators' | 'save_interval', number>>;
  /** Any further stanzas, as config text. */
  extraConfig?: string;
  /** Where the node key and state files live ([database_path]). */
  dataDir?: string;
  /** A pino logger; default: silent. */
  log?: Logger;
  /** How many items each async iterator holds for a slow reader before it drops the oldest (1000). */
  iteratorBuffer?: number;
}

export interface PeerEvent {
  /** The peer's node key (n9…). */
  publicKey: string;
  address: string;
  direction: 'in' | 'out';
}

export interface ProposalEvent {
  /** The signing key (n9…) and its master key (the same key when no manifest names another). */
  publicKey: string;
  masterKey: string;
  proposeSeq: number;
  closeTime: number;
  previousLedger: string;
  txSet: string;
  signature: string;
  /** The TMProposeSet message as received. */
  raw: Buffer;
}

export interface TransactionEvent {
  /** The transaction id (SHA-512Half of 'TXN\0' and the blob), hex. */
  hash: string;
  /** ripple-binary-codec's JSON of the transaction (amounts as strings), when it decodes and is at most 64 KiB. */
  tx?: Record<string, unknown>;
  raw: Buffer;
}

export interface ManifestEvent {
  masterKey: string;
  signingKey?: string;
  sequence: number;
  domain?: string;
  raw: Buffer;
}

export interface ValidatorListEvent {
  trusted: string[];
  quorum: number;
}

export interface OverlayNodeEvents {
  peerConnected: [e: PeerEvent];
  peerDisconnected: [e: PeerEvent & { reason: CloseReason; detail?: string }];
  validation: [e: MonitoredValidation];
  proposal: [e: ProposalEvent];
  transaction: [e: TransactionEvent];
  manifest: [e: ManifestEvent];
  validatedLedger: [e: LedgerVerdict];
  validatorListUpdated: [e: ValidatorListEvent];
  amendmentMajority: [e: AmendmentShare];
}

export type { AmendmentShare, LedgerVerdict, MonitoredValidation };

const n9 = (b: Uint8Array) => encodeNodePublic(Buffer.from(b));
const hex = (b: Uint8Array) => Buffer.from(b).toString('hex').toUpperCase();

function configText(o: OverlayNodeOptions): string {
  const lines: string[] = [];
  const stanza = (name: string, values: (string | number)[]) => lines.push(`[${name}]`, ...values.map(String), '');
  stanza('port_peer', [`ip = ${o.peerPort?.ip ?? '0.0.0.0'}`, `port = ${o.peerPort?.port ?? 51235}`, 'protocol = peer']);
  if (o.ips?.length) stanza('ips', o.ips);
  if (o.ipsFixed?.length) stanza('ips_fixed', o.ipsFixed);
  if (o.peerPrivate !== undefined) stanza('peer_private', [o.peerPrivate ? 1 : 0]);
  if (o.networkId !== undefined) stanza('network_id', [o.networkId]);
  if (o.validators?.length) stanza('validators', o.validators);
  if (o.validatorListSites?.length) stanza('validator_list_sites', o.validatorListSites);
  if (o.validatorListKeys?.length) stanza('validator_list_keys', o.validatorListKeys);
  if (o.peersMax !== undefined) stanza('peers_max', [o.peersMax]);
  if (o.compression !== undefined) stanza('compression', [o.compression ? 1 : 0]);
  if (o.overlay) stanza('overlay', Object.entries(o.overlay).map(([k, v]) => `${k} = ${v}`));
  if (o.peerfinder) stanza('peerfinder', Object.entries(o.peerfinder).map(([k, v]) => `${k} = ${v}`));
  if (o.validatorMonitor) stanza('validator_monitor', Object.entries(o.validatorMonitor).map(([k, v]) => `${k} = ${v}`));
  if (o.extraConfig) lines.push(o.extraConfig);
  return lines.join('\n');
}

type StreamName = keyof OverlayNodeEvents;

export class OverlayNode extends EventEmitter<OverlayNodeEvents> {
  private daemon: Daemon | undefined;
  private listTimer: NodeJS.Timeout | undefined;
  private lastList = '';

  constructor(readonly options: OverlayNodeOptions = {}) {
    super();
  }

  /** Starts the node (throws a ConfigError naming the stanza on a bad option). */
  async start(): Promise<void> {
    if (this.daemon) return;
    const config = parseConfig(configText(this.options), 'OverlayNodeOptions');
    const d = await startDaemon({ config, log: this.options.log ?? silentLogger(), ...(this.options.dataDir ? { dataDir: this.options.dataDir } : {}) });
    this.daemon = d;
    const peerEvent = (p: Peer): PeerEvent => ({ publicKey: p.info.n9, address: formatEndpoint(p.info.remoteIp, p.info.remotePort), direction: p.info.direction });
    d.overlay.on('peerConnected', (p) => this.emit('peerConnected', peerEvent(p)));
    d.overlay.on('peerDisconnected', (p, close) => this.emit('peerDisconnected', { ...peerEvent(p), ...close }));
    d.overlay.on('verifiedItem', (_p, msg, payload) => this.onItem(msg, payload));
    const m = d.monitor.monitor;
    m.on('validation', (v) => this.emit('validation', v));
    m.on('validatedLedger', (v) => this.emit('validatedLedger', v));
    m.on('amendmentMajority', (a) => this.emit('amendmentMajority', a));
    this.listTimer = setInterval(() => this.checkList(), 1000);
    this.listTimer.unref();
    this.checkList();
  }

  async stop(): Promise<void> {
    clearInterval(this.listTimer);
    const d = this.daemon;
    this.daemon = undefined;
    await d?.stop();
    (this as EventEmitter).emit('stopped');
  }

  /** The node's own key (n9…) and peer address, once started. */
  get publicKey(): string | undefined {
    return this.daemon?.identity.n9;
  }
  get address(): { host: string; port: number } | undefined {
    return this.daemon?.overlay.address;
  }
  /** The underlying daemon (overlay, admin, monitor), for what the events do not cover. */
  get internals(): Daemon | undefined {
    return this.daemon;
  }
  /** The same report as the admin `validator_monitor` command. */
  validatorMonitor(): Record<string, unknown> | undefined {
    return this.daemon && validatorMonitorJson(this.daemon.monitor.monitor);
  }

  /** An async iterator over one stream; ends when `stop()` is called or the loop breaks. */
  stream<K extends StreamName>(name: K): AsyncIterableIterator<OverlayNodeEvents[K][0]> {
    type T = OverlayNodeEvents[K][0];
    const max = this.options.iteratorBuffer ?? 1000;
    const queue: T[] = [];
    let wake: (() => void) | undefined;
    let done = false;
    const push = ((e: T) => {
      queue.push(e);
      if (queue.length > max) queue.shift();
      wake?.();
    }) as (...args: OverlayNodeEvents[K]) => void;
    const finish = () => {
      done = true;
      wake?.();
    };
    (this as EventEmitter).on(name, push as never);
    (this as EventEmitter).once('stopped', finish);
    const cleanup = () => {
      (this as EventEmitter).off(name, push as never);
      (this as EventEmitter).off('stopped', finish);
    };
    const it: AsyncIterableIterator<T> = {
      next: async () => {
        while (!queue.length && !done) await new Promise<void>((r) => (wake = r));
        wake = undefined;
        if (queue.length) return { value: queue.shift()!, done: false };
        cleanup();
        return { value: undefined, done: true };
      },
      return: async () => {
        cleanup();
        done = true;
        return { value: undefined, done: true };
      },
      [Symbol.asyncIterator]: () => it,
    };
    return it;
  }

  private onItem(msg: PeerMessage, payload: Buffer): void {
    if (msg.name === 'PROPOSE_LEDGER') {
      const p = msg.message;
      const master = this.daemon?.overlay.opts.validators?.manifests.getMasterKey(p.nodePubKey) ?? p.nodePubKey;
      this.emit('proposal', {
        publicKey: n9(p.nodePubKey),
        masterKey: n9(master),
        proposeSeq: p.proposeSeq,
        closeTime: p.closeTime,
        previousLedger: hex(p.previousledger),
        txSet: hex(p.currentTxHash),
        signature: hex(p.signature),
        raw: payload,
      });
    } else if (msg.name === 'TRANSACTION') {
      const raw = msg.message.rawTransaction;
      const hash = createHash('sha512').update(Buffer.from('54584e00', 'hex')).update(raw).digest().subarray(0, 32);
      const e: TransactionEvent = { hash: hex(hash), raw: Buffer.from(raw) };
      try {
        // ripple-binary-codec's decoder copies the rest of the buffer at every field: big blobs keep only hash and bytes.
        if (raw.length <= MAX_DECODED_TX_BYTES) e.tx = decodeTx(raw);
      } catch {
        /* an undecodable blob still has its hash and bytes */
      }
      this.emit('transaction', e);
    } else if (msg.name === 'MANIFESTS') {
      for (const entry of msg.message.list) {
        const r = parseManifest(entry.stobject);
        if (!r.ok) continue;
        const mf = r.manifest;
        this.emit('manifest', { masterKey: n9(mf.masterKey), ...(mf.signingKey ? { signingKey: n9(mf.signingKey) } : {}), sequence: mf.sequence, ...(mf.domain ? { domain: mf.domain } : {}), raw: Buffer.from(entry.stobject) });
      }
    }
  }

  private checkList(): void {
    const hub = this.daemon?.overlay.opts.validators;
    if (!hub) return;
    const trusted = hub.list.trustedMasterKeys().map(n9).sort();
    const key = `${hub.list.quorum}|${trusted.join(',')}`;
    if (key === this.lastList) return;
    const first = this.lastList === '';
    this.lastList = key;
    if (!first || trusted.length) this.emit('validatorListUpdated', { trusted, quorum: hub.list.quorum });
  }
}

/** Transactions up to this size are decoded for the `transaction` event (a payment is ~200 bytes). */
export const MAX_DECODED_TX_BYTES = 64 * 1024;

function decodeTx(raw: Uint8Array): Record<string, unknown> {
  return decode(Buffer.from(raw).toString('hex')) as Record<string, unknown>;
}
