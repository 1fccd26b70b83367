/**
 * Puts a node together from its config: identity, TLS material, the overlay (peer port, peers,
 * fixed peers, /crawl, /health) and the admin ports. The CLI and the integration tests both start
 * nodes through here.
 */
import { resolve } from 'node:path';
import { monitorService, type MonitorService } from './monitor/service.js';
import type { Logger } from 'pino';
import { AdminService } from './admin/server.js';
import { discoveryTimers } from './peerfinder/discovery-timers.js';
import { type Config, ConfigError, servedPorts, slotLimits } from './config/config.js';
import { listenError } from './config/listen-error.js';
import { prepareDataDir, resolveDataDir } from './data-dir.js';
import { ScheduledNetworkCrawl } from './crawler/schedule.js';
import { ValidatorsHub } from './validators/hub.js';
import { loadTlsMaterial } from './identity/certificate.js';
import { loadOrCreateNodeIdentity, type NodeIdentity } from './identity/node-key.js';
import { reopenLogFile } from './logger.js';
import { Overlay, type OverlayOptions } from './overlay/overlay.js';
import { startStatusLog } from './status-log.js';
import { USER_AGENT, VERSION } from './version.js';

export { DEFAULT_DATA_DIR } from './data-dir.js';

export interface DaemonOptions {
  config: Config;
  /** --data-dir; else the xrpl-overlay/ sub-folder of [database_path]; else DEFAULT_DATA_DIR. */
  dataDir?: string;
  log: Logger;
  /** What the admin `stop` command does; by default it stops this daemon. The CLI exits too. */
  onStopCommand?: () => void;
}

/** Errors a listening socket reports for its address (others are not about the address). */
const LISTEN_CODES = new Set(['EADDRINUSE', 'EACCES', 'EADDRNOTAVAIL', 'EPERM']);

export interface Daemon {
  config: Config;
  identity: NodeIdentity;
  overlay: Overlay;
  /** The admin ports ([port_rpc_admin_local], [port_ws_admin_local]) and /metrics. */
  admin: AdminService;
  dataDir: string;
  /** The scheduled network crawl, when `[crawl_network]` is set. */
  networkCrawl?: ScheduledNetworkCrawl;
  /** The validator monitor (src/monitor) and its history file. */
  monitor: MonitorService;
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
    // ledgerreplay is never advertised: we do not implement what it implies, and a peer that believed we
    // did would count on it. vprr and txrr are offered when their feature is enabled, as rippled does.
    features: {
      compression: config.compression,
      ledgerReplay: false,
      txReduceRelay: config.reduceRelay.txEnable,
      vpReduceRelay: config.reduceRelay.vpBaseSquelchEnable,
    },
    txReduceRelay: {
      enabled: config.reduceRelay.txEnable,
      metrics: config.reduceRelay.txMetrics,
      minPeers: config.reduceRelay.txMinPeers,
      relayPercentage: config.reduceRelay.txRelayPercentage,
      cache: { size: t.txCacheSize, ageMs: t.txCacheAge, bytes: t.txCacheBytes },
      queueIntervalMs: t.txQueueInterval,
    },
    clusterIntervalMs: t.clusterInterval,
    vpReduceRelay: {
      enabled: config.reduceRelay.vpBaseSquelchEnable,
      maxSelectedPeers: config.reduceRelay.vpBaseSquelchMaxSelectedPeers,
      waitOnBootupMs: t.reduceRelayWaitOnBootup,
    },
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
      verify: { threads: t.verifyThreads, queue: t.verifyQueue },
      ledgerRequests: {
        perPeer: t.ledgerRequestsPerPeer,
        total: t.ledgerRequestsMax,
        timeoutMs: t.ledgerRequestTimeout,
        maxUnknownTimeMs: t.maxUnknownTime,
        maxDivergedTimeMs: t.maxDivergedTime,
      },
      decompressBytesPerSecond: t.decompressBytesPerSecond,
      healthMinPeers: t.healthMinPeers,
      discovery: discoveryTimers(t),
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
  logConfigNotes(config, log);
  const dir = resolveDataDir({ flag: opts.dataDir, databasePath: config.databasePath, configFile: config.file });
  const moved = prepareDataDir(dir);
  if (moved.length > 0) log.info({ from: dir.legacyPath, to: dir.path, files: moved }, 'state files moved into the data directory');
  const dataDir = dir.path;
  const identity = loadOrCreateNodeIdentity(dataDir, config.nodeSeed);
  const validators = new ValidatorsHub({ config: config.validators, dataDir, log });
  const monitor = monitorService({ hub: validators, dataDir, log, settings: config.validatorMonitor });
  const overlay = new Overlay({ ...overlayOptions(config, identity, log), dataDir, validators, monitor: monitor.monitor, networkQuorum: config.validators.networkQuorum });
  validators.attach(() => overlay.peers());
  try {
    await overlay.start();
  } catch (err) {
    await overlay.stop().catch(() => {});
    const code = (err as NodeJS.ErrnoException).code;
    if (code !== undefined && LISTEN_CODES.has(code)) throw listenError(config.peerPort.name, config.peerPort.ip, config.peerPort.port, err);
    throw err;
  }
  validators.start();
  monitor.start();
  let admin: AdminService | undefined;
  const networkCrawl = config.crawlNetwork && scheduledCrawl(config, overlay, dataDir, log);
  let stopping: Promise<void> | undefined;
  let stopStatus = () => {};
  const stop = () =>
    (stopping ??= (async () => {
      stopStatus();
      await networkCrawl?.stop();
      await admin?.close();
      await overlay.stop();
      monitor.stop();
    })());
  try {
    admin = await AdminService.start({
      config,
      overlay,
      log,
      onStop: opts.onStopCommand ?? (() => void stop()),
      rotateLog: () => reopenLogFile(log),
      ...(networkCrawl && { networkMap: networkCrawl }),
    });
    runStartupCommands(config, admin, log);
  } catch (err) {
    await admin?.close();
    await overlay.stop();
    throw err;
  }
  networkCrawl?.start();
  stopStatus = startStatusLog(overlay, log, config.timers.statusLogInterval);
  log.info({ pubkey_node: identity.n9, dataDir, version: VERSION }, 'xrpl-overlay started');
  return { config, identity, overlay, admin, dataDir, monitor, stop, ...(networkCrawl && { networkCrawl }) };
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

/**
 * What the file holds that does nothing: a key or stanza no one knows is a warning with its
 * file:line; the stanzas and keys rippled reads and we do not are listed once, at info.
 */
function logConfigNotes(config: Config, log: Logger): void {
  const unused: string[] = [];
  for (const i of [...config.ignored].sort((a, b) => a.line - b.line)) {
    const where = `${config.file}:${i.line}: ${i.stanza ? `[${i.stanza}]` : '(before any stanza)'}`;
    const fields = { file: config.file, line: i.line, stanza: i.stanza, key: i.key };
    if (i.reason === 'unknown') {
      log.warn(fields, i.key ? `${where}: unknown key '${i.key}' ignored` : `${where}: unknown stanza or line ignored`);
    } else if (i.reason === 'unused') {
      unused.push(i.key ? `[${i.stanza}] ${i.key}` : `[${i.stanza}]`);
    } else {
      log.debug({ ...fields, reason: i.reason }, `${where}: not used (${i.reason})`);
    }
  }
  if (unused.length > 0) {
    log.info({ file: config.file, ignored: unused }, `rippled settings this node does not use, ignored: ${unused.join(', ')}`);
  }
}

/**
 * [rpc_startup]: each command runs once, as an admin, as rippled runs them at start. One that
 * fails is a configuration error (rippled would log it and go on with other settings).
 */
function runStartupCommands(config: Config, admin: AdminService, log: Logger): void {
  for (const c of config.rpcStartup) {
    const result = admin.run(c.command, c.params);
    if (typeof result.error === 'string') {
      throw new ConfigError({ file: config.file, line: c.line, stanza: 'rpc_startup' }, `${c.command}: ${String(result.error_message ?? result.error)}`);
    }
    log.info({ command: c.command, line: c.line }, `[rpc_startup] ${c.command} done`);
  }
}
