import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createServer } from 'vite';
import { describe, expect, it } from 'vitest';
import {
  connectSources,
  contentSecurityPolicy,
  headersFile,
  isolationHeaders,
  parseHeadersFile,
  securityHeaders,
} from '../page-security';

const root = fileURLToPath(new URL('..', import.meta.url));

describe("the page's security headers", () => {
  it('are a strict policy: the app, wasm compilation, the Hub; frame-ancestors only as a header', () => {
    expect(contentSecurityPolicy()).toBe(
      "default-src 'self'; script-src 'self' 'wasm-unsafe-eval'; style-src 'self'; worker-src 'self'; " +
        "connect-src 'self' https://huggingface.co https://*.huggingface.co https://*.hf.co; img-src 'self'; " +
        "object-src 'none'; base-uri 'self'; form-action 'none'; frame-ancestors 'none'",
    );
    expect(contentSecurityPolicy({ meta: true })).toBe(contentSecurityPolicy().replace("; frame-ancestors 'none'", ''));
    expect(securityHeaders()).toEqual({
      'Content-Security-Policy': contentSecurityPolicy(),
      'Cross-Origin-Opener-Policy': 'same-origin',
      'Cross-Origin-Embedder-Policy': 'require-corp',
    });
  });

  it("widen connect-src by VITE_HF_ENDPOINT's origin and VITE_CONNECT_SRC, refusing what is not a source", () => {
    expect(
      connectSources({ hubEndpoint: 'https://hf-mirror.com/', connectSrc: ' https://cdn.mirror.example  ' }),
    ).toEqual([
      "'self'",
      'https://huggingface.co',
      'https://*.huggingface.co',
      'https://*.hf.co',
      'https://hf-mirror.com',
      'https://cdn.mirror.example',
    ]);
    expect(connectSources({ hubEndpoint: 'https://huggingface.co' })).toHaveLength(4);
    expect(() => connectSources({ hubEndpoint: 'hf-mirror.com' })).toThrow(
      'VITE_HF_ENDPOINT=hf-mirror.com is not a URL',
    );
    expect(() => connectSources({ hubEndpoint: 'ftp://x.example' })).toThrow('is not http(s)');
    expect(() => connectSources({ connectSrc: "https://a.example; script-src 'unsafe-inline'" })).toThrow(
      'not a CSP source expression',
    );
  });

  it('read back from the _headers file they are written to', () => {
    const headers = securityHeaders({ connectSrc: 'http://127.0.0.1:*' });
    const file = headersFile(headers);
    expect(file.startsWith('/*\n  Content-Security-Policy: ')).toBe(true);
    expect(parseHeadersFile(file)).toEqual(headers);
    expect(parseHeadersFile(`# a comment\n/other\n  X-Other: 1\n${file}`)).toEqual(headers);
  });

  it("come with every answer of the dev server, whose inline scripts carry the policy's nonce", async () => {
    // Only the headers and index.html are asked for: no dependency scan, and a cache of its own, so the
    // shared one (node_modules/.vite) stays valid for the dev servers of the browser tests.
    const cacheDir = mkdtempSync(join(tmpdir(), 'sodp-vite-cache-'));
    const server = await createServer({
      root,
      configFile: `${root}/vite.config.ts`,
      logLevel: 'error',
      cacheDir,
      optimizeDeps: { noDiscovery: true, include: [] },
      server: { host: '127.0.0.1', port: 0, hmr: false },
    });
    try {
      await server.listen();
      const address = server.httpServer?.address();
      if (address === null || address === undefined || typeof address === 'string') throw new Error('no address');
      const base = `http://127.0.0.1:${address.port}/`;
      const page = await fetch(base);
      const policy = page.headers.get('content-security-policy') ?? '';
      const nonce = /'nonce-([^']+)'/.exec(policy)?.[1];
      expect(nonce).toBeDefined();
      // The dev policy is the built one plus that nonce, for Vite's injected scripts and styles.
      expect(policy.replaceAll(` 'nonce-${nonce}'`, '')).toBe(
        contentSecurityPolicy({ hubEndpoint: process.env.VITE_HF_ENDPOINT, connectSrc: process.env.VITE_CONNECT_SRC }),
      );
      const html = await page.text();
      const scripts = html.match(/<script\b[^>]*>/g) ?? [];
      expect(scripts.length).toBeGreaterThan(0);
      for (const tag of scripts) expect(tag).toContain(`nonce="${nonce}"`);
      for (const path of ['', 'ort/ort-wasm-simd-threaded.asyncify.mjs', 'pyodide/pyodide.asm.mjs']) {
        const response = await fetch(`${base}${path}`);
        expect(response.status).toBe(200);
        expect(response.headers.get('content-security-policy')).toBe(policy);
        for (const [name, value] of Object.entries(isolationHeaders)) expect(response.headers.get(name)).toBe(value);
      }
    } finally {
      await server.close();
      rmSync(cacheDir, { recursive: true, force: true });
    }
  });
});
