/** The admin side of the validator commands: the hub behind the overlay, and `manifest`'s parameters. */
import type { ValidatorsHub } from '../validators/hub.js';
import { manifestJson } from '../validators/reports.js';
import { expectedField, missingField, rpcError } from './errors.js';

/** The overlay's validators hub; a node started without one answers as rippled with no lists would. */
export function hubOf(ctx: { overlay: { validators?: ValidatorsHub } }): ValidatorsHub {
  const hub = ctx.overlay.validators;
  if (!hub) throw rpcError('notSupported');
  return hub;
}

/** rippled's doManifest: `public_key` required, a node public key (master or ephemeral). */
export function manifestCommand(hub: ValidatorsHub, params: Record<string, unknown>): Record<string, unknown> {
  const key = params.public_key;
  if (key === undefined) throw missingField('public_key');
  if (typeof key !== 'string') throw expectedField('public_key', 'string');
  const out = manifestJson(hub, key);
  if (!out) throw rpcError('invalidParams');
  return out;
}
