/**
 * Payload shapes per target. Every sent body carries its sequence number and send time so each receiver
 * can compute send->deliver latency on the generator's own clock (all connections live in one process).
 */
export interface MessageCodec {
  /** Socket.IO event the client emits with an ack. */
  sendEvent: string;
  /** Socket.IO event the server pushes to room members. */
  deliverEvent: string;
  encodeSend(roomId: string, body: string, seq: number): unknown;
  /** The message body inside a delivered payload, or undefined for other traffic. */
  bodyOfDelivery(payload: unknown): string | undefined;
  /** An error description when the ack reports a failure. */
  ackError(ack: unknown): string | undefined;
}

function errorOf(ack: unknown): string | undefined {
  if (ack && typeof ack === 'object' && 'error' in ack) {
    const error = (ack as { error?: { code?: unknown; message?: unknown } }).error;
    return `${String(error?.code)}: ${String(error?.message)}`;
  }
  return undefined;
}

function bodyField(payload: unknown): string | undefined {
  if (payload && typeof payload === 'object') {
    const body = (payload as { body?: unknown }).body;
    if (typeof body === 'string') return body;
  }
  return undefined;
}

/** bench/baselines: `message:send {body}` -> `message:new {id, roomId, body, createdAt}`. */
export const bareCodec: MessageCodec = {
  sendEvent: 'message:send',
  deliverEvent: 'message:new',
  encodeSend: (roomId, body) => ({ roomId, body }),
  bodyOfDelivery: bodyField,
  ackError: errorOf,
};

/**
 * Palaver (packages/client/src/protocol.ts): `message:send {roomId, text, clientMessageId}` acked with
 * SendMessageAck or ErrorAck; members get `message.created` with a MessageView.
 */
export const palaverCodec: MessageCodec = {
  sendEvent: 'message:send',
  deliverEvent: 'message.created',
  // clientMessageId makes a retried send idempotent; the generator's pid keeps ids unique across runs.
  encodeSend: (roomId, text, seq) => ({
    roomId,
    text,
    clientMessageId: `b${process.pid.toString(36)}-${seq}`,
  }),
  bodyOfDelivery: (payload) => {
    if (payload && typeof payload === 'object') {
      const text = (payload as { text?: unknown }).text;
      if (typeof text === 'string') return text;
    }
    return undefined;
  },
  ackError: errorOf,
};

export const CODECS: Record<string, MessageCodec> = { bare: bareCodec, palaver: palaverCodec };

const MARK = 'bench|';

/** `bench|<seq>|<sentAtMs>|` padded with 'x' to `bytes` characters. */
export function stampBody(seq: number, sentAtMs: number, bytes: number): string {
  const head = `${MARK}${seq}|${sentAtMs.toFixed(3)}|`;
  return head.length >= bytes ? head : head + 'x'.repeat(bytes - head.length);
}

export function readStamp(body: string): { seq: number; sentAtMs: number } | undefined {
  if (!body.startsWith(MARK)) return undefined;
  const second = body.indexOf('|', MARK.length);
  const third = body.indexOf('|', second + 1);
  if (second < 0 || third < 0) return undefined;
  const seq = Number(body.slice(MARK.length, second));
  const sentAtMs = Number(body.slice(second + 1, third));
  return Number.isFinite(seq) && Number.isFinite(sentAtMs) ? { seq, sentAtMs } : undefined;
}
