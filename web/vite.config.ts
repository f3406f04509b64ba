import { defineConfig } from 'vitest/config';

// During `npm run dev`, API calls are proxied to the C server.
// Override the target with CT_API=http://127.0.0.1:PORT.
const apiTarget = process.env.CT_API ?? 'http://127.0.0.1:8080';

export default defineConfig({
  base: '/',
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    assetsDir: 'assets',
    sourcemap: false,
    target: 'es2020',
  },
  server: {
    proxy: {
      '/api': { target: apiTarget, changeOrigin: false },
    },
  },
  test: {
    environment: 'jsdom',
    include: ['src/**/*.test.ts'],
    restoreMocks: true,
  },
});
