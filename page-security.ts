/**
 * The page's security headers: a strict Content-Security-Policy and cross-origin isolation, sent by
 * the dev server and `vite preview`, written into the built index.html (a meta element, for hosts
 * that send no headers) and into dist/_headers (for hosts that read that file). docs/deploying.md
 * says what each directive allows and why.
 */
import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { Connect, Plugin } from 'vite';

/**
 * The Hub's hosts. huggingface.co answers a file's /resolve/ URL with a redirect to a download host
 * (cdn-lfs*.huggingface.co, cdn-lfs*.hf.co, cas-bridge.xethub.hf.co, us.aws.cdn.hf.co, …) whose
 * names change over time, and the policy is checked again at every redirect: hence the wildcards.
 */
export const hubConnectSources = ['https://huggingface.co', 'https://*.huggingface.co', 'https://*.hf.co'] as const;

/** Cross-origin isolation: onnxruntime-web's wasm runs on several threads only in an isolated page. */
export const isolationHeaders = {
  'Cross-Origin-Opener-Policy': 'same-origin',
  'Cross-Origin-Embedder-Policy': 'require-corp',
} as const;

export interface PolicyOptions {
  /** VITE_HF_ENDPOINT: a Hub address (a mirror) the page starts with and may fetch from. */
  hubEndpoint?: string;
  /** VITE_CONNECT_SRC: further connect-src sources, space-separated (a mirror's download hosts). */
  connectSrc?: string;
  /** The dev server's nonce, which Vite puts on the inline scripts and styles it injects (html.cspNonce). */
  nonce?: string;
  /** For a meta element, which cannot carry frame-ancestors. */
  meta?: boolean;
}

/** The origin of a Hub address, or an error that names the variable it came from. */
function originOf(address: string, name: string): string {
  let url: URL;
  try {
    url = new URL(address);
  } catch {
    throw new Error(`${name}=${address} is not a URL`);
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') throw new Error(`${name}=${address} is not http(s)`);
  return url.origin;
}

/** Where the page may connect: its own origin and the Hub (plus a mirror and its hosts when configured). */
export function connectSources(options: PolicyOptions = {}): string[] {
  const extra = (options.connectSrc ?? '').split(/\s+/).filter((s) => s !== '');
  for (const source of extra)
    if (/[;,'"]/.test(source)) throw new Error(`VITE_CONNECT_SRC: ${source} is not a CSP source expression`);
  const hub = options.hubEndpoint ? [originOf(options.hubEndpoint, 'VITE_HF_ENDPOINT')] : [];
  return [...new Set(["'self'", ...hubConnectSources, ...hub, ...extra])];
}

/** The policy as one header value. */
export function contentSecurityPolicy(options: PolicyOptions = {}): string {
  const nonce = options.nonce ? [`'nonce-${options.nonce}'`] : [];
  const directives: [string, string[]][] = [
    ['default-src', ["'self'"]],
    // Pyodide and onnxruntime-web compile WebAssembly; nothing evaluates JavaScript from strings.
    ['script-src', ["'self'", "'wasm-unsafe-eval'", ...nonce]],
    ['style-src', ["'self'", ...nonce]],
    // The engine, sandbox and teacher workers, and onnxruntime's threads, are all files of the app.
    ['worker-src', ["'self'"]],
    ['connect-src', connectSources(options)],
    ['img-src', ["'self'"]],
    ['object-src', ["'none'"]],
    ['base-uri', ["'self'"]],
    // Both forms submit to script (preventDefault): a form never navigates.
    ['form-action', ["'none'"]],
    ...(options.meta ? [] : [['frame-ancestors', ["'none'"]] as [string, string[]]]),
  ];
  return directives.map(([name, sources]) => `${name} ${sources.join(' ')}`).join('; ');
}

/** Every header a host must send with every file of the built app. */
export function securityHeaders(options: PolicyOptions = {}): Record<string, string> {
  return { 'Content-Security-Policy': contentSecurityPolicy(options), ...isolationHeaders };
}

/** dist/_headers, the format Netlify and Cloudflare Pages read: these headers on every path. */
export function headersFile(headers: Record<string, string>): string {
  return `/*\n${Object.entries(headers)
    .map(([name, value]) => `  ${name}: ${value}\n`)
    .join('')}`;
}

/** The headers a `_headers` file gives every path (its `/*` block); other blocks are not read. */
export function parseHeadersFile(text: string): Record<string, string> {
  const headers: Record<string, string> = {};
  let inAll = false;
  for (const line of text.split('\n')) {
    if (line.trim() === '' || line.trim().startsWith('#')) continue;
    if (!/^\s/.test(line)) {
      inAll = line.trim() === '/*';
      continue;
    }
    const colon = line.indexOf(':');
    if (inAll && colon > 0) headers[line.slice(0, colon).trim()] = line.slice(colon + 1).trim();
  }
  return headers;
}

function sendHeaders(headers: Record<string, string>): Connect.NextHandleFunction {
  return (_req, res, next) => {
    for (const [name, value] of Object.entries(headers)) res.setHeader(name, value);
    next();
  };
}

/**
 * The policy everywhere the app is served. List it first among the plugins: its middleware must set
 * the headers before any other plugin's answers (onnxruntime's thread workers come from /ort/, and
 * in an isolated page a worker without the COEP header is refused).
 */
export function pageSecurity(options: Omit<PolicyOptions, 'nonce' | 'meta'>): Plugin {
  // Dev only: the React refresh preamble is an inline script and Vite injects the CSS as <style>
  // elements, so the dev policy adds a nonce Vite puts on exactly those (fresh per server start).
  const nonce = randomBytes(16).toString('base64');
  return {
    name: 'sodp-page-security',
    config(_config, env) {
      if (env.command === 'serve' && !env.isPreview) return { html: { cspNonce: nonce } };
    },
    configureServer(server) {
      server.middlewares.use(sendHeaders(securityHeaders({ ...options, nonce })));
    },
    configurePreviewServer(server) {
      // What the build wrote, so preview answers as a static host that reads dist/_headers would.
      const file = join(resolve(server.config.root, server.config.build.outDir), '_headers');
      const headers = existsSync(file) ? parseHeadersFile(readFileSync(file, 'utf8')) : securityHeaders(options);
      server.middlewares.use(sendHeaders(headers));
    },
    transformIndexHtml: {
      order: 'post',
      handler(html, context) {
        if (context.server !== undefined) return;
        // Before every script, after only the charset declaration (which belongs first).
        const meta = `<meta http-equiv="Content-Security-Policy" content="${contentSecurityPolicy({ ...options, meta: true })}" />`;
        return /<meta charset[^>]*>/i.test(html)
          ? html.replace(/<meta charset[^>]*>/i, (charset) => `${charset}\n    ${meta}`)
          : html.replace(/<head>/i, `<head>\n    ${meta}`);
      },
    },
    generateBundle() {
      this.emitFile({ type: 'asset', fileName: '_headers', source: headersFile(securityHeaders(options)) });
    },
  };
}
