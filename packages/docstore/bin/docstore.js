#!/usr/bin/env node
// Committed executable entry point: the compiled dist/src/cli.js is created by `tsc -b` after `npm ci`
// has linked the bin, so it would not carry the executable bit itself.
import('../dist/src/cli.js').catch((err) => {
  console.error(`docstore: cannot load dist/src/cli.js (run the build first): ${err.message}`);
  process.exit(1);
});
