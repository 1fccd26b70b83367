/**
 * Puts a node together from its config: identity, TLS material, the overlay (peer port, peers,
 * fixed peers, /crawl, /health) and the admin ports. The CLI and the integration tests both start
 * nodes through here.
 */
import { ValidatorsHub } from './validators/hub.js';
import { homedir } from 'node:os';
import { join, resolve } from 'node:path';
import type { Logger } from 'pino';
import { AdminService } from './admin/server.js';
import { type Config, servedPorts, slotLimits } from './config/config.js';
import { ScheduledNetworkCrawl } from './crawler/schedule.js';
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
  /** What the admin `stop` command does; by default it stops this daemon. The CLI exits too. */
  onStopCommand?: () => void;
}

export interface Daemon {
  config: Config;
  identity: NodeIdentity;
  overlay: Overlay;
  /** The admin ports ([port_rpc_admin_local], [port_ws_admin_local]) and /metrics. */
  admin: AdminService;
  dataDir: string;
  /** The scheduled network crawl, when `[crawl_network]` is set. */
  networkCrawl?: ScheduledNetworkCrawl;
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
    // txrr, vprr and ledgerreplay are never advertised: we do not implement what they imply (vprr: honouring
    // TMSquelch), and a peer that believed we did would count on it.
    features: { compression: config.compression, ledgerReplay: false, txReduceRelay: false, vpReduceRelay: false },
    slots: slotLimits(config),
    verifyEndpoints: config.overlay.verifyEndpoints,
    ips: config.ips,
    ipsFixed: config.ipsFixed,
    cluster: config.clusterNodes.map((c) => ({ n9: c.publicKey, name: c.name })),
    crawl: config.crawl,
    servedPorts: servedPorts(config).map((p) => ({ port: p.port, protocols: p.protocols, admin: p.admin })),
    vlEnabled: config.vlEnabled,
    timers: {
      pingIntervalMs: t.pingInterval,
      autoconnectIntervalMs: t.autoconnectInterval,
      fixedBackoffMinMs: t.fixedBackoffMin,
      fixedBackoffMaxMs: t.fixedBackoffMax,
      headTimeoutMs: t.inboundHandshakeTimeout,
      loopbackHeadTimeoutMs: t.loopbackHttpTimeout,
      shutdownTimeoutMs: t.shutdownTimeout,
      tlsTimeoutMs: t.tlsHandshakeTimeout,
      handshake: {
        connectMs: t.connectTimeout,
        tcpMs: t.tcpConnectTimeout,
        tlsMs: t.tlsHandshakeTimeout,
        httpWriteMs: t.httpWriteTimeout,
        httpReadMs: t.httpReadTimeout,
      },
      maxConnectAttempts: t.maxConnectAttempts,
      hashRouterHoldMs: t.hashRouterHoldTime,
      hashRouterRelayMs: t.hashRouterRelayTime,
      hashRouterSweepMs: t.hashRouterSweepInterval,
      resourceSweepMs: t.resourceSweepInterval,
      maxHeaderBytes: t.maxHeaderBytes,
      maxHeaderCount: t.maxHeaderCount,
      sendQueueTarget: t.sendQueueTarget,
      sendQueueIntervals: t.sendQueueIntervals,
      relayBacklogBytes: t.relayBacklogBytes,
      ledgerRequests: {
        perPeer: t.ledgerRequestsPerPeer,
        total: t.ledgerRequestsMax,
        timeoutMs: t.ledgerRequestTimeout,
        maxUnknownTimeMs: t.maxUnknownTime,
        maxDivergedTimeMs: t.maxDivergedTime,
      },
      decompressBytesPerSecond: t.decompressBytesPerSecond,
      discovery: {
        endpointsIntervalMs: t.endpointsInterval,
        livecacheTtlMs: t.livecacheTtl,
        recentAttemptIntervalMs: t.recentAttemptInterval,
        bootcacheSize: t.bootcacheSize,
        bootcachePrunePercent: t.bootcachePrunePercent,
        bootcacheCooldownMs: t.bootcacheCooldown,
        bootcacheMaxFailures: t.bootcacheMaxFailures,
        redirectIps: t.redirectIps,
        redirectIpsSent: t.redirectIpsSent,
        maxHops: t.maxHops,
        endpointsPerMessage: t.endpointsPerMessage,
        endpointsMaxReceived: t.endpointsMaxReceived,
        connectTestTimeoutMs: t.tcpConnectTimeout,
        endpointsOnActivate: t.endpointsOnActivate === 1,
        storeTestedEndpoint: t.storeTestedEndpoint === 1,
        livecacheSpansInterval: t.livecacheSpansInterval === 1,
      },
      resource: {
        warnThreshold: t.resourceWarnThreshold,
        dropThreshold: t.resourceDropThreshold,
        decayWindowMs: t.resourceDecayWindow,
        expirationMs: t.resourceExpiration,
        dropFee: t.resourceDropFee,
      },
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
  const validators = new ValidatorsHub({ config: config.validators, dataDir, log });
  const overlay = new Overlay({ ...overlayOptions(config, identity, log), dataDir, validators, networkQuorum: config.validators.networkQuorum });
  validators.attach(() => overlay.peers());
  await overlay.start();
  validators.start();
  let admin: AdminService | undefined;
  const networkCrawl = config.crawlNetwork && scheduledCrawl(config, overlay, dataDir, log);
  let stopping: Promise<void> | undefined;
  const stop = () =>
    (stopping ??= (async () => {
      await networkCrawl?.stop();
      await admin?.close();
      await overlay.stop();
    })());
  try {
    admin = await AdminService.start({ config, overlay, log, onStop: opts.onStopCommand ?? (() => void stop()), ...(networkCrawl && { networkMap: networkCrawl }) });
  } catch (err) {
    await overlay.stop();
    throw err;
  }
  networkCrawl?.start();
  log.info({ node: identity.n9, dataDir, version: VERSION }, 'xrpl-overlay started');
  return { config, identity, overlay, admin, dataDir, stop, ...(networkCrawl && { networkCrawl }) };
}

/** `[crawl_network]`: seeds as configured, else this node's own peer port (our /crawl lists our public peers). */
function scheduledCrawl(config: Config, overlay: Overlay, dataDir: string, log: Logger): ScheduledNetworkCrawl {
  const c = config.crawlNetwork!;
  return new ScheduledNetworkCrawl({
    ...c,
    outDir: resolve(dataDir, c.out),
    log,
    seeds: () => {
      if (c.seeds.length > 0) return c.seeds;
      const own = overlay.address;
      if (!own) return [];
      const host = own.host === '0.0.0.0' ? '127.0.0.1' : own.host === '::' ? '::1' : own.host;
      return [{ host, port: own.port }];
    },
  });
}
