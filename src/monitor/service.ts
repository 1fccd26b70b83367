/**
 * The monitor as the daemon runs it: built on the validators hub, its history loaded from the data
 * directory at start, settled and saved (when changed) every `saveIntervalMs`, and saved at stop.
 */
import path from 'node:path';
import type { Logger } from 'pino';
import type { ValidatorsHub } from '../validators/hub.js';
import { HISTORY_FILE, hubDirectory, loadHistory, saveHistory } from './history.js';
import { ValidatorMonitor } from './validator-monitor.js';

export interface MonitorService {
  monitor: ValidatorMonitor;
  start(): void;
  stop(): void;
}

export interface MonitorSettings {
  settleMs: number;
  untrustedActiveMs: number;
  maxValidators: number;
  saveIntervalMs: number;
}

export function monitorService(o: { hub: ValidatorsHub; dataDir?: string; log: Logger; settings: MonitorSettings; now?: () => number }): MonitorService {
  const s = o.settings;
  const monitor = new ValidatorMonitor({
    directory: hubDirectory(o.hub),
    settleMs: s.settleMs,
    untrustedActiveMs: s.untrustedActiveMs,
    maxValidators: s.maxValidators,
    ...(o.now ? { now: o.now } : {}),
  });
  const file = o.dataDir ? path.join(o.dataDir, HISTORY_FILE) : undefined;
  if (file) {
    const r = loadHistory(file, monitor);
    if (r.warning) o.log.warn({ warning: r.warning }, 'validator monitor history not all loaded');
    else if (r.loaded) o.log.info({ validators: r.loaded }, 'validator monitor history loaded');
  }
  const save = () => {
    if (!file || !monitor.dirty) return;
    try {
      saveHistory(file, monitor);
    } catch (err) {
      o.log.warn({ file, err: (err as Error).message }, 'could not save the validator monitor history');
    }
  };
  let timer: NodeJS.Timeout | undefined;
  let saveTimer: NodeJS.Timeout | undefined;
  return {
    monitor,
    start() {
      timer = setInterval(() => monitor.tick(), 1000);
      timer.unref();
      saveTimer = setInterval(save, s.saveIntervalMs);
      saveTimer.unref();
    },
    stop() {
      clearInterval(timer);
      clearInterval(saveTimer);
      save();
    },
  };
}
