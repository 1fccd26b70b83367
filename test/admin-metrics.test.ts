/**
 * GET /metrics on the admin HTTP port (127.0.0.63–65), parsed as Prometheus text: peers by
 * direction, messages and bytes by type and direction (kept after a peer leaves), handshake
 * failures by reason, fixed peer reconnects.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { dialIndependent } from './support/independent-peer.js';
import { adminStanzas, parsePrometheus, httpRequest, rpc, RPC_PORT, sampleValue } from './support/admin.js';
import { PEER_PORT, startNode, stopAllNodes, waitFor } from './support/nodes.js';

const M = '127.0.0.63';
const F = '127.0.0.64';
const NOBODY = '127.0.0.65';

afterEach(stopAllNodes);

async function scrape() {
  const r = await httpRequest({ host: M, port: RPC_PORT, method: 'GET', path: '/metrics' });
  expect(r.status).toBe(200);
  expect(r.headers['content-type']).toBe('text/plain; version=0.0.4; charset=utf-8');
  return parsePrometheus(r.body);
}

describe('GET /metrics', () => {
  it('is valid Prometheus text with HELP and TYPE for every family: ours named xrpl_overlay_*, the process ones by their standard names', async () => {
    await startNode({ ip: M, extra: adminStanzas({ ip: M, rpcPort: RPC_PORT }) });
    const families = await scrape();
    const ours = [...families.keys()].filter((n) => n.startsWith('xrpl_overlay_'));
    expect(ours.sort()).toEqual([
      'xrpl_overlay_amendment_majority',
      'xrpl_overlay_amendment_vote_share',
      'xrpl_overlay_build_info',
      'xrpl_overlay_bytes_total',
      'xrpl_overlay_fixed_peer_reconnects_total',
      'xrpl_overlay_handshake_duration_seconds',
      'xrpl_overlay_handshake_failures_total',
      'xrpl_overlay_ledger_replies_routed_total',
      'xrpl_overlay_ledger_replies_unroutable_total',
      'xrpl_overlay_ledger_requests_total',
      'xrpl_overlay_messages_total',
      'xrpl_overlay_peer_charges_total',
      'xrpl_overlay_peer_disconnects_total',
      'xrpl_overlay_peer_latency_seconds',
      'xrpl_overlay_peers',
      'xrpl_overlay_relay_items_total',
      'xrpl_overlay_traffic_bytes_total',
      'xrpl_overlay_traffic_messages_total',
      'xrpl_overlay_trusted_validators',
      'xrpl_overlay_untrusted_held_back_total',
      'xrpl_overlay_uptime_seconds',
      'xrpl_overlay_validated_ledger_seq',
      'xrpl_overlay_validation_quorum',
      'xrpl_overlay_validator_agreement',
      'xrpl_overlay_validator_last_seen_seconds',
    ]);
    // The rest are prom-client's process and Node.js families, which stock dashboards query by these names.
    for (const n of families.keys()) if (!ours.includes(n)) expect(n, n).toMatch(/^(process|nodejs)_/);
    for (const n of ['process_cpu_seconds_total', 'process_resident_memory_bytes', 'nodejs_heap_size_used_bytes', 'nodejs_gc_duration_seconds', 'nodejs_eventloop_lag_seconds']) {
      expect(families.has(n), n).toBe(true);
    }
    for (const [name, f] of families) {
      expect(f.help, name).toBeTruthy();
      expect(f.type, name).toMatch(name.endsWith('_total') ? /^counter$/ : name.endsWith('_duration_seconds') || name.endsWith('_latency_seconds') ? /^histogram$/ : /^(gauge|counter)$/);
    }
    expect(sampleValue(families, 'xrpl_overlay_peers', { direction: 'in' })).toBe(0);
    expect(sampleValue(families, 'xrpl_overlay_peers', { direction: 'out' })).toBe(0);
  });

  it('counts peers, traffic by type and direction, and keeps the counts after a peer leaves', async () => {
    const m = await startNode({ ip: M, extra: `${adminStanzas({ ip: M, rpcPort: RPC_PORT })}\n[ips_fixed]\n${F} ${PEER_PORT}` });
    const f = await startNode({ ip: F });
    await waitFor('the fixed peer', () => m.overlay.peers().length === 1);
    // Pings go every 0.5 s in tests; wait for a round trip both ways.
    await waitFor('pings both ways', () => {
      const t = m.overlay.peers()[0]?.traffic;
      return !!t && (t.in.get(3)?.messages ?? 0) >= 2 && (t.out.get(3)?.messages ?? 0) >= 2;
    });

    let families = await scrape();
    expect(sampleValue(families, 'xrpl_overlay_peers', { direction: 'out' })).toBe(1);
    expect(sampleValue(families, 'xrpl_overlay_peers', { direction: 'in' })).toBe(0);
    const pingsIn = sampleValue(families, 'xrpl_overlay_messages_total', { type: 'PING', direction: 'in' })!;
    const pingsOut = sampleValue(families, 'xrpl_overlay_messages_total', { type: 'PING', direction: 'out' })!;
    const bytesIn = sampleValue(families, 'xrpl_overlay_bytes_total', { type: 'PING', direction: 'in' })!;
    expect(pingsIn).toBeGreaterThanOrEqual(2);
    expect(pingsOut).toBeGreaterThanOrEqual(2);
    // Every frame has a 6-byte header, so bytes outnumber messages.
    expect(bytesIn).toBeGreaterThan(pingsIn * 6);
    // rippled's categories: pings (and status changes) are "overhead"; every message is in "total".
    expect(sampleValue(families, 'xrpl_overlay_traffic_messages_total', { category: 'overhead', direction: 'in' })).toBeGreaterThanOrEqual(pingsIn);
    expect(sampleValue(families, 'xrpl_overlay_traffic_bytes_total', { category: 'total', direction: 'in' })).toBeGreaterThanOrEqual(bytesIn);
    for (const s of families.get('xrpl_overlay_messages_total')!.samples) {
      expect(Object.keys(s.labels).sort()).toEqual(['direction', 'type']);
      expect(['in', 'out']).toContain(s.labels.direction);
    }

    // The peer goes: the gauge drops, the counters stay, a fixed reconnect and a disconnect are counted.
    await f.stop();
    await waitFor('the loss', () => m.overlay.peers().length === 0);
    families = await scrape();
    expect(sampleValue(families, 'xrpl_overlay_peers', { direction: 'out' })).toBe(0);
    expect(sampleValue(families, 'xrpl_overlay_messages_total', { type: 'PING', direction: 'in' })).toBeGreaterThanOrEqual(pingsIn);
    expect(sampleValue(families, 'xrpl_overlay_messages_total', { type: 'PING', direction: 'out' })).toBeGreaterThanOrEqual(pingsOut);
    expect(sampleValue(families, 'xrpl_overlay_bytes_total', { type: 'PING', direction: 'in' })).toBeGreaterThanOrEqual(bytesIn);
    expect(sampleValue(families, 'xrpl_overlay_fixed_peer_reconnects_total', { endpoint: `${F}:${PEER_PORT}` })).toBe(1);
    // f stopped: it closed the connection (a reset instead of a FIN is possible on a loaded machine).
    const closed = (reason: string) => sampleValue(families, 'xrpl_overlay_peer_disconnects_total', { reason })!;
    expect(closed('remote-closed') + closed('socket-error')).toBe(1);
    expect(families.get('xrpl_overlay_peer_disconnects_total')!.samples.reduce((n, x) => n + x.value, 0)).toBe(1);
  });

  it('counts handshake failures by direction and reason', async () => {
    const m = await startNode({ ip: M, extra: adminStanzas({ ip: M, rpcPort: RPC_PORT }) });
    // Outbound: nothing listens there.
    await rpc(M, RPC_PORT, 'connect', { ip: NOBODY, port: PEER_PORT });
    // Inbound: a peer whose session signature is wrong gets rippled's 400.
    await expect(dialIndependent({ host: M, port: PEER_PORT, signWrongDigest: true })).rejects.toThrow();
    let failures: { labels: Record<string, string>; value: number }[] = [];
    for (const deadline = Date.now() + 5000; Date.now() < deadline; await new Promise((r) => setTimeout(r, 50))) {
      failures = (await scrape()).get('xrpl_overlay_handshake_failures_total')!.samples;
      if (failures.length >= 2) break;
    }
    expect(failures).toContainEqual({ labels: { direction: 'in', reason: 'bad-signature' }, value: 1 });
    const out = failures.filter((s) => s.labels.direction === 'out');
    expect(out).toHaveLength(1);
    // Discovery may redial the address it just learned of, so at least one.
    expect(out[0]!.value).toBeGreaterThanOrEqual(1);
    expect(out[0]!.labels.reason).toMatch(/^(network|refused|timeout)$/);
    expect(m.overlay.peers()).toHaveLength(0);
  });
});
