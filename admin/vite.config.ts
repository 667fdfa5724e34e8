import react from '@vitejs/plugin-react';
import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vite';

// The console is served by the Palaver server at /admin (apps/server/src/admin-console). The SDK is
// compiled from its TypeScript source: its published build is CommonJS for Node.
export default defineConfig({
  base: '/admin/',
  plugins: [react()],
  resolve: {
    alias: {
      '@palaver/client': fileURLToPath(new URL('../packages/client/src/index.ts', import.meta.url)),
    },
  },
  build: { outDir: 'dist', emptyOutDir: true, sourcemap: true, chunkSizeWarningLimit: 2000 },
  // `npm run dev -w @palaver/admin` against a server on :3000 (PALAVER_URL to point elsewhere).
  server: {
    proxy: Object.fromEntries(
      ['/api', '/health'].map((path) => [path, process.env.PALAVER_URL ?? 'http://127.0.0.1:3000']),
    ),
  },
});
