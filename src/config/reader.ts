/** Reading config values with their location: a bad value becomes a ConfigError naming file, line and stanza. */
import { ConfigError, type Stanza, type StanzaFile, type StanzaLine } from './stanzas.js';

// ---------------------------------------------------------------------------------------
// Reading values with their location

/** A problem with one value; the Reader adds file, line and stanza. */
export class BadValue extends Error {
  override name = 'BadValue';
}

export class Reader {
  constructor(readonly source: StanzaFile) {}

  stanza(name: string): Stanza | undefined {
    return this.source.stanzas.get(name);
  }

  fail(stanza: string | undefined, line: number | undefined, detail: string): never {
    throw new ConfigError({ file: this.source.file, line, stanza }, detail);
  }

  /** Runs a value check, turning BadValue into a ConfigError at this place. */
  check<T>(stanza: string, line: number, read: () => T): T {
    try {
      return read();
    } catch (err) {
      if (err instanceof BadValue) this.fail(stanza, line, err.message);
      throw err;
    }
  }

  /** The value of a stanza that holds one line; undefined when absent or empty. */
  single(name: string): StanzaLine | undefined {
    const stanza = this.stanza(name);
    if (stanza === undefined || stanza.lines.length === 0) return undefined;
    if (stanza.lines.length > 1) {
      this.fail(name, stanza.lines[1]!.line, `expected one value, got ${stanza.lines.length} lines`);
    }
    return stanza.lines[0];
  }

  singleBool(name: string, fallback: boolean): boolean {
    const value = this.single(name);
    return value === undefined ? fallback : this.check(name, value.line, () => parseBool(value.text));
  }

  singleCount(name: string): { value: number; line: number } | undefined {
    const value = this.single(name);
    if (value === undefined) return undefined;
    return { value: this.check(name, value.line, () => parseCount(value.text)), line: value.line };
  }

  entryBool(stanza: Stanza | undefined, key: string, fallback: boolean): boolean {
    const entry = stanza?.entries.get(key);
    if (entry === undefined) return fallback;
    return this.check(stanza!.name, entry.line, () => parseBool(entry.value, key));
  }

  entryCount(stanza: Stanza | undefined, key: string, fallback: number, min = 0, max = Number.MAX_SAFE_INTEGER): number {
    const entry = stanza?.entries.get(key);
    if (entry === undefined) return fallback;
    return this.check(stanza!.name, entry.line, () => {
      const value = parseCount(entry.value, key);
      if (value < min || value > max) throw new BadValue(`${key} must be between ${min} and ${max}, got ${value}`);
      return value;
    });
  }
}

export function parseBool(text: string, key?: string): boolean {
  const lower = text.toLowerCase();
  if (lower === '1' || lower === 'true') return true;
  if (lower === '0' || lower === 'false') return false;
  throw new BadValue(`${key ? key + ': ' : ''}expected 0 or 1, got '${text}'`);
}

export function parseCount(text: string, key?: string): number {
  const value = /^\+?\d+$/.test(text) ? Number(text.replace('+', '')) : NaN;
  if (!Number.isSafeInteger(value)) {
    throw new BadValue(`${key ? key + ': ' : ''}expected a non-negative integer, got '${text}'`);
  }
  return value;
}
