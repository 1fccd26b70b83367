/**
 * Puts a node together from its config: identity, TLS material, the overlay (peer port, peers,
 * fixed peers, /crawl, /health). The CLI and the integration tests both start nodes through here.
 */
import { homedir } from 'node:os';
import { join, resolve } from 'node:path';
import type { Logger } from 'pino';
import { type Config, slotLimits } from './config/config.js';
import { loadTlsMaterial } from './identity/certificate.js';
import { loadOrCreateNodeIdentity, type NodeIdentity } from './identity/node-key.js';
import { Overlay, type OverlayOptions } from './overlay/overlay.js';
import { USER_AGENT, VERSION } from './version.js';

/** Where node data lives when neither --data-dir nor [database_path] says. */
export const DEFAULT_DATA_DIR = join(homedir(), '.xrpl-overlay');

export interface DaemonOptions {
  config: Config;
  /** --data-dir; else [database_path]; else DEFAULT_DATA_DIR. */
  dataDir?: string;
  log: Logger;
}

export interface Daemon {
  config: Config;
  identity: NodeIdentity;
  overlay: Overlay;
  dataDir: string;
  stop(): Promise<void>;
}

export function overlayOptions(config: Config, identity: NodeIdentity, log: Logger): OverlayOptions {
  const t = config.timers;
  const peer = config.peerPort;
  return {
    identity,
    tls: loadTlsMaterial({ sslKey: peer.sslKey, sslCert: peer.sslCert, sslChain: peer.sslChain }),
    listen: { host: peer.ip, port: peer.port },
    userAgent: USER_AGENT,
    buildVersion: VERSION,
    networkId: config.networkId,
    serverDomain: config.serverDomain,
    publicIp: config.overlay.publicIp,
    peerPrivate: config.peerPrivate,
    // txrr and ledgerreplay are never advertised: we do not implement the messages they imply.
    features: { compression: config.compression, ledgerReplay: false, txReduceRelay: false, vpReduceRelay: config.reduceRelay.vpBaseSquelchEnable },
    slots: slotLimits(config),
    ips: config.ips,
    ipsFixed: config.ipsFixed,
    cluster: config.clusterNodes.map((c) => ({ n9: c.publicKey, name: c.name })),
    crawl: config.crawl,
    timers: {
      pingIntervalMs: t.pingInterval,
      autoconnectIntervalMs: t.autoconnectInterval,
      fixedBackoffMinMs: t.fixedBackoffMin,
      fixedBackoffMaxMs: t.fixedBackoffMax,
      headTimeoutMs: t.inboundHandshakeTimeout,
      tlsTimeoutMs: t.tlsHandshakeTimeout,
      handshake: {
        connectMs: t.connectTimeout,
        tcpMs: t.tcpConnectTimeout,
        tlsMs: t.tlsHandshakeTimeout,
        httpWriteMs: t.httpWriteTimeout,
        httpReadMs: t.httpReadTimeout,
      },
      maxConnectAttempts: t.maxConnectAttempts,
      maxHeaderBytes: t.maxHeaderBytes,
      maxHeaderCount: t.maxHeaderCount,
      sendQueueTarget: t.sendQueueTarget,
      sendQueueIntervals: t.sendQueueIntervals,
      resource: { warnThreshold: t.resourceWarnThreshold, dropThreshold: t.resourceDropThreshold, decayWindowMs: t.resourceDecayWindow },
    },
    log,
  };
}

export async function startDaemon(opts: DaemonOptions): Promise<Daemon> {
  const { config, log } = opts;
  const dataDir = resolve(opts.dataDir ?? config.databasePath ?? DEFAULT_DATA_DIR);
  for (const i of config.ignored) {
    const where = { file: config.file, line: i.line, stanza: i.stanza, key: i.key };
    if (i.reason === 'unknown') log.warn(where, 'unknown config stanza ignored');
    else log.debug({ ...where, reason: i.reason }, 'config stanza not used');
  }
  const identity = loadOrCreateNodeIdentity(dataDir, config.nodeSeed);
  const overlay = new Overlay({ ...overlayOptions(config, identity, log), dataDir });
  await overlay.start();
  log.info({ node: identity.n9, dataDir, version: VERSION }, 'xrpl-overlay started');
  return {
    config,
    identity,
    overlay,
    dataDir,
    stop: () => overlay.stop(),
  };
}
