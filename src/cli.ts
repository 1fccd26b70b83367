#!/usr/bin/env node
/**
 * The `xrpl-overlay` command. With no command it runs the daemon:
 *   xrpl-overlay [--conf FILE] [--data-dir DIR] [--log-level LEVEL]
 * With a command (peers, connect, server_info, …) it talks to a running node's admin port.
 */
import { dirname, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import type { Level } from 'pino';
import { type Config, ConfigError, defaultConfig, loadConfig } from './config/config.js';
import { startDaemon } from './daemon.js';
import { LOG_LEVELS, makeLogger } from './logger.js';
import { adminUsage, runAdminCommand } from './admin/cli.js';
import { CRAWL_USAGE, runNetworkCrawl } from './crawler/cli.js';
import { VERSION } from './version.js';

const USAGE = `usage: xrpl-overlay [--conf FILE] [--data-dir DIR] [--log-level LEVEL] [--name NAME]
       xrpl-overlay [--conf FILE] [--json] [--wide] <command> [args…]
       xrpl-overlay crawl HOST[:PORT] … [--depth N] [--concurrency K] [--timeout S] [--out DIR]

Runs an XRP Ledger peer overlay node (rippled's peer protocol) on port 51235 by default,
or sends a command to a running node's admin port.

options:
  --conf FILE         rippled.cfg-style configuration (default: built-in defaults)
  --data-dir DIR      where the node key and peer state are kept
                      (default: the xrpl-overlay/ folder of [database_path], else ~/.xrpl-overlay)
  --log-level LEVEL   ${LOG_LEVELS.join(', ')} (default: info)
  --name NAME         put node=NAME on every log line (default: [server_domain], if set)
  --json              print a command's raw JSON result
  --wide              peers: every column, whatever the terminal width
  --version, --help
`;

/** Options of the top level that take a value (so the token after them is not the command). */
const VALUE_OPTIONS = new Set(['--conf', '--data-dir', '--log-level']);

/**
 * `crawl` with anything but `--json` after it crawls the network (its own options); `crawl` alone is the
 * admin command that shows this node's /crawl.
 */
function networkCrawlArgs(argv: string[]): string[] | undefined {
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (VALUE_OPTIONS.has(a)) i++;
    else if (!a.startsWith('-')) {
      if (a !== 'crawl') return undefined;
      const rest = argv.slice(i + 1).filter((x) => x !== '--json');
      return rest.length > 0 ? rest : undefined;
    }
  }
  return undefined;
}

async function main(argv: string[]): Promise<number> {
  const crawlArgs = networkCrawlArgs(argv);
  if (crawlArgs) {
    if (crawlArgs.includes('--help') || crawlArgs.includes('-h')) {
      process.stdout.write(CRAWL_USAGE);
      return 0;
    }
    return runNetworkCrawl(crawlArgs);
  }
  let parsed;
  try {
    parsed = parseArgs({
      args: argv,
      allowPositionals: true,
      options: {
        conf: { type: 'string' },
        'data-dir': { type: 'string' },
        'log-level': { type: 'string' },
        name: { type: 'string' },
        json: { type: 'boolean' },
        wide: { type: 'boolean' },
        version: { type: 'boolean' },
        help: { type: 'boolean', short: 'h' },
      },
    });
  } catch (err) {
    process.stderr.write(`xrpl-overlay: ${(err as Error).message}\n${USAGE}`);
    return 2;
  }
  const { values, positionals } = parsed;
  if (values.help) {
    process.stdout.write(`${USAGE}\n${adminUsage()}\n${CRAWL_USAGE}`);
    return 0;
  }
  if (values.version) {
    process.stdout.write(`xrpl-overlay ${VERSION}\n`);
    return 0;
  }
  if (positionals.length > 0) {
    return runAdminCommand(positionals[0]!, positionals.slice(1), { conf: values.conf, json: !!values.json, wide: !!values.wide });
  }
  const level = (values['log-level'] ?? 'info') as Level;
  if (!LOG_LEVELS.includes(level)) {
    process.stderr.write(`xrpl-overlay: --log-level must be one of ${LOG_LEVELS.join(', ')}\n`);
    return 2;
  }
  let config: Config;
  try {
    config = values.conf ? loadConfig(values.conf) : defaultConfig();
  } catch (err) {
    process.stderr.write(`xrpl-overlay: ${err instanceof ConfigError ? err.message : (err as Error).message}\n`);
    return 1;
  }
  // rippled reads a relative [debug_logfile] against the config file's folder.
  const logFile = config.debugLogfile && values.conf ? resolve(dirname(values.conf), config.debugLogfile) : config.debugLogfile;
  const log = makeLogger({ level, logFile, name: values.name ?? config.serverDomain });
  let daemon;
  // The admin `stop` command ends the process the way SIGTERM does. Signals are watched from the
  // start: one that arrives while the node is starting stops it as soon as it has started.
  let pendingStop: string | undefined;
  let requestStop: (why: string) => void = (why) => {
    pendingStop ??= why;
  };
  process.once('SIGINT', () => requestStop('SIGINT'));
  process.once('SIGTERM', () => requestStop('SIGTERM'));
  // No reload: the configuration is read once. Node's default for SIGHUP would end the process.
  process.on('SIGHUP', () => log.info('SIGHUP ignored: the configuration is read only at start, restart to apply changes'));
  try {
    daemon = await startDaemon({ config, dataDir: values['data-dir'], log, onStopCommand: () => requestStop('stop command') });
  } catch (err) {
    log.fatal({ err: (err as Error).message }, 'failed to start');
    process.stderr.write(`xrpl-overlay: ${(err as Error).message}\n`);
    return 1;
  }
  return new Promise<number>((resolve) => {
    let stopping = false;
    const stop = (signal: string) => {
      if (stopping) return;
      stopping = true;
      log.info({ signal }, 'shutting down');
      daemon.stop().then(
        () => resolve(0),
        (err) => {
          log.error({ err: (err as Error).message }, 'error while stopping');
          resolve(1);
        },
      );
    };
    requestStop = stop;
    if (pendingStop) stop(pendingStop);
  });
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
    // Sockets still closing must not keep a stopped daemon alive.
    setTimeout(() => process.exit(code), 500).unref();
  },
  (err) => {
    process.stderr.write(`xrpl-overlay: ${(err as Error).stack ?? err}\n`);
    process.exit(1);
  },
);
