import { createServer, type ViteDevServer } from 'vite';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('../..', import.meta.url));

/** Starts the playground's Vite dev server on a free localhost port. */
export async function startPlayground(): Promise<{ server: ViteDevServer; url: string }> {
  // The tests' Hub servers listen on 127.0.0.1 at ports of their own, origins the page's connect-src must
  // name, as a site built for a mirror would (vite.config.ts reads this as it loads).
  process.env.VITE_CONNECT_SRC = 'http://127.0.0.1:*';
  const server = await createServer({
    root,
    configFile: `${root}/vite.config.ts`,
    // One dependency cache per test worker: two dev servers optimizing into one folder at once
    // replace each other's bundles under a loaded page (on a cold cache, a clean clone's CI).
    cacheDir: `${root}/node_modules/.vite-test-${process.env.VITEST_POOL_ID ?? 'main'}`,
    logLevel: 'error',
    server: { host: '127.0.0.1', port: 0, strictPort: false, hmr: false },
  });
  await server.listen();
  const address = server.httpServer?.address();
  if (address === null || address === undefined || typeof address === 'string')
    throw new Error('Vite did not report a TCP address');
  return { server, url: `http://localhost:${address.port}/` };
}
