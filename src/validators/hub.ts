/**
 * The node's knowledge of validators, as rippled's Application holds it: the validator and publisher
 * manifest caches, the validator lists and trusted set, the relay policy for untrusted proposals and
 * validations, and what a new peer is sent (PeerImp::doProtocolStart). The overlay calls in; this
 * module never calls the overlay, it is handed the peers it may send to.
 */
import path from 'node:path';
import type { Logger } from 'pino';
import type { ValidatorsConfig } from '../config/validators.js';
import type { TMManifests, TMValidatorList, TMValidatorListCollection } from '../protocol/messages.js';
import type { ProtocolVersion } from '../protocol/handshake.js';
import { formatEndpoint } from '../address/address.js';
import { fieldCode, readObject, SerializedType } from '../ledger/ledger-objects.js';
import { ManifestCache } from './manifest-cache.js';
import { type Fetcher, parseSiteBlobs, type SiteTimers, ValidatorSites } from './sites.js';
import { jsonObject, readJsonState, writeJsonAtomic } from '../identity/state-file.js';
import { buildFileData, listMessagesFor, listMessageVersion, type ListMessage } from './list-relay.js';
import { type BlobInfo, bestDisposition, MAX_SUPPORTED_BLOBS, ValidatorList, worstDisposition, type ListStats } from './validator-list.js';

/** rippled's resource fees a peer's validator list can cost it. */
export type ListFee = 'unwantedData' | 'badData' | 'invalidSignature' | 'highBurden';

/** What the hub needs of a peer. */
export interface HubPeer {
  readonly id: number;
  readonly info: { direction: 'in' | 'out'; protocol: ProtocolVersion; n9: string; remoteIp: string; remotePort: number };
  send(name: ListMessage['name'] | 'MANIFESTS', message: ListMessage['message'] | TMManifests): void;
}

export interface HubOptions {
  config: ValidatorsConfig;
  dataDir?: string;
  log: Logger;
  /** NetClock seconds (since 2000-01-01). */
  now?: () => number;
  /** How long a list message's hash is remembered (rippled's HashRouter hold time, 300 s). */
  suppressionSeconds?: number;
  /** For [validator_list_sites]: a fetcher, the site timers and a Unix-ms clock (tests inject them). */
  fetch?: Fetcher;
  siteTimers?: Partial<SiteTimers>;
  siteClock?: () => number;
}

const SIGNING_PUB_KEY = fieldCode(SerializedType.VL, 3);

export const RIPPLE_EPOCH_OFFSET = 946_684_800;
export const netClockNow = (): number => Math.floor(Date.now() / 1000) - RIPPLE_EPOCH_OFFSET;

/** Counts of what the relay policy held back. */
export interface HeldBack {
  proposals: number;
  validations: number;
}

interface Seen {
  peers: Set<number>;
  relayed: boolean;
  at: number;
}

export class ValidatorsHub {
  readonly manifests: ManifestCache;
  readonly publisherManifests: ManifestCache;
  readonly list: ValidatorList;
  readonly heldBack: HeldBack = { proposals: 0, validations: 0 };
  readonly now: () => number;
  private readonly peerSequences = new Map<number, Map<string, number>>();
  private readonly seen = new Map<string, Seen>();
  private readonly suppressionSeconds: number;
  private timer: NodeJS.Timeout | undefined;
  private peers: () => readonly HubPeer[] = () => [];
  readonly sites: ValidatorSites;

  constructor(private readonly opts: HubOptions) {
    this.now = opts.now ?? netClockNow;
    this.suppressionSeconds = opts.suppressionSeconds ?? 300;
    this.manifests = new ManifestCache(opts.dataDir ? path.join(opts.dataDir, 'manifests.json') : undefined);
    this.publisherManifests = new ManifestCache(opts.dataDir ? path.join(opts.dataDir, 'publisher-manifests.json') : undefined);
    for (const [cache, what] of [
      [this.manifests, 'validator manifests'],
      [this.publisherManifests, 'publisher manifests'],
    ] as const) {
      const r = cache.load();
      if (r.warning) opts.log.warn({ warning: r.warning }, `${what} not all loaded`);
      else if (r.loaded) opts.log.info({ loaded: r.loaded }, `${what} loaded`);
    }
    const c = opts.config;
    this.list = new ValidatorList({
      publisherKeys: c.publisherKeys,
      staticValidators: c.validators,
      ...(c.listThreshold !== undefined ? { listThreshold: c.listThreshold } : {}),
      validatorManifests: this.manifests,
      publisherManifests: this.publisherManifests,
      now: this.now,
    });
    this.loadCachedLists();
    this.list.updateTrusted();
    this.sites = new ValidatorSites({
      uris: c.sites,
      apply: (body, uri) => this.applyFromSite(body, uri, this.peers()),
      ...(opts.fetch ? { fetch: opts.fetch } : {}),
      ...(opts.siteTimers ? { timers: opts.siteTimers } : {}),
      ...(opts.siteClock ? { now: opts.siteClock } : {}),
      onError: (uri, message) => opts.log.warn({ site: uri, err: message }, 'validator list site not fetched'),
    });
  }

  /** rippled's cache.<publisher key> file in the data directory. */
  private cacheFile(keyHex: string): string | undefined {
    return this.opts.dataDir ? path.join(this.opts.dataDir, 'validator-lists', `cache.${keyHex.toUpperCase()}`) : undefined;
  }

  /** ValidatorList::cacheValidatorFile: the publisher's lists as its site serves them (refresh in 24 h). */
  private cacheLists(stats: ListStats): void {
    const key = stats.publisherKey?.toString('hex');
    const pub = key ? this.list.publishers.get(key) : undefined;
    const file = key ? this.cacheFile(key) : undefined;
    if (!key || !pub || !file || pub.maxSequence === undefined) return;
    const body = buildFileData(key.toUpperCase(), pub);
    if (!body) return;
    try {
      writeJsonAtomic(file, { ...body, refresh_interval: 24 * 60 });
    } catch (err) {
      this.opts.log.warn({ file, err: (err as Error).message }, 'could not save a validator list');
    }
  }

  /** At start, the cached lists of each publisher, verified again like any other (ValidatorList::loadLists). */
  private loadCachedLists(): void {
    for (const key of this.list.publishers.keys()) {
      const file = this.cacheFile(key);
      if (!file) continue;
      try {
        const body = readJsonState<Record<string, unknown> | undefined>(file, undefined, jsonObject);
        if (!body) continue;
        const blobs = typeof body.manifest === 'string' && typeof body.version === 'number' ? parseSiteBlobs(body) : undefined;
        if (!blobs) throw new Error('not a validator list file');
        const stats = this.list.applyLists(body.manifest as string, body.version as number, blobs, `file://${file}`);
        this.opts.log.info({ file, result: bestDisposition(stats) }, 'cached validator list loaded');
      } catch (err) {
        this.opts.log.warn({ file, err: (err as Error).message }, 'cached validator list not loaded');
      }
    }
  }

  /** Where lists fetched from sites are relayed to. */
  attach(peers: () => readonly HubPeer[]): void {
    this.peers = peers;
  }

  /** Starts the once-a-second trusted-set update (rippled: every ledger close). */
  start(intervalMs = 1000): void {
    this.logPolicy();
    this.timer = setInterval(() => {
      this.tick();
      this.save();
    }, intervalMs);
    this.timer.unref();
    this.sites.start();
  }

  stop(): void {
    clearInterval(this.timer);
    this.sites.stop();
    this.save();
  }

  /** Logs once what the relay policy will hold back (the issue's hub warning). */
  logPolicy(): void {
    const c = this.opts.config;
    const noList = c.validators.length === 0 && c.publisherKeys.length === 0;
    if (c.relayProposals !== 'all' && noList) {
      this.opts.log.warn(
        { relay_proposals: c.relayProposals },
        'no [validators] and no [validator_list_keys]: proposals from untrusted validators are held back, not relayed; set [relay_proposals] all for a hub between validators',
      );
    }
  }

  /** rippled's RELAY_UNTRUSTED_* decision for a proposal or validation signed by `signingKey`. */
  shouldRelay(kind: 'proposal' | 'validation', signingKey: Uint8Array): boolean {
    return this.relayDecision(kind, signingKey) === 'relay';
  }

  /**
   * 'relay'; 'hold' (untrusted under `trusted`: still checked, then not relayed); 'drop' (untrusted
   * under `drop_untrusted`: rippled drops it before any other work, signature check included).
   */
  relayDecision(kind: 'proposal' | 'validation', signingKey: Uint8Array): 'relay' | 'hold' | 'drop' {
    if (this.list.trusted(signingKey)) return 'relay';
    const policy = kind === 'proposal' ? this.opts.config.relayProposals : this.opts.config.relayValidations;
    if (policy === 'all') return 'relay';
    if (kind === 'proposal') this.heldBack.proposals++;
    else this.heldBack.validations++;
    return policy === 'drop_untrusted' ? 'drop' : 'hold';
  }

  /** The key that signed a serialized validation (its SigningPubKey), if it can be read. */
  static validationSigner(raw: Uint8Array): Buffer | undefined {
    const read = readObject(raw);
    if (!read.ok) return undefined;
    const f = read.fields.find((x) => x.code === SIGNING_PUB_KEY);
    return f ? Buffer.from(raw.subarray(f.valueStart, f.end)) : undefined;
  }

  /** Recomputes the trusted set (rippled does on every ledger close); logs what changed. */
  tick(): void {
    const before = this.list.quorum;
    const changes = this.list.updateTrusted();
    // A pending list that became current goes to the peers that lack it (rippled's updateTrusted → broadcastBlobs).
    for (const key of changes.rotated) {
      const hex = key.toString('hex');
      const pub = this.list.publishers.get(hex)!;
      for (const p of this.peers()) {
        if ((this.peerSequences.get(p.id)?.get(hex) ?? 0) < pub.current.sequence) this.sendLists(p, hex, listMessageVersion(p.info.protocol));
      }
    }
    if (changes.added.length || changes.removed.length || before !== this.list.quorum) {
      this.opts.log.info({ added: changes.added.length, removed: changes.removed.length, trusted: this.list.trustedMasterKeys().length, quorum: this.list.quorum }, 'trusted validators changed');
    }
    this.expireSeen();
  }

  /** Writes the manifest caches when they changed: at most once per timer tick, never per message. */
  private save(): void {
    try {
      this.manifests.save();
      this.publisherManifests.save();
    } catch (err) {
      this.opts.log.warn({ err: (err as Error).message }, 'could not save the manifest cache');
    }
  }

  // ------------------------------------------------------------ manifests

  /**
   * OverlayImpl::onManifests: each manifest applied to the cache; those accepted (that change what
   * we know) are the ones to relay, in a message of their own.
   */
  onManifests(m: TMManifests): TMManifests | undefined {
    const accepted: { stobject: Buffer }[] = [];
    for (const entry of m.list) {
      const r = this.manifests.applyRaw(entry.stobject);
      if (r.disposition === 'accepted') accepted.push({ stobject: entry.stobject });
    }
    if (accepted.length === 0) return undefined;
    this.tick();
    return { list: accepted };
  }

  /** OverlayImpl::getManifestsMessage: every manifest we know, history set; undefined when none. */
  manifestsMessage(): TMManifests | undefined {
    const all = this.manifests.all();
    return all.length ? { list: all.map((m) => ({ stobject: m.raw })), history: true } : undefined;
  }

  // ------------------------------------------------------------ peers

  /** doProtocolStart: an inbound peer gets our available lists; every peer gets our manifests. */
  onPeerActive(peer: HubPeer): void {
    if (peer.info.direction === 'in') {
      const version = listMessageVersion(peer.info.protocol);
      for (const [key, pub] of this.list.publishers) {
        if (pub.status !== 'available') continue;
        this.sendLists(peer, key, version);
      }
    }
    const m = this.manifestsMessage();
    if (m) peer.send('MANIFESTS', m);
  }

  onPeerClosed(id: number): void {
    this.peerSequences.delete(id);
  }

  private sendLists(peer: HubPeer, publisherHex: string, version: 0 | 1 | 2): void {
    const pub = this.list.publishers.get(publisherHex)!;
    const seqs = this.peerSequences.get(peer.id) ?? new Map<string, number>();
    const built = listMessagesFor(pub, seqs.get(publisherHex) ?? 0, version);
    if (!built) return;
    seqs.set(publisherHex, built.newSequence);
    this.peerSequences.set(peer.id, seqs);
    for (const m of built.messages) peer.send(m.name, m.message);
  }

  // ------------------------------------------------------------ validator lists

  /**
   * PeerImp::onMessage(TMValidatorList / TMValidatorListCollection) and onValidatorListMessage:
   * applies the lists, relays the newest to the peers that lack it, and says what to charge.
   */
  onValidatorList(
    from: HubPeer,
    msg: { name: 'VALIDATOR_LIST'; message: TMValidatorList } | { name: 'VALIDATOR_LIST_COLLECTION'; message: TMValidatorListCollection },
    peers: readonly HubPeer[],
  ): { fee?: ListFee; reason: string; stats?: ListStats } {
    const version = listMessageVersion(from.info.protocol);
    let manifest: string;
    let blobs: BlobInfo[];
    let listVersion: number;
    if (msg.name === 'VALIDATOR_LIST') {
      if (version < 1) return { fee: 'unwantedData', reason: 'validator list from a peer that does not support them' };
      const m = msg.message;
      manifest = m.manifest.toString('utf8');
      listVersion = m.version;
      blobs = [{ blob: m.blob.toString('utf8'), signature: m.signature.toString('utf8') }];
    } else {
      const m = msg.message;
      if (version < 2) return { fee: 'unwantedData', reason: 'validator list collection from a peer that does not support them' };
      if (m.version < 2) return { fee: 'badData', reason: `validator list collection of version ${m.version}` };
      manifest = m.manifest.toString('utf8');
      listVersion = m.version;
      blobs =
        m.blobs.length > MAX_SUPPORTED_BLOBS
          ? []
          : m.blobs.map((b) => {
              const info: BlobInfo = { blob: b.blob.toString('utf8'), signature: b.signature.toString('utf8') };
              if (b.manifest && b.manifest.length) info.manifest = b.manifest.toString('utf8');
              return info;
            });
    }
    if (blobs.length === 0) return { fee: 'highBurden', reason: `malformed ${msg.name}` };
    const hash = ValidatorList.blobsHash(manifest, blobs, listVersion);
    const seen = this.seen.get(hash);
    if (seen?.peers.has(from.id)) return { fee: 'unwantedData', reason: `duplicate ${msg.name}` };
    const entry: Seen = seen ?? { peers: new Set(), relayed: false, at: this.now() };
    entry.peers.add(from.id);
    this.seen.set(hash, entry);

    // rippled records the peer's remote_address_ (ip:port) as the list's uri.
    const stats = this.list.applyLists(manifest, listVersion, blobs, formatEndpoint(from.info.remoteIp, from.info.remotePort));
    const best = bestDisposition(stats);
    if (best === 'accepted' || best === 'expired' || best === 'pending') this.cacheLists(stats);
    const key = stats.publisherKey?.toString('hex');
    if (key && (best === 'accepted' || best === 'expired' || best === 'pending')) {
      const seqs = this.peerSequences.get(from.id) ?? new Map<string, number>();
      seqs.set(key, stats.sequence ?? 0);
      this.peerSequences.set(from.id, seqs);
    }
    const broadcast = ['accepted', 'expired', 'pending', 'same_sequence', 'known_sequence'].includes(best);
    const pub = key ? this.list.publishers.get(key) : undefined;
    if (broadcast && key && pub && ValidatorList.statusRank(pub.status) <= ValidatorList.statusRank('expired') && pub.maxSequence !== undefined && !entry.relayed) {
      entry.relayed = true;
      for (const p of peers) {
        if (entry.peers.has(p.id)) continue;
        const peerSeq = this.peerSequences.get(p.id)?.get(key) ?? 0;
        if (peerSeq < pub.maxSequence) this.sendLists(p, key, listMessageVersion(p.info.protocol));
        entry.peers.add(p.id);
      }
    }
    if (best === 'accepted' || best === 'pending' || best === 'expired') this.tick();
    const worst = worstDisposition(stats);
    const fee: ListFee | undefined = {
      accepted: undefined,
      expired: undefined,
      pending: undefined,
      same_sequence: 'unwantedData' as const,
      known_sequence: 'unwantedData' as const,
      stale: 'badData' as const,
      untrusted: 'unwantedData' as const,
      unsupported_version: 'badData' as const,
      invalid: 'invalidSignature' as const,
    }[worst];
    const reason = `${msg.name}: ${[...stats.dispositions.entries()].map(([d, n]) => `${n} ${d}`).join(', ')}`;
    return fee ? { fee, reason, stats } : { reason, stats };
  }

  /** Lists from a site (ValidatorSite → applyListsAndBroadcast). */
  applyFromSite(body: { manifest: string; version: number; blobs: BlobInfo[] }, uri: string, peers: readonly HubPeer[]): ListStats {
    const hash = ValidatorList.blobsHash(body.manifest, body.blobs, body.version);
    const stats = this.list.applyLists(body.manifest, body.version, body.blobs, uri);
    const best = bestDisposition(stats);
    if (best === 'accepted' || best === 'expired' || best === 'pending') this.cacheLists(stats);
    const key = stats.publisherKey?.toString('hex');
    const pub = key ? this.list.publishers.get(key) : undefined;
    const entry: Seen = this.seen.get(hash) ?? { peers: new Set(), relayed: false, at: this.now() };
    this.seen.set(hash, entry);
    if (['accepted', 'expired', 'pending', 'same_sequence', 'known_sequence'].includes(best) && key && pub && pub.maxSequence !== undefined && ValidatorList.statusRank(pub.status) <= 1 && !entry.relayed) {
      entry.relayed = true;
      for (const p of peers) {
        const peerSeq = this.peerSequences.get(p.id)?.get(key) ?? 0;
        if (peerSeq < pub.maxSequence) this.sendLists(p, key, listMessageVersion(p.info.protocol));
        entry.peers.add(p.id);
      }
    }
    this.tick();
    return stats;
  }

  /** GET /vl/<key>: ValidatorList::getAvailable's JSON, or undefined (404). */
  vlFile(publisherKeyHex: string): Record<string, unknown> | undefined {
    if (!/^[0-9A-Fa-f]{66}$/.test(publisherKeyHex)) return undefined;
    const pub = this.list.publisherAvailable(Buffer.from(publisherKeyHex, 'hex'));
    return pub ? buildFileData(publisherKeyHex, pub) : undefined;
  }

  private expireSeen(): void {
    const cutoff = this.now() - this.suppressionSeconds;
    for (const [h, s] of this.seen) if (s.at < cutoff) this.seen.delete(h);
  }
}
