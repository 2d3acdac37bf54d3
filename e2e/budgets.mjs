#!/usr/bin/env node
// Measures the demo budgets of a built site and prints them as markdown tables. Not part of the
// browser suite (no assertions, nothing here fails on a slow machine): it reports numbers.
//
//   node e2e/budgets.mjs [--site public] [--runs N] [--frames N] [--max-age S] [--only tti|scale]
//                        [--chromium PATH]
//
// - Sizes: the wasm, the JS glue, the loaders, each demo's UI module and the kit the UIs share,
//   raw and gzip -9 (node's zlib at level 9), each, in total, and per demo page (glue + loader +
//   the kit + that demo's UI).
// - Time to interactive of /demos/<kind>/: from navigation start (performance.timeOrigin) to
//   the demo root's data-state="ready" with its step button enabled, seen by a MutationObserver
//   installed before the page's scripts run. Each run gets a fresh browser context: a cold load
//   with the cache disabled, then a warm reload in the same context. The project's server
//   sends `Cache-Control: no-store`, so by default the warm load still fetches every file (only
//   the browser is warm); `--max-age S` rewrites that header to `max-age=S` so the warm load
//   can use the HTTP cache, as a static host would.
// - Stepping at scale: IPVS (kernel model, wrr) with 1,000 destinations and cgroups with 100
//   groups on 4 CPUs, mounted through the loader modules as the 100-cgroup test does. The
//   step button is clicked once per requestAnimationFrame; each frame records the time spent
//   in the wasm `step()` call and the total from the click until a forced layout, plus the
//   frame intervals while doing so. Then Play at 8× (the top speed) for 5 s, with the rAF
//   timestamps giving the frame rate actually achieved.

import { gzipSync } from 'node:zlib';
import { readFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

import { chromium } from 'playwright-core';

import { CHROMIUM_ARGS } from './lib/chromium.mjs';
import { startServer } from './lib/server.mjs';

const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const KINDS = ['ipvs', 'cgroups', 'namespaces'];
const VIEWPORT = { width: 1280, height: 800 };

const { values: opts } = parseArgs({
  options: {
    site: { type: 'string', default: 'public' },
    runs: { type: 'string', default: '10' },
    frames: { type: 'string', default: '300' },
    'max-age': { type: 'string' },
    only: { type: 'string' },
    chromium: { type: 'string', default: process.env.E2E_CHROMIUM ?? '/usr/bin/chromium' },
  },
});
const SITE = path.resolve(REPO_ROOT, opts.site);
const RUNS = Math.max(1, Number.parseInt(opts.runs, 10) || 10);
const FRAMES = Math.max(200, Number.parseInt(opts.frames, 10) || 300);
const WARMUP = 10;

// ---- statistics -------------------------------------------------------------------------------
function quantile(values, q) {
  const s = [...values].sort((a, b) => a - b);
  if (s.length === 0) return NaN;
  return s[Math.min(s.length - 1, Math.max(0, Math.ceil(q * s.length) - 1))];
}
const median = (v) => {
  const s = [...v].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
};
const ms = (x) => (Number.isFinite(x) ? `${x.toFixed(x < 10 ? 2 : 1)} ms` : '–');
const kib = (n) => `${(n / 1024).toFixed(1)} KiB`;
const bytes = (n) => n.toLocaleString('en-US');
const table = (head, rows) =>
  [`| ${head.join(' | ')} |`, `|${head.map((h, i) => (i === 0 ? '---' : '---:')).join('|')}|`, ...rows.map((r) => `| ${r.join(' | ')} |`)].join('\n');

// ---- sizes ------------------------------------------------------------------------------------
async function sizes() {
  const files = [
    ['wasm', 'wasm/demos_bg.wasm'],
    ['glue', 'wasm/demos.js'],
    ['loader', 'js/demos.js'],
    ['loader', 'js/slides.js'],
    ...KINDS.map((k) => ['ui', `js/demos/${k}.js`]),
    ['ui', 'js/demos/kit.js'],
  ];
  const out = new Map();
  for (const [group, file] of files) {
    const buf = await readFile(path.join(SITE, file));
    out.set(file, { group, raw: buf.length, gz: gzipSync(buf, { level: 9 }).length });
  }
  const sum = (pred) => [...out].filter(([f, v]) => pred(f, v)).reduce((a, [, v]) => ({ raw: a.raw + v.raw, gz: a.gz + v.gz }), { raw: 0, gz: 0 });
  const js = sum((f, v) => v.group !== 'wasm');
  const perPage = Object.fromEntries(
    KINDS.map((k) => [k, sum((f) => ['wasm/demos.js', 'js/demos.js', 'js/demos/kit.js', `js/demos/${k}.js`].includes(f))]),
  );
  return { files: out, js, perPage };
}

function sizeTable(s) {
  const rows = [...s.files].map(([f, v]) => [`\`${f}\``, bytes(v.raw), bytes(v.gz), kib(v.gz)]);
  rows.push(['**all JS** (glue + loaders + 3 UIs + kit)', bytes(s.js.raw), bytes(s.js.gz), kib(s.js.gz)]);
  for (const k of KINDS) rows.push([`one demo page: ${k} (glue + demos.js + kit.js + ${k}.js)`, bytes(s.perPage[k].raw), bytes(s.perPage[k].gz), kib(s.perPage[k].gz)]);
  return table(['file', 'raw bytes', 'gzip -9 bytes', 'gzip -9'], rows);
}

// ---- browser measurements ---------------------------------------------------------------------

/** Records, from before any page script runs, when the demo becomes interactive. */
const TTI_SCRIPT = `(() => {
  const check = () => {
    if (window.__tti != null) return true;
    const root = document.querySelector('[data-demo-page]');
    const btn = root && root.querySelector('[data-testid="step"]');
    if (root && root.dataset.state === 'ready' && btn && !btn.disabled) {
      window.__tti = performance.now();
      return true;
    }
    return false;
  };
  const mo = new MutationObserver(() => { if (check()) mo.disconnect(); });
  mo.observe(document, { subtree: true, childList: true, attributes: true, attributeFilter: ['data-state', 'disabled'] });
})();`;

async function tti(browser, baseUrl) {
  const result = {};
  for (const kind of KINDS) {
    const cold = [];
    const warm = [];
    const coldWasm = [];
    const warmWasm = [];
    for (let i = 0; i < RUNS; i++) {
      const context = await browser.newContext({ viewport: VIEWPORT });
      await context.addInitScript(TTI_SCRIPT);
      const page = await context.newPage();
      const cdp = await context.newCDPSession(page);
      await cdp.send('Network.enable');
      await cdp.send('Network.setCacheDisabled', { cacheDisabled: true });
      const url = `${baseUrl}demos/${kind}/`;
      const once = async () => {
        await page.goto(url, { waitUntil: 'load' });
        await page.waitForFunction(() => window.__tti != null, null, { timeout: 30_000 });
        return page.evaluate(() => {
          const wasm = performance.getEntriesByType('resource').find((e) => e.name.endsWith('.wasm'));
          return { tti: window.__tti, wasm: wasm ? wasm.responseEnd : NaN };
        });
      };
      const c = await once();
      cold.push(c.tti);
      coldWasm.push(c.wasm);
      await cdp.send('Network.setCacheDisabled', { cacheDisabled: false });
      const w = await once();
      warm.push(w.tti);
      warmWasm.push(w.wasm);
      await context.close();
    }
    result[kind] = { cold, warm, coldWasm, warmWasm };
  }
  return result;
}

function scaleScenarios() {
  const dests = Array.from({ length: 1000 }, (_, i) => ({
    op: 'add_dest',
    name: `d${i}`,
    addr: `10.${1 + Math.floor(i / 250)}.${i % 250}.1:80`,
    weight: 1 + (i % 5),
  }));
  const extra = FRAMES + WARMUP + 200;
  const ipvs = {
    scheduler: 'wrr',
    ops: [...dests, ...Array.from({ length: extra }, () => ({ op: 'schedule' }))],
  };
  const groups = Array.from({ length: 100 }, (_, i) => ({
    path: `/g${i}`,
    files: { 'cpu.max': `${20000 + 1000 * (i % 30)} 100000`, 'cpu.weight': String(50 + i) },
  }));
  const cgroups = {
    version: 2,
    cpus: 4,
    groups,
    ops: [...groups.map((g) => ({ op: 'spawn', cgroup: g.path, threads: 2 })), ...Array.from({ length: extra }, () => ({ op: 'run', ms: 16 }))],
  };
  return {
    ipvs: { kind: 'ipvs', cls: 'IpvsDemo', setup: dests.length, json: JSON.stringify(ipvs), label: 'IPVS kernel model, wrr, 1,000 destinations (one `schedule` pick per step)' },
    cgroups: { kind: 'cgroups', cls: 'CgroupDemo', setup: groups.length, json: JSON.stringify(cgroups), label: 'cgroups v2, 100 groups × 2 busy threads on 4 CPUs (one `run 16 ms` per step)' },
  };
}

/** In the page: mounts the scenario through the loader modules, steps once per frame, then plays. */
async function benchInPage({ site, kind, cls, setup, json, frames, warmup }) {
  const { loadWasm } = await import(new URL('js/demos.js', site).href);
  const { mount } = await import(new URL(`js/demos/${kind}.js`, site).href);
  const { glue, memory } = await loadWasm();
  let wasmMs = 0;
  const proto = glue[cls].prototype;
  const realStep = proto.step;
  proto.step = function timedStep() {
    const t = performance.now();
    try {
      return realStep.call(this);
    } finally {
      wasmMs += performance.now() - t;
    }
  };
  const page = document.querySelector('[data-demo-page]');
  const el = document.createElement('div');
  page.replaceWith(el);
  const nextFrame = () => new Promise((r) => requestAnimationFrame(r));
  const ctx = (step) => ({
    glue, memory, catalog: [{ name: 'bench', title: 'bench', summary: '', ops: 0 }], scenario: 'bench',
    scenarioJson: json, step, speed: 8, autoplay: false, embed: false, loadScenario: async () => json,
  });
  try {
    await nextFrame();
    let t = performance.now();
    wasmMs = 0;
    const c = mount(el, ctx(setup));
    el.getBoundingClientRect();
    const mountMs = performance.now() - t;
    const mountWasmMs = wasmMs;
    const button = el.querySelector('[data-testid="step"]');
    const wasm = [];
    const total = [];
    const stamps = [];
    for (let i = 0; i < warmup + frames; i++) {
      const now = await nextFrame();
      wasmMs = 0;
      t = performance.now();
      button.click();
      el.getBoundingClientRect();
      void el.offsetHeight; // layout flushed
      const dt = performance.now() - t;
      if (i >= warmup) {
        wasm.push(wasmMs);
        total.push(dt);
        stamps.push(now);
      }
    }
    const stepsDone = Number(el.dataset.step);

    // Then Play at the top speed for 5 s, from where stepping left off (the scenario has
    // scripted ops to spare).
    for (let i = 0; i < 30; i++) await nextFrame();
    const play = [];
    const before = Number(el.dataset.step);
    el.querySelector('[data-testid="play"]').click();
    const start = await nextFrame();
    let now = start;
    while (now - start < 5000) {
      play.push(now);
      now = await nextFrame();
    }
    play.push(now);
    const played = Number(el.dataset.step) - before;
    c.destroy();
    return { mountMs, mountWasmMs, wasm, total, stamps, stepsDone, play, played };
  } finally {
    proto.step = realStep;
  }
}

function intervals(stamps) {
  const out = [];
  for (let i = 1; i < stamps.length; i++) out.push(stamps[i] - stamps[i - 1]);
  return out;
}

async function scale(browser, baseUrl) {
  const out = {};
  for (const [name, sc] of Object.entries(scaleScenarios())) {
    const context = await browser.newContext({ viewport: VIEWPORT });
    await context.addInitScript(TTI_SCRIPT);
    const page = await context.newPage();
    const errors = [];
    page.on('pageerror', (e) => errors.push(String(e)));
    await page.goto(`${baseUrl}demos/${sc.kind}/`, { waitUntil: 'load' });
    await page.waitForFunction(() => window.__tti != null);
    const r = await page.evaluate(benchInPage, { site: baseUrl, kind: sc.kind, cls: sc.cls, setup: sc.setup, json: sc.json, frames: FRAMES, warmup: WARMUP });
    await context.close();
    if (errors.length) throw new Error(`${name}: ${errors.join('; ')}`);
    const step = intervals(r.stamps);
    const play = intervals(r.play);
    out[name] = { ...sc, ...r, stepIntervals: step, playIntervals: play };
  }
  return out;
}

function fps(iv) {
  const sum = iv.reduce((a, b) => a + b, 0);
  return (1000 * iv.length) / sum;
}

// ---- main -------------------------------------------------------------------------------------
async function main() {
  const s = await sizes();
  const server = await startServer({ root: SITE, timeoutMs: 30 * 60 * 1000 });
  if (opts['max-age'] != null) {
    const value = `max-age=${Number.parseInt(opts['max-age'], 10) || 0}`;
    server.server.prependListener('request', (req, res) => {
      const writeHead = res.writeHead;
      res.writeHead = function (status, headers) {
        if (headers && headers['Cache-Control'] === 'no-store' && status === 200) headers = { ...headers, 'Cache-Control': value };
        return writeHead.call(this, status, headers);
      };
    });
  }
  const browser = await chromium.launch({ executablePath: opts.chromium, args: CHROMIUM_ARGS, headless: true });
  try {
    const version = browser.version();
    const load0 = os.loadavg();
    const t = opts.only === 'scale' ? null : await tti(browser, server.baseUrl);
    const sc = opts.only === 'tti' ? null : await scale(browser, server.baseUrl);
    const load1 = os.loadavg();

    const lines = [];
    lines.push(`Measured ${new Date().toISOString()} with \`node e2e/budgets.mjs --site ${opts.site} --runs ${RUNS}${FRAMES !== 300 ? ` --frames ${FRAMES}` : ''}${opts['max-age'] != null ? ` --max-age ${opts['max-age']}` : ''}${opts.only ? ` --only ${opts.only}` : ''}\``);
    lines.push(`Chromium ${version} headless, ${os.cpus().length} CPUs (${os.cpus()[0]?.model ?? '?'}), ${(os.totalmem() / 2 ** 30).toFixed(1)} GiB; load average ${load0.map((x) => x.toFixed(2)).join(' ')} at start, ${load1.map((x) => x.toFixed(2)).join(' ')} at end.`);
    lines.push('', '**Sizes** (gzip -9 by node zlib level 9; 1 KiB = 1,024 bytes)', '', sizeTable(s));
    const cache = opts['max-age'] != null ? `server sends max-age=${opts['max-age']}` : 'server sends no-store: the warm load refetches every file';
    if (t) lines.push('', `**Time to interactive** of /demos/<kind>/ (navigation start → data-state="ready" and Step enabled), ${RUNS} runs, fresh context each; cold = cache disabled, warm = reload in the same context (${cache})`, '');
    if (t) lines.push(
      table(
        ['page', 'cold median', 'cold max', 'warm median', 'warm max', 'wasm received (cold / warm median)'],
        KINDS.map((k) => [
          `/demos/${k}/`,
          ms(median(t[k].cold)),
          ms(Math.max(...t[k].cold)),
          ms(median(t[k].warm)),
          ms(Math.max(...t[k].warm)),
          `${ms(median(t[k].coldWasm))} / ${ms(median(t[k].warmWasm))}`,
        ]),
      ),
    );
    if (sc) lines.push('', `**Stepping at scale**: Step clicked once per animation frame, ${FRAMES} frames after ${WARMUP} warm-up; wasm = the \`step()\` call, total = click → forced layout; frame interval = rAF to rAF while stepping`, '');
    if (sc) lines.push(
      table(
        ['scenario', 'mount (setup ops applied)', 'wasm median', 'wasm p90', 'total median', 'total p90', 'total max', 'frame interval median / p90', 'stepping fps'],
        Object.values(sc).map((r) => [
          r.label,
          `${ms(r.mountMs)} (wasm ${ms(r.mountWasmMs)})`,
          ms(median(r.wasm)),
          ms(quantile(r.wasm, 0.9)),
          ms(median(r.total)),
          ms(quantile(r.total, 0.9)),
          ms(Math.max(...r.total)),
          `${ms(median(r.stepIntervals))} / ${ms(quantile(r.stepIntervals, 0.9))}`,
          fps(r.stepIntervals).toFixed(1),
        ]),
      ),
    );
    if (sc) lines.push('', '**Playing** at 8× (the top speed) for 5 s: requestAnimationFrame timestamps', '');
    if (sc) lines.push(
      table(
        ['scenario', 'frames', 'steps played', 'fps', 'interval median', 'interval p90', 'interval max', 'frames > 20 ms'],
        Object.values(sc).map((r) => [
          r.label,
          String(r.playIntervals.length),
          String(r.played),
          fps(r.playIntervals).toFixed(1),
          ms(median(r.playIntervals)),
          ms(quantile(r.playIntervals, 0.9)),
          ms(Math.max(...r.playIntervals)),
          String(r.playIntervals.filter((x) => x > 20).length),
        ]),
      ),
    );
    console.log(lines.join('\n'));
  } finally {
    await browser.close();
    await server.close();
  }
}

main().catch((err) => {
  console.error(err?.stack ?? err);
  process.exit(1);
});
