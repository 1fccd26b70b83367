/**
 * pino logger for the daemon: JSON lines, or readable text when stdout is a terminal; also to the
 * `[debug_logfile]` file when one is configured.
 */
import pino, { type Level, type Logger } from 'pino';
import pretty from 'pino-pretty';

export const LOG_LEVELS: readonly Level[] = ['fatal', 'error', 'warn', 'info', 'debug', 'trace'];

export interface LoggerOptions {
  level: Level;
  logFile?: string;
  /** Force readable output (default: when stdout is a TTY). */
  pretty?: boolean;
}

export function makeLogger(opts: LoggerOptions): Logger {
  const streams: pino.StreamEntry[] = [];
  const readable = opts.pretty ?? process.stdout.isTTY === true;
  streams.push({ level: 'trace', stream: readable ? pretty({ colorize: true, sync: true }) : pino.destination({ fd: 1, sync: true }) });
  if (opts.logFile) streams.push({ level: 'trace', stream: pino.destination({ dest: opts.logFile, mkdir: true, sync: false }) });
  return pino({ level: opts.level, base: undefined }, pino.multistream(streams));
}

/** A logger that drops everything (tests, library use). */
export function silentLogger(): Logger {
  return pino({ level: 'silent' });
}
