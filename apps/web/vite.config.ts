import react from '@vitejs/plugin-react';
import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vite';

// The SDK is bundled from its TypeScript source: the browser build needs no prior `tsc -b` and gets ESM.
const clientSource = fileURLToPath(new URL('../../packages/client/src/index.ts', import.meta.url));

export default defineConfig({
  plugins: [react()],
  base: '/',
  resolve: { alias: { '@palaver/client': clientSource } },
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    // The served CSP allows scripts from 'self' only: no inline polyfill in index.html.
    modulePreload: { polyfill: false },
    sourcemap: true,
  },
  server: {
    // `npm run dev -w @palaver/web` against a server on :3000 (same origin for the API, sockets and media).
    proxy: {
      '/api': 'http://127.0.0.1:3000',
      '/socket.io': { target: 'http://127.0.0.1:3000', ws: true },
    },
  },
});
