/** MongoDB server error codes the docstore answers with (names as MongoDB's codeName). */
export const ErrorCodes = {
  InternalError: 1,
  BadValue: 2,
  NoSuchKey: 4,
  FailedToParse: 9,
  TypeMismatch: 14,
  IllegalOperation: 20,
  IndexNotFound: 27,
  NamespaceNotFound: 26,
  CursorNotFound: 43,
  NamespaceExists: 48,
  CommandNotFound: 59,
  InvalidOptions: 72,
  InvalidNamespace: 73,
  IndexOptionsConflict: 85,
  IndexKeySpecsConflict: 86,
  NotImplemented: 115,
  CommandNotSupportedOnView: 166,
  ViewDepthLimitExceeded: 274,
  OperationNotSupportedInTransaction: 263,
  ConflictingUpdateOperators: 40,
  ImmutableField: 66,
  Unauthorized: 13,
  DuplicateKey: 11000,
  Location40352: 40352,
  BSONObjectTooLarge: 10334,
} as const;

export type ErrorCodeName = keyof typeof ErrorCodes;

/** An error the client receives as `{ ok: 0, code, codeName, errmsg }`. */
export class CommandError extends Error {
  readonly code: number;
  readonly codeName: string;

  constructor(
    codeName: ErrorCodeName,
    message: string,
    readonly extra: Record<string, unknown> = {},
  ) {
    super(message);
    this.code = ErrorCodes[codeName];
    this.codeName = codeName;
  }

  toReply(): Record<string, unknown> {
    return { ok: 0, errmsg: this.message, code: this.code, codeName: this.codeName, ...this.extra };
  }
}

export function notImplemented(what: string): CommandError {
  return new CommandError('NotImplemented', `${what} is not supported by docstore`);
}

export function badValue(message: string): CommandError {
  return new CommandError('BadValue', message);
}

/** Converts anything thrown while running a command into a reply body; mingo errors become BadValue. */
export function errorReply(err: unknown): Record<string, unknown> {
  if (err instanceof CommandError) return err.toReply();
  const message = err instanceof Error ? err.message : String(err);
  return { ok: 0, errmsg: message, code: ErrorCodes.BadValue, codeName: 'BadValue' };
}
