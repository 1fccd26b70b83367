/** How the config's timer table becomes PeerFinder's discovery settings. */
import type { Timers } from '../config/timers.js';
import type { DiscoveryTimers } from './manager.js';

/** PeerFinder's discovery settings from a timer table (the daemon's and the simulation's one mapping). */
export function discoveryTimers(t: Timers): DiscoveryTimers {
  return {
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
  };
}
