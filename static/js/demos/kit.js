// What the three demo UIs (ipvs.js, cgroups.js, namespaces.js) share: the element helper, their
// stylesheets, canvas sizing, option lists, and the transport: Step, Play/Pause, Reset, the
// speed select, the scenario picker, the status line and the play loop. Like the UIs, it builds
// the DOM with textContent only: scenario and record text is untrusted.

const SPEEDS = [0.25, 0.5, 1, 2, 4, 8];

/** Whether the page is dark; the UIs redraw their canvases when it changes. */
export const darkMode = matchMedia('(prefers-color-scheme: dark)');
const helps = new Map();

/**
 * `h('div', { class: 'x', text: 'y', onclick }, child…)`: an element, never parsed markup. Null
 * and false attributes and children are left out; a non-string value of one of the element's
 * properties (`checked`, `hidden`, `size`…) sets the property, anything else an attribute.
 */
export function h(tag, attrs, ...children) {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs ?? {})) {
    if (v == null || v === false) continue;
    if (k === 'class') el.className = v;
    else if (k === 'text') el.textContent = v;
    else if (k.startsWith('on')) el.addEventListener(k.slice(2), v);
    else if (k in el && typeof v !== 'string') el[k] = v;
    else el.setAttribute(k, v === true ? '' : v);
  }
  for (const c of children) if (c != null && c !== false) el.append(c);
  return el;
}

/** `1 slot`, `2 slots`. */
export const plural = (n, word) => `${n} ${word}${n === 1 ? '' : 's'}`;

/** `<label class="cls"><span>text</span>el</label>`. */
export const field = (text, el, cls) => h('label', { class: cls }, h('span', { text }), el);

/** Puts `li` first in `list`, which keeps its `max` first items. */
export function prepend(list, li, max) {
  list.prepend(li);
  while (list.childElementCount > max) list.lastElementChild.remove();
}

/** The link of `css/demo-<kind>.css`, added to the document unless it is there already. */
export function stylesheet(kind) {
  const href = new URL(`../../css/demo-${kind}.css`, import.meta.url).href;
  return (
    [...document.querySelectorAll('link[rel="stylesheet"]')].find((l) => l.href === href) ??
    document.head.appendChild(h('link', { rel: 'stylesheet', href }))
  );
}

/**
 * The help panel of a `kind` demo: a `<details class="<p>-help">` titled `title`, filled from
 * `demos/help/<kind>.json` when it first opens, so that the help's texts (an eighth of the
 * minified UIs, gzipped) load only for those who read them: the paragraphs of `intro`, then each
 * section (`title`, `items`) that `show(section)` keeps. Returns `{ el, draw }`; `draw()` draws
 * the help again, for when what `show` keeps changes.
 */
export function helpPanel(kind, p, title, show = () => true) {
  const body = h('div');
  let help = null;
  const draw = () => {
    if (!help) return;
    body.replaceChildren(...help.intro.map((text) => h('p', { text })));
    for (const s of help.sections.filter(show)) body.append(h('h4', { text: s.title }), h('ul', {}, ...s.items.map((text) => h('li', { text }))));
  };
  const el = h('details', {
    class: `${p}-help`,
    ontoggle() {
      if (!el.open || help) return;
      if (!helps.has(kind)) {
        helps.set(kind, fetch(new URL(`../../demos/help/${kind}.json`, import.meta.url)).then((r) => {
          if (!r.ok) throw new Error(`HTTP ${r.status}`);
          return r.json();
        }));
      }
      helps.get(kind).then(
        (loaded) => {
          help = loaded;
          draw();
        },
        (err) => {
          helps.delete(kind);
          body.replaceChildren(h('p', { text: `The help could not load (${err.message}): close and open it again.` }));
        },
      );
    },
  }, h('summary', { text: title }), body);
  return { el, draw };
}

/** Gives `select` these options (`labels` shown) unless it has them already; keeps its choice if still offered. */
export function setOptions(select, values, labels = values) {
  const keep = select.value;
  const o = select.options;
  if (o.length === values.length && values.every((v, i) => o[i].value === v && o[i].text === labels[i])) return;
  select.replaceChildren(...values.map((value, i) => h('option', { value, text: labels[i] })));
  if (values.includes(keep)) select.value = keep;
}

/** Sizes `canvas` to `w` × `ht` CSS pixels at `dpr` device pixels each; returns its 2D context, cleared, in CSS pixels. */
export function paint(canvas, w, ht, dpr) {
  const W = Math.round(w * dpr);
  const H = Math.round(ht * dpr);
  if (canvas.width !== W || canvas.height !== H) {
    canvas.width = W;
    canvas.height = H;
  }
  const g = canvas.getContext('2d');
  g.setTransform(dpr, 0, 0, dpr, 0, 0);
  g.clearRect(0, 0, w, ht);
  return g;
}

/**
 * The transport of the demo mounted in `root` with `ctx` (see ../demos.js); `p` is the demo's
 * class prefix, and the root gets the classes `<p>-demo` and, in the compact layout (an embed
 * frame, or a reveal.js slide, where a custom element has no embed flag), `<p>-embed`, with
 * `t.compact` true. Returns `t`: the elements `t.step`, `t.play`, `t.reset`, `t.speeds`, `t.picker`,
 * `t.summary` and `t.status` for the demo to lay out, `t.say(text, kind)` for the status line
 * (`kind` 'error' or 'warn' becomes its data-kind), and the play loop: Play steps `t.speed`
 * times a second (the speed chosen), the first step at once. `o` is the demo's side:
 * - `step()` applies the next scripted op and is falsy when there was none; `left()` counts the
 *   ops left (Play ends at 0, and `t.count` disables Step and Play there).
 * - `load(text, name)` (re)creates the demo from a scenario: the picker's choice, once fetched,
 *   and Reset's with `t.text` and `t.name`. It may throw; `reset()` is the Reset button's.
 * - optional: `frame(now)`, each frame's own work, true while it holds the steps back
 *   (animations); `busy()`, whether the loop runs on when not playing; `halt()` ends the
 *   animations when the demo pauses.
 */
export function transport(root, ctx, p, o) {
  let playing = false;
  let held = false;
  let raf = 0;
  let last = 0;
  let budget = 0;
  let token = 0;
  const button = (text, id, label, onclick) => h('button', { type: 'button', text, 'data-testid': id, 'aria-label': label, onclick });
  const loop = (now) => {
    raf = 0;
    const dt = last ? Math.min(250, now - last) : 0;
    last = now;
    const busy = o.frame?.(now);
    if (playing && !busy) {
      budget += (dt / 1000) * t.speed;
      if (budget >= 1) {
        budget = Math.max(0, budget - 1);
        if (!o.step() || !o.left()) stop();
      }
    }
    if (playing || o.busy?.()) t.kick();
    else last = 0;
  };
  const setPlaying = (on) => {
    playing = on;
    t.play.textContent = on ? 'Pause' : 'Play';
    t.play.setAttribute('aria-label', t.play.textContent);
    t.play.setAttribute('aria-pressed', on);
  };
  const stop = () => setPlaying(false);
  const start = () => {
    if (!o.left()) return;
    setPlaying(true);
    budget = 1;
    t.kick();
  };
  // Stops the loop (and the animations) until the next kick.
  const halt = () => {
    stop();
    cancelAnimationFrame(raf);
    raf = 0;
    last = 0;
    o.halt?.();
  };
  // Keys used by the controls stay with them: slide decks listen for Space and arrows.
  const keepKeys = (e) => {
    if (e.target !== root && /^( |Enter|Arrow\w+|Home|End|PageUp|PageDown)$/.test(e.key)) e.stopPropagation();
  };
  const speeds = [...new Set([...SPEEDS, ctx.speed])].sort((a, b) => a - b);
  const t = {
    compact: !!ctx.embed || !!root.closest('.reveal'),
    name: ctx.scenario,
    text: ctx.scenarioJson,
    speed: ctx.speed,
    step: button('Step', 'step', 'Step: apply the next scripted operation', () => {
      stop();
      o.step();
    }),
    play: button('Play', 'play', 'Play', () => (playing ? stop() : start())),
    reset: button('Reset', 'reset', 'Reset the scenario', () => {
      halt();
      o.reset();
    }),
    speeds: null,
    picker: h(
      'select',
      {
        'data-testid': 'scenario',
        'aria-label': 'Scenario',
        onchange: async () => {
          const name = t.picker.value;
          const mine = ++token;
          stop();
          t.say(`Loading ${name}…`);
          try {
            const text = await ctx.loadScenario(name);
            if (mine !== token) return;
            o.load(text, name);
            t.name = name;
            t.text = text;
            t.summary.textContent = summaryOf(ctx, name);
          } catch (err) {
            if (mine !== token) return;
            t.picker.value = t.name;
            t.say(`Could not load ${name}: ${err?.message ?? err}`, 'error');
          }
        },
      },
      ...ctx.catalog.map((s) => h('option', { value: s.name, text: s.title || s.name })),
    ),
    summary: h('p', { class: `${p}-summary`, text: summaryOf(ctx, ctx.scenario) }),
    status: h('p', { class: `${p}-status`, role: 'status', 'data-testid': 'status', 'aria-live': 'polite' }),
    say(text, kind) {
      t.status.textContent = text;
      t.status.dataset.kind = kind ?? '';
    },
    /** Shows that `applied` ops are done and `left` are left. */
    count(applied, left) {
      root.dataset.step = applied;
      root.dataset.remaining = left;
      t.step.disabled = t.play.disabled = !left;
    },
    stop,
    start,
    kick() {
      raf ||= requestAnimationFrame(loop);
    },
    /** The controller's `pause()`: a demo off screen stops, and plays again on `resume()` if it was playing. */
    pause() {
      held ||= playing;
      halt();
    },
    resume() {
      if (held) {
        held = false;
        start();
      } else if (o.busy?.()) t.kick();
    },
    destroy() {
      halt();
      held = false;
      token++;
      root.removeEventListener('keydown', keepKeys);
    },
  };
  t.speeds = h(
    'select',
    { 'data-testid': 'speed', 'aria-label': 'Speed (steps per second)', onchange: () => (t.speed = Number(t.speeds.value)) },
    ...speeds.map((s) => h('option', { value: s, text: `${s}×` })),
  );
  t.speeds.value = t.speed;
  root.addEventListener('keydown', keepKeys);
  root.classList.add(`${p}-demo`);
  root.classList.toggle(`${p}-embed`, t.compact);
  t.picker.value = t.name;
  return t;
}

const summaryOf = (ctx, name) => ctx.catalog.find((s) => s.name === name)?.summary ?? '';
