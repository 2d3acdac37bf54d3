// Raw HTTP helpers for specs that must control the exact request target (no URL
// normalisation, unlike fetch or the browser).

import http from 'node:http';

/**
 * Sends `GET <rawPath>` to 127.0.0.1:`port` exactly as written and resolves to
 * `{ status, headers, body }` (body as a UTF-8 string).
 */
export function rawGet(port, rawPath, { method = 'GET', timeoutMs = 5000 } = {}) {
  return new Promise((resolve, reject) => {
    const req = http.request({ host: '127.0.0.1', port, path: rawPath, method, agent: false }, (res) => {
      const chunks = [];
      res.on('data', (chunk) => chunks.push(chunk));
      res.on('end', () => resolve({ status: res.statusCode, headers: res.headers, body: Buffer.concat(chunks).toString('utf8') }));
      res.on('error', reject);
    });
    req.setTimeout(timeoutMs, () => req.destroy(new Error(`GET ${rawPath} timed out after ${timeoutMs} ms`)));
    req.on('error', reject);
    req.end();
  });
}
