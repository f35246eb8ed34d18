import { createReadStream, existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, normalize } from 'node:path';
import { fileURLToPath } from 'node:url';
import { defaultClientConditions, defineConfig, loadEnv, type Plugin } from 'vite';
import react from '@vitejs/plugin-react';
import { pageSecurity } from './page-security';

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

// onnxruntime-web's runtime for the ONNX teacher (its WebGPU bundle loads this build for WebGPU and wasm alike).
// Resolved from transformers.js, so the runtime matches the onnxruntime-web it imports.
const ortDir = dirname(
  createRequire(createRequire(import.meta.url).resolve('@huggingface/transformers')).resolve(
    'onnxruntime-web/ort-wasm-simd-threaded.asyncify.wasm',
  ),
);
const ortFiles = ['ort-wasm-simd-threaded.asyncify.mjs', 'ort-wasm-simd-threaded.asyncify.wasm'];

/** Serves onnxruntime-web's runtime at /ort/ (dev) and copies it into the build: the teacher worker loads it from the app, never a CDN. */
function onnxRuntimeAssets(): Plugin {
  return {
    name: 'sodp-onnxruntime-assets',
    configureServer(server) {
      server.middlewares.use('/ort/', (req, res, next) => {
        const name = normalize(decodeURIComponent((req.url ?? '').split('?')[0])).replace(/^\/+/, '');
        if (!ortFiles.includes(name)) return next();
        const file = join(ortDir, name);
        res.setHeader('content-type', contentTypes[name.split('.').pop() ?? ''] ?? 'application/octet-stream');
        res.setHeader('content-length', statSync(file).size);
        createReadStream(file).pipe(res);
      });
    },
    generateBundle() {
      for (const name of ortFiles)
        this.emitFile({ type: 'asset', fileName: `ort/${name}`, source: readFileSync(join(ortDir, name)) });
    },
  };
}

export default defineConfig(({ mode }) => {
  // VITE_HF_ENDPOINT (a mirror the page starts with) and VITE_CONNECT_SRC widen the policy's connect-src:
  // from the environment or a .env file, when the site is built or served (docs/deploying.md).
  const env = loadEnv(mode, dirname(fileURLToPath(import.meta.url)), 'VITE_');
  return {
    // Relative URLs: the built folder works from any static host, under any sub-path.
    base: './',
    plugins: [
      pageSecurity({ hubEndpoint: env.VITE_HF_ENDPOINT, connectSrc: env.VITE_CONNECT_SRC }),
      react(),
      pyodideAssets(),
      onnxRuntimeAssets(),
    ],
    // onnxruntime-web's build that loads its runtime from wasmPaths (served at ort/) instead of a copy the
    // bundler would emit a second time beside it.
    resolve: { conditions: ['onnxruntime-web-use-extern-wasm', ...defaultClientConditions] },
    server: { port: 5173, strictPort: false },
    worker: { format: 'es' },
    // Pyodide finds its runtime files relative to itself; pre-bundling would move it. transformers.js is
    // imported only by the teacher worker, on demand: pre-bundled up front, so that first import does not
    // make the dev server optimize it then and reload the page.
    optimizeDeps: { exclude: ['pyodide'], include: ['@huggingface/transformers'] },
  };
});
