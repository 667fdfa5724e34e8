/**
 * Every hook a plugin may implement: when it fires, what it receives, what it may return, and what the host
 * does when the hook throws or overruns its time budget.
 */

/** The member on whose behalf the action happens. */
export interface PluginUser {
  id: string;
  username: string;
  role: 'admin' | 'moderator' | 'member';
}

/** A stored message as plugins see it. */
export interface PluginMessage {
  id: string;
  roomId: string;
  authorId: string;
  text: string;
  createdAt: string;
}

/** An upload in progress. `uploadId` is the growing file's id. */
export interface PluginUpload {
  uploadId: string;
  roomId: string;
  filename: string;
  contentType: string;
  /** The size the client announced, when it did. */
  declaredBytes?: number;
}

/** An upload that ended without a file (`upload.afterFail`). */
export interface PluginEndedUpload {
  uploadId: string;
  roomId: string;
  ownerId: string;
}

export type UploadFailReason = 'aborted' | 'rejected' | 'abandoned' | 'error' | 'deleted';

export interface PluginFile {
  id: string;
  roomId: string;
  ownerId: string;
  filename: string;
  contentType: string;
  bytes: number;
}

export interface PluginReport {
  id: string;
  messageId: string;
  roomId: string;
  reporterId: string;
  reason: string;
  createdAt: string;
}

/** Let the action go ahead unchanged (returning nothing means the same). */
export interface AllowDecision {
  action: 'allow';
}
/**
 * Refuse the action; `reason` is shown to the user who attempted it. `code` picks the error the user gets:
 * `rejected` (422, the default), `payload_too_large` (413, e.g. a quota), `rate_limited` (429), `forbidden` (403).
 */
export interface RejectDecision {
  action: 'reject';
  reason: string;
  code?: RejectCode;
  /** With `rate_limited`: when to retry. */
  retryAfterMs?: number;
}
export type RejectCode = 'rejected' | 'payload_too_large' | 'rate_limited' | 'forbidden';
/** Go ahead with these changes; later hooks see the changed values. */
export interface ModifyDecision<C> {
  action: 'modify';
  changes: C;
}

export type GateDecision = void | undefined | AllowDecision | RejectDecision;
export type ModifyingDecision<C> = GateDecision | ModifyDecision<C>;

export const allow = (): AllowDecision => ({ action: 'allow' });
export const reject = (
  reason: string,
  code: RejectCode = 'rejected',
  retryAfterMs?: number,
): RejectDecision => ({
  action: 'reject',
  reason,
  code,
  ...(retryAfterMs === undefined ? {} : { retryAfterMs }),
});
export const modify = <C>(changes: C): ModifyDecision<C> => ({ action: 'modify', changes });

/** What each hook receives. */
export interface HookPayloads {
  'message.beforeSend': { user: PluginUser; roomId: string; text: string };
  'message.afterSend': { user: PluginUser; message: PluginMessage };
  'message.beforeEdit': { user: PluginUser; message: PluginMessage; text: string };
  'message.beforeDelete': { user: PluginUser; message: PluginMessage };
  'room.beforeCreate': { user: PluginUser; name: string };
  'room.beforeJoin': { user: PluginUser; roomId: string; roomName: string };
  'user.afterRegister': { user: PluginUser };
  'user.beforeLogin': { username: string; userId: string };
  'upload.beforeStart': { user: PluginUser; upload: PluginUpload };
  /**
   * `receivedBytes` is the running total including the bytes about to be stored (one chunk, or up to 4
   * consecutive ones); reject to abort before they are stored.
   */
  'upload.onChunk': { user: PluginUser; upload: PluginUpload; chunkBytes: number; receivedBytes: number };
  'upload.afterComplete': { user: PluginUser; file: PluginFile };
  /** Fired after a file is deleted, so usage figures stay consistent. */
  'upload.afterDelete': { file: PluginFile };
  /**
   * Fired once an upload has ended without a file: refused by a hook, aborted by its uploader, abandoned
   * (no bytes for the configured time), failed on an error, or deleted with its message while uploading.
   * What a plugin holds for the upload (a reservation made in `upload.onChunk`) can be let go.
   */
  'upload.afterFail': { upload: PluginEndedUpload; reason: UploadFailReason };
  'report.created': { report: PluginReport };
}

/** What each hook may return. */
export interface HookResults {
  'message.beforeSend': ModifyingDecision<{ text: string }>;
  'message.afterSend': void;
  'message.beforeEdit': ModifyingDecision<{ text: string }>;
  'message.beforeDelete': GateDecision;
  'room.beforeCreate': GateDecision;
  'room.beforeJoin': GateDecision;
  'user.afterRegister': void;
  'user.beforeLogin': GateDecision;
  'upload.beforeStart': GateDecision;
  'upload.onChunk': GateDecision;
  'upload.afterComplete': void;
  'upload.afterDelete': void;
  'upload.afterFail': void;
  'report.created': void;
}

export type HookName = keyof HookPayloads;

/**
 * How the host treats a hook. `gate` hooks run one after another before the action and may stop it;
 * `notify` hooks run after it and cannot. `failure` says what a throw or an overrun means: `open` skips the
 * hook (the action goes ahead), `closed` treats it as a rejection.
 */
export interface HookSpec {
  kind: 'gate' | 'notify';
  modifies: boolean;
  failure: 'open' | 'closed';
  /** Time budget per call, in milliseconds; a plugin may ask for less (HookRegistration.timeoutMs), never more. */
  timeoutMs: number;
}

export const MAX_HOOK_TIMEOUT_MS = 2000;

export const HOOK_SPECS: Readonly<Record<HookName, HookSpec>> = Object.freeze({
  'message.beforeSend': { kind: 'gate', modifies: true, failure: 'open', timeoutMs: 250 },
  'message.afterSend': { kind: 'notify', modifies: false, failure: 'open', timeoutMs: 1000 },
  'message.beforeEdit': { kind: 'gate', modifies: true, failure: 'open', timeoutMs: 250 },
  'message.beforeDelete': { kind: 'gate', modifies: false, failure: 'open', timeoutMs: 250 },
  'room.beforeCreate': { kind: 'gate', modifies: false, failure: 'open', timeoutMs: 250 },
  'room.beforeJoin': { kind: 'gate', modifies: false, failure: 'open', timeoutMs: 250 },
  'user.afterRegister': { kind: 'notify', modifies: false, failure: 'open', timeoutMs: 1000 },
  'user.beforeLogin': { kind: 'gate', modifies: false, failure: 'open', timeoutMs: 250 },
  // A quota that cannot be checked must not let bytes through.
  'upload.beforeStart': { kind: 'gate', modifies: false, failure: 'closed', timeoutMs: 250 },
  'upload.onChunk': { kind: 'gate', modifies: false, failure: 'closed', timeoutMs: 250 },
  'upload.afterComplete': { kind: 'notify', modifies: false, failure: 'open', timeoutMs: 1000 },
  'upload.afterDelete': { kind: 'notify', modifies: false, failure: 'open', timeoutMs: 1000 },
  'upload.afterFail': { kind: 'notify', modifies: false, failure: 'open', timeoutMs: 1000 },
  'report.created': { kind: 'notify', modifies: false, failure: 'open', timeoutMs: 1000 },
});

export const HOOK_NAMES = Object.keys(HOOK_SPECS) as HookName[];
