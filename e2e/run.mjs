#!/usr/bin/env node
// Browser end-to-end suite: builds the site, serves it on 127.0.0.1, runs e2e/specs/*.spec.mjs
// in Debian's Chromium through playwright-core, and ends with `N passed, N failed`.
//
//   node e2e/run.mjs [--no-build] [--grep REGEX] [--headed]
//   npm test --prefix e2e
//
// Environment: E2E_NO_BUILD=1 (same as --no-build: serve E2E_SITE_DIR, default public/),
// E2E_CHROMIUM (browser binary, default /usr/bin/chromium), E2E_TEST_TIMEOUT_MS (per test,
// default 15000), E2E_TIMEOUT_MS (whole run, default 1800000), E2E_KEEP=1 (keep the temp build),
// E2E_SERVER_LOG=1 (log every request).
//
// A spec module exports `tests` (or a default export): an array of
//   { name, fn: async ({ page, context, baseUrl, siteDir, artifacts }) => …,
//     timeout?, allowConsoleErrors?: true | RegExp[], browser?: false, viewport? }
// Each test gets a fresh browser context and page. Console errors, uncaught page errors and
// requests to anything but the local server fail the test unless it allows them. A screenshot
// of the page is written to e2e/artifacts/<spec>-<test>.png whether the test passed or not.

import { spawn } from 'node:child_process';
import { mkdir, mkdtemp, readdir, rm, stat } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';

import { chromium } from 'playwright-core';

import { CHROMIUM_ARGS } from './lib/chromium.mjs';
import { startServer } from './lib/server.mjs';

const E2E_DIR = path.dirname(fileURLToPath(import.meta.url));
const REPO_ROOT = path.resolve(E2E_DIR, '..');
const SPECS_DIR = path.join(E2E_DIR, 'specs');
const ARTIFACTS_DIR = path.join(E2E_DIR, 'artifacts');


const envFlag = (name) => ['1', 'true', 'yes'].includes((process.env[name] ?? '').toLowerCase());
const envInt = (name, fallback) => {
  const value = Number.parseInt(process.env[name] ?? '', 10);
  return Number.isFinite(value) && value > 0 ? value : fallback;
};

/** A file-name-safe slug of a test or spec name. */
function slug(text) {
  return text
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-+|-+$/g, '')
    .slice(0, 80);
}

/** A one-line reason for the `not ok` line. */
function reasonOf(err) {
  const message = err instanceof Error ? err.message : String(err);
  const lines = message.split('\n').map((line) => line.trim()).filter((line) => line !== '');
  if (err?.code === 'ERR_ASSERTION' && err.generatedMessage) {
    // assert's own message spreads `actual !== expected` over several lines: keep it on one.
    const joined = lines.join(' ');
    return joined.length > 300 ? `${joined.slice(0, 300)}…` : joined;
  }
  return lines[0] ?? 'failed';
}

function withTimeout(promise, ms, what) {
  let timer;
  const timeout = new Promise((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} timed out after ${ms} ms`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

/** Runs cargo with `args` in the repository; resolves to its stdout. */
function cargo(args) {
  return new Promise((resolve, reject) => {
    const child = spawn('cargo', args, { cwd: REPO_ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk) => (stdout += chunk));
    child.stderr.on('data', (chunk) => (stderr += chunk));
    child.on('error', (err) => reject(new Error(`cannot run cargo: ${err.message}`)));
    child.on('close', (code) => {
      if (code === 0) resolve(stdout.trim());
      else reject(new Error(`cargo ${args.join(' ')} exited with ${code}\n${stderr.trim()}\n${stdout.trim()}`));
    });
  });
}

/** Builds the site (demos included) into `outDir` with `baseUrl`, and the native `sim` runner
 * the demo specs compare the browser with (lib/sim.mjs). */
async function buildSite(outDir, baseUrl) {
  const summary = await cargo(['run', '--release', '--quiet', '--', 'build', '--out', outDir, '--base-url', baseUrl]);
  await cargo(['build', '--release', '--quiet', '-p', 'wasm-demos', '--bin', 'sim']);
  return summary;
}

async function loadSpecs(grep) {
  const files = (await readdir(SPECS_DIR)).filter((f) => f.endsWith('.spec.mjs')).sort();
  const tests = [];
  for (const file of files) {
    const spec = file.replace(/\.spec\.mjs$/, '');
    const module = await import(pathToFileURL(path.join(SPECS_DIR, file)).href);
    const list = module.tests ?? module.default;
    if (!Array.isArray(list)) throw new Error(`${file}: export \`tests\` (an array of { name, fn })`);
    for (const test of list) {
      if (typeof test?.name !== 'string' || typeof test?.fn !== 'function') {
        throw new Error(`${file}: every test needs a string \`name\` and a function \`fn\``);
      }
      const title = `${spec}: ${test.name}`;
      if (grep && !grep.test(title)) continue;
      tests.push({ ...test, spec, title, screenshot: path.join(ARTIFACTS_DIR, `${slug(spec)}-${slug(test.name)}.png`) });
    }
  }
  return tests;
}

/** Runs one test in its own context; resolves to `{ status: 'pass'|'fail', reason?, details? }`. */
async function runTest(test, { browser, server, siteDir, testTimeout }) {
  const problems = [];
  let context = null;
  let page = null;
  const allowed = test.allowConsoleErrors;
  const consoleAllowed = (text) =>
    allowed === true || (Array.isArray(allowed) && allowed.some((re) => re.test(text)));
  const artifacts = {
    dir: ARTIFACTS_DIR,
    /** A path for an extra artifact of this test, e.g. `artifacts.file('after-step.png')`. */
    file: (name) => path.join(ARTIFACTS_DIR, `${slug(test.spec)}-${slug(test.name)}-${name}`),
  };
  try {
    if (test.browser !== false) {
      context = await browser.newContext({ viewport: test.viewport ?? { width: 1280, height: 800 } });
      // Everything must come from the local server: no CDN, no fonts, no analytics.
      await context.route(
        (url) => !(url.hostname === '127.0.0.1' && url.port === String(server.port)),
        (route) => {
          problems.push(`request to a non-local URL: ${route.request().url()}`);
          return route.abort('blockedbyclient');
        },
      );
      page = await context.newPage();
      page.setDefaultTimeout(Math.min(5000, testTimeout));
      page.on('console', (msg) => {
        if (msg.type() !== 'error') return;
        const loc = msg.location();
        const where = loc?.url ? ` (${loc.url}${loc.lineNumber ? `:${loc.lineNumber}` : ''})` : '';
        const text = `${msg.text()}${where}`;
        if (!consoleAllowed(text)) problems.push(`console error: ${text}`);
      });
      page.on('pageerror', (err) => {
        const text = err.message;
        if (!consoleAllowed(text)) problems.push(`page error: ${text}`);
      });
    }
    const run = test.fn({ page, context, browser, baseUrl: server.baseUrl, port: server.port, siteDir, artifacts });
    await withTimeout(run, test.timeout ?? testTimeout, 'test');
    if (problems.length > 0) {
      return { status: 'fail', reason: problems[0], details: problems.slice(1) };
    }
    return { status: 'pass' };
  } catch (err) {
    const details = [];
    if (err?.code === 'ERR_ASSERTION' && !err.generatedMessage) {
      details.push(`actual: ${JSON.stringify(err.actual)?.slice(0, 300)}`, `expected: ${JSON.stringify(err.expected)?.slice(0, 300)}`);
    }
    if (err instanceof Error && err.stack) {
      details.push(...err.stack.split('\n').filter((line) => /^\s+at /.test(line) && !line.includes('node:internal')).slice(0, 4));
    }
    if (problems.length > 0) details.push(...problems);
    return { status: 'fail', reason: reasonOf(err), details };
  } finally {
    if (page && !page.isClosed()) {
      await withTimeout(page.screenshot({ path: test.screenshot }), 5000, 'screenshot').catch(() => {});
    }
    if (context) await withTimeout(context.close(), 5000, 'closing the context').catch(() => {});
  }
}

async function main() {
  const { values } = parseArgs({
    options: {
      'no-build': { type: 'boolean', default: false },
      grep: { type: 'string' },
      headed: { type: 'boolean', default: false },
    },
  });
  const started = Date.now();
  const noBuild = values['no-build'] || envFlag('E2E_NO_BUILD');
  const grep = values.grep ? new RegExp(values.grep, 'i') : null;
  const testTimeout = envInt('E2E_TEST_TIMEOUT_MS', 15_000);
  const runTimeout = envInt('E2E_TIMEOUT_MS', 1_800_000);
  const executablePath = process.env.E2E_CHROMIUM || '/usr/bin/chromium';

  // Nothing may outlive the run: a hard limit for the whole process.
  const hardStop = setTimeout(() => {
    console.log(`not ok - run: the whole run exceeded ${runTimeout} ms`);
    console.log('0 passed, 1 failed');
    process.exit(1);
  }, runTimeout);
  hardStop.unref();

  const tests = await loadSpecs(grep);
  // A full run starts from an empty artifacts directory, so no stale screenshot survives.
  if (!grep) await rm(ARTIFACTS_DIR, { recursive: true, force: true });
  await mkdir(ARTIFACTS_DIR, { recursive: true });

  let tempDir = null;
  let siteDir;
  if (noBuild) {
    siteDir = path.resolve(REPO_ROOT, process.env.E2E_SITE_DIR || 'public');
    const index = await stat(path.join(siteDir, 'index.html')).catch(() => null);
    if (!index) throw new Error(`--no-build: ${siteDir}/index.html does not exist; build the site first`);
  } else {
    tempDir = await mkdtemp(path.join(os.tmpdir(), 'dockercon-e2e-'));
    siteDir = path.join(tempDir, 'site');
  }

  // The server comes first so the build can bake its port into the base URL.
  const server = await startServer({
    root: siteDir,
    port: 0,
    timeoutMs: runTimeout,
    log: envFlag('E2E_SERVER_LOG') ? (line) => console.log(`# ${line}`) : () => {},
  });
  let browser = null;
  let passed = 0;
  let failed = 0;
  try {
    if (!noBuild) {
      const t0 = Date.now();
      const summary = await buildSite(siteDir, server.baseUrl);
      console.log(`# ${summary.split('\n')[0]} (cargo run --release ${Date.now() - t0} ms)`);
    }
    console.log(`# serving ${siteDir} at ${server.baseUrl}`);
    // launch() starts Chromium with a fresh temporary --user-data-dir that playwright deletes
    // on close; every test then gets its own isolated context.
    browser = await withTimeout(
      chromium.launch({ executablePath, headless: !values.headed, args: values.headed ? CHROMIUM_ARGS.slice(1) : CHROMIUM_ARGS }),
      30_000,
      'launching Chromium',
    );
    console.log(`# chromium ${browser.version()} (${executablePath}), ${tests.length} tests`);
    for (const test of tests) {
      const t0 = Date.now();
      const result = await runTest(test, { browser, server, siteDir, testTimeout });
      const ms = Date.now() - t0;
      if (result.status === 'pass') {
        passed += 1;
        console.log(`ok - ${test.title}`);
      } else {
        failed += 1;
        console.log(`not ok - ${test.title}: ${result.reason}`);
        for (const line of result.details ?? []) console.log(`#   ${line.trim()}`);
      }
      if (ms > 5000) console.log(`#   slow: ${ms} ms`);
    }
  } catch (err) {
    failed += 1;
    console.log(`not ok - setup: ${reasonOf(err)}`);
    const lines = (err instanceof Error ? err.message : String(err)).split('\n').slice(1);
    for (const line of lines.slice(-30)) console.log(`#   ${line}`);
  } finally {
    if (browser) await withTimeout(browser.close(), 10_000, 'closing Chromium').catch(() => {});
    await server.close();
    if (tempDir && !envFlag('E2E_KEEP')) await rm(tempDir, { recursive: true, force: true });
    else if (tempDir) console.log(`# kept the build in ${siteDir}`);
  }
  console.log(`# ${((Date.now() - started) / 1000).toFixed(1)} s, screenshots in ${path.relative(process.cwd(), ARTIFACTS_DIR) || '.'}/`);
  console.log(`${passed} passed, ${failed} failed`);
  process.exitCode = failed > 0 ? 1 : 0;
}

main().catch((err) => {
  console.log(`not ok - setup: ${reasonOf(err)}`);
  console.log('0 passed, 1 failed');
  process.exitCode = 1;
});
