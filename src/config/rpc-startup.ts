/**
 * `[rpc_startup]`: admin commands run once at start, one JSON object a line, as rippled runs them
 * (ApplicationImp::setup), e.g. `{ "command": "log_level", "severity": "warning" }`. A line that
 * is not such an object stops the node with file:line (rippled logs it and goes on).
 */
import { ConfigError, type StanzaFile } from './stanzas.js';

export interface StartupCommand {
  command: string;
  /** The whole object, `command` included, as a request's parameters. */
  params: Record<string, unknown>;
  line: number;
}

export function readRpcStartup(file: StanzaFile): StartupCommand[] {
  const stanza = file.stanzas.get('rpc_startup');
  if (stanza === undefined) return [];
  return stanza.lines.map(({ text, line }) => {
    const fail = (detail: string): never => {
      throw new ConfigError({ file: file.file, line, stanza: 'rpc_startup' }, detail);
    };
    let value: unknown;
    try {
      value = JSON.parse(text);
    } catch (err) {
      return fail(`expected a JSON object like { "command": "log_level", "severity": "warning" }: ${(err as Error).message}`);
    }
    if (typeof value !== 'object' || value === null || Array.isArray(value)) return fail(`expected a JSON object, got '${text}'`);
    const params = value as Record<string, unknown>;
    const command = params.command ?? params.method;
    if (typeof command !== 'string' || command === '') return fail(`the object has no "command": '${text}'`);
    return { command, params, line };
  });
}
