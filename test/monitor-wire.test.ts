/**
 * The validator monitor on real sockets (127.0.113.0/24 only), in a network of our nodes: a monitor
 * node M (the library's OverlayNode, imported from the package entry and started by the README
 * example), a relay node R behind it with its own monitor, and a private sender S that puts the
 * harness's five validators on the wire: their manifests, then signed validations for ledgers
 * 251..266 (255 the voting ledger), with v3 silent for 254..256, v4 on its own fork for 259..260, and
 * both away on 263 (no quorum: the validated ledger must not advance).
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { OverlayNode } from 'xrpl-overlay';
import { printValidatedLedgers } from '../examples/validated-ledgers.js';
import { runCommand } from '../src/admin/handlers.js';
import { formatMonitor, watchValidators } from '../src/admin/monitor-watch.js';
import { PassThrough } from 'node:stream';
import type { Peer } from '../src/peer/peer.js';
import { FAST_OVERLAY, FAST_PEERFINDER, httpsGet, PEER_PORT, startNode, stopAllNodes, waitFor } from './support/nodes.js';
import { LedgerChain, netNow, sha512Half, TestKey, TestValidator } from './support/validators.js';

const NET = '127.0.113';
const up = (b: Buffer) => b.toString('hex').toUpperCase();
const AMEND_A = up(sha512Half(Buffer.from('amendment A')));
const AMEND_B = up(sha512Half(Buffer.from('amendment B')));
const kv = (lines: string[]) => Object.fromEntries(lines.map((l) => l.split(' = ') as [string, string]));

const ADMIN = `[port_ws_admin_local]\nip = ${NET}.1\nport = 51240\nprotocol = ws\nadmin = ${NET}.1\n\n[port_rpc_admin_local]\nip = ${NET}.1\nport = 51241\nprotocol = http\nadmin = 127.0.0.1,${NET}.1`;
let node: OverlayNode | undefined;
const dataDir = mkdtempSync(join(tmpdir(), 'monitor-wire-'));
afterAll(async () => {
  await node?.stop();
  await stopAllNodes();
  rmSync(dataDir, { recursive: true, force: true });
});

describe('validator monitor on the wire', () => {
  it('reports who missed and who disagreed, follows the quorum, and shows votes, on every surface', async () => {
    const vals = Array.from({ length: 5 }, () => new TestValidator(TestKey.random()));
    const keys = vals.map((v) => v.master.n9);
    const printed: string[] = [];
    // The README example, run as written, with this test's addresses.
    node = await printValidatedLedgers(
      { peerPort: { ip: `${NET}.1`, port: PEER_PORT }, dataDir, validators: keys, overlay: kv(FAST_OVERLAY), peerfinder: kv(FAST_PEERFINDER), extraConfig: ADMIN },
      (line) => printed.push(line),
    );
    const lib: { validation: number; manifest: number; amendment: string[] } = { validation: 0, manifest: 0, amendment: [] };
    node.on('validation', () => lib.validation++);
    node.on('manifest', () => lib.manifest++);
    node.on('amendmentMajority', (a) => lib.amendment.push(`${a.amendment}:${a.majority}`));
    const relay = await startNode({ ip: `${NET}.3`, extra: `[validators]\n${keys.join('\n')}\n[ips_fixed]\n${NET}.1 ${PEER_PORT}` });
    const sender = await startNode({ ip: `${NET}.2`, extra: `[peer_private]\n1\n[ips_fixed]\n${NET}.1 ${PEER_PORT}` });
    const m = node.internals!;
    await waitFor('sender and relay connected to M', () => m.overlay.peers().length === 2 && sender.overlay.peers().length === 1);
    const toM: Peer = sender.overlay.peers()[0]!;

    // The validations stream on M's admin WebSocket.
    const ws = new WebSocket(`ws://${NET}.1:51240/`, { localAddress: `${NET}.1` });
    const streamed: any[] = [];
    ws.on('message', (d) => {
      const j = JSON.parse(String(d));
      if (j.type === 'validationReceived') streamed.push(j);
    });
    await new Promise((r) => ws.once('open', r));
    ws.send(JSON.stringify({ id: 1, command: 'subscribe', streams: ['validations'] }));
    await waitFor('subscribed', () => m.admin && true, 1000);
    await new Promise((r) => setTimeout(r, 200)); // the subscribe answer is processed before the first validation

    toM.send('MANIFESTS', { list: vals.map((v) => ({ stobject: v.manifest! })) });
    await waitFor('M and R know the five manifests', () => m.overlay.opts.validators!.manifests.size === 5 && relay.overlay.opts.validators!.manifests.size === 5);

    const chain = new LedgerChain(250);
    const hashes = new Map<number, string>();
    const validatedSeqs: (number | undefined)[] = [];
    for (let i = 0; i < 16; i++) {
      const l = chain.advance();
      hashes.set(l.seq, up(l.hash));
      const t = netNow();
      vals.forEach((v, idx) => {
        if (idx === 3 && ((l.seq >= 254 && l.seq <= 256) || l.seq === 263)) return;
        if (idx === 4 && l.seq === 263) return;
        const fork = idx === 4 && l.seq >= 259 && l.seq <= 260;
        const fields: Record<string, unknown> = { Flags: 0x80000001, LedgerSequence: l.seq, SigningTime: t, LedgerHash: fork ? up(sha512Half(Buffer.from(`fork ${l.seq}`))) : up(l.hash), ServerVersion: '183B030102C00000' };
        if (l.seq === 255 && idx !== 4) fields.Amendments = idx <= 1 ? [AMEND_A, AMEND_B] : [AMEND_A];
        if (l.seq === 255 && idx === 0) Object.assign(fields, { BaseFeeDrops: '20', ReserveBaseDrops: '1000000', ReserveIncrementDrops: '200000' });
        toM.send('VALIDATION', { validation: v.validation(fields) });
      });
      const expected = l.seq === 263 ? 262 : l.seq;
      // Generous: a loaded 2-core machine can take seconds to pass five validations through two nodes.
      await waitFor(`M validated ${expected}`, () => m.monitor.monitor.validated?.seq === expected, 15_000);
      await waitFor(`R validated ${expected}`, () => relay.monitor.monitor.validated?.seq === expected, 15_000);
      validatedSeqs.push(m.monitor.monitor.validated?.seq);
    }
    expect(validatedSeqs).toEqual([251, 252, 253, 254, 255, 256, 257, 258, 259, 260, 261, 262, 262, 264, 265, 266]);
    // Every ledger but the last (settled when its successor is validated) has been printed.
    await waitFor('the example printed ledger 265', () => printed.some((p) => p.startsWith('ledger 265 ')));
    expect(printed.find((p) => p.startsWith('ledger 255 '))).toBe(`ledger 255 ${hashes.get(255)}: 4 validations, missed by ${keys[3]}`);
    expect(printed.find((p) => p.startsWith('ledger 260 '))).toBe(`ledger 260 ${hashes.get(260)}: 4 validations, missed by ${keys[4]}`);
    expect(printed.find((p) => p.startsWith('ledger 258 '))).toBe(`ledger 258 ${hashes.get(258)}: 5 validations, missed by none`);
    expect(printed.some((p) => p.startsWith('ledger 263 '))).toBe(false);

    const j = runCommand({ overlay: m.overlay } as never, 'validator_monitor', {}, { transport: 'http' }) as any;
    const row = (i: number) => j.validators.find((r: any) => r.master_key === keys[i]);
    expect(row(3).missed_ledgers).toEqual([254, 255, 256]);
    expect(row(3).disagreed_ledgers).toEqual([]);
    expect(row(4).disagreed_ledgers).toEqual([259, 260]);
    expect(row(4).missed_ledgers).toEqual([]);
    expect(row(0).agreement.ledgers_256).toEqual({ agreed: 14, total: 14, score: 1 });
    expect(row(3).agreement.ledgers_256).toEqual({ agreed: 11, total: 14, score: 0.78571 });
    expect(row(0)).toMatchObject({ version: '3.1.2', votes: { ledger_index: 255, amendments: [AMEND_A, AMEND_B], fees: { base_fee: '20', reserve_base: '1000000', reserve_inc: '200000' } } });
    expect(row(2).votes).toEqual({ ledger_index: 255, amendments: [AMEND_A] });
    expect(row(4).votes).toEqual({ ledger_index: 255, amendments: [] });
    // v3 missed 255: four ballots, threshold floor(4 × 0.8) = 3.
    expect(j.amendments).toEqual([
      { amendment: AMEND_A, votes: 3, of: 4, share: 0.75, majority: true },
      { amendment: AMEND_B, votes: 2, of: 4, share: 0.5, majority: false },
    ]);
    expect(lib.amendment).toEqual([`${AMEND_A}:true`]);
    expect(lib.manifest).toBe(5);
    await waitFor("all 75 validations seen (16 ledgers × 5, less 5 withheld)", () => lib.validation === 75);

    // server_info, the status we send peers, and the validations stream.
    const info = runCommand({ overlay: m.overlay } as never, 'server_info', {}, { transport: 'http' }) as any;
    expect(info.info.validated_ledger).toMatchObject({ seq: 266, hash: hashes.get(266) });
    await waitFor('R hears M announce 266', () => relay.overlay.peers()[0]?.ledger.ledgerSeq === 266);
    await waitFor('all validations streamed', () => streamed.length === 75);
    const s = streamed.find((x) => x.ledger_index === '255' && x.master_key === keys[0])!;
    expect(s).toMatchObject({ type: 'validationReceived', validation_public_key: vals[0]!.signingKey.n9, ledger_hash: hashes.get(255), full: true, flags: 0x80000001, amendments: [AMEND_A, AMEND_B], base_fee: 20, reserve_base: 1000000, reserve_inc: 200000, server_version: '1745992583412187136' });
    ws.close();

    const metrics = await m.admin.metrics.render();
    expect(metrics).toContain(`xrpl_overlay_validator_agreement{master_key="${keys[3]}",window="256"} 0.78571`);
    expect(metrics).toContain(`xrpl_overlay_amendment_majority{amendment="${AMEND_A}"} 1`);
    expect(metrics).toContain('xrpl_overlay_validated_ledger_seq 266');

    // /health: the validated ledger is fresh, so it is not among the metrics out of range.
    const health = await httpsGet(`${NET}.1`, PEER_PORT, '/health');
    expect(JSON.parse(health.body).info.validated_ledger).toBeUndefined();

    // validators --watch, one redraw, against M's admin port.
    const conf = join(dataDir, 'cli.cfg');
    writeFileSync(conf, ADMIN);
    const screen = new PassThrough();
    let drawn = '';
    const stop = new AbortController();
    screen.on('data', (c) => {
      drawn += String(c);
      stop.abort();
    });
    expect(await watchValidators(conf, ['0.1'], screen, stop.signal)).toBe(0);
    expect(drawn).toContain('validated ledger 266 ');
    expect(drawn).toContain(`  ${keys[4]}: validated another ledger at 259, 260\n`);

    const table = formatMonitor(j);
    expect(table).toContain(`  ${keys[3]}: missed 254, 255, 256\n`);
    expect(table).toContain(`  ${keys[4]}: validated another ledger at 259, 260\n`);
    if (process.env.MONITOR_TABLE_OUT) writeFileSync(process.env.MONITOR_TABLE_OUT, `${table}\n`);

    // The history survives a restart of the node.
    expect(m.dataDir).toBe(dataDir);
    await node.stop();
    node = new OverlayNode({ peerPort: { ip: `${NET}.1`, port: PEER_PORT }, dataDir, overlay: kv(FAST_OVERLAY) });
    const saved = JSON.parse(readFileSync(`${dataDir}/validator-monitor.json`, 'utf8'));
    expect(saved.validated.seq).toBe(266);
    await node.start();
    const again = node.validatorMonitor() as any;
    expect(again.validators.find((r: any) => r.master_key === keys[3]).missed_ledgers).toEqual([254, 255, 256]);
    expect(again.validated_ledger.ledger_index).toBe(266);
  });
});
