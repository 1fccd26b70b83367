/**
 * The validator reports against rippled 3.1.2's recorded answers (rippled-3.1.2-answers.json: R had
 * [validators] listing the three recorded validators and no publishers), the list cache across a
 * restart, and /health with an expired list.
 */
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import pino from 'pino';
import { describe, expect, it } from 'vitest';
import { parseConfig } from '../src/config/config.js';
import { buildHealth } from '../src/overlay/health.js';
import { ValidatorsHub } from '../src/validators/hub.js';
import { listExpired, unlInfo, validatorListSummary, validatorsJson } from '../src/validators/reports.js';
import { netNow, TestKey, TestPublisher, TestValidator } from './support/validators.js';

const answers = JSON.parse(readFileSync(new URL('./fixtures/vectors/rippled-3.1.2-answers.json', import.meta.url), 'utf8'));
const silent = pino({ level: 'silent' });
const base = '[port_peer]\nip = 127.0.112.201\nport = 51235\nprotocol = peer\n';

function hubFor(text: string, opts: { dataDir?: string; now?: () => number } = {}): ValidatorsHub {
  return new ValidatorsHub({ config: parseConfig(base + text, 'x.cfg').validators, log: silent, ...opts });
}

describe('validator reports match rippled 3.1.2', () => {
  const recorded = answers.admin.r.validators.result;
  const hub = hubFor(`[validators]\n${recorded.local_static_keys.join('\n')}\n`);

  it('validators: the recorded answer, field for field', () => {
    const mine = validatorsJson(hub);
    const { status: _s, trusted_validator_keys: theirTrusted, ...theirs } = recorded;
    const { trusted_validator_keys: myTrusted, ...rest } = mine;
    expect(rest).toEqual(theirs);
    // rippled lists the trusted keys from a hash set: compare as sets.
    expect(new Set(myTrusted as string[])).toEqual(new Set(theirTrusted));
  });

  it('server_info validator_list and /crawl unl', () => {
    const info = answers.admin.r.server_info.result.info;
    expect(validatorListSummary(hub, false)).toEqual(info.validator_list);
    expect(unlInfo(hub)).toEqual(answers.R_crawl.body.unl);
  });
});

describe('list cache and expiry', () => {
  it('a restarted node has its publisher lists back from the data dir, verified again', () => {
    const dataDir = mkdtempSync(path.join(tmpdir(), 'vl-cache-'));
    const pub = new TestPublisher();
    const v = new TestValidator(TestKey.random());
    const a = hubFor(`[validator_list_keys]\n${pub.keyHex}\n`, { dataDir });
    a.applyFromSite({ manifest: pub.manifestB64, version: 1, blobs: [pub.blob({ sequence: 4, expiration: netNow() + 3600, validators: [v] })] }, 'https://x', []);
    expect(a.list.trusted(v.ephemeral.publicKey)).toBe(true);
    a.stop();
    const b = hubFor(`[validator_list_keys]\n${pub.keyHex}\n`, { dataDir });
    expect(b.list.trusted(v.ephemeral.publicKey)).toBe(true);
    expect(b.list.quorum).toBe(1);
    expect(b.vlFile(pub.keyHex)).toMatchObject({ public_key: pub.keyHex, version: 1 });
  });

  it('an expired list: status expired in the reports, no quorum, and /health warns as for a UNL-blocked rippled', () => {
    const pub = new TestPublisher();
    let now = netNow();
    const hub = hubFor(`[validator_list_keys]\n${pub.keyHex}\n`, { now: () => now });
    hub.applyFromSite({ manifest: pub.manifestB64, version: 1, blobs: [pub.blob({ sequence: 1, expiration: now + 10, validators: [new TestValidator(TestKey.random())] })] }, 'https://x', []);
    expect(validatorListSummary(hub)).toMatchObject({ status: 'active', count: 1 });
    const source = (expired: boolean) => ({ peers: () => new Array(10).fill(0), serverState: () => 'connected', ledgerAgeSeconds: () => 1, validatorListExpired: () => expired });
    expect(buildHealth(source(listExpired(hub))).status).toBe(200);
    now += 10;
    hub.tick();
    expect(validatorListSummary(hub)).toMatchObject({ status: 'expired' });
    expect(hub.list.quorum).toBe(Number.MAX_SAFE_INTEGER);
    expect(validatorsJson(hub).validation_quorum).toBe(4294967295);
    const h = buildHealth(source(listExpired(hub)));
    expect(h.status).toBe(503);
    expect(h.body.info).toEqual({ server_state: 'connected' });
  });
});

describe('the hub warning', () => {
  it('logs once at start that untrusted proposals are held back when there is no list, and not otherwise', () => {
    const lines: string[] = [];
    const log = pino({ level: 'info' }, { write: (l: string) => lines.push(l) });
    const none = new ValidatorsHub({ config: parseConfig(base, 'x.cfg').validators, log });
    none.logPolicy();
    expect(lines.filter((l) => l.includes('proposals from untrusted validators are held back'))).toHaveLength(1);
    lines.length = 0;
    new ValidatorsHub({ config: parseConfig(`${base}[relay_proposals]\nall\n`, 'x.cfg').validators, log }).logPolicy();
    new ValidatorsHub({ config: parseConfig(`${base}[validators]\n${TestKey.random().n9}\n`, 'x.cfg').validators, log }).logPolicy();
    expect(lines.filter((l) => l.includes('held back'))).toHaveLength(0);
    // and it counts what it holds back
    expect(none.shouldRelay('proposal', TestKey.random().publicKey)).toBe(false);
    expect(none.shouldRelay('validation', TestKey.random().publicKey)).toBe(true);
    expect(none.heldBack).toEqual({ proposals: 1, validations: 0 });
  });
});

describe('unl_list and the CLI text', () => {
  it('unl_list lists every listed validator with its trust; the CLI prints validators as a table and a manifest', async () => {
    const { formatManifest, formatValidators } = await import('../src/admin/format-validators.js');
    const { manifestJson, unlListJson } = await import('../src/validators/reports.js');
    const pub = new TestPublisher();
    const a = new TestValidator(TestKey.random());
    const b = new TestValidator(TestKey.random());
    const pubs = [pub, new TestPublisher(), new TestPublisher()];
    const hub = hubFor(`[validator_list_keys]\n${pubs.map((p) => p.keyHex).join('\n')}\n`);
    hub.applyFromSite({ manifest: pub.manifestB64, version: 1, blobs: [pub.blob({ sequence: 1, expiration: netNow() + 3600, validators: [a, b] })] }, 'https://one', []);
    hub.applyFromSite({ manifest: pubs[1]!.manifestB64, version: 1, blobs: [pubs[1]!.blob({ sequence: 1, expiration: netNow() + 3600, validators: [a] })] }, 'https://two', []);
    const unl = unlListJson(hub).unl as { pubkey_validator: string; trusted: boolean }[];
    expect(unl.sort((x, y) => x.pubkey_validator.localeCompare(y.pubkey_validator))).toEqual(
      [
        { pubkey_validator: a.master.n9, trusted: true },
        { pubkey_validator: b.master.n9, trusted: false }, // named by one list of three: threshold 2
      ].sort((x, y) => x.pubkey_validator.localeCompare(y.pubkey_validator)),
    );
    const text = formatValidators(validatorsJson(hub));
    expect(text).toMatch(new RegExp(`${a.master.n9}\\s+yes\\s+${a.ephemeral.n9}`));
    expect(text).toMatch(new RegExp(`${b.master.n9}\\s+no\\s+${b.ephemeral.n9}`));
    expect(text).toContain('quorum 1; 1 trusted; lists: 3, unknown, expiring unknown, threshold 2');
    const m = formatManifest(manifestJson(hub, a.ephemeral.n9)!);
    expect(m).toContain(`master key:    ${a.master.n9}`);
    expect(m).toContain('sequence:      1');
  });
});
