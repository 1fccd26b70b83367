/**
 * pino logger for the daemon: JSON lines, or readable text when stdout is a terminal; also to the
 * `[debug_logfile]` file when one is configured. A `node` field names the node on every line
 * when one is given (--name, else [server_domain]), so several nodes in one terminal can be told
 * apart.
 */
import pino, { type Level, type Logger } from 'pino';
import pretty from 'pino-pretty';

export const LOG_LEVELS: readonly Level[] = ['fatal', 'error', 'warn', 'info', 'debug', 'trace'];

export interface LoggerOptions {
  level: Level;
  logFile?: string;
  /** Force readable output (default: when stdout is a TTY). */
  pretty?: boolean;
  /** Put `node: <name>` on every line. */
  name?: string;
  /** Write to stdout too (default true). */
  stdout?: boolean;
}

/** The log files of loggers made here, so that `logrotate` can reopen them. */
const FILES = new WeakMap<Logger, { reopen(): void }>();

export function makeLogger(opts: LoggerOptions): Logger {
  const streams: pino.StreamEntry[] = [];
  const readable = opts.pretty ?? process.stdout.isTTY === true;
  if (opts.stdout !== false) {
    streams.push({ level: 'trace', stream: readable ? pretty({ colorize: true, sync: true }) : pino.destination({ fd: 1, sync: true }) });
  }
  const file = opts.logFile ? pino.destination({ dest: opts.logFile, mkdir: true, sync: false }) : undefined;
  if (file) streams.push({ level: 'trace', stream: file });
  const log = pino({ level: opts.level, base: opts.name ? { node: opts.name } : undefined }, pino.multistream(streams));
  if (file) FILES.set(log, file);
  return log;
}

/**
 * Closes and reopens the logger's file at the same path (after logrotate(8) moved it away), as
 * rippled's `logrotate` command does. False when the logger has no file or reopening failed.
 */
export function reopenLogFile(log: Logger): boolean {
  const file = FILES.get(log);
  if (!file) return false;
  try {
    file.reopen();
    return true;
  } catch {
    return false;
  }
}

/** A logger that drops everything (tests, library use). */
export function silentLogger(): Logger {
  return pino({ level: 'silent' });
}
