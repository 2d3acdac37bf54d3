// The static server the suite runs against: traversal refusal, MIME types, directories, 404.
// These talk HTTP directly (no browser) so the request target reaches the server unnormalised.

import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { rm, writeFile } from 'node:fs/promises';
import path from 'node:path';

import { rawGet } from '../lib/http.mjs';

const noBrowser = { browser: false };

/** Asserts that a response refused the request and leaked none of `secret`. */
function assertRefused(res, what, secret) {
  assert.ok([400, 403].includes(res.status), `${what}: expected 400 or 403, got ${res.status}`);
  if (secret) assert.ok(!res.body.includes(secret), `${what}: the response leaked the file outside the root`);
}

export const tests = [
  {
    ...noBrowser,
    name: 'refuses /../Cargo.toml and /%2e%2e/Cargo.toml',
    fn: async ({ port }) => {
      for (const target of ['/../Cargo.toml', '/%2e%2e/Cargo.toml', '/%2E%2E/Cargo.toml', '/..%2fCargo.toml', '/css/../../Cargo.toml']) {
        const res = await rawGet(port, target);
        assertRefused(res, target, '[workspace]');
      }
    },
  },
  {
    ...noBrowser,
    name: 'never serves a file next to the site root',
    fn: async ({ port, siteDir }) => {
      // A canary in the parent of the served directory: a traversal bug would return it.
      const name = `.e2e-canary-${process.pid}-${randomBytes(4).toString('hex')}`;
      const secret = randomBytes(16).toString('hex');
      const canary = path.join(path.dirname(siteDir), name);
      await writeFile(canary, secret);
      try {
        for (const target of [`/../${name}`, `/%2e%2e/${name}`, `/%2e%2e%2f${name}`, `/./../${name}`, `/css/%2e%2e/%2e%2e/${name}`]) {
          assertRefused(await rawGet(port, target), target, secret);
        }
        // An absolute path in the URL stays under the root.
        const abs = await rawGet(port, `/${canary}`);
        assert.equal(abs.status, 404, `/${canary}`);
        assert.ok(!abs.body.includes(secret));
      } finally {
        await rm(canary, { force: true });
      }
    },
  },
  {
    ...noBrowser,
    name: 'rejects malformed and non-GET requests',
    fn: async ({ port }) => {
      assert.equal((await rawGet(port, '/%E0%A4%A')).status, 400, 'bad percent-encoding');
      assert.equal((await rawGet(port, '/index.html%00.css')).status, 400, 'NUL byte');
      assert.equal((await rawGet(port, '/', { method: 'POST' })).status, 405, 'POST');
    },
  },
  {
    ...noBrowser,
    name: 'serves MIME types, index.html for directories and the 404 page',
    fn: async ({ port }) => {
      const expect = {
        '/': 'text/html; charset=utf-8',
        '/index.html': 'text/html; charset=utf-8',
        '/css/site.css': 'text/css; charset=utf-8',
        '/favicon.svg': 'image/svg+xml; charset=utf-8',
        '/atom.xml': 'application/xml; charset=utf-8',
        '/sessions.json': 'application/json; charset=utf-8',
      };
      for (const [target, type] of Object.entries(expect)) {
        const res = await rawGet(port, target);
        assert.equal(res.status, 200, target);
        assert.equal(res.headers['content-type'], type, target);
      }
      const dir = await rawGet(port, '/load-balancing/ipvs-load-balancing/');
      assert.equal(dir.status, 200);
      assert.match(dir.body, /<h1[^>]*>Kernel load-balancing/);
      const bare = await rawGet(port, '/load-balancing?x=1');
      assert.equal(bare.status, 301, 'a directory without its slash redirects');
      assert.equal(bare.headers.location, '/load-balancing/?x=1');
      const missing = await rawGet(port, '/no/such/page/');
      assert.equal(missing.status, 404);
      assert.equal(missing.headers['content-type'], 'text/html; charset=utf-8');
      assert.match(missing.body, /Page not found/);
      const head = await rawGet(port, '/css/site.css', { method: 'HEAD' });
      assert.equal(head.status, 200);
      assert.equal(head.body, '');
    },
  },
];
