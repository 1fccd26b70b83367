/**
 * The validator reports as rippled makes them: ValidatorList::getJson (admin `validators`),
 * ValidatorSite::getJson (`validator_list_sites`), the `manifest` and `unl_list` commands,
 * server_info's `validator_list` / `validation_quorum`, and /crawl's `unl` (OverlayImpl::getUnlInfo).
 */
import { decodeNodePublic, encodeNodePublic } from 'ripple-address-codec';
import type { ValidatorsHub } from './hub.js';
import { formatNetTime } from './sites.js';
import { NEVER, type PublisherList } from './validator-list.js';

const n9 = (k: Uint8Array) => encodeNodePublic(k);
/** Json::UInt of rippled's size_t quorum: "no quorum" (size_t max) reads 4294967295. */
const UINT_MAX = 0xffffffff;

export function quorumJson(hub: ValidatorsHub): number {
  return Math.min(hub.list.quorum, UINT_MAX);
}

/** getJson's validator_list (and server_info's, without the threshold). */
export function validatorListSummary(hub: ValidatorsHub, withThreshold = true): Record<string, unknown> {
  const when = hub.list.expires();
  const out: Record<string, unknown> = { count: hub.list.count() };
  if (when === undefined) {
    out.expiration = 'unknown';
    out.status = 'unknown';
  } else if (when === NEVER) {
    out.expiration = 'never';
    out.status = 'active';
  } else {
    out.expiration = formatNetTime(when);
    out.status = when > hub.now() ? 'active' : 'expired';
  }
  if (withThreshold) out.validator_list_threshold = hub.list.listThreshold;
  return out;
}

/** True when a list has expired: rippled then has no quorum and blocks (setUNLBlocked). */
export function listExpired(hub: ValidatorsHub): boolean {
  const when = hub.list.expires();
  return when !== undefined && when !== NEVER && when <= hub.now();
}

function listJson(l: PublisherList, target: Record<string, unknown>): void {
  if (l.validUntil !== 0) {
    target.expiration = formatNetTime(l.validUntil);
    target.seq = l.sequence;
  }
  if (l.validFrom !== 0) target.effective = formatNetTime(l.validFrom);
  target.list = l.list.map(n9);
  target.uri = l.siteUri;
}

/** Admin `validators`: ValidatorList::getJson. */
export function validatorsJson(hub: ValidatorsHub): Record<string, unknown> {
  const publisherLists = [...hub.list.publishers].map(([key, pub]) => {
    const cur: Record<string, unknown> = { available: pub.status === 'available' };
    listJson(pub.current, cur);
    cur.pubkey_publisher = key.toUpperCase();
    if (pub.current.validUntil !== 0) cur.version = pub.rawVersion;
    const remaining = [...pub.remaining.values()].sort((a, b) => a.sequence - b.sequence);
    if (remaining.length) {
      cur.remaining = remaining.map((r) => {
        const o: Record<string, unknown> = {};
        listJson(r, o);
        return o;
      });
    }
    return cur;
  });
  return {
    local_static_keys: hub.list.localList.map(n9),
    publisher_lists: publisherLists,
    signing_keys: hub.list.signingKeys(),
    trusted_validator_keys: hub.list.trustedMasterKeys().map(n9),
    validation_quorum: quorumJson(hub),
    validator_list: validatorListSummary(hub),
  };
}

/** /crawl's unl: getJson without signing_keys, trusted_validator_keys, validation_quorum; plus the sites. */
export function unlInfo(hub: ValidatorsHub): Record<string, unknown> {
  const { signing_keys: _s, trusted_validator_keys: _t, validation_quorum: _q, ...rest } = validatorsJson(hub);
  return { ...rest, validator_sites: hub.sites.json() };
}

/** Admin `validator_list_sites`. */
export function validatorListSitesJson(hub: ValidatorsHub): Record<string, unknown> {
  return { validator_sites: hub.sites.json() };
}

/** Admin `unl_list`: every listed validator and whether it is trusted. */
export function unlListJson(hub: ValidatorsHub): Record<string, unknown> {
  const keys = new Map<string, Buffer>();
  for (const k of hub.list.listedKeys()) keys.set(k.toString('hex'), k);
  return { unl: [...keys.values()].map((k) => ({ pubkey_validator: n9(k), trusted: hub.list.trusted(k) })) };
}

/**
 * Admin `manifest`: { requested } and, when the key names a validator, its manifest and details.
 * Undefined when the key is not a node public key (rippled: invalidParams).
 */
export function manifestJson(hub: ValidatorsHub, requested: string): Record<string, unknown> | undefined {
  let key: Buffer;
  try {
    key = Buffer.from(decodeNodePublic(requested));
  } catch {
    return undefined;
  }
  const out: Record<string, unknown> = { requested };
  const master = hub.manifests.getMasterKey(key);
  const ephemeral = hub.manifests.getSigningKey(master);
  if (!ephemeral) return out;
  const m = hub.manifests.get(master);
  if (m) out.manifest = m.raw.toString('base64');
  const details: Record<string, unknown> = { ephemeral_key: n9(ephemeral), master_key: n9(master) };
  if (m) {
    details.seq = m.sequence;
    details.domain = m.domain;
  }
  out.details = details;
  return out;
}
