// A static file server for the built site, on 127.0.0.1 only.
//
// It serves only files under `root`: the decoded path is joined to the root and anything
// that lands outside it (`/../x`, `/%2e%2e/x`, `/..%2fx`, a symlink pointing out) is refused
// with 403. Directories serve their `index.html` (and redirect to the slash form first, so
// relative links resolve), a missing file gets the site's `404.html` with status 404.

import { createReadStream } from 'node:fs';
import { realpath, stat } from 'node:fs/promises';
import http from 'node:http';
import path from 'node:path';

/** Content types by extension; text types get `charset=utf-8` appended. */
export const MIME_TYPES = {
  '.html': 'text/html',
  '.htm': 'text/html',
  '.css': 'text/css',
  '.js': 'text/javascript',
  '.mjs': 'text/javascript',
  '.json': 'application/json',
  '.map': 'application/json',
  '.xml': 'application/xml',
  '.txt': 'text/plain',
  '.md': 'text/plain',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.jpg': 'image/jpeg',
  '.jpeg': 'image/jpeg',
  '.gif': 'image/gif',
  '.webp': 'image/webp',
  '.ico': 'image/x-icon',
  '.wasm': 'application/wasm',
  '.woff': 'font/woff',
  '.woff2': 'font/woff2',
  '.ttf': 'font/ttf',
  '.pdf': 'application/pdf',
};

/** The Content-Type header for a file name. */
export function contentType(file) {
  const type = MIME_TYPES[path.extname(file).toLowerCase()] ?? 'application/octet-stream';
  const textual = type.startsWith('text/') || type === 'application/json' || type === 'application/xml' || type === 'image/svg+xml';
  return textual ? `${type}; charset=utf-8` : type;
}

/** Whether `child` is `parent` or inside it (both absolute and normalised). */
function isInside(parent, child) {
  return child === parent || child.startsWith(parent.endsWith(path.sep) ? parent : parent + path.sep);
}

async function statOrNull(file) {
  try {
    return await stat(file);
  } catch {
    return null;
  }
}

/**
 * Maps a raw request target to a file under `root`.
 * Returns `{ status, file?, location? }`: 200 with a file, 301 with a location, 400, 403 or 404.
 */
export async function resolveRequest(root, rawUrl) {
  const rawPath = rawUrl.split(/[?#]/, 1)[0];
  if (!rawPath.startsWith('/')) return { status: 400 };
  let decoded;
  try {
    decoded = decodeURIComponent(rawPath);
  } catch {
    return { status: 400 };
  }
  if (decoded.includes('\0')) return { status: 400 };
  // Join without clamping first: a path that climbs out of the root is refused, not remapped.
  const candidate = path.join(root, decoded);
  if (!isInside(root, candidate)) return { status: 403 };
  let file = candidate;
  let info = await statOrNull(file);
  if (info?.isDirectory()) {
    if (!rawPath.endsWith('/')) {
      const query = rawUrl.slice(rawPath.length);
      return { status: 301, location: `${rawPath}/${query}` };
    }
    file = path.join(file, 'index.html');
    info = await statOrNull(file);
  }
  if (!info?.isFile()) return { status: 404 };
  // A symlink inside the output must not lead outside it either.
  const [realRoot, realFile] = await Promise.all([realpath(root), realpath(file)]);
  if (!isInside(realRoot, realFile)) return { status: 403 };
  return { status: 200, file, size: info.size };
}

function sendText(res, status, text, head) {
  res.writeHead(status, { 'Content-Type': 'text/plain; charset=utf-8', 'Cache-Control': 'no-store' });
  res.end(head ? undefined : `${text}\n`);
}

/**
 * Starts the server on 127.0.0.1 and resolves to `{ server, port, baseUrl, close() }`.
 * `port` 0 lets the OS pick one. `timeoutMs` is a hard limit after which the server closes
 * by itself, whatever the caller does; `close()` stops it at once (open connections too).
 */
export async function startServer({ root, port = 0, timeoutMs = 10 * 60 * 1000, log = () => {} }) {
  const absRoot = path.resolve(root);
  const server = http.createServer(async (req, res) => {
    try {
      const head = req.method === 'HEAD';
      if (req.method !== 'GET' && !head) {
        res.writeHead(405, { Allow: 'GET, HEAD', 'Content-Type': 'text/plain; charset=utf-8' });
        res.end('method not allowed\n');
        return;
      }
      const found = await resolveRequest(absRoot, req.url ?? '/');
      log(`${req.method} ${req.url} -> ${found.status}`);
      if (found.status === 301) {
        res.writeHead(301, { Location: found.location, 'Cache-Control': 'no-store' });
        res.end();
      } else if (found.status === 200) {
        res.writeHead(200, {
          'Content-Type': contentType(found.file),
          'Content-Length': found.size,
          'Cache-Control': 'no-store',
          'X-Content-Type-Options': 'nosniff',
        });
        if (head) res.end();
        else createReadStream(found.file).on('error', () => res.destroy()).pipe(res);
      } else if (found.status === 404) {
        const page = path.join(absRoot, '404.html');
        const info = await statOrNull(page);
        if (info?.isFile()) {
          res.writeHead(404, { 'Content-Type': contentType(page), 'Content-Length': info.size, 'Cache-Control': 'no-store' });
          if (head) res.end();
          else createReadStream(page).on('error', () => res.destroy()).pipe(res);
        } else {
          sendText(res, 404, 'not found', head);
        }
      } else if (found.status === 403) {
        sendText(res, 403, 'forbidden: outside the site root', head);
      } else {
        sendText(res, 400, 'bad request', head);
      }
    } catch (err) {
      log(`error serving ${req.url}: ${err}`);
      if (!res.headersSent) sendText(res, 500, 'internal error', false);
      else res.destroy();
    }
  });
  server.keepAliveTimeout = 1000;
  await new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', resolve);
  });
  const actualPort = server.address().port;
  const close = () =>
    new Promise((resolve) => {
      clearTimeout(timer);
      if (!server.listening) return resolve();
      server.close(() => resolve());
      server.closeAllConnections();
    });
  const timer = setTimeout(() => {
    log(`server: hard timeout of ${timeoutMs} ms reached, closing`);
    close();
  }, timeoutMs);
  timer.unref();
  return { server, port: actualPort, baseUrl: `http://127.0.0.1:${actualPort}/`, root: absRoot, close };
}
