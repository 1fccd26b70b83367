/**
 * Where a node keeps its state (node key, Bootcache, reservations), and making sure it can.
 *
 * `--data-dir DIR` is used as it is. `[database_path]` is rippled's database folder, which an
 * operator may share with a rippled: our files go in its `xrpl-overlay/` sub-folder so they never
 * mix with rippled's databases. Files an older version wrote straight into `[database_path]` are
 * moved into the sub-folder at start, so an existing node keeps its key and peer state.
 */
import fs from 'node:fs';
import { homedir } from 'node:os';
import { join, resolve } from 'node:path';
import { KEY_FILE_NAME } from './identity/node-key.js';
import { BOOTCACHE_FILE } from './peerfinder/bootcache.js';
import { RESERVATIONS_FILE } from './overlay/reservations.js';

/** Where node data lives when neither --data-dir nor [database_path] says. */
export const DEFAULT_DATA_DIR = join(homedir(), '.xrpl-overlay');
/** Our sub-folder of [database_path]. */
export const DATABASE_SUBDIR = 'xrpl-overlay';
/** Every state file we write to the data directory. */
export const STATE_FILES: readonly string[] = [KEY_FILE_NAME, BOOTCACHE_FILE, RESERVATIONS_FILE];

export type DataDirSource = 'data-dir' | 'database_path' | 'default';

export interface DataDir {
  path: string;
  source: DataDirSource;
  /** For messages: "from --data-dir", "from [database_path] in rippled.cfg", "the default". */
  origin: string;
  /** [database_path] itself, where an older version kept its files. */
  legacyPath?: string;
}

/** A data directory that cannot be used; the message says where its path came from. */
export class DataDirError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'DataDirError';
  }
}

export function resolveDataDir(opts: { flag?: string; databasePath?: string; configFile?: string }): DataDir {
  if (opts.flag !== undefined) return { path: resolve(opts.flag), source: 'data-dir', origin: 'from --data-dir' };
  if (opts.databasePath !== undefined) {
    const base = resolve(opts.databasePath);
    return {
      path: join(base, DATABASE_SUBDIR),
      source: 'database_path',
      origin: `from [database_path] in ${opts.configFile ?? 'the config'}`,
      legacyPath: base,
    };
  }
  return { path: DEFAULT_DATA_DIR, source: 'default', origin: 'the default (no --data-dir or [database_path])' };
}

/**
 * Creates the directory (mode 0700) if needed, checks that we can write to it, and moves state
 * files from the legacy location. Returns the names of the files moved. Throws DataDirError.
 */
export function prepareDataDir(dir: DataDir): string[] {
  try {
    fs.mkdirSync(dir.path, { recursive: true, mode: 0o700 });
    fs.accessSync(dir.path, fs.constants.R_OK | fs.constants.W_OK | fs.constants.X_OK);
  } catch (err) {
    throw new DataDirError(`cannot use the data directory ${dir.path} (${dir.origin}): ${errnoText(err)}`);
  }
  if (!dir.legacyPath) return [];
  const moved: string[] = [];
  for (const name of STATE_FILES) {
    const from = join(dir.legacyPath, name);
    const to = join(dir.path, name);
    if (!fs.existsSync(from) || fs.existsSync(to)) continue;
    try {
      fs.renameSync(from, to);
    } catch (err) {
      throw new DataDirError(`cannot move ${from} into the data directory ${dir.path} (${dir.origin}): ${errnoText(err)}`);
    }
    moved.push(name);
  }
  return moved;
}

function errnoText(err: unknown): string {
  const e = err as NodeJS.ErrnoException;
  switch (e.code) {
    case 'EACCES':
    case 'EPERM':
      return 'permission denied';
    case 'ENOTDIR':
    case 'EEXIST':
      return 'a file of that name is in the way (not a directory)';
    case 'EROFS':
      return 'read-only file system';
    case 'ENOSPC':
      return 'no space left on the device';
    default:
      return e.message;
  }
}
