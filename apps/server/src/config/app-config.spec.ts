import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ConfigError, loadConfig } from './app-config';

describe('loadConfig', () => {
  it('applies defaults when the environment is empty', () => {
    const config = loadConfig({});
    assert.equal(config.PORT, 3000);
    assert.equal(config.MONGO_URL, undefined);
    assert.equal(config.REGISTRATION_OPEN, true);
    assert.deepEqual(config.CORS_ORIGINS, []);
  });

  it('parses numbers, booleans and lists', () => {
    const config = loadConfig({
      PORT: '8080',
      REGISTRATION_OPEN: 'closed',
      CORS_ORIGINS: 'https://a.example, https://b.example',
    });
    assert.equal(config.PORT, 8080);
    assert.equal(config.REGISTRATION_OPEN, false);
    assert.deepEqual(config.CORS_ORIGINS, ['https://a.example', 'https://b.example']);
  });

  it('names the variable and the bad value in one line', () => {
    assert.throws(
      () => loadConfig({ PORT: 'eighty' }),
      (err: Error) => {
        assert.ok(err instanceof ConfigError);
        assert.match(err.message, /^PORT: .*\(got 'eighty'\)$/);
        assert.ok(!err.message.includes('\n'));
        return true;
      },
    );
    assert.throws(
      () => loadConfig({ MONGO_URL: 'http://x' }),
      (err: Error) => /^MONGO_URL: must be a mongodb/.test(err.message),
    );
  });

  it('never echoes a secret back', () => {
    assert.throws(
      () => loadConfig({ TOKEN_SECRET: 'short' }),
      (err: Error) => !err.message.includes('short'),
    );
  });
});
