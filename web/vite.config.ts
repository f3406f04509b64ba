import { defineConfig, type Plugin } from 'vitest/config';
import { ROUTES } from './src/router.ts';

/** dist/routes.json: the app's paths, so that the C server (src/http/static.c) answers an
 * unknown path with HTTP 404 (still the app, which shows its "Page not found"). */
function routesFile(): Plugin {
  return {
    name: 'contrail-routes',
    generateBundle() {
      this.emitFile({ type: 'asset', fileName: 'routes.json', source: `${JSON.stringify(ROUTES.map((r) => r.path))}\n` });
    },
  };
}

// During `npm run dev`, API calls are proxied to the C server.
// Override the target with CT_API=http://127.0.0.1:PORT.
const apiTarget = process.env.CT_API ?? 'http://127.0.0.1:8080';

export default defineConfig({
  base: '/',
  plugins: [routesFile()],
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
