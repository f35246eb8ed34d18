import { createHash } from 'node:crypto';
import { createReadStream, existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { join, normalize, relative } from 'node:path';

export interface HubServerOptions {
  /** Drop the connection of the next file download after this many bytes (once), to test resuming. */
  failAfterBytes?: number;
  /**
   * Hold the first download of this file after `bytes` bytes, the connection left open, as a
   * slow link would (once): the test then reloads the page mid-download. `paused` resolves when
   * the bytes are sent.
   */
  pauseAfter?: { repo: string; path: string; bytes: number };
}

export interface HubServer {
  url: string;
  server: Server;
  /** `METHOD /path[ range]` of every request, in order. */
  requests: string[];
  commitOf(repo: string): string;
  /** Resolves once the download `pauseAfter` names is held (never without that option). */
  paused: Promise<void>;
}

/**
 * A local HTTP server laid out like the Hugging Face Hub, so no test ever reaches the network.
 * `repos` maps a repository id (owner/name) to a folder. It answers what the Hub answers and
 * `@huggingface/hub` asks for:
 * - GET|HEAD /{repo}/resolve/{revision}/{file}: the file, with Content-Length, ETag, Range
 *   requests (206) and 404s (X-Error-Code: EntryNotFound);
 * - GET /api/models/{repo}/revision/{revision}: the commit (sha) and the files (siblings);
 * - POST /api/models/{repo}/paths-info/{revision}: oid, size and the last commit of paths.
 * Each repository has one commit (a hash of its id); the revision is `main` or that hash. Like the
 * Hub, it allows cross-origin requests (a page on another port fetches from it).
 */
export async function startHubServer(
  repos: Record<string, string>,
  options: HubServerOptions = {},
): Promise<HubServer> {
  const requests: string[] = [];
  let failAfter = options.failAfterBytes;
  let pauseAfter = options.pauseAfter;
  let onPaused = () => {};
  const paused = new Promise<void>((resolve) => (onPaused = resolve));
  const commitOf = (repo: string) => createHash('sha1').update(repo).digest('hex');
  const filesOf = (root: string): string[] =>
    readdirSync(root, { recursive: true, encoding: 'utf8' }).filter((f) => statSync(join(root, f)).isFile());
  /** The repository folder and file a request names, or undefined. */
  const locate = (repo: string, revision: string, path: string) => {
    const root = repos[repo];
    if (root === undefined || (revision !== 'main' && revision !== commitOf(repo))) return undefined;
    const file = normalize(join(root, path));
    if (relative(root, file).startsWith('..') || !existsSync(file) || !statSync(file).isFile()) return undefined;
    return { root, file };
  };
  const etagOf = (file: string) => createHash('sha256').update(readFileSync(file)).digest('hex');

  const json = (res: ServerResponse, status: number, body: unknown) =>
    res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));
  const notFound = (res: ServerResponse, code = 'EntryNotFound') =>
    res.writeHead(404, { 'content-type': 'text/plain', 'x-error-code': code }).end(`${code}`);

  const serveFile = (req: IncomingMessage, res: ServerResponse, file: string, held: boolean) => {
    const size = statSync(file).size;
    const headers = { etag: `"${etagOf(file)}"`, 'accept-ranges': 'bytes' };
    const range = /^bytes=(\d+)-(\d*)$/.exec(req.headers.range ?? '');
    let start = 0;
    let end = size - 1;
    if (range) {
      start = Number(range[1]);
      end = range[2] === '' ? size - 1 : Math.min(Number(range[2]), size - 1);
      if (start >= size) {
        res.writeHead(416, { 'content-range': `bytes */${size}` }).end();
        return;
      }
      res.writeHead(206, {
        ...headers,
        'content-length': end - start + 1,
        'content-range': `bytes ${start}-${end}/${size}`,
      });
    } else res.writeHead(200, { ...headers, 'content-length': size });
    if (req.method === 'HEAD') {
      res.end();
      return;
    }
    const length = end - start + 1;
    if (held && pauseAfter !== undefined && length > pauseAfter.bytes) {
      // Part of the body, then nothing more until the client goes away (a page reload).
      const cut = pauseAfter.bytes;
      pauseAfter = undefined;
      req.on('close', () => res.destroy());
      createReadStream(file, { start, end: start + cut - 1 })
        .on('end', onPaused)
        .pipe(res, { end: false });
      return;
    }
    if (failAfter !== undefined && length > failAfter) {
      // An injected failure: part of the body, then a dropped connection.
      const cut = failAfter;
      failAfter = undefined;
      createReadStream(file, { start, end: start + cut - 1 })
        .on('end', () => res.destroy())
        .pipe(res, { end: false });
      return;
    }
    createReadStream(file, { start, end }).pipe(res);
  };

  const server = createServer((req, res) => {
    res.setHeader('access-control-allow-origin', '*');
    res.setHeader('access-control-expose-headers', 'content-length, content-range, etag, accept-ranges, x-error-code');
    if (req.method === 'OPTIONS') {
      res
        .writeHead(204, {
          'access-control-allow-methods': 'GET, HEAD, POST',
          'access-control-allow-headers': 'range, content-type, authorization',
        })
        .end();
      return;
    }
    const url = new URL(req.url ?? '/', 'http://localhost');
    const path = decodeURIComponent(url.pathname);
    requests.push(`${req.method} ${path}${req.headers.range ? ` ${req.headers.range}` : ''}`);
    const info = /^\/api\/models\/([^/]+\/[^/]+)\/revision\/([^/]+)$/.exec(path);
    if (info && req.method === 'GET') {
      const [, repo, revision] = info;
      const root = repos[repo];
      if (root === undefined || (revision !== 'main' && revision !== commitOf(repo)))
        return json(res, 404, { error: `Repository ${repo} or revision ${revision} not found` });
      return json(res, 200, {
        id: repo,
        _id: repo,
        sha: commitOf(repo),
        private: false,
        gated: false,
        downloads: 0,
        likes: 0,
        lastModified: '2026-01-01T00:00:00.000Z',
        siblings: filesOf(root).map((rfilename) => ({ rfilename })),
      });
    }
    const pathsInfo = /^\/api\/models\/([^/]+\/[^/]+)\/paths-info\/([^/]+)$/.exec(path);
    if (pathsInfo && req.method === 'POST') {
      const [, repo, revision] = pathsInfo;
      let body = '';
      req.on('data', (chunk) => (body += chunk));
      req.on('end', () => {
        const paths: unknown = JSON.parse(body || '{}').paths;
        const found = (Array.isArray(paths) ? paths : []).flatMap((p: unknown) => {
          const at = typeof p === 'string' ? locate(repo, revision, p) : undefined;
          if (at === undefined) return [];
          const oid = etagOf(at.file);
          return [
            {
              type: 'file',
              path: p,
              oid,
              size: statSync(at.file).size,
              lastCommit: { id: commitOf(repo), title: 'upload', date: '2026-01-01T00:00:00.000Z' },
            },
          ];
        });
        json(res, 200, found);
      });
      return;
    }
    const resolve = /^\/([^/]+\/[^/]+)\/resolve\/([^/]+)\/(.+)$/.exec(path);
    const at = resolve ? locate(resolve[1], resolve[2], resolve[3]) : undefined;
    if (at === undefined || resolve === null) return notFound(res);
    const [, repo, , file] = resolve;
    serveFile(req, res, at.file, pauseAfter !== undefined && pauseAfter.repo === repo && pauseAfter.path === file);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('the hub server has no TCP address');
  return { url: `http://127.0.0.1:${address.port}`, server, requests, commitOf, paused };
}
