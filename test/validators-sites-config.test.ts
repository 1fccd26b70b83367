/** ValidatorSites on an injected clock and fetcher, and the validator stanzas of the config. */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig, parseConfig } from '../src/config/config.js';
import { type FetchResult, ValidatorSites } from '../src/validators/sites.js';
import { TestKey, TestPublisher } from './support/validators.js';

function sites(responses: (url: string) => FetchResult | Error) {
  let now = 1_000_000;
  const fetched: string[] = [];
  const applied: string[] = [];
  const s = new ValidatorSites({
    uris: ['https://vl.example/list'],
    now: () => now,
    fetch: async (url) => {
      fetched.push(url);
      const r = responses(url);
      if (r instanceof Error) throw r;
      return r;
    },
    apply: (body, uri) => {
      applied.push(uri);
      return { dispositions: new Map([['accepted', body.blobs.length]]) };
    },
  });
  return { s, fetched, applied, advance: (ms: number) => (now += ms) };
}

const pub = new TestPublisher();
const good = (refresh?: number): FetchResult => ({ status: 200, body: JSON.stringify(pub.siteV1(pub.blob({ sequence: 1, expiration: 1e9, validators: [TestKey.random()] }), refresh)) });

describe('validator list sites (rippled ValidatorSite)', () => {
  it('refreshes every 5 minutes, or the site’s refresh_interval kept within 1 minute and 24 hours', async () => {
    const t = sites(() => good());
    await t.s.tick();
    expect(t.applied).toHaveLength(1);
    t.advance(5 * 60_000 - 1);
    await t.s.tick();
    expect(t.fetched).toHaveLength(1);
    t.advance(1);
    await t.s.tick();
    expect(t.fetched).toHaveLength(2);
    expect(t.s.json()[0]).toMatchObject({ refresh_interval_min: 5, last_refresh_status: 'accepted', uri: 'https://vl.example/list' });
    const short = sites(() => good(0));
    await short.s.tick();
    expect(short.s.json()[0]!.refresh_interval_min).toBe(1);
    const long = sites(() => good(100_000));
    await long.s.tick();
    expect(long.s.json()[0]!.refresh_interval_min).toBe(24 * 60);
  });

  it('retries a failed site after 30 s and reports why', async () => {
    const t = sites(() => new Error('connect ECONNREFUSED'));
    await t.s.tick();
    expect(t.s.json()[0]).toMatchObject({ last_refresh_status: 'invalid', last_refresh_message: 'connect ECONNREFUSED' });
    t.advance(29_999);
    await t.s.tick();
    expect(t.fetched).toHaveLength(1);
    t.advance(1);
    await t.s.tick();
    expect(t.fetched).toHaveLength(2);
    const bad = sites(() => ({ status: 200, body: '{"version":1}' }));
    await bad.s.tick();
    expect(bad.s.json()[0]).toMatchObject({ last_refresh_status: 'invalid', last_refresh_message: 'Missing fields in JSON response' });
    const notFound = sites(() => ({ status: 404, body: '' }));
    await notFound.s.tick();
    expect(notFound.s.json()[0]!.last_refresh_message).toBe('bad result code 404');
  });

  it('follows up to 3 redirects, not 4', async () => {
    const three = sites((url) => (url.endsWith('/3') ? good() : { status: 302, location: `/r/${Number(url.split('/').pop()!.replace('list', '0')) + 1}`, body: '' }));
    await three.s.tick();
    expect(three.fetched).toEqual(['https://vl.example/list', 'https://vl.example/r/1', 'https://vl.example/r/2', 'https://vl.example/r/3']);
    expect(three.applied).toHaveLength(1);
    const four = sites((url) => (url.endsWith('/4') ? good() : { status: 301, location: `/r/${Number(url.split('/').pop()!.replace('list', '0')) + 1}`, body: '' }));
    await four.s.tick();
    expect(four.applied).toHaveLength(0);
    expect(four.s.json()[0]!.last_refresh_message).toBe('too many redirects');
  });
});

describe('validator stanzas', () => {
  const base = '[port_peer]\nip = 127.0.112.200\nport = 51235\nprotocol = peer\n';
  it('reads rippled’s defaults and values', () => {
    const d = parseConfig(base, 'x.cfg').validators;
    expect(d).toMatchObject({ relayProposals: 'trusted', relayValidations: 'all', networkQuorum: 1, validators: [], sites: [], publisherKeys: [] });
    const k = TestKey.random();
    const c = parseConfig(
      `${base}[validators]\n${k.n9} my validator\n[validator_list_sites]\nhttps://vl.example\n[validator_list_keys]\n${pub.keyHex}\n[validator_list_threshold]\n1\n[relay_proposals]\nALL\n[relay_validations]\ndrop_untrusted\n[network_quorum]\n3\n`,
      'x.cfg',
    ).validators;
    expect(c.validators[0]).toMatchObject({ n9: k.n9, comment: 'my validator' });
    expect(c).toMatchObject({ sites: ['https://vl.example'], listThreshold: 1, relayProposals: 'all', relayValidations: 'drop_untrusted', networkQuorum: 3 });
    expect(c.publisherKeys[0]!.toString('hex').toUpperCase()).toBe(pub.keyHex);
  });

  it('stops with file:line: [stanza] on what rippled refuses', () => {
    const err = (text: string) => {
      try {
        parseConfig(base + text, 'x.cfg');
      } catch (e) {
        return (e as ConfigError).message;
      }
      return 'no error';
    };
    expect(err('[relay_proposals]\nsome\n')).toBe('x.cfg:6: [relay_proposals]: invalid value some: use all, trusted or drop_untrusted');
    expect(err('[validators]\nn9notakey\n')).toBe('x.cfg:6: [validators]: invalid node identity: n9notakey');
    expect(err('[validator_list_sites]\nhttps://a.example\n')).toBe('x.cfg:6: [validator_list_sites]: [validator_list_keys] config section is missing');
    expect(err(`[validator_list_keys]\n${pub.keyHex}\n[validator_list_threshold]\n2\n`)).toBe('x.cfg:8: [validator_list_threshold]: 2 exceeds the number of configured list keys (1)');
    expect(err('[validator_list_keys]\nABCD\n')).toBe('x.cfg:6: [validator_list_keys]: invalid validator list publisher key: ABCD');
    expect(err('[validators_file]\nnowhere.txt\n')).toMatch(/^x\.cfg:6: \[validators_file\]: the file does not exist: .*nowhere\.txt$/);
  });

  it('reads validators.txt beside the config file, in rippled’s format', () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'vcfg-'));
    const k = TestKey.random();
    writeFileSync(path.join(dir, 'validators.txt'), `# comment\n[validators]\n${k.n9}\n\n[validator_list_keys]\n${pub.keyHex}\n`);
    writeFileSync(path.join(dir, 'rippled.cfg'), base);
    const c = loadConfig(path.join(dir, 'rippled.cfg')).validators;
    expect(c.validators.map((v) => v.n9)).toEqual([k.n9]);
    expect(c.publisherKeys).toHaveLength(1);
    expect(c.validatorsFile).toBe(path.join(dir, 'validators.txt'));
    writeFileSync(path.join(dir, 'other.txt'), '[ips]\n1.2.3.4\n');
    writeFileSync(path.join(dir, 'named.cfg'), `${base}[validators_file]\nother.txt\n`);
    expect(() => loadConfig(path.join(dir, 'named.cfg'))).toThrow(/other\.txt: contains no \[validators\], \[validator_keys\] or \[validator_list_keys\] section/);
  });
});
