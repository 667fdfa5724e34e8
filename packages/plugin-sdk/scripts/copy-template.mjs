// Before `npm pack`/`npm publish`: ship the example plugin as template/ so `palaver-plugin create` works
// outside the Palaver repository.
import { cpSync, rmSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const from = fileURLToPath(new URL('../../../plugins/example-roll/', import.meta.url));
const to = fileURLToPath(new URL('../template/', import.meta.url));
rmSync(to, { recursive: true, force: true });
for (const part of ['src', 'test', 'README.md']) cpSync(from + part, to + part, { recursive: true });
