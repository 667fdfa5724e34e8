import { ArgumentsHost, Logger, NotFoundException, PayloadTooLargeException } from '@nestjs/common';
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { NotFoundError, RateLimitedError, ValidationFailedError } from './domain-error';
import { HttpExceptionFilter } from './http-exception.filter';

interface Sent {
  status?: number;
  body?: unknown;
  headers: Record<string, string>;
}

function httpHost(): { host: ArgumentsHost; sent: Sent } {
  const sent: Sent = { headers: {} };
  const res = {
    headersSent: false,
    setHeader: (name: string, value: string) => (sent.headers[name.toLowerCase()] = value),
    status(code: number) {
      sent.status = code;
      return this;
    },
    json(body: unknown) {
      sent.body = body;
      return this;
    },
  };
  const host = {
    getType: () => 'http',
    switchToHttp: () => ({ getResponse: () => res, getRequest: () => ({}) }),
  } as unknown as ArgumentsHost;
  return { host, sent };
}

describe('HttpExceptionFilter', () => {
  const filter = new HttpExceptionFilter();

  it('maps domain errors to their status and body, naming the field', () => {
    const { host, sent } = httpHost();
    filter.catch(new ValidationFailedError('username is too short', 'username'), host);
    assert.equal(sent.status, 400);
    assert.deepEqual(sent.body, {
      error: { code: 'validation_failed', message: 'username is too short', field: 'username' },
    });
    const other = httpHost();
    filter.catch(new NotFoundError('room', 'roomId'), other.host);
    assert.equal(other.sent.status, 404);
  });

  it('adds Retry-After and retryAfterMs to rate-limit errors', () => {
    const { host, sent } = httpHost();
    filter.catch(new RateLimitedError('slow down', 2500), host);
    assert.equal(sent.status, 429);
    assert.equal(sent.headers['retry-after'], '3');
    assert.deepEqual(sent.body, {
      error: { code: 'rate_limited', message: 'slow down', retryAfterMs: 2500 },
    });
  });

  it('maps framework and body-parser errors by status', () => {
    const a = httpHost();
    filter.catch(new NotFoundException('Cannot GET /api/nope'), a.host);
    assert.deepEqual(a.sent.body, { error: { code: 'not_found', message: 'Cannot GET /api/nope' } });
    const b = httpHost();
    filter.catch(new PayloadTooLargeException(), b.host);
    assert.equal(b.sent.status, 413);
    const c = httpHost();
    filter.catch(Object.assign(new Error('request entity too large'), { status: 413, expose: true }), c.host);
    assert.deepEqual(c.sent.body, {
      error: { code: 'payload_too_large', message: 'request entity too large' },
    });
  });

  it('answers unknown errors with 500 internal without leaking their message', (t) => {
    t.mock.method(Logger.prototype, 'error', () => undefined);
    const { host, sent } = httpHost();
    filter.catch(new Error('connection string mongodb://user:secret@db'), host);
    assert.equal(sent.status, 500);
    assert.deepEqual(sent.body, { error: { code: 'internal', message: 'internal error' } });
    const hidden = httpHost();
    filter.catch(Object.assign(new Error('secret detail'), { status: 500, expose: false }), hidden.host);
    assert.deepEqual(hidden.sent.body, { error: { code: 'internal', message: 'internal error' } });
  });
});
