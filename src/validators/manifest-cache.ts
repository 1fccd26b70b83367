/**
 * rippled's ManifestCache: the newest manifest of each master key, the ephemeral → master map, and
 * applyManifest's rules (stale before anything else, then both signatures, then no key used in two
 * roles). Kept in the data directory (manifests.json, written atomically, every entry re-verified on
 * load) so that a restart knows the same ephemeral keys.
 */
import { jsonObject, readJsonState, writeJsonAtomic } from '../identity/state-file.js';
import { isRevoked, type Manifest, parseManifest, verifyManifest } from './manifest.js';

export type ManifestDisposition = 'accepted' | 'stale' | 'badMasterKey' | 'badEphemeralKey' | 'invalid';

const hex = (k: Uint8Array) => Buffer.from(k).toString('hex');

interface ManifestFile {
  version: 1;
  manifests: string[];
}

export class ManifestCache {
  private readonly byMaster = new Map<string, Manifest>();
  private readonly signingToMaster = new Map<string, Buffer>();
  private dirty = false;

  constructor(private readonly file?: string) {}

  get size(): number {
    return this.byMaster.size;
  }

  /** ManifestCache::applyManifest. */
  applyManifest(m: Manifest): ManifestDisposition {
    const existing = this.byMaster.get(hex(m.masterKey));
    if (existing && m.sequence <= existing.sequence) return 'stale';
    if (!verifyManifest(m)) return 'invalid';
    if (this.signingToMaster.has(hex(m.masterKey))) return 'badMasterKey';
    if (!isRevoked(m)) {
      if (!m.signingKey) return 'invalid';
      if (this.signingToMaster.has(hex(m.signingKey))) return 'badEphemeralKey';
      if (this.byMaster.has(hex(m.signingKey))) return 'badEphemeralKey';
    }
    if (existing?.signingKey) this.signingToMaster.delete(hex(existing.signingKey));
    if (m.signingKey && !isRevoked(m)) this.signingToMaster.set(hex(m.signingKey), m.masterKey);
    this.byMaster.set(hex(m.masterKey), m);
    this.dirty = true;
    return 'accepted';
  }

  /** Parses then applies; 'invalid' for bytes rippled would not read as a manifest. */
  applyRaw(raw: Uint8Array): { disposition: ManifestDisposition; manifest?: Manifest } {
    const read = parseManifest(raw);
    if (!read.ok) return { disposition: 'invalid' };
    return { disposition: this.applyManifest(read.manifest), manifest: read.manifest };
  }

  /** getSigningKey: the ephemeral key of a master key with a live manifest, else the key itself. */
  getSigningKey(master: Uint8Array): Buffer | undefined {
    const m = this.byMaster.get(hex(master));
    if (m && isRevoked(m)) return undefined;
    return m?.signingKey ?? Buffer.from(master);
  }

  /** getMasterKey: the master key of an ephemeral key, else the key itself. */
  getMasterKey(key: Uint8Array): Buffer {
    return this.signingToMaster.get(hex(key)) ?? Buffer.from(key);
  }

  /** The manifest of a master key, revocations included. */
  get(master: Uint8Array): Manifest | undefined {
    return this.byMaster.get(hex(master));
  }

  revoked(master: Uint8Array): boolean {
    const m = this.byMaster.get(hex(master));
    return m !== undefined && isRevoked(m);
  }

  all(): Manifest[] {
    return [...this.byMaster.values()];
  }

  /** Writes the cache when it changed since the last save. */
  save(): void {
    if (!this.file || !this.dirty) return;
    const body: ManifestFile = { version: 1, manifests: this.all().map((m) => m.raw.toString('base64')) };
    writeJsonAtomic(this.file, body);
    this.dirty = false;
  }

  /**
   * Loads the saved manifests, each parsed and verified again; a file that is not ours is reported,
   * never trusted. Returns how many were taken and any warning.
   */
  load(): { loaded: number; warning?: string } {
    if (!this.file) return { loaded: 0 };
    let body: Partial<ManifestFile>;
    try {
      body = readJsonState<Partial<ManifestFile>>(this.file, { version: 1, manifests: [] }, (v) => jsonObject(v) as Partial<ManifestFile>);
    } catch (err) {
      return { loaded: 0, warning: (err as Error).message };
    }
    if (body.version !== 1 || !Array.isArray(body.manifests)) return { loaded: 0, warning: `${this.file}: not a manifest cache` };
    let loaded = 0;
    let refused = 0;
    for (const entry of body.manifests) {
      if (typeof entry !== 'string') {
        refused++;
        continue;
      }
      const r = this.applyRaw(Buffer.from(entry, 'base64'));
      if (r.disposition === 'accepted') loaded++;
      else refused++;
    }
    this.dirty = false;
    return refused ? { loaded, warning: `${this.file}: ${refused} entries refused` } : { loaded };
  }
}
