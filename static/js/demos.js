// The demo loader: one ES module for pages, embed frames and slide decks.
//
// - Every element with `data-demo="<kind>"` (and optionally `data-scenario`, `data-step`,
//   `data-speed`, `data-autoplay`) is mounted by `./demos/<kind>.js`.
// - The element with `data-demo-page="<kind>"` of a demo's own page or embed page mounts at once,
//   with the options of the page's URL (`?scenario=…&step=…&speed=…&autoplay=true`).
// - `<ipvs-demo>`, `<cgroups-demo>` and `<namespaces-demo>` custom elements do the same with
//   attributes (`scenario`, `step`, `speed`, `autoplay`), for any HTML deck.
// - Both mount when they come near the viewport, not before: a write-up's demo further down the
//   page costs nothing until then. An element with the `paused` attribute waits, in addition,
//   for its first `resume()`, as the demos of a deck's later slides do.
// - The wasm module is fetched once, lazily, when the first demo mounts; URLs derive from
//   `import.meta.url`, so the site works under a sub-path.
//
// A demo module exports `mount(root, ctx)` and returns a controller `{ pause(), resume(),
// destroy() }`; `ctx` is described at `mountDemo` below. What the three demo modules share is in
// `./demos/kit.js`.

const KINDS = ['ipvs', 'cgroups', 'namespaces'];
const OPTIONS = ['scenario', 'step', 'speed', 'autoplay'];
const NAME = /^[a-z0-9][a-z0-9-]{0,63}$/;
const SITE = new URL('../', import.meta.url);

let wasmPromise = null;
let catalogPromise = null;

/** The wasm exports (with `memory`) and the facade classes, fetched and instantiated once. */
export function loadWasm() {
  wasmPromise ??= import(new URL('wasm/demos.js', SITE).href).then(async (glue) => {
    const exports = await glue.default({ module_or_path: new URL('wasm/demos_bg.wasm', SITE) });
    return { glue, memory: exports.memory };
  });
  return wasmPromise;
}

/** `{ ipvs: [{ name, title, summary, ops }], … }`: the curated scenarios. */
function loadCatalog() {
  catalogPromise ??= fetch(new URL('demos/scenarios.json', SITE)).then((r) => {
    if (!r.ok) throw new Error(`demo catalog: HTTP ${r.status}`);
    return r.json();
  });
  return catalogPromise;
}

/** The scenario file's text. */
async function loadScenario(kind, name) {
  const r = await fetch(new URL(`demos/scenarios/${kind}/${name}.json`, SITE));
  if (!r.ok) throw new Error(`scenario ${kind}/${name}: HTTP ${r.status}`);
  return r.text();
}

/** Shows `message` in `root` as text (never markup) and marks the root as failed. */
function showError(root, message) {
  root.replaceChildren();
  const p = document.createElement('p');
  p.className = 'demo-error';
  p.setAttribute('role', 'alert');
  p.textContent = message;
  root.append(p);
  root.dataset.state = 'error';
}

/**
 * Validates options from markup or a URL: a known kind, a scenario of its catalog, a step
 * within the scenario, a speed in 0.25–8. Returns `{ options }` or `{ error }`.
 */
function validateOptions(kind, raw, catalog) {
  if (!KINDS.includes(kind)) return { error: `Unknown demo “${kind}”: expected ${KINDS.join(', ')}.` };
  const list = catalog[kind] ?? [];
  const scenario = raw.scenario ?? list[0]?.name;
  if (typeof scenario !== 'string' || !NAME.test(scenario)) {
    return { error: `Invalid scenario name: use lowercase letters, digits and hyphens.` };
  }
  const entry = list.find((s) => s.name === scenario);
  if (!entry) return { error: `Unknown ${kind} scenario “${scenario}”: expected one of ${list.map((s) => s.name).join(', ')}.` };
  let step = 0;
  // The raw options are strings, or undefined when not given.
  if (raw.step) {
    if (!/^\d{1,6}$/.test(raw.step) || Number(raw.step) > entry.ops) {
      return { error: `Invalid step “${raw.step}”: expected a whole number from 0 to ${entry.ops} for ${scenario}.` };
    }
    step = Number(raw.step);
  }
  let speed = 1;
  if (raw.speed) {
    const n = Number(raw.speed);
    if (!Number.isFinite(n) || n < 0.25 || n > 8) {
      return { error: `Invalid speed “${raw.speed}”: expected a number from 0.25 to 8.` };
    }
    speed = n;
  }
  const autoplay = raw.autoplay === '' || raw.autoplay === 'true';
  return { options: { scenario, step, speed, autoplay } };
}

/**
 * Mounts the demo `kind` in `root` with validated options. The demo module receives
 * `ctx = { glue, memory, catalog: [{ name, title, summary, ops }], scenario, scenarioJson,
 *          step, speed, autoplay, embed, loadScenario(name) }` (`step` and `speed` numbers)
 * and returns its controller. Errors are shown in `root`.
 */
async function mountDemo(root, kind, raw, { embed = false } = {}) {
  root.dataset.state = 'loading';
  try {
    // The wasm and the demo's module load while the catalog is fetched and the options checked.
    const ready = KINDS.includes(kind)
      ? Promise.all([loadWasm(), import(new URL(`js/demos/${kind}.js`, SITE).href)])
      : null;
    ready?.catch(() => {});
    const catalog = await loadCatalog();
    const checked = validateOptions(kind, raw, catalog);
    if (checked.error) {
      showError(root, checked.error);
      return null;
    }
    const { options } = checked;
    const [[{ glue, memory }, module], scenarioJson] = await Promise.all([
      ready,
      loadScenario(kind, options.scenario),
    ]);
    root.replaceChildren();
    const controller = module.mount(root, {
      glue,
      memory,
      catalog: catalog[kind],
      ...options,
      scenarioJson,
      embed,
      loadScenario: (name) => loadScenario(kind, name),
    });
    root.dataset.state = 'ready';
    return controller;
  } catch (err) {
    showError(root, `The demo could not start: ${err.message}`);
    return null;
  }
}

/** Pauses a mounted demo while it is off screen or its slide is hidden. */
function pauseWhenHidden(el, getController) {
  new IntersectionObserver((entries) => {
    const c = getController();
    if (!c) return;
    for (const e of entries) (e.isIntersecting ? c.resume : c.pause).call(c);
  }).observe(el);
}

/**
 * Calls `start` once `el` comes near the viewport (within 300 px), so that a demo further down
 * a write-up, or on a slide not shown yet, fetches its module and the wasm only when it is
 * about to be seen. Returns the observer, to disconnect.
 */
function whenNear(el, start) {
  const observer = new IntersectionObserver(
    (entries) => {
      if (!entries.some((e) => e.isIntersecting)) return;
      observer.disconnect();
      start();
    },
    { rootMargin: '300px' },
  );
  observer.observe(el);
  return observer;
}

/** The raw options, `get(name)` reading each from an element or a URL. */
const optionsOf = (get) => Object.fromEntries(OPTIONS.map((k) => [k, get(k) ?? undefined]));

function mountMarked() {
  for (const el of document.querySelectorAll('[data-demo]')) {
    if (el.dataset.mounted) continue;
    el.dataset.mounted = '1';
    let controller = null;
    whenNear(el, () => {
      mountDemo(el, el.dataset.demo, optionsOf((k) => el.dataset[k])).then((c) => {
        controller = c;
      });
    });
    pauseWhenHidden(el, () => controller);
  }
}

for (const kind of KINDS) {
  if (customElements.get(`${kind}-demo`)) continue;
  customElements.define(
    `${kind}-demo`,
    class extends HTMLElement {
      // Connected and disconnected alternate: each connection mounts afresh.
      connectedCallback() {
        const raw = optionsOf((k) => this.getAttribute(k));
        // `autoplay` is a boolean attribute: there means on.
        raw.autoplay = this.hasAttribute('autoplay') ? 'true' : undefined;
        const mounting = (this.mounting = {});
        // `paused`: held from the start, mounted on the first resume() (a deck's later slides).
        if (this.hasAttribute('paused')) this.held = true;
        this.start = () => {
          if (this.begun || this.held) return;
          this.begun = true;
          this.nearby?.disconnect();
          mountDemo(this, kind, raw, { embed: true }).then((c) => {
            if (this.mounting !== mounting) {
              c?.destroy();
              return;
            }
            this.controller = c;
            if (this.held) c?.pause();
          });
        };
        this.nearby = whenNear(this, this.start);
        pauseWhenHidden(this, () => this.controller);
      }

      disconnectedCallback() {
        this.nearby?.disconnect();
        this.mounting = null;
        this.start = null;
        this.begun = false;
        this.controller?.destroy();
        this.controller = null;
      }

      /** Pauses the demo (slides call this when the slide is hidden), even before it mounts. */
      pause() {
        this.held = true;
        this.controller?.pause();
      }

      /** Lets the demo play again if it was playing when paused, or mounts it if it was held. */
      resume() {
        this.held = false;
        this.start?.();
        this.controller?.resume();
      }
    },
  );
}

mountMarked();

// A bad value in the URL is shown as a message in the page, never interpreted as markup.
const params = new URLSearchParams(window.location.search);
for (const root of document.querySelectorAll('[data-demo-page]')) {
  mountDemo(root, root.dataset.demoPage, optionsOf((k) => params.get(k)), { embed: root.dataset.embed === 'true' });
}
