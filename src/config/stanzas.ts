/**
 * The rippled.cfg file format: `[stanza]` headers followed by one value per line.
 *
 * This layer never rejects a file: like rippled, it only splits text into stanzas and
 * lines. Deciding what a value means (and failing on it) is the job of config.ts, which
 * uses the line numbers kept here to name file, line and stanza in its errors.
 *
 * Rules, as rippled applies them (Config.cpp `parseIniFile`, BasicConfig.cpp `Section::append`):
 * - `\r\n` and lone `\r` end lines too; each line is trimmed.
 * - A line whose first character is `#` is a comment; blank lines are skipped.
 * - A line that starts with `[` and ends with `]` opens a stanza. The name is what lies
 *   between the brackets, as written: names are case-sensitive. (rippled does not see a
 *   header in `[ips] # note`; we do, as that is what anyone writing it means.)
 * - A stanza named twice is one stanza: the later lines are appended to it.
 * - Lines before the first header belong to no stanza; rippled ignores them.
 * - `#` after other text starts a trailing comment; `\#` stands for a literal `#`.
 * - `key = value` lines (key: a letter, then letters, digits or `_`; value not empty)
 *   also set a key; the last assignment of a key wins.
 */

/** Where a configuration problem is, for error messages: `file:line: [stanza]: ...`. */
export interface Location {
  file: string;
  line?: number;
  stanza?: string;
}

/** A configuration file that cannot be used. The message names file, line and stanza. */
export class ConfigError extends Error {
  readonly file: string;
  readonly line?: number;
  readonly stanza?: string;
  /** The message without the location prefix. */
  readonly detail: string;

  constructor(where: Location, detail: string) {
    super(formatLocation(where) + detail);
    this.name = 'ConfigError';
    this.file = where.file;
    if (where.line !== undefined) this.line = where.line;
    if (where.stanza !== undefined) this.stanza = where.stanza;
    this.detail = detail;
  }
}

function formatLocation(where: Location): string {
  const place = where.line === undefined ? `${where.file}: ` : `${where.file}:${where.line}: `;
  return where.stanza === undefined ? place : `${place}[${where.stanza}]: `;
}

/** One non-empty line of a stanza, comments removed and trimmed. */
export interface StanzaLine {
  text: string;
  line: number;
}

/** A `key = value` line. */
export interface StanzaEntry {
  key: string;
  value: string;
  line: number;
}

export interface Stanza {
  name: string;
  /** Line of the (first) header. */
  line: number;
  /** Every line, in file order (rippled's `Section::lines()`). */
  lines: StanzaLine[];
  /** The lines that are not `key = value` (rippled's `Section::values()`). */
  values: StanzaLine[];
  /** `key = value` lines by key; the last assignment wins. */
  entries: Map<string, StanzaEntry>;
}

export interface StanzaFile {
  file: string;
  /** Stanzas in the order their headers first appear. */
  stanzas: Map<string, Stanza>;
  /** Lines that came before any header; rippled ignores them. */
  preamble: StanzaLine[];
}

const KEY_VALUE = /^([A-Za-z][_A-Za-z0-9]*)\s*=\s*(.*\S)\s*$/;

export function parseStanzas(text: string, file = 'rippled.cfg'): StanzaFile {
  const stanzas = new Map<string, Stanza>();
  const preamble: StanzaLine[] = [];
  let current: Stanza | undefined;

  text.split(/\r\n|\r|\n/).forEach((raw, index) => {
    const line = index + 1;
    const trimmed = raw.trim();
    if (trimmed === '' || trimmed.startsWith('#')) return;

    const value = stripTrailingComment(trimmed);
    if (isHeader(value)) {
      const name = value.slice(1, -1);
      current = stanzas.get(name) ?? newStanza(name, line);
      stanzas.set(name, current);
      return;
    }
    if (value === '') return;
    if (current === undefined) preamble.push({ text: value, line });
    else addLine(current, { text: value, line });
  });

  return { file, stanzas, preamble };
}

function isHeader(line: string): boolean {
  return line.length >= 2 && line.startsWith('[') && line.endsWith(']');
}

function newStanza(name: string, line: number): Stanza {
  return { name, line, lines: [], values: [], entries: new Map() };
}

function addLine(stanza: Stanza, value: StanzaLine): void {
  stanza.lines.push(value);
  const match = KEY_VALUE.exec(value.text);
  if (match) {
    const [, key, text] = match as unknown as [string, string, string];
    stanza.entries.set(key, { key, value: text, line: value.line });
  } else {
    stanza.values.push(value);
  }
}

/** Cuts a trailing `# comment`; `\#` is kept as a literal `#`. */
export function stripTrailingComment(text: string): string {
  let out = '';
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (c === '\\' && text[i + 1] === '#') {
      out += '#';
      i++;
    } else if (c === '#') {
      return out.trim();
    } else {
      out += c;
    }
  }
  return out.trim();
}
