/**
 * The validator stanzas, read as rippled's Config::loadFromString reads them: [validators] (and
 * [validator_keys], merged into it), [validators_file] (a validators.txt beside the config file),
 * [validator_list_sites], [validator_list_keys], [validator_list_threshold], [relay_proposals],
 * [relay_validations] and [network_quorum]. Where rippled throws we stop with a ConfigError naming
 * file, line and stanza; we also check each key's form here, which rippled leaves to ValidatorList::load
 * (a bad key there stops rippled too, only later).
 */
import { existsSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { decodeNodePublic } from 'ripple-address-codec';
import { ConfigError, parseStanzas, type StanzaFile, type StanzaLine } from './stanzas.js';

/** rippled's RELAY_UNTRUSTED_*: 1 all, 0 trusted, -1 drop_untrusted. */
export type UntrustedRelay = 'all' | 'trusted' | 'drop_untrusted';

export interface StaticValidator {
  /** The master (or validation) public key, 33 bytes. */
  key: Buffer;
  n9: string;
  comment?: string;
}

export interface ValidatorsConfig {
  /** [validators] plus [validator_keys], from the config and the validators file. */
  validators: StaticValidator[];
  /** [validator_list_sites]: URLs as written (http, https, file). */
  sites: string[];
  /** [validator_list_keys]: publisher master keys, 33 bytes each. */
  publisherKeys: Buffer[];
  /** [validator_list_threshold]; undefined (or 0 in the file) means rippled computes it. */
  listThreshold?: number;
  /** rippled's defaults: proposals `trusted`, validations `all`. */
  relayProposals: UntrustedRelay;
  relayValidations: UntrustedRelay;
  /** [network_quorum]: peers needed before the node counts itself connected (rippled's default 1). */
  networkQuorum: number;
  /** The validators file that was read, if any. */
  validatorsFile?: string;
}

export const VALIDATOR_STANZAS = [
  'validators',
  'validator_keys',
  'validators_file',
  'validator_list_sites',
  'validator_list_keys',
  'validator_list_threshold',
  'relay_proposals',
  'relay_validations',
  'network_quorum',
] as const;

/** rippled's validatorsFileName. */
const DEFAULT_VALIDATORS_FILE = 'validators.txt';

interface Located {
  text: string;
  line: number;
  file: string;
  stanza: string;
}

function lines(source: StanzaFile, name: string): Located[] {
  const stanza = source.stanzas.get(name);
  return (stanza?.lines ?? []).map((l: StanzaLine) => ({ text: l.text, line: l.line, file: source.file, stanza: name }));
}

function fail(at: { file: string; line?: number; stanza?: string }, detail: string): never {
  throw new ConfigError(at, detail);
}

/**
 * @param readFile how to read the validators file (tests inject one); the default reads the disk.
 */
export function readValidatorsConfig(source: StanzaFile, readFile: (p: string) => string | undefined = readDiskFile): ValidatorsConfig {
  const configDir = source.file.startsWith('(') ? undefined : path.dirname(path.resolve(source.file));
  const file = validatorsFilePath(source, configDir, readFile);
  let extra: StanzaFile | undefined;
  if (file) {
    const text = readFile(file);
    if (text === undefined) fail({ file: source.file, stanza: 'validators_file' }, `cannot read ${file}`);
    extra = parseStanzas(text, file);
    const has = (n: string) => (extra!.stanzas.get(n)?.lines.length ?? 0) > 0;
    if (!has('validators') && !has('validator_keys') && !has('validator_list_keys')) {
      fail({ file }, 'contains no [validators], [validator_keys] or [validator_list_keys] section');
    }
  }
  const merged = (name: string) => [...lines(source, name), ...(extra ? lines(extra, name) : [])];

  const validators = [...merged('validators'), ...merged('validator_keys')].map(parseValidatorLine);
  const sites = merged('validator_list_sites').map((l) => parseSite(l));
  const publisherKeys = merged('validator_list_keys').map(parsePublisherKey);
  if (sites.length > 0 && publisherKeys.length === 0) {
    const first = merged('validator_list_sites')[0]!;
    fail(first, '[validator_list_keys] config section is missing');
  }
  const thresholdLines = merged('validator_list_threshold');
  let listThreshold: number | undefined;
  if (thresholdLines.length > 1) fail(thresholdLines[1]!, 'should contain a single value only');
  if (thresholdLines.length === 1) {
    const t = thresholdLines[0]!;
    if (!/^\d+$/.test(t.text)) fail(t, `not a number: ${t.text}`);
    const n = Number(t.text);
    if (n > publisherKeys.length) fail(t, `${n} exceeds the number of configured list keys (${publisherKeys.length})`);
    if (n > 0) listThreshold = n;
  }
  const out: ValidatorsConfig = {
    validators,
    sites,
    publisherKeys,
    relayProposals: readRelay(source, 'relay_proposals', 'trusted'),
    relayValidations: readRelay(source, 'relay_validations', 'all'),
    networkQuorum: readNetworkQuorum(source),
  };
  if (listThreshold !== undefined) out.listThreshold = listThreshold;
  if (file) out.validatorsFile = file;
  return out;
}

function readDiskFile(p: string): string | undefined {
  try {
    return readFileSync(p, 'utf8');
  } catch {
    return undefined;
  }
}

function validatorsFilePath(source: StanzaFile, configDir: string | undefined, readFile: (p: string) => string | undefined): string | undefined {
  const given = lines(source, 'validators_file');
  if (given.length > 1) fail(given[1]!, 'expected one value');
  if (given.length === 1) {
    const at = given[0]!;
    const p = path.isAbsolute(at.text) || !configDir ? at.text : path.join(configDir, at.text);
    if (readFile === readDiskFile) {
      if (!existsSync(p)) fail(at, `the file does not exist: ${p}`);
      if (!statSync(p).isFile()) fail(at, `not a regular file: ${p}`);
    }
    return p;
  }
  // Without [validators_file], rippled reads validators.txt beside the config file when there is one.
  if (!configDir) return undefined;
  const p = path.join(configDir, DEFAULT_VALIDATORS_FILE);
  if (readFile === readDiskFile) return existsSync(p) && statSync(p).isFile() ? p : undefined;
  return readFile(p) === undefined ? undefined : p;
}

/** ValidatorList::load's form: a node public key, then an optional comment. */
function parseValidatorLine(l: Located): StaticValidator {
  const m = /^(\S+)(?:\s+(.*\S))?\s*$/.exec(l.text);
  if (!m || !/^[A-Za-z0-9]+$/.test(m[1]!)) fail(l, `malformed entry: ${l.text}`);
  let key: Buffer;
  try {
    key = Buffer.from(decodeNodePublic(m[1]!));
  } catch {
    fail(l, `invalid node identity: ${m[1]}`);
  }
  if (!isPublicKeyType(key)) fail(l, `invalid node identity: ${m[1]}`);
  const v: StaticValidator = { key, n9: m[1]! };
  if (m[2]) v.comment = m[2];
  return v;
}

function parsePublisherKey(l: Located): Buffer {
  const hex = l.text.trim();
  if (!/^[0-9A-Fa-f]+$/.test(hex) || hex.length % 2 !== 0) fail(l, `invalid validator list publisher key: ${hex}`);
  const key = Buffer.from(hex, 'hex');
  if (!isPublicKeyType(key)) fail(l, `invalid validator list publisher key: ${hex}`);
  return key;
}

function parseSite(l: Located): string {
  let url: URL;
  try {
    url = new URL(l.text);
  } catch {
    fail(l, `invalid validator list site: ${l.text}`);
  }
  if (!['http:', 'https:', 'file:'].includes(url.protocol)) fail(l, `unsupported scheme in validator list site: ${l.text}`);
  return l.text;
}

function readRelay(source: StanzaFile, name: string, fallback: UntrustedRelay): UntrustedRelay {
  const ls = lines(source, name);
  if (ls.length === 0) return fallback;
  if (ls.length > 1) fail(ls[1]!, 'expected one value');
  const v = ls[0]!.text.toLowerCase();
  if (v === 'all' || v === 'trusted' || v === 'drop_untrusted') return v;
  return fail(ls[0]!, `invalid value ${ls[0]!.text}: use all, trusted or drop_untrusted`);
}

function readNetworkQuorum(source: StanzaFile): number {
  const ls = lines(source, 'network_quorum');
  if (ls.length === 0) return 1;
  if (ls.length > 1) fail(ls[1]!, 'expected one value');
  if (!/^\d+$/.test(ls[0]!.text)) fail(ls[0]!, `not a number: ${ls[0]!.text}`);
  return Number(ls[0]!.text);
}

/** rippled's publicKeyType: 33 bytes, secp256k1 (02/03) or ed25519 (ED). */
export function isPublicKeyType(key: Uint8Array): boolean {
  return key.length === 33 && (key[0] === 0x02 || key[0] === 0x03 || key[0] === 0xed);
}
