import { createReadStream, existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, normalize } from 'node:path';
import { defineConfig, type Plugin } from 'vite';
import react from '@vitejs/plugin-react';

const pyodideDir = dirname(createRequire(import.meta.url).resolve('pyodide/package.json'));
const pyodideFiles = readdirSync(pyodideDir).filter((f) => /\.(mjs|wasm|zip|json)$/.test(f) && f !== 'package.json');
const contentTypes: Record<string, string> = {
  mjs: 'text/javascript',
  wasm: 'application/wasm',
  zip: 'application/zip',
  json: 'application/json',
};

/** Serves Pyodide's runtime files from node_modules at /pyodide/ (dev) and copies them into the build: nothing comes from a CDN. */
function pyodideAssets(): Plugin {
  return {
    name: 'sodp-pyodide-assets',
    configureServer(server) {
      server.middlewares.use('/pyodide/', (req, res, next) => {
        const name = normalize(decodeURIComponent((req.url ?? '').split('?')[0])).replace(/^\/+/, '');
        const file = join(pyodideDir, name);
        if (!pyodideFiles.includes(name) || !existsSync(file)) return next();
        res.setHeader('content-type', contentTypes[name.split('.').pop() ?? ''] ?? 'application/octet-stream');
        res.setHeader('content-length', statSync(file).size);
        createReadStream(file).pipe(res);
      });
    },
    generateBundle() {
      for (const name of pyodideFiles)
        this.emitFile({ type: 'asset', fileName: `pyodide/${name}`, source: readFileSync(join(pyodideDir, name)) });
    },
  };
}

export default defineConfig({
  // Relative URLs: the built folder works from any static host, under any sub-path.
  base: './',
  plugins: [react(), pyodideAssets()],
  server: { port: 5173, strictPort: false },
  worker: { format: 'es' },
  // Pyodide finds its runtime files relative to itself; pre-bundling would move it.
  optimizeDeps: { exclude: ['pyodide'] },
});
