/**
 * The node's state files in its data directory (node key, Bootcache, peer reservations): the one
 * way they are written — a temp file beside the target, written, fsynced, renamed over it, then the
 * directory fsynced so the rename itself survives a crash — and the one way they are read: parsed
 * and validated, any fault reported with the file's path and what is wrong. Temp files that a kill
 * mid-save left behind are removed when the file is next read (at start-up).
 *
 * It sits in the identity layer, the lowest one that owns a state file, so the overlay can use it too.
 */
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';

export class StateFileError extends Error {
  override name = 'StateFileError';
  constructor(
    readonly file: string,
    readonly problem: string,
  ) {
    super(`${file}: ${problem}`);
  }
}

/** What our temp files for `file` are called: `<name>.tmp-<pid>-<random>`. */
function tempPrefix(file: string): string {
  return `${path.basename(file)}.tmp-`;
}

/** Writes `contents` to `file` atomically (mode 0600): a reader sees the old file or the new one, whole. */
export function writeFileAtomic(file: string, contents: string): void {
  const dir = path.dirname(file);
  fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
  const temp = path.join(dir, `${tempPrefix(file)}${process.pid}-${randomBytes(4).toString('hex')}`);
  try {
    const fd = fs.openSync(temp, 'wx', 0o600);
    try {
      fs.fchmodSync(fd, 0o600); // the umask cannot widen it, but make the mode explicit anyway
      fs.writeSync(fd, contents);
      fs.fsyncSync(fd);
    } finally {
      fs.closeSync(fd);
    }
    fs.renameSync(temp, file);
  } catch (error) {
    fs.rmSync(temp, { force: true });
    throw error;
  }
  syncDirectory(dir);
}

export function writeJsonAtomic(file: string, value: unknown): void {
  writeFileAtomic(file, `${JSON.stringify(value, null, 1)}\n`);
}

/** Makes the rename durable; not every platform lets a directory be fsynced, so failures are ignored. */
function syncDirectory(dir: string): void {
  let fd: number | undefined;
  try {
    fd = fs.openSync(dir, 'r');
    fs.fsyncSync(fd);
  } catch {
    // best effort
  } finally {
    if (fd !== undefined) fs.closeSync(fd);
  }
}

/**
 * Removes temp files an interrupted save of `file` left behind (ours, and the node key's older
 * `.<name>.<pid>.<hex>.tmp` form). Only this process writes the data directory, so any is stale.
 */
export function removeStaleTemps(file: string): void {
  const dir = path.dirname(file);
  const name = path.basename(file);
  let entries: string[];
  try {
    entries = fs.readdirSync(dir);
  } catch {
    return;
  }
  const legacy = new RegExp(`^\\.${name.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}\\.\\d+\\.[0-9a-f]+\\.tmp$`);
  for (const entry of entries) {
    if (entry.startsWith(tempPrefix(file)) || legacy.test(entry)) fs.rmSync(path.join(dir, entry), { force: true });
  }
}

/** The file's text, or undefined when it does not exist. Stale temp files are removed first. */
export function readStateText(file: string): string | undefined {
  removeStaleTemps(file);
  try {
    return fs.readFileSync(file, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw new StateFileError(file, `cannot be read (${(error as Error).message})`);
  }
}

/**
 * Reads a JSON state file and validates it: `validate` returns the typed value or throws a string
 * (or Error) saying what is wrong, which becomes a StateFileError naming the file. A missing file
 * gives `fallback`.
 */
export function readJsonState<T>(file: string, fallback: T, validate: (value: unknown) => T): T {
  const text = readStateText(file);
  if (text === undefined) return fallback;
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    throw new StateFileError(file, `not valid JSON (${(error as Error).message})`);
  }
  try {
    return validate(value);
  } catch (error) {
    if (error instanceof StateFileError) throw error;
    throw new StateFileError(file, error instanceof Error ? error.message : String(error));
  }
}

/** "null", "a number", "an object", … for messages about what a file held instead. */
export function describeJson(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'a list';
  const t = typeof value;
  return t === 'object' ? 'an object' : t === 'number' ? 'a number' : t === 'string' ? 'a string' : t === 'boolean' ? 'a boolean' : t;
}

/** A validator for readJsonState: the value must be a JSON object. */
export function jsonObject(value: unknown): Record<string, unknown> {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) throw new Error(`holds ${describeJson(value)}, not an object`);
  return value as Record<string, unknown>;
}
