/**
 * The portal's build: React + TypeScript from web/src into web/dist, which the API
 * server serves (src/api/web.ts). `npx vite --config web/vite.config.ts` runs a dev
 * server that sends /api and /sip to a Nimbus on NIMBUS_DEV_API (default :8080).
 */
import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vite';

const api = process.env.NIMBUS_DEV_API ?? 'http://127.0.0.1:8080';

export default defineConfig({
  root: fileURLToPath(new URL('.', import.meta.url)),
  // JSX through React 17+'s automatic runtime: no React import in every component.
  oxc: { jsx: { runtime: 'automatic' } },
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    // Pages load on demand; a warning past 500 kB of one chunk would mean a page pulled in too much.
    chunkSizeWarningLimit: 500,
    rolldownOptions: {
      // Mantine marks its modules "use client" for React Server Components; meaningless in a SPA bundle.
      onwarn(warning, warn) {
        if (warning.code !== 'MODULE_LEVEL_DIRECTIVE') warn(warning);
      },
    },
  },
  server: {
    proxy: {
      '/api': api,
      '/sip': { target: api.replace(/^http/, 'ws'), ws: true },
    },
  },
});
