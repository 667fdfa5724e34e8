#!/usr/bin/env node
/**
 * `docstore --dbpath DIR [--port N] [--bind 127.0.0.1] [--bind-any] [--socket PATH] [--ttl-interval-ms MS] [--sync-interval-ms MS]`
 * Binding to anything other than loopback needs --bind-any: the docstore has no authentication. --socket listens on
 * a Unix domain socket (mode 0600) instead of TCP.
 */
import { parseArgs } from 'node:util';
import { startDocstore } from './server';

const USAGE =
  'usage: docstore --dbpath DIR [--port N] [--bind ADDRESS] [--bind-any] [--socket PATH] [--ttl-interval-ms MS] [--sync-interval-ms MS]';
const LOOPBACK = new Set(['127.0.0.1', '::1', 'localhost']);

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      dbpath: { type: 'string' },
      port: { type: 'string', default: '27017' },
      bind: { type: 'string', default: '127.0.0.1' },
      'bind-any': { type: 'boolean', default: false },
      socket: { type: 'string' },
      'ttl-interval-ms': { type: 'string', default: '60000' },
      'sync-interval-ms': { type: 'string', default: '100' },
      help: { type: 'boolean', default: false },
    },
    strict: true,
  });
  if (values.help) {
    console.log(USAGE);
    return;
  }
  if (!values.dbpath) throw new Error(`--dbpath is required\n${USAGE}`);
  const port = Number(values.port);
  if (!Number.isInteger(port) || port < 0 || port > 65535)
    throw new Error(`--port must be 0..65535, got ${values.port}`);
  const ttl = Number(values['ttl-interval-ms']);
  if (!Number.isInteger(ttl) || ttl < 10) throw new Error(`--ttl-interval-ms must be an integer >= 10`);
  const syncIntervalMs = Number(values['sync-interval-ms']);
  if (!Number.isInteger(syncIntervalMs) || syncIntervalMs < 0)
    throw new Error(`--sync-interval-ms must be an integer >= 0`);
  const host = values.bind ?? '127.0.0.1';
  if (!LOOPBACK.has(host) && !values['bind-any']) {
    throw new Error(
      `refusing to bind ${host}: the docstore has no authentication; pass --bind-any to allow it`,
    );
  }
  const store = await startDocstore({
    dbPath: values.dbpath,
    port,
    host,
    socketPath: values.socket,
    ttlIntervalMs: ttl,
    syncIntervalMs,
  });
  console.log(`docstore listening on ${store.uri} (data in ${values.dbpath})`);
  let stopping = false;
  const stop = (signal: string): void => {
    if (stopping) return;
    stopping = true;
    store.close().then(
      () => {
        console.log(`docstore stopped (${signal})`);
        process.exit(0);
      },
      (err: unknown) => {
        console.error(`docstore: error while stopping: ${String(err)}`);
        process.exit(1);
      },
    );
  };
  process.on('SIGTERM', () => stop('SIGTERM'));
  process.on('SIGINT', () => stop('SIGINT'));
}

main().catch((err: unknown) => {
  console.error(`docstore: ${err instanceof Error ? err.message : String(err)}`);
  process.exit(1);
});
