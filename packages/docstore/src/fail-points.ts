/**
 * MongoDB's test-only `configureFailPoint` command, for the `failCommand` fail point that driver
 * specification tests use to inject a command error or a dropped connection. Like MongoDB (which needs
 * `enableTestCommands`), the docstore answers CommandNotFound unless started with `enableTestCommands`.
 */
import type { Document } from 'bson';
import { CommandError, badValue } from './errors';

/** Thrown by a command to make the connection close without replying (`closeConnection: true`). */
export class CloseConnectionRequested extends Error {}

class InjectedCommandError extends CommandError {
  constructor(private readonly injectedCode: number) {
    super('InternalError', 'Failing command via failCommand failpoint');
  }

  override toReply(): Record<string, unknown> {
    return { ok: 0, errmsg: this.message, code: this.injectedCode };
  }
}

interface FailCommand {
  /** How many more commands fail; Infinity for `alwaysOn`. */
  remaining: number;
  commands: Set<string>;
  errorCode?: number;
  closeConnection: boolean;
}

export class FailPoints {
  private failCommand: FailCommand | undefined;

  constructor(readonly enabled: boolean) {}

  configure(body: Document): Document {
    if (!this.enabled) {
      throw new CommandError('CommandNotFound', "no such command: 'configureFailPoint'");
    }
    if (body.configureFailPoint !== 'failCommand') {
      throw badValue(
        `unsupported fail point ${String(body.configureFailPoint)}: only failCommand is available`,
      );
    }
    const mode = body.mode as unknown;
    if (mode === 'off') {
      this.failCommand = undefined;
      return { ok: 1 };
    }
    let remaining: number;
    if (mode === 'alwaysOn') remaining = Number.POSITIVE_INFINITY;
    else if (mode && typeof mode === 'object' && Number.isInteger(Number((mode as Document).times))) {
      remaining = Number((mode as Document).times);
    } else throw badValue("mode must be 'off', 'alwaysOn' or { times: n }");
    const data = (body.data ?? {}) as Document;
    if (!Array.isArray(data.failCommands) || !data.failCommands.every((c) => typeof c === 'string')) {
      throw badValue('data.failCommands must be an array of command names');
    }
    if (data.errorCode === undefined && data.closeConnection !== true) {
      throw badValue('data needs errorCode or closeConnection: true');
    }
    this.failCommand = {
      remaining,
      commands: new Set((data.failCommands as string[]).map((c) => c.toLowerCase())),
      errorCode: data.errorCode === undefined ? undefined : Number(data.errorCode),
      closeConnection: data.closeConnection === true,
    };
    return { ok: 1 };
  }

  /** Runs before every command: throws the injected failure when the fail point targets `name`. */
  check(name: string): void {
    const fp = this.failCommand;
    if (!fp || fp.remaining <= 0 || !fp.commands.has(name.toLowerCase())) return;
    fp.remaining--;
    if (fp.remaining <= 0) this.failCommand = undefined;
    if (fp.closeConnection) throw new CloseConnectionRequested();
    throw new InjectedCommandError(fp.errorCode ?? 1);
  }
}
