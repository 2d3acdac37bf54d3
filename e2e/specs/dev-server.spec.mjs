// `generator serve` in the browser: a copy of the real site served by the dev server (the
// release binary the runner has just built), a session page open, then a save that reloads
// it, a save that breaks the build and shows the overlay, and a save that fixes it.

import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { cp, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
// A page without demos: this copy of the site is served without their wasm.
const SESSION = 'content/orchestration/swarm-production-scale.md';
const PAGE = '/orchestration/swarm-production-scale/';

/** Starts `generator serve` on a free port in `root`; resolves to `{ child, url }`. */
function startDevServer(root) {
  const targetDir = process.env.CARGO_TARGET_DIR ?? path.join(REPO_ROOT, 'target');
  const binary = path.join(targetDir, 'release', 'generator');
  const child = spawn(binary, ['serve', '--root', root, '--port', '0', '--no-wasm'], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no "Serving" line from ${binary}:\n${output}`)), 10_000);
    const onData = (chunk) => {
      output += chunk;
      const match = /Serving .* at (http:\/\/127\.0\.0\.1:\d+\/)/.exec(output);
      if (match) {
        clearTimeout(timer);
        resolve({ child, url: match[1], output: () => output });
      }
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', (chunk) => (output += chunk));
    child.on('error', (err) => reject(new Error(`cannot run ${binary}: ${err.message}`)));
    child.on('exit', (code) => reject(new Error(`${binary} exited with ${code}:\n${output}`)));
  });
}

export const tests = [
  {
    name: 'a save reloads the page; a broken save shows the overlay over the last good page',
    browser: false,
    timeout: 40_000,
    fn: async ({ browser }) => {
      const root = await mkdtemp(path.join(os.tmpdir(), 'e2e-serve-'));
      let server = null;
      let context = null;
      try {
        // The demos' catalog comes along (the write-ups embed demos); their wasm is not built.
        for (const part of ['content', 'templates', 'static', 'site.toml', 'wasm-demos/scenarios']) {
          await cp(path.join(REPO_ROOT, part), path.join(root, part), { recursive: true });
        }
        server = await startDevServer(root);
        const port = new URL(server.url).port;
        context = await browser.newContext();
        const problems = [];
        await context.route(
          (url) => !(url.hostname === '127.0.0.1' && url.port === port),
          (route) => {
            problems.push(`request to a non-local URL: ${route.request().url()}`);
            return route.abort('blockedbyclient');
          },
        );
        const page = await context.newPage();
        page.setDefaultTimeout(10_000);
        page.on('console', (msg) => msg.type() === 'error' && problems.push(`console error: ${msg.text()}`));
        page.on('pageerror', (err) => problems.push(`page error: ${err.message}`));
        // The event stream is open once the server has answered the script's request for it.
        const streaming = page.waitForResponse((res) => res.url().includes('/__dev/events'));
        await page.goto(new URL(PAGE, server.url).href);
        await streaming;

        const file = path.join(root, SESSION);
        const original = await readFile(file, 'utf8');
        const marker = `Edited by the dev-server spec ${Date.now()}.`;
        let reloaded = page.waitForEvent('load');
        const saved = Date.now();
        await writeFile(file, `${original}\n${marker}\n`);
        await reloaded;
        const loadedAt = Date.now();
        await page.getByText(marker).waitFor();
        // timeOrigin: when the reload began, i.e. when the reload event reached the page; the
        // navigation and paint timings count from it, on the page's own clock.
        const timings = await page.evaluate(() => {
          const [nav] = performance.getEntriesByType('navigation');
          const paint = performance.getEntriesByName('first-contentful-paint')[0];
          return {
            start: performance.timeOrigin,
            response: nav.responseEnd,
            paint: paint ? paint.startTime : NaN,
            load: nav.loadEventEnd,
          };
        });
        const since = (at) => Math.round(timings.start + at - saved);
        console.log(
          `# dev server: save to reload start ${since(0)} ms, to the edited page received ` +
            `${since(timings.response)} ms, first contentful paint ${since(timings.paint)} ms, ` +
            `load event ${since(timings.load)} ms (${loadedAt - saved} ms as the test saw it)`,
        );

        const dateLine = original.split('\n').findIndex((line) => line.startsWith('date = '));
        assert.ok(dateLine >= 0, `${SESSION} has a TOML date line`);
        const broken = original.replace(/^date = 2015-\d\d-/m, 'date = 2015-13-');
        await writeFile(file, broken);
        const overlay = page.locator('#dev-error-overlay');
        await overlay.waitFor();
        const expected = `${SESSION}:${dateLine + 1}:8: invalid date, expected month between 01 and 12`;
        assert.equal(await overlay.locator('pre').textContent(), expected);
        assert.ok(await page.getByText(marker).isVisible(), 'the last good page stays under the overlay');

        reloaded = page.waitForEvent('load');
        await writeFile(file, original);
        await reloaded;
        await page.locator('h1').first().waitFor();
        assert.equal(await overlay.count(), 0, 'the overlay is gone after the fix');
        assert.equal(await page.getByText(marker).count(), 0, 'the page shows the restored text');
        assert.deepEqual(problems, []);
      } finally {
        if (context) await context.close().catch(() => {});
        if (server) server.child.kill('SIGINT');
        await rm(root, { recursive: true, force: true });
      }
    },
  },
];
