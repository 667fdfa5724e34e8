import 'reflect-metadata';
import { BootError } from './bootstrap/boot-error';
import { bootstrap } from './bootstrap/bootstrap';
import { ConfigError, loadConfig } from './config/app-config';

/** Upper bound for a graceful stop; past it the process exits anyway (exit code 1). */
const SHUTDOWN_TIMEOUT_MS = 15_000;

async function main(): Promise<void> {
  const server = await bootstrap(loadConfig(process.env));
  let stopping = false;
  const stop = (signal: NodeJS.Signals) => {
    if (stopping) return;
    stopping = true;
    process.stderr.write(`palaver: ${signal} received, shutting down\n`);
    setTimeout(() => {
      process.stderr.write('palaver: shutdown timed out\n');
      process.exit(1);
    }, SHUTDOWN_TIMEOUT_MS).unref();
    server.close().then(
      () => process.exit(0),
      (err: unknown) => {
        process.stderr.write(`palaver: shutdown failed: ${String(err)}\n`);
        process.exit(1);
      },
    );
  };
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
}

main().catch((err: unknown) => {
  // Operator mistakes get one line; anything else is a bug and keeps its stack.
  if (err instanceof ConfigError || err instanceof BootError)
    process.stderr.write(`palaver: ${err.message}\n`);
  else
    process.stderr.write(
      `palaver: failed to start: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`,
    );
  process.exit(1);
});
