#!/usr/bin/env node
// Measures site search in headless Chromium on a built site (not a test: it prints figures).
//
//   node e2e/search-latency.mjs <site-dir> [query …]
//
// For each query it loads the search page fresh (empty cache), then reports the median of
// 15 runs of `search()` from static/js/search.js: the first, cold query (fetching the
// manifest and the shards it needs) and a warm repeat, plus the bytes the cold query fetched
// from search/ (uncompressed; the local server does not gzip). "typed" is the query typed
// into a fresh page as the header box sees it: the manifest fetched on focus, then a search
// per keystroke at 8 keystrokes a second, timed at the last one.

import { chromium } from 'playwright-core';

import { startServer } from './lib/server.mjs';

const [siteDir, ...rest] = process.argv.slice(2);
if (!siteDir) {
  console.error('usage: node e2e/search-latency.mjs <site-dir> [query …]');
  process.exit(2);
}
const queries = rest.length > 0 ? rest : ['ipvs', 'petazzoni', 'docker', 'co', 'swarm networking', 'kernel namesp'];
const RUNS = 15;
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

const server = await startServer({ root: siteDir, port: 0 });
const browser = await chromium.launch({
  executablePath: process.env.E2E_CHROMIUM || '/usr/bin/chromium',
  args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking'],
});
try {
  for (const query of queries) {
    const cold = [];
    const warm = [];
    const typed = [];
    let bytes = 0;
    let hits = 0;
    for (let run = 0; run < RUNS; run += 1) {
      const context = await browser.newContext();
      const page = await context.newPage();
      await page.goto(`${server.baseUrl}search/`, { waitUntil: 'load' });
      const result = await page.evaluate(async (q) => {
        const { search } = await import(new URL('js/search.js', document.baseURI.replace(/search\/.*$/, '')).href);
        const t0 = performance.now();
        const first = await search(q);
        const t1 = performance.now();
        await search(q);
        const t2 = performance.now();
        const fetched = performance
          .getEntriesByType('resource')
          .filter((e) => e.name.includes('/search/') && !e.name.endsWith('/search/'))
          .reduce((sum, e) => sum + e.decodedBodySize, 0);
        return { cold: t1 - t0, warm: t2 - t1, hits: first.hits.length, fetched };
      }, query);
      cold.push(result.cold);
      warm.push(result.warm);
      bytes = result.fetched;
      hits = result.hits;
      await context.close();

      const typing = await browser.newContext();
      const typingPage = await typing.newPage();
      await typingPage.goto(`${server.baseUrl}search/`, { waitUntil: 'load' });
      typed.push(await typingPage.evaluate(async (q) => {
        const { search } = await import(new URL('js/search.js', document.baseURI.replace(/search\/.*$/, '')).href);
        await search('');
        let last = 0;
        for (let end = 1; end <= q.length; end += 1) {
          await new Promise((done) => setTimeout(done, 125));
          const t0 = performance.now();
          await search(q.slice(0, end));
          last = performance.now() - t0;
        }
        return last;
      }, query));
      await typing.close();
    }
    console.log(
      `${JSON.stringify(query).padEnd(18)} ${String(hits).padStart(6)} hits  cold ${median(cold).toFixed(1).padStart(6)} ms  warm ${median(warm).toFixed(1).padStart(6)} ms  typed ${median(typed).toFixed(1).padStart(6)} ms  fetched ${(bytes / 1024).toFixed(0).padStart(5)} KiB`,
    );
  }
} finally {
  await browser.close();
  await server.close();
}
