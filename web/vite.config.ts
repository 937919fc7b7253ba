/**
 * Builds the browser pages: one HTML entry per page, Preact for the views, assets under /assets/.
 * The server serves web/dist: /live/:id → live.html, /host/:id → host.html, /privacy and
 * /privacy/rules → privacy.html, /compliance, /login, /setup, /guardian and /recommendations to their pages, /experiments/:id → experiment.html; the dev and preview servers below do the same rewrites.
 */
import { fileURLToPath } from 'node:url';
import type { Connect, Plugin } from 'vite';
import { defineConfig } from 'vite';
import preact from '@preact/preset-vite';

const webRoot = fileURLToPath(new URL('.', import.meta.url));
const PAGES = ['live', 'host', 'compliance', 'login', 'setup', 'privacy', 'guardian', 'recommendations', 'experiment'] as const;
const API_TARGET = 'http://127.0.0.1:3000';

/** The same page routes the server has, so `vite` and `vite preview` answer /live/demo too. */
function pageRoutes(): Plugin {
  const rewrite: Connect.NextHandleFunction = (req, _res, next) => {
    const url = req.url ?? '/';
    const [pathname = '/', query = ''] = url.split('?', 2);
    const match =
      /^\/(live|host)\/[^/]+\/?$/.exec(pathname) ?? /^\/(privacy)(?:\/rules)?\/?$/.exec(pathname) ?? /^\/(compliance|login|setup|guardian|recommendations)\/?$/.exec(pathname);
    const page = match?.[1] ?? (/^\/experiments\/[^/]+\/?$/.test(pathname) ? 'experiment' : undefined);
    if (page) req.url = `/${page}.html${query ? `?${query}` : ''}`;
    next();
  };
  return {
    name: 'qingliu-page-routes',
    configureServer(server) {
      server.middlewares.use(rewrite);
    },
    configurePreviewServer(server) {
      server.middlewares.use(rewrite);
    },
  };
}

export default defineConfig({
  root: webRoot,
  base: '/',
  publicDir: 'public',
  plugins: [preact(), pageRoutes()],
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    assetsDir: 'assets',
    target: 'es2022',
    rolldownOptions: {
      input: Object.fromEntries(PAGES.map((page) => [page, fileURLToPath(new URL(`${page}.html`, import.meta.url))])),
    },
  },
  server: {
    proxy: {
      '/api': { target: API_TARGET, ws: true, changeOrigin: false },
      '/healthz': { target: API_TARGET },
    },
  },
  preview: {
    proxy: {
      '/api': { target: API_TARGET, ws: true, changeOrigin: false },
    },
  },
});
