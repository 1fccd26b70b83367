/**
 * The RPC errors the admin API answers with: rippled's tokens, numeric codes and default
 * messages (ErrorCodes.h / ErrorCodes.cpp), for the subset our commands can produce.
 */

export interface RpcErrorInfo {
  token: string;
  code: number;
  message: string;
}

export const RPC_ERRORS = {
  forbidden: { token: 'forbidden', code: 3, message: 'Bad credentials.' },
  noPermission: { token: 'noPermission', code: 6, message: "You don't have permission for this command." },
  invalidParams: { token: 'invalidParams', code: 31, message: 'Invalid parameters.' },
  unknownCmd: { token: 'unknownCmd', code: 32, message: 'Unknown method.' },
  commandMissing: { token: 'commandMissing', code: 47, message: 'Missing command entry.' },
  publicMalformed: { token: 'publicMalformed', code: 62, message: 'Public key is malformed.' },
  malformedStream: { token: 'malformedStream', code: 71, message: 'Stream malformed.' },
  internal: { token: 'internal', code: 73, message: 'Internal error.' },
  notSupported: { token: 'notSupported', code: 75, message: 'Operation not supported.' },
} as const satisfies Record<string, RpcErrorInfo>;

export type RpcErrorName = keyof typeof RPC_ERRORS;

/** The `error`, `error_code`, `error_message` fields of a failed command. */
export interface RpcErrorFields {
  error: string;
  error_code: number;
  error_message: string;
}

/** Thrown by a command handler; the server turns it into rippled's error shape. */
export class RpcError extends Error {
  constructor(
    readonly info: RpcErrorInfo,
    message: string = info.message,
  ) {
    super(message);
    this.name = 'RpcError';
  }

  get fields(): RpcErrorFields {
    return { error: this.info.token, error_code: this.info.code, error_message: this.message };
  }
}

export function rpcError(name: RpcErrorName, message?: string): RpcError {
  return new RpcError(RPC_ERRORS[name], message);
}

/** rippled's RPC::missing_field_error: invalidParams, "Missing field 'x'." */
export function missingField(name: string): RpcError {
  return rpcError('invalidParams', `Missing field '${name}'.`);
}

/** rippled's RPC::expected_field_error: invalidParams, "Invalid field 'x', not a string." */
export function expectedField(name: string, type: string): RpcError {
  return rpcError('invalidParams', `Invalid field '${name}', not ${type}.`);
}

/** rippled's RPC::invalid_field_error: invalidParams, "Invalid field 'x'." */
export function invalidField(name: string): RpcError {
  return rpcError('invalidParams', `Invalid field '${name}'.`);
}
