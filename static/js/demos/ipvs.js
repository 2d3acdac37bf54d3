// The IPVS demo: a kernel virtual service (every ipvs scheduler), the Maglev table, nginx's
// smooth WRR next to the kernel's WRR, and GORB's health-check loop, whichever model the
// scenario names. Everything shown comes from the wasm simulation's records and frame; every
// string from a scenario or a record is untrusted, so the DOM is built with textContent only.

import { darkMode, field as labelled, h, helpPanel, paint, plural, prepend, setOptions, stylesheet, transport } from './kit.js';

const SCHEDULERS = {
  rr: 'round robin',
  wrr: 'weighted round robin',
  lc: 'least connection',
  wlc: 'weighted least connection',
  sed: 'shortest expected delay',
  nq: 'never queue',
  fo: 'weighted failover',
  ovf: 'weighted overflow',
  twos: 'power of two choices',
  sh: 'source hashing',
  dh: 'destination hashing',
  mh: 'Maglev hashing',
  lblc: 'locality-based least connection',
  lblcr: 'lblc with replication',
};
const PALETTE = ['#4e79a7', '#f28e2b', '#e15759', '#76b7b2', '#59a14f', '#edc948', '#b07aa1', '#ff9da7', '#9c755f', '#8cd17d'];
const MAX_ROWS = 48;
const COLS = [null, 'ipvs-addr', 'ipvs-w', 'ipvs-ul', 'ipvs-active', 'ipvs-inactive', 'ipvs-oh', 'ipvs-tally', 'ipvs-flags'];
const MAX_CHIPS = 120;
const LOG_SIZE = 40;
const RECENT = 30;

function field(label, input, cls = '') {
  return labelled(label, input, `ipvs-field ${cls}`);
}

/** A text field named `label`, `size` characters wide, with `attrs` (`value`, `placeholder`…). */
function input(label, size, attrs) {
  return h('input', { type: 'text', autocomplete: 'off', spellcheck: 'false', 'aria-label': label, size, ...attrs });
}

/** A text field for a number, with a numeric keypad on touch screens. */
function numeric(label, size, value) {
  return input(label, size, { inputmode: 'numeric', value });
}

/** A button labelled `text` (with the test id `testid`) that calls `onclick`. */
function button(text, testid, onclick, attrs) {
  return h('button', { type: 'button', text, 'data-testid': testid, onclick, ...attrs });
}

/** A text field's text, or undefined when empty. */
function str(el) {
  return el.value.trim() || undefined;
}

/** A number from a text field, the raw text when it is not one (the sim names the bad field), or undefined when empty. */
function num(el) {
  const v = str(el);
  return v && /^-?\d+$/.test(v) ? Number(v) : v;
}

/** The red, green and blue of `#rrggbb`. */
function rgbOf(hex) {
  const n = parseInt(hex.slice(1), 16);
  return [n >> 16, (n >> 8) & 255, n & 255];
}

/** Dark text on a light background, white on a dark one. */
function textColour(bg) {
  const [r, g, b] = rgbOf(bg);
  return 0.2126 * r + 0.7152 * g + 0.0722 * b > 140 ? '#10151d' : '#ffffff';
}

function pct(x) {
  return `${(100 * x).toFixed(1)} %`;
}

function list(items, max = 16) {
  const shown = items.slice(0, max).join(' ');
  return items.length > max ? `${shown} … (${items.length})` : shown;
}

export function mount(root, ctx) {
  const css = stylesheet('ipvs');
  const { glue, memory } = ctx;
  const colours = new Map();
  const colourOf = (name) => {
    if (!colours.has(name)) colours.set(name, PALETTE[colours.size % PALETTE.length]);
    return colours.get(name);
  };
  let themeCache = null;
  const theme = () => {
    if (themeCache) return themeCache;
    const s = getComputedStyle(root);
    const v = (name, fallback) => s.getPropertyValue(`--ipvs-${name}`).trim() || fallback;
    const t = { fg: v('fg', '#1b2330'), soft: v('soft', '#4a5566'), line: v('border', '#d5dde8'), empty: v('empty', '#e8edf3'), mark: v('mark', '#1b2330') };
    // Until the stylesheet has loaded the variables are empty: use the fallbacks, uncached.
    if (s.getPropertyValue('--ipvs-fg')) themeCache = t;
    return t;
  };

  let demo = null;
  let model = '';
  let settings = {};
  let applied = 0;
  let lastRecord = null;
  let view = null;
  const queue = [];
  let queueAt = 0;
  const ro = new ResizeObserver((entries) => {
    let changed = false;
    for (const e of entries) {
      const w = Math.floor(e.contentRect.width);
      if (w > 0 && e.target.boxWidth !== w) {
        e.target.boxWidth = w;
        changed = true;
      }
    }
    if (changed) view?.render();
  });

  const frame = () => new Uint32Array(memory.buffer, demo.frame_ptr(), demo.frame_len());

  // ---- chrome: transport, scenario picker, status, log, help ----
  // The play loop also runs the queued UI ops (a TCP lifecycle's, 700 ms apart at 1×) and the
  // view's animations, which hold the scripted steps back.
  const player = transport(root, ctx, 'ipvs', {
    step: () => step(true),
    left: () => demo.remaining(),
    load: (text, name) => create(text, name, 0),
    reset() {
      create(player.text, player.name, 0);
      say('Reset to the start of the scenario.');
    },
    frame(now) {
      if (view.animate?.(now, player.speed)) return true;
      if (queue.length > 0 && now >= queueAt) {
        apply(queue.shift());
        queueAt = now + 700 / player.speed;
        return true;
      }
      return false;
    },
    busy: () => queue.length > 0 || !!view?.animating?.(),
    halt: () => view?.finish?.(),
  });
  const counter = h('span', { class: 'ipvs-counter', 'aria-live': 'off' });
  const state = h('div', { class: 'ipvs-state', 'data-testid': 'state' });
  const controls = h('div');
  const logList = h('ol', { class: 'ipvs-log', 'aria-label': 'Last operations, newest first' });
  const help = helpPanel('ipvs', 'ipvs', 'How this simulation simplifies the kernel', (section) => !section.model || section.model === root.dataset.model);

  const { compact } = player;
  root.append(
    h(
      'div',
      { class: 'ipvs-bar' },
      h('div', { class: 'ipvs-transport' }, player.step, player.play, player.reset, field('Speed', player.speeds, 'ipvs-inline')),
      h('div', { class: 'ipvs-pick' }, field('Scenario', player.picker, 'ipvs-inline'), counter),
    ),
    player.summary,
    player.status,
    h(
      'div',
      { class: 'ipvs-main' },
      state,
      h(
        'div',
        { class: 'ipvs-side' },
        h('details', { open: !compact }, h('summary', { text: 'Controls: build and send' }), controls),
        h('details', { open: !compact }, h('summary', { text: 'Log' }), logList),
      ),
    ),
    help.el,
  );

  const say = player.say;

  function updateCounter() {
    const remaining = demo.remaining();
    player.count(applied, remaining);
    counter.textContent = `${applied} applied · ${remaining} scripted left`;
    if (remaining === 0 && queue.length === 0) player.stop();
  }

  // ---- applying records ----
  let fastForward = false;
  function accept(text, animate) {
    const rec = JSON.parse(text);
    applied += 1;
    lastRecord = rec;
    const words = view.record(rec, animate);
    const li = h('li', { class: rec.error ? 'ipvs-error' : null }, h('span', { class: 'ipvs-step', text: `#${applied}` }), ' ', rec.error ? `${words} — error: ${rec.error}` : words);
    prepend(logList, li, LOG_SIZE);
    say(rec.error ? `${words}: ${rec.error}` : words, rec.error && 'error');
    if (fastForward) return rec;
    view.render();
    updateCounter();
    if (view.animating?.()) player.kick();
    return rec;
  }

  function step(animate) {
    view.finish?.();
    let text;
    try {
      text = demo.step();
    } catch (err) {
      say(`The simulation failed: ${err?.message ?? err}`, 'error');
      return null;
    }
    if (text === undefined) {
      updateCounter();
      say('End of the scenario: reset to replay it, or keep using the controls.');
      return null;
    }
    return accept(text, animate);
  }

  /** Applies an op built by the controls; a thrown error (bad field) goes to the status line. */
  function apply(op) {
    view.finish?.();
    let text;
    try {
      text = demo.apply(JSON.stringify(op));
    } catch (err) {
      say(`Not applied: ${err?.message ?? err}`, 'error');
      return null;
    }
    return accept(text, true);
  }

  // ---- (re)creating the demo ----
  function create(text, name, steps) {
    const next = new glue.IpvsDemo(text);
    view?.destroy?.();
    demo?.free();
    demo = next;
    model = demo.model();
    // The simulation has just parsed the text.
    settings = JSON.parse(text);
    applied = 0;
    lastRecord = null;
    queue.length = 0;
    colours.clear();
    logList.replaceChildren();
    root.dataset.model = model;
    root.dataset.loaded = name;
    view = { kernel: kernelView, maglev: maglevView, smooth_wrr: smoothView, gorb: gorbView }[model]();
    state.replaceChildren(view.el);
    controls.replaceChildren(view.controls);
    help.draw();
    // The steps given at mount are applied at once, drawn once at the end.
    fastForward = true;
    try {
      for (let i = 0; i < steps; i++) if (step(false) === null) break;
    } finally {
      fastForward = false;
    }
    view.render();
    updateCounter();
    if (steps === 0) say(`Scenario ${name} (${model} model): press Step or Play.`);
  }

  // ---- shared pieces ----
  function chip(name) {
    const bg = name != null && colourOf(name);
    return h('span', {
      class: bg ? 'ipvs-chip' : 'ipvs-chip ipvs-none',
      text: name ?? '∅',
      title: name ?? 'no destination available',
      style: bg && `background: ${bg}; color: ${textColour(bg)}`,
    });
  }

  function chips(el, names) {
    const max = compact ? MAX_CHIPS / 3 : MAX_CHIPS;
    el.replaceChildren(...names.slice(-max).map(chip));
    if (names.length > max) el.prepend(h('span', { class: 'ipvs-more', text: `… ${names.length - max} earlier` }));
  }

  function swatch(name) {
    return h('span', { class: 'ipvs-swatch', 'aria-hidden': 'true', style: `background: ${colourOf(name)}` });
  }

  /** A canvas sized to its box and the device pixel ratio; `draw()` repaints it with `paint(ctx, w, h, theme)`. */
  function canvasBox(label, height, paintIt) {
    const canvas = h('canvas', { role: 'img', 'aria-label': label, class: 'ipvs-canvas' });
    canvas.style.height = `${height}px`;
    ro.observe(canvas);
    const draw = () => {
      if (!canvas.isConnected) return;
      // The width comes from the ResizeObserver: reading clientWidth here would force a layout per frame.
      const w = Math.max(120, Math.floor(canvas.boxWidth || canvas.clientWidth || 320));
      const ht = Math.floor(parseFloat(canvas.style.height));
      paintIt(paint(canvas, w, ht, Math.min(window.devicePixelRatio || 1, 2)), w, ht, theme());
    };
    return { canvas, draw };
  }

  // ======================= kernel model =======================
  function kernelView() {
    const vip = settings.addr ?? '10.0.0.100:80';
    const proto = settings.protocol === 'udp' ? 'udp' : 'tcp';
    const tally = new Map();
    let lastPicks = [];
    let uiConn = 0;
    let rowsKey = '';
    let rows = [];
    let compare = null;
    let shownSched = '';
    let shownDests = [];
    const recent = [];

    const svcLine = h('p', { class: 'ipvs-line' });
    const wrrLine = h('p', { class: 'ipvs-line ipvs-mono', 'data-testid': 'wrr' });
    const cmdLine = h('p', { class: 'ipvs-line ipvs-mono ipvs-cmd', 'data-testid': 'command' });
    const pickStrip = h('div', { class: 'ipvs-chips', 'data-testid': 'picks', 'aria-label': 'Picks of the last operation' });
    const tbody = h('tbody');
    const table = h(
      'table',
      { class: 'ipvs-table' },
      h('caption', { text: 'Destinations in list order (the head first)' }),
      h('thead', {}, h('tr', {}, ...['dest', 'address', 'weight', 'u / l', 'active', 'inactive', 'overhead', 'picks', 'flags'].map((t, i) => h('th', { scope: 'col', text: t, class: COLS[i] })))),
      tbody,
    );
    const more = h('p', { class: 'ipvs-note' });
    const trashLine = h('p', { class: 'ipvs-note' });
    const extra = h('div');
    const bucketNote = h('p', { class: 'ipvs-note' });
    const chart = canvasBox('Distribution: picks per destination (upper bars, the line is the weight’s share) and connections (lower bars: active solid, inactive light)', compact ? 130 : 180, drawChart);
    const buckets = canvasBox('The 256 hash buckets, coloured by owning destination', 72, drawBuckets);
    chart.canvas.hidden = true;
    const compareBox = h('div', { class: 'ipvs-compare', hidden: true });

    const el = h(
      'div',
      {},
      svcLine,
      wrrLine,
      h('div', { class: 'ipvs-picks' }, h('span', { class: 'ipvs-label', text: 'picked' }), pickStrip),
      compareBox,
      chart.canvas,
      h('div', { class: 'ipvs-scroll' }, table),
      more,
      trashLine,
      extra,
      cmdLine,
    );

    // controls
    const schedSel = h(
      'select',
      { 'aria-label': 'Scheduler', onchange: () => ([fbLabel.textContent, portLabel.textContent] = flagNames()) },
      ...Object.entries(SCHEDULERS).map(([n, t]) => h('option', { value: n, text: `${n} — ${t}` })),
    );
    schedSel.value = settings.scheduler ?? 'wlc';
    const fb = h('input', { type: 'checkbox' });
    const port = h('input', { type: 'checkbox' });
    const fbLabel = h('span', { text: 'sh-fallback' });
    const portLabel = h('span', { text: 'sh-port' });
    const flagNames = () => (schedSel.value === 'mh' ? ['mh-fallback', 'mh-port'] : ['sh-fallback', 'sh-port']);
    const dName = input('Destination name', 6);
    const dAddr = input('Destination address ip:port', 13);
    const dW = numeric('Weight', 4, '1');
    const dU = numeric('Upper threshold (0 = none)', 4, '0');
    const dL = numeric('Lower threshold (0 = none)', 4, '0');
    const src = input('Client address ip:port (empty: 192.0.2.1:1024)', 15, { placeholder: '192.0.2.1:1024' });
    const dst = input('Packet destination IP (empty: the virtual IP)', 12, { placeholder: vip.split(':')[0] });
    const count = numeric('Burst size', 5, '10');
    const tickMs = numeric('Clock step in ms', 8, '60000');
    const connSel = h('select', { 'aria-label': 'Connection' });
    // A name no live connection uses, not even as the prefix of a burst's `<name>-<i>`.
    const connName = () => {
      const live = Object.keys(lastRecord?.connections ?? {});
      let n;
      do n = `ui${++uiConn}`;
      while (live.some((k) => k === n || k.startsWith(`${n}-`)));
      return n;
    };
    const packet = () => ({ src: str(src), dst: str(dst) });
    const compareToggle = h('input', {
      type: 'checkbox',
      onchange() {
        compare = compareToggle.checked ? makeCompare() : compare?.destroy() ?? null;
        render();
      },
    });

    const controlsEl = h(
      'div',
      {},
      h(
        'fieldset',
        {},
        h('legend', { text: 'Service' }),
        field('Scheduler', schedSel),
        h('label', { class: 'ipvs-check' }, fb, fbLabel),
        h('label', { class: 'ipvs-check' }, port, portLabel),
        button('Apply', 'edit-service', () => {
          const [f1, f2] = flagNames();
          apply({ op: 'edit_service', scheduler: schedSel.value, flags: [fb.checked && f1, port.checked && f2].filter(Boolean) });
        }),
      ),
      h(
        'fieldset',
        {},
        h('legend', { text: 'Destination' }),
        h('div', { class: 'ipvs-row' }, field('Name', dName), field('Address', dAddr)),
        h('div', { class: 'ipvs-row' }, field('Weight', dW), field('u_threshold', dU), field('l_threshold', dL)),
        h(
          'div',
          { class: 'ipvs-row' },
          button('Add', 'add-dest', () => apply({ op: 'add_dest', name: dName.value, addr: dAddr.value.trim(), weight: num(dW) ?? 1, u_threshold: num(dU) ?? 0, l_threshold: num(dL) ?? 0 })),
          button('Edit', 'edit-dest', () => apply({ op: 'edit_dest', dest: dName.value, weight: num(dW), u_threshold: num(dU), l_threshold: num(dL) })),
          button('Delete', 'del-dest', () => apply({ op: 'del_dest', dest: dName.value })),
        ),
      ),
      h(
        'fieldset',
        {},
        h('legend', { text: 'Traffic' }),
        h('div', { class: 'ipvs-row' }, field('Client', src), field('Dest. IP', dst)),
        h(
          'div',
          { class: 'ipvs-row' },
          button('One connection', 'send-one', () => apply({ op: 'new', conn: connName(), ...packet() })),
          field('Burst', count, 'ipvs-inline'),
          button('Send burst', 'send-burst', () => apply({ op: 'new', conn: connName(), ...packet(), count: num(count) })),
        ),
        h(
          'div',
          { class: 'ipvs-row' },
          button('TCP lifecycle', 'lifecycle', () => {
            const r = apply({ op: 'new', conn: connName(), ...packet() });
            const name = r?.conns?.[0];
            if (name) {
              queue.push({ op: 'est', conn: name }, { op: 'fin', conn: name }, { op: 'expire', conn: name });
              queueAt = performance.now() + 700 / player.speed;
              player.kick();
            }
          }, { title: 'new (SYN_RECV, inactive) → est (active) → fin (inactive) → expire' }),
          field('Clock +ms', tickMs, 'ipvs-inline'),
          button('Advance clock', null, () => apply({ op: 'tick', ms: num(tickMs) })),
        ),
      ),
      h(
        'fieldset',
        {},
        h('legend', { text: 'Connection' }),
        field('Connection', connSel),
        h(
          'div',
          { class: 'ipvs-row' },
          button('est', null, () => connSel.value && apply({ op: 'est', conn: connSel.value }), { 'aria-label': 'Established (counted active)' }),
          button('fin', null, () => connSel.value && apply({ op: 'fin', conn: connSel.value }), { 'aria-label': 'FIN_WAIT (counted inactive)' }),
          button('expire', null, () => connSel.value && apply({ op: 'expire', conn: connSel.value }), { 'aria-label': 'Expire (uncounted)' }),
        ),
      ),
      h('label', { class: 'ipvs-check' }, compareToggle, h('span', { text: 'Compare the pick sequence with nginx smooth WRR' })),
    );

    // The name/address fields offer a free pair until the user types in them.
    let suggested = true;
    let suggestedFor = -1;
    for (const el of [dName, dAddr]) el.addEventListener('input', () => (suggested = false));

    function suggestDest() {
      suggested = true;
      const ds = lastRecord?.dests ?? [];
      suggestedFor = ds.length;
      const names = new Set(ds.map((d) => d.name));
      const addrs = new Set(ds.map((d) => d.addr));
      const label = (i) => String.fromCharCode(65 + (i % 26)) + (i >= 26 ? Math.floor(i / 26) : '');
      const addr = (i) => `10.0.${Math.floor(i / 250)}.${(i % 250) + 1}:80`;
      let i = 0;
      while (names.has(label(i))) i++;
      let j = 0;
      while (addrs.has(addr(j))) j++;
      dName.value = label(i);
      dAddr.value = addr(j);
    }

    function fillForm(d) {
      suggested = false;
      dName.value = d.name;
      dAddr.value = d.addr;
      dW.value = d.weight;
      dU.value = d.u_threshold;
      dL.value = d.l_threshold;
      dName.focus();
    }

    function makeCompare() {
      const peers = (lastRecord?.dests ?? []).filter((d) => d.weight > 0).map((d) => ({ name: d.name, weight: d.weight }));
      if (peers.length === 0) {
        say('Add a destination with a weight first: the smooth WRR twin needs peers.', 'error');
        compareToggle.checked = false;
        return null;
      }
      try {
        return twin('smooth', new glue.IpvsDemo(JSON.stringify({ model: 'smooth_wrr', peers, ops: [] })));
      } catch (err) {
        say(`Compare: ${err?.message ?? err}`, 'error');
        compareToggle.checked = false;
        return null;
      }
    }

    function record(rec) {
      if (rec.scheduler !== shownSched) {
        shownSched = rec.scheduler;
        schedSel.value = rec.scheduler;
        [fbLabel.textContent, portLabel.textContent] = flagNames();
      }
      // The flag boxes show the service's flags, as the scheduler picker shows its scheduler.
      [fb.checked, port.checked] = flagNames().map((f) => rec.flags.includes(f));
      const op = rec.op;
      let picks = null;
      // A refused op picked nothing: its record names `pick: null` only to keep its shape.
      if (!rec.error && ('pick' in rec || 'picks' in rec)) {
        picks = rec.picks ?? [rec.pick];
        lastPicks = picks;
        for (const p of picks) if (p != null) tally.set(p, (tally.get(p) ?? 0) + 1);
      }
      if (rec.conns?.length) {
        recent.push(...rec.conns.slice(-RECENT));
        if (recent.length > RECENT) recent.splice(0, recent.length - RECENT);
      }
      if (compare && !rec.error) {
        if (picks) compare.mirror(picks, { op: 'pick', count: picks.length });
        else if ((op.op === 'set_weight' || op.op === 'edit_dest') && Number.isInteger(op.weight) && op.weight > 0) {
          compare.mirror(null, { op: 'set_weight', peer: op.dest ?? op.name, weight: op.weight });
        }
      }
      cmdLine.textContent = rec.error ? '' : ipvsadm(op, rec);
      shownDests = rec.dests;
      return describe(rec, picks);
    }

    function describe(rec, picks) {
      const op = rec.op;
      switch (op.op) {
        case 'add_dest':
          return `add ${op.name} ${op.addr} weight ${op.weight ?? 1}${op.u_threshold ? ` u ${op.u_threshold}` : ''}${op.l_threshold ? ` l ${op.l_threshold}` : ''}`;
        case 'edit_dest':
        case 'set_weight':
          return `edit ${op.dest}${op.weight != null ? ` weight ${op.weight}` : ''}${op.u_threshold != null ? ` u ${op.u_threshold}` : ''}${op.l_threshold != null ? ` l ${op.l_threshold}` : ''}`;
        case 'del_dest':
          return `delete ${op.dest}`;
        case 'edit_service':
          return `scheduler ${rec.scheduler}${rec.flags.length ? ` (${rec.flags.join(', ')})` : ''}`;
        case 'set_overload':
          return `${op.dest} ${op.overloaded ? 'marked' : 'cleared'} OVERLOAD`;
        case 'tick':
          return `clock +${op.ms} ms → ${rec.clock_ms} ms`;
        case 'est':
        case 'fin':
        case 'expire': {
          const c = rec.connections[op.conn];
          return `${op.op} ${op.conn}${c ? ` → ${c.state} on ${c.dest}` : op.op === 'expire' ? ' → gone' : ''}`;
        }
        default:
          if (!picks) return op.op;
          if (picks.length === 1) return `${op.op === 'schedule' ? 'schedule' : `${op.op} ${op.conn}`} → picked ${picks[0] ?? 'no destination available'}`;
          return `${op.op}${op.conn ? ` ${op.conn}` : ''} ×${picks.length} → ${list(picks.map((p) => p ?? '∅'), 14)}`;
      }
    }

    /** A twos pick draws two random u32s, each reduced to 0…Σw over the weights of the
     * destinations it may pick (above 0, not overloaded): the line shows the reduced draws. */
    function twosLine(rec) {
      const n = rec.dests.reduce((sum, d) => sum + (d.overloaded || d.weight < 1 ? 0 : d.weight), 1);
      return `twos: draws mod (Σw + 1 = ${n}) → ${list(rec.draws.map((d) => (d ? `[${d[0] % n}, ${d[1] % n}]` : '∅')), 6)}`;
    }

    function ipvsadm(op, rec) {
      const t = `-${proto[0]} ${vip}`;
      const d = rec.dests.find((x) => x.name === (op.dest ?? op.name));
      switch (op.op) {
        case 'add_dest':
          return `# ipvsadm -a ${t} -r ${op.addr} -m -w ${op.weight ?? 1}${op.u_threshold ? ` -x ${op.u_threshold}` : ''}${op.l_threshold ? ` -y ${op.l_threshold}` : ''}`;
        case 'edit_dest':
        case 'set_weight':
          return d ? `# ipvsadm -e ${t} -r ${d.addr} -m -w ${d.weight} -x ${d.u_threshold} -y ${d.l_threshold}` : '';
        case 'del_dest': {
          // A destination without connections is freed at once, not kept in the trash.
          const gone = [...rec.trash, ...shownDests].find((x) => x.name === op.dest);
          return `# ipvsadm -d ${t} -r ${gone?.addr ?? op.dest}`;
        }
        case 'edit_service':
          return `# ipvsadm -E ${t} -s ${rec.scheduler}${rec.flags.length ? ` -b ${rec.flags.join(',')}` : ''}`;
        default:
          return '';
      }
    }

    function render() {
      const rec = lastRecord;
      // A view is made for each scenario load, so before the first record its parts are still empty.
      if (!rec) {
        svcLine.textContent = `Service ${vip} ${proto.toUpperCase()}, scheduler ${settings.scheduler ?? 'wlc'}: no destinations yet.`;
        suggestDest();
        return;
      }
      const dests = rec.dests;
      svcLine.textContent = `Service ${vip} ${proto.toUpperCase()} · scheduler ${rec.scheduler}${rec.flags.length ? ` (${rec.flags.join(', ')})` : ''} · ${plural(dests.length, 'destination')} · ${plural(Object.keys(rec.connections).length, 'connection')} · clock ${rec.clock_ms} ms`;
      wrrLine.textContent =
        rec.scheduler === 'wrr' ? `wrr: cw ${rec.cw} · mw ${rec.mw} · di ${rec.di} · cursor ${rec.cursor ?? 'head'}`
        : rec.scheduler === 'rr' ? `rr: cursor ${rec.cursor ?? 'head'}`
        : rec.scheduler === 'mh' ? `mh: table of ${rec.table_size} slots · gcd ${rec.gcd} · rshift ${rec.rshift}`
        : rec.draws ? twosLine(rec)
        : '';
      chips(pickStrip, lastPicks);
      const shown = dests.slice(0, MAX_ROWS);
      const key = shown.map((d) => d.name).join('\u0000');
      if (key !== rowsKey) {
        rowsKey = key;
        rows = shown.map((d) => {
          const cells = COLS.slice(1).map((cls) => h('td', { class: cls }));
          const name = button(d.name, null, () => fillForm(lastRecord.dests.find((x) => x.name === d.name)), { class: 'ipvs-dest', 'aria-label': `Edit ${d.name}` });
          name.prepend(swatch(d.name));
          const tr = h('tr', { 'data-dest': d.name }, h('th', { scope: 'row' }, name), ...cells);
          return { tr, cells };
        });
        tbody.replaceChildren(...rows.map((r) => r.tr));
      }
      const last = lastPicks[lastPicks.length - 1];
      shown.forEach((d, i) => {
        const c = rows[i].cells;
        const vals = [d.addr, d.weight, `${d.u_threshold} / ${d.l_threshold}`, d.active, d.inactive, d.active * 256 + d.inactive, tally.get(d.name) ?? 0, [d.overloaded && 'OVERLOAD', d.weight === 0 && 'quiesced', d.slots != null && plural(d.slots, 'slot')].filter(Boolean).join(' ')];
        vals.forEach((v, j) => {
          const s = String(v);
          if (c[j].textContent !== s) c[j].textContent = s;
        });
        rows[i].tr.classList.toggle('ipvs-picked', d.name === last);
        rows[i].tr.classList.toggle('ipvs-overloaded', d.overloaded);
      });
      more.textContent = dests.length > MAX_ROWS ? `Showing the first ${MAX_ROWS} of ${dests.length} destinations; the chart shows all of them.` : '';
      trashLine.textContent = rec.trash.length ? `Trash (deleted, still referenced): ${list(rec.trash.map((d) => `${d.name} (${d.active} active, ${d.inactive} inactive)`), 8)}` : '';
      renderExtra(rec);
      if (suggested && dests.length !== suggestedFor) suggestDest();
      const live = recent.filter((k) => rec.connections[k]).reverse();
      setOptions(connSel, live, live.map((k) => `${k} (${rec.connections[k].state} → ${rec.connections[k].dest})`));
      chart.canvas.hidden = dests.length === 0;
      chart.draw();
      renderCompare();
    }

    function renderExtra(rec) {
      const parts = [];
      if (rec.table) {
        parts.push(buckets.canvas);
        const owners = new Map();
        for (const n of rec.table) owners.set(n, (owners.get(n) ?? 0) + 1);
        bucketNote.textContent = `256 buckets: ${[...owners].map(([n, c]) => `${n ?? 'empty'} ${c}`).join(' · ')}`;
        parts.push(bucketNote);
      }
      if (rec.cache) {
        const entries = Object.entries(rec.cache);
        const ul = h('ul', { class: 'ipvs-cache', 'aria-label': 'lblc cache' });
        for (const [ip, e] of entries.slice(0, 12)) {
          ul.append(h('li', { text: `${ip} → ${e.dest ?? `{${e.set.join(', ')}}`} · last use ${e.lastuse_ms} ms${e.lastmod_ms != null ? ` · set changed ${e.lastmod_ms} ms` : ''}` }));
        }
        parts.push(h('p', { class: 'ipvs-label', text: `cache (${entries.length} entr${entries.length === 1 ? 'y' : 'ies'})` }), ul);
      }
      extra.replaceChildren(...parts);
      if (rec.table) buckets.draw();
    }

    function drawBuckets(c, w, ht, t) {
      const table = lastRecord?.table;
      if (!table) return;
      const cols = 64;
      const cw = w / cols;
      const chH = ht / 4;
      table.forEach((n, i) => {
        c.fillStyle = n == null ? t.empty : colourOf(n);
        c.fillRect((i % cols) * cw, Math.floor(i / cols) * chH, Math.max(1, cw - 0.5), chH - 1);
      });
    }

    function drawChart(c, w, ht, t) {
      const rec = lastRecord;
      if (!rec) return;
      const f = frame();
      const n = f.length / 4;
      if (n === 0) return;
      const names = rec.dests;
      const labels = n <= 24;
      const base = labels ? ht - 16 : ht - 2;
      let maxT = 1;
      let sumT = 0;
      let maxC = 0;
      let sumW = 0;
      let maxW = 0;
      const tl = new Float64Array(n);
      for (let i = 0; i < n; i++) {
        tl[i] = tally.get(names[i]?.name) ?? 0;
        maxT = Math.max(maxT, tl[i]);
        sumT += tl[i];
        maxC = Math.max(maxC, f[4 * i] + f[4 * i + 1]);
        sumW += f[4 * i + 2];
        maxW = Math.max(maxW, f[4 * i + 2]);
      }
      // Without connections the pick bars take the whole height.
      const mid = maxC ? Math.floor(base * 0.5) : base - 2;
      maxC ||= 1;
      const bw = Math.min(w / n, 90);
      const gap = bw > 6 ? Math.min(6, bw * 0.2) : 0;
      const last = lastPicks[lastPicks.length - 1];
      const expMax = Math.max(maxT, sumW > 0 ? (sumT * maxW) / sumW : 0);
      const scale = (base - mid - 20) / maxC;
      // One path per colour: a fillStyle change per bar would cost more than the bars.
      const solid = new Map();
      const light = new Map();
      const path = (m, col) => m.get(col) ?? m.set(col, new Path2D()).get(col);
      const share = new Path2D();
      const over = new Path2D();
      const bwi = Math.max(1, bw - gap);
      let lastX = -1;
      let lastH = 0;
      for (let i = 0; i < n; i++) {
        const name = names[i]?.name ?? '';
        const col = colourOf(name);
        const x = i * bw + gap / 2;
        const th = ((mid - 18) * tl[i]) / expMax;
        if (th > 0) path(solid, col).rect(x, mid - 2 - th, bwi, th);
        if (sumW > 0 && sumT > 0 && bw >= 3) share.rect(x, mid - 2 - ((mid - 18) * ((sumT * f[4 * i + 2]) / sumW)) / expMax, bwi, 1.5);
        const a = f[4 * i] * scale;
        const ina = f[4 * i + 1] * scale;
        if (a) path(solid, col).rect(x, mid + 18, bwi, a);
        if (ina) path(light, col).rect(x, mid + 18 + a, bwi, ina);
        if (f[4 * i + 3]) over.rect(x + 0.5, mid + 18.5, bwi - 1, Math.max(2, a + ina));
        if (name === last) {
          lastX = x;
          lastH = th;
        }
      }
      for (const [col, p] of solid) {
        c.fillStyle = col;
        c.fill(p);
      }
      c.globalAlpha = 0.4;
      for (const [col, p] of light) {
        c.fillStyle = col;
        c.fill(p);
      }
      c.globalAlpha = 1;
      c.fillStyle = t.mark;
      c.fill(share);
      c.strokeStyle = t.fg;
      c.stroke(over);
      if (lastX >= 0 && n <= 200) {
        c.lineWidth = 2;
        c.strokeRect(lastX + 1, mid - 3 - lastH, bwi - 2, lastH + 2);
        c.lineWidth = 1;
      }
      if (labels) {
        c.font = '11px system-ui, sans-serif';
        c.textAlign = 'center';
        c.fillStyle = t.fg;
        names.forEach((d, i) => c.fillText(d.name.length > 6 ? `${d.name.slice(0, 5)}…` : d.name, i * bw + gap / 2 + bwi / 2, ht - 4));
      }
      c.font = '11px system-ui, sans-serif';
      c.textAlign = 'left';
      c.fillStyle = t.soft;
      c.fillText(`picks (${sumT}) · line = weight share`, 2, 11);
      if (mid < base - 2) c.fillText(`connections: active solid, inactive light (max ${maxC})${rec.dests.some((d) => d.overloaded) ? ' · outlined = OVERLOAD' : ''}`, 2, mid + 14);
      c.strokeStyle = t.line;
      c.beginPath();
      c.moveTo(0, mid + 1);
      c.lineTo(w, mid + 1);
      c.stroke();
    }

    function renderCompare() {
      compareBox.hidden = !compare;
      if (compare) compare.render(compareBox);
    }

    return { el, controls: controlsEl, record, render, destroy: () => compare?.destroy() };
  }

  /**
   * The kernel-vs-nginx pick rows: `other` is the twin demo of the other algorithm ('smooth'
   * or 'kernel'); `mirror(picks, op)` records the primary's picks and applies `op` to the twin.
   */
  function twin(kind, other) {
    const mine = [];
    const theirs = [];
    let note = '';
    const label = h('span', { class: 'ipvs-label' });
    const kernelRow = h('div', { class: 'ipvs-chips', 'data-testid': 'compare-kernel' });
    const smoothRow = h('div', { class: 'ipvs-chips', 'data-testid': 'compare-smooth' });
    const noteEl = h('p', { class: 'ipvs-note' });
    const box = [
      h('p', { class: 'ipvs-label', text: 'Same weights, two algorithms:' }),
      h('div', { class: 'ipvs-picks' }, label, kernelRow),
      h('div', { class: 'ipvs-picks' }, h('span', { class: 'ipvs-label', text: 'nginx smooth WRR' }), smoothRow),
      noteEl,
    ];
    return {
      mirror(picks, op) {
        if (picks) mine.push(...picks.map((p) => p ?? '∅'));
        let rec;
        try {
          rec = JSON.parse(other.apply(JSON.stringify(kind === 'smooth' ? op : op.op === 'pick' ? { op: 'schedule', count: op.count } : { op: 'set_weight', dest: op.peer, weight: op.weight })));
        } catch (err) {
          note = `Twin: ${err?.message ?? err}`;
          return;
        }
        if (rec.error) note = `Twin: ${rec.error}`;
        else {
          note = '';
          const p = rec.sequence ?? rec.picks ?? ('pick' in rec ? [rec.pick] : null);
          if (p) theirs.push(...p.map((x) => x ?? '∅'));
        }
      },
      render(el) {
        label.textContent = `kernel IPVS ${kind === 'smooth' ? lastRecord?.scheduler ?? 'wrr' : 'wrr'}`;
        chips(kind === 'smooth' ? kernelRow : smoothRow, mine);
        chips(kind === 'smooth' ? smoothRow : kernelRow, theirs);
        noteEl.textContent = note;
        if (!el.contains(box[1])) el.replaceChildren(...box);
      },
      destroy() {
        other.free();
        return null;
      },
    };
  }

  // ======================= Maglev =======================
  function maglevView() {
    let table = new Uint32Array(0);
    let names = [];
    let prevNames = null;
    let prevTable = null;
    let moved = null;
    let anim = null;
    let lookupSlot = -1;
    const info = h('p', { class: 'ipvs-line' });
    const fillLine = h('p', { class: 'ipvs-line', 'data-testid': 'fill', 'aria-live': 'off' });
    const disruption = h('p', { class: 'ipvs-line', 'data-testid': 'disruption' });
    const lookupLine = h('p', { class: 'ipvs-line ipvs-mono', 'data-testid': 'lookup' });
    const slotsText = h('p', { class: 'ipvs-line ipvs-mono ipvs-slots', 'data-testid': 'table-text' });
    const beforeText = h('p', { class: 'ipvs-line ipvs-mono ipvs-slots ipvs-cmd' });
    const backendList = h('ul', { class: 'ipvs-backends', 'aria-label': 'Backends in turn order' });
    const perms = h('div', { class: 'ipvs-scroll' });
    const cv = canvasBox('The Maglev lookup table, one cell per slot coloured by backend; moved slots are marked', 120, draw);
    const el = h('div', {}, info, fillLine, cv.canvas, slotsText, beforeText, disruption, lookupLine, backendList, perms);

    const addName = input('New backend name', 10);
    const addOff = numeric('Offset (optional, with skip)', 4);
    const addSkip = numeric('Skip (optional, with offset)', 4);
    const removeSel = h('select', { 'aria-label': 'Backend to remove' });
    const key = input('Flow key', 18, { value: '10.0.0.1:51000' });
    const controlsEl = h(
      'div',
      {},
      h(
        'fieldset',
        {},
        h('legend', { text: 'Table' }),
        button('Populate slot by slot', 'populate', () => apply({ op: 'populate', trace: true })),
        button('Permutations', null, () => apply({ op: 'permutations' })),
      ),
      h(
        'fieldset',
        {},
        h('legend', { text: 'Backends' }),
        h('div', { class: 'ipvs-row' }, field('Remove', removeSel), button('Remove', 'remove-backend', () => apply({ op: 'remove_backend', name: removeSel.value }))),
        h('div', { class: 'ipvs-row' }, field('Name', addName), field('Offset', addOff), field('Skip', addSkip)),
        button('Add backend', 'add-backend', () => apply({ op: 'add_backend', name: addName.value, offset: num(addOff), skip: num(addSkip) })),
      ),
      h('fieldset', {}, h('legend', { text: 'Lookup' }), field('Key', key), button('Look up', 'lookup-btn', () => apply({ op: 'lookup', key: key.value }))),
    );

    function snapshot() {
      table = frame().slice();
    }

    snapshot();

    function record(rec, animate) {
      if (rec.disruption || !prevTable) {
        prevNames = names;
        prevTable = table;
      }
      names = rec.backends.map((b) => b.name);
      snapshot();
      // The moved slots stay marked until the table is rebuilt again.
      if (rec.disruption || rec.fill) moved = null;
      if (rec.disruption && prevTable.length === table.length) {
        moved = new Uint8Array(table.length);
        for (let i = 0; i < table.length; i++) moved[i] = prevNames[prevTable[i]] !== names[table[i]] ? 1 : 0;
      }
      lookupSlot = rec.slot ?? -1;
      anim = animate && rec.fill?.length ? { fill: rec.fill, done: 0, start: 0, claimed: new Int32Array(table.length).fill(-1) } : null;
      if (rec.fill && !anim) fillLine.textContent = `Populated: ${fillSummary(rec.fill)}`;
      else if (rec.disruption) fillLine.textContent = 'Rebuilt from the permutations: Populate shows the fill slot by slot.';
      const op = rec.op;
      if (rec.error) return `${op.op}${op.name ? ` ${op.name}` : ''}`;
      switch (op.op) {
        case 'populate':
          return rec.fill ? `populate → ${fillSummary(rec.fill)}` : `populate → ${rec.table_size} slots`;
        case 'remove_backend':
        case 'add_backend':
          return `${op.op === 'add_backend' ? 'add' : 'remove'} ${op.name} → ${rec.disruption.changed} of ${rec.table_size} entries moved (${rec.disruption.minimum} had to)`;
        case 'lookup':
          return `lookup ${op.key} → hash ${rec.hash} → slot ${rec.slot} → ${rec.backend}`;
        case 'permutations':
          return `permutations of ${rec.permutations.length} backends`;
        default:
          return op.op;
      }
    }

    function fillSummary(fill) {
      const rounds = fill.length ? fill[fill.length - 1].round + 1 : 0;
      return `${fill.length} claims in ${plural(rounds, 'round')}, ${fill.reduce((s, f) => s + f.skipped, 0)} filled preferences skipped`;
    }

    function animate(now, spd) {
      if (!anim) return false;
      if (!anim.start) anim.start = now;
      const per = Math.min(450 / spd, 2500 / spd / anim.fill.length);
      const target = Math.min(anim.fill.length, Math.floor((now - anim.start) / per) + 1);
      const index = new Map(names.map((n, i) => [n, i]));
      while (anim.done < target) {
        const f = anim.fill[anim.done++];
        anim.claimed[f.slot] = index.get(f.backend) ?? -1;
      }
      const f = anim.fill[anim.done - 1];
      fillLine.textContent = `round ${f.round}: ${f.backend} takes slot ${f.slot}${f.skipped ? ` after passing ${plural(f.skipped, 'filled slot')}` : ''} (${anim.done} / ${anim.fill.length})`;
      anim.last = f.slot;
      cv.draw();
      if (anim.done < anim.fill.length) return true;
      finish();
      return false;
    }

    function finish() {
      if (!anim) return;
      fillLine.textContent = `Populated: ${fillSummary(anim.fill)}`;
      anim = null;
      cv.draw();
    }

    function render() {
      const rec = lastRecord;
      const m = table.length;
      const bs = rec?.backends ?? (settings.backends ?? []).map((b) => ({ name: b.name }));
      if (!rec) names = bs.map((b) => b.name);
      info.textContent = rec
        ? `M = ${m} slots · ${bs.length} backends · entries max ${rec.balance.max_entries} / min ${rec.balance.min_entries} (ratio ${rec.balance.max_min_ratio.toFixed(4)})`
        : `M = ${m} slots · ${bs.length} backends · the table is built: step to see how it fills.`;
      const d = rec?.disruption;
      disruption.textContent = d
        ? `${rec.op.op === 'add_backend' ? 'Adding' : 'Removing'} ${rec.op.name} moved ${d.changed} entries (${pct(d.changed_share)} of the table); ${d.minimum} (${pct(d.minimum_share)}) had to move (moved slots are hatched).`
        : '';
      lookupLine.textContent = rec?.op.op === 'lookup' && !rec.error ? `key ${rec.op.key} → hsiphash ${rec.hash} mod ${m} = slot ${rec.slot} → ${rec.backend}` : '';
      const prefix = `slots 0…${m - 1}: `;
      slotsText.textContent = m <= 64 ? `${prefix}${Array.from(table, (i) => names[i] ?? '?').join(' ')}` : '';
      beforeText.textContent = moved && m <= 64 ? `${'before:'.padEnd(prefix.length)}${Array.from(prevTable, (i) => prevNames[i] ?? '?').join(' ')}` : '';
      backendList.replaceChildren(
        ...bs.slice(0, 64).map((b) =>
          h('li', {}, swatch(b.name), h('span', { text: `${b.name}${b.offset != null ? ` · offset ${b.offset} · skip ${b.skip} (${b.permutation})` : ''}${b.entries != null ? ` · ${b.entries} entries` : ''}` })),
        ),
        ...(bs.length > 64 ? [h('li', { text: `… ${bs.length - 64} more` })] : []),
      );
      setOptions(removeSel, names);
      if (!addName.value || names.includes(addName.value)) {
        let i = names.length;
        while (names.includes(`backend-${i}`)) i++;
        addName.value = `backend-${i}`;
      }
      perms.replaceChildren();
      if (rec?.permutations && m <= 32) {
        perms.append(
          h(
            'table',
            { class: 'ipvs-table' },
            h('caption', { text: 'Preference lists: permutation[j] = (offset + j·skip) mod M' }),
            h('thead', {}, h('tr', {}, h('th', { text: 'backend' }), ...Array.from({ length: m }, (_, j) => h('th', { text: j })))),
            h('tbody', {}, ...rec.permutations.map((p) => h('tr', {}, h('th', { scope: 'row' }, swatch(p.backend), p.backend), ...p.slots.map((s) => h('td', { text: s }))))),
          ),
        );
      }
      cv.canvas.style.height = `${layout(m, cv.canvas.clientWidth || 320).height}px`;
      cv.draw();
    }

    function layout(m, w) {
      const cols = m <= 64 ? Math.max(1, Math.min(m, Math.floor(w / 44))) : Math.min(Math.floor(w), Math.ceil(Math.sqrt(m * 4)));
      const cell = Math.max(1, Math.min(60, Math.floor(w / cols)));
      const rows = Math.ceil(m / cols);
      const height = cell <= 2 ? (rows * w) / cols : rows * cell;
      return { cols, cell, rows, height: Math.min(360, Math.max(24, Math.ceil(height))) };
    }

    function draw(c, w, ht, t) {
      const m = table.length;
      if (!m) return;
      const { cols, cell, rows } = layout(m, w);
      const cellH = Math.max(1, Math.min(cell, Math.floor(ht / rows)));
      const owner = (i) => (anim ? anim.claimed[i] : table[i]);
      if (cell <= 2) {
        const img = c.createImageData(cols, rows);
        const rgb = names.map((n) => rgbOf(colourOf(n)));
        const empty = rgbOf(t.empty);
        for (let i = 0; i < m; i++) {
          const o = owner(i);
          const px = o >= 0 && rgb[o] ? rgb[o] : empty;
          // With moved entries, the others fade so the moved ones stand out.
          const k = moved && !moved[i] ? 0.25 : 1;
          img.data.set([px[0] * k + empty[0] * (1 - k), px[1] * k + empty[1] * (1 - k), px[2] * k + empty[2] * (1 - k), 255], i * 4);
        }
        const tmp = new OffscreenCanvas(cols, rows);
        tmp.getContext('2d').putImageData(img, 0, 0);
        c.imageSmoothingEnabled = false;
        c.drawImage(tmp, 0, 0, w, Math.min(ht, (rows * w) / cols));
        return;
      }
      const big = m <= 64 && cell >= 24;
      c.textAlign = 'center';
      c.textBaseline = 'middle';
      for (let i = 0; i < m; i++) {
        const x = (i % cols) * cell;
        const y = Math.floor(i / cols) * cellH;
        const o = owner(i);
        const name = o >= 0 ? names[o] : undefined;
        c.fillStyle = name != null ? colourOf(name) : t.empty;
        c.fillRect(x, y, cell - 1, cellH - 1);
        if (moved?.[i]) {
          c.save();
          c.beginPath();
          c.rect(x, y, cell - 1, cellH - 1);
          c.clip();
          c.strokeStyle = t.mark;
          c.globalAlpha = 0.6;
          c.lineWidth = Math.max(1, cell / 20);
          c.beginPath();
          const gap = Math.max(3, cell / 4);
          for (let k = -cellH; k < cell; k += gap) {
            c.moveTo(x + k, y + cellH);
            c.lineTo(x + k + cellH, y);
          }
          c.stroke();
          c.restore();
        }
        if (i === lookupSlot || (anim && i === anim.last)) {
          c.strokeStyle = t.fg;
          c.lineWidth = 2;
          c.strokeRect(x + 1, y + 1, cell - 3, cellH - 3);
          c.lineWidth = 1;
        }
        if (big) {
          if (name != null) {
            c.font = `${Math.min(13, cell / 3.5)}px system-ui, sans-serif`;
            c.fillStyle = textColour(colourOf(name));
            c.fillText(name.length > 6 ? `${name.slice(0, 5)}…` : name, x + cell / 2, y + cellH / 2 + 3);
          }
          c.font = '9px system-ui, sans-serif';
          c.fillStyle = name != null ? textColour(colourOf(name)) : t.soft;
          c.fillText(i, x + 8, y + 8);
        }
      }
      c.textBaseline = 'alphabetic';
      c.textAlign = 'left';
    }

    return { el, controls: controlsEl, record, render, animate, finish, animating: () => !!anim };
  }

  // ======================= nginx smooth WRR vs kernel WRR =======================
  function smoothView() {
    let compare = null;
    let lastPicks = null;
    const peersBody = h('tbody');
    const peersTable = h(
      'table',
      { class: 'ipvs-table' },
      h('caption', { text: 'nginx peers (configuration order)' }),
      h('thead', {}, h('tr', {}, ...['peer', 'weight', 'effective', 'current_weight'].map((t) => h('th', { scope: 'col', text: t })))),
      peersBody,
    );
    const compareBox = h('div', { class: 'ipvs-compare' });
    const steps = h('ol', { class: 'ipvs-trace ipvs-mono', 'aria-label': 'How each smooth pick was made' });
    const el = h('div', {}, compareBox, h('div', { class: 'ipvs-scroll' }, peersTable), h('p', { class: 'ipvs-label', text: 'last picks: current_weight += weight, take the largest, subtract the total' }), steps);

    const count = numeric('Number of picks', 4, '7');
    const peerSel = h('select', { 'aria-label': 'Peer' });
    const weight = numeric('New weight', 5, '3');
    const toggle = h('input', {
      type: 'checkbox',
      checked: true,
      onchange() {
        compare = toggle.checked ? makeCompare() : compare?.destroy() ?? null;
        render();
      },
    });
    const controlsEl = h(
      'div',
      {},
      h('fieldset', {}, h('legend', { text: 'Requests' }), field('Picks', count, 'ipvs-inline'), button('Pick', 'pick', () => apply({ op: 'pick', count: num(count) }))),
      h(
        'fieldset',
        {},
        h('legend', { text: 'Reload with a new weight' }),
        h('div', { class: 'ipvs-row' }, field('Peer', peerSel), field('Weight', weight)),
        button('Set weight', 'set-weight', () => apply({ op: 'set_weight', peer: peerSel.value, weight: num(weight) })),
      ),
      h('label', { class: 'ipvs-check' }, toggle, h('span', { text: 'Run the kernel’s wrr side by side' })),
    );

    function peers() {
      return lastRecord?.peers ?? (settings.peers ?? []).map((p) => ({ name: p.name, weight: p.weight ?? 1 }));
    }

    function makeCompare() {
      // The wrr-5-1-1 setup for any peers: added in reverse under wlc (the list is then in
      // peer order), then wrr bound to the full list, so cw starts at mw.
      const ps = peers();
      const ops = ps
        .map((p, i) => ({ op: 'add_dest', name: p.name, addr: `10.0.${Math.floor((i + 1) / 250)}.${((i + 1) % 250) + 1}:80`, weight: p.weight }))
        .reverse();
      ops.push({ op: 'edit_service', scheduler: 'wrr' });
      try {
        const k = new glue.IpvsDemo(JSON.stringify({ scheduler: 'wlc', ops }));
        while (k.step() !== undefined);
        return twin('kernel', k);
      } catch (err) {
        say(`Kernel twin: ${err?.message ?? err}`, 'error');
        toggle.checked = false;
        return null;
      }
    }

    compare = makeCompare();

    function record(rec) {
      const op = rec.op;
      if (rec.error) return `${op.op}${op.peer ? ` ${op.peer}` : ''}`;
      if (op.op === 'pick') {
        lastPicks = rec.picks;
        compare?.mirror(rec.sequence, op);
        return `pick ×${rec.sequence.length} → ${list(rec.sequence, 14)}`;
      }
      compare?.mirror(null, op);
      return `reload: ${op.peer} weight ${op.weight} (every current_weight back to 0)`;
    }

    function render() {
      const ps = peers();
      peersBody.replaceChildren(
        ...ps.slice(0, MAX_ROWS).map((p) => h('tr', { 'data-peer': p.name }, h('th', { scope: 'row' }, swatch(p.name), p.name), h('td', { text: String(p.weight) }), h('td', { text: String(p.effective_weight ?? p.weight) }), h('td', { text: String(p.current_weight ?? 0) }))),
      );
      setOptions(peerSel, ps.map((p) => p.name));
      steps.replaceChildren(
        ...(lastPicks ?? []).slice(0, 21).map((p) => h('li', { text: `[${p.raised.join(', ')}] → ${p.peer} -= ${p.total} → [${p.current_weight.join(', ')}]` })),
      );
      compareBox.hidden = !compare;
      if (compare) compare.render(compareBox);
    }

    return { el, controls: controlsEl, record, render, destroy: () => compare?.destroy() };
  }

  // ======================= GORB =======================
  function gorbView() {
    const history = new Map();
    let lastChecks = [];
    const svcLine = h('p', { class: 'ipvs-line' });
    const rest = h('p', { class: 'ipvs-line ipvs-mono ipvs-cmd' });
    const cards = h('div', { class: 'ipvs-cards' });
    const checks = h('ol', { class: 'ipvs-trace ipvs-mono', 'aria-label': 'Checks of the last pulse' });
    const response = h('pre', { class: 'ipvs-response' });
    const cv = canvasBox('Weight of each backend over time (dots: failed checks)', 140, draw);
    const el = h('div', {}, svcLine, cards, cv.canvas, h('p', { class: 'ipvs-label', text: 'last checks' }), checks, rest, response);

    const rsSel = h('select', { 'aria-label': 'Backend' });
    const count = numeric('Number of checks', 4, '1');
    const weight = numeric('Weight', 5, '50');
    const nId = input('New backend ID', 8);
    const nHost = input('Host IP', 11, { value: '172.17.0.9' });
    const nPort = numeric('Port', 5, '8080');
    const nW = numeric('Weight (0 or less: 100)', 4, '100');
    const nInt = input('Pulse interval, e.g. 5s or 1m', 4, { value: '5s' });
    const firstService = () => lastRecord?.services?.[0]?.vs_id ?? '';
    const ids = () => ({ vs_id: lastRecord?.backends?.find((b) => b.rs_id === rsSel.value)?.vs_id ?? firstService(), rs_id: rsSel.value });
    const controlsEl = h(
      'div',
      {},
      h(
        'fieldset',
        {},
        h('legend', { text: 'Health checks' }),
        h('div', { class: 'ipvs-row' }, field('Backend', rsSel), field('Checks', count)),
        h(
          'div',
          { class: 'ipvs-row' },
          button('Pulse up', 'pulse-up', () => apply({ op: 'pulse', ...ids(), result: 'up', count: num(count) })),
          button('Pulse down', 'pulse-down', () => apply({ op: 'pulse', ...ids(), result: 'down', count: num(count) })),
          button('GET', null, () => apply({ op: 'get_backend', ...ids() })),
        ),
        h('div', { class: 'ipvs-row' }, field('Weight', weight, 'ipvs-inline'), button('PATCH weight', 'patch', () => apply({ op: 'patch_weight', ...ids(), weight: num(weight) }))),
      ),
      h(
        'fieldset',
        {},
        h('legend', { text: 'Backends' }),
        h('div', { class: 'ipvs-row' }, field('rsID', nId), field('Host', nHost), field('Port', nPort)),
        h('div', { class: 'ipvs-row' }, field('Weight', nW), field('Interval', nInt)),
        h(
          'div',
          { class: 'ipvs-row' },
          button('PUT backend', null, () => {
            const r = apply({
              op: 'add_backend',
              vs_id: firstService(),
              rs_id: nId.value,
              options: { host: nHost.value.trim(), port: num(nPort), weight: num(nW) ?? 0, pulse: { type: 'tcp', interval: nInt.value.trim() } },
            });
            if (r && !r.error) rsSel.value = r.op.rs_id;
          }),
          button('DELETE backend', null, () => apply({ op: 'remove_backend', ...ids() })),
        ),
      ),
    );

    function push(rs, t, w, down) {
      if (!history.has(rs)) history.set(rs, []);
      const hs = history.get(rs);
      hs.push({ t, w, down });
      if (hs.length > 2000) hs.splice(0, hs.length - 2000);
    }

    function restLine(op) {
      const vs = `/service/${op.vs_id}`;
      switch (op.op) {
        case 'create_service':
          return `PUT ${vs} ${JSON.stringify(op.options)}`;
        case 'remove_service':
          return `DELETE ${vs}`;
        case 'add_backend':
          return `PUT ${vs}/${op.rs_id} ${JSON.stringify(op.options)}`;
        case 'patch_weight':
          return `PATCH ${vs}/${op.rs_id} {"weight": ${op.weight}}`;
        case 'remove_backend':
          return `DELETE ${vs}/${op.rs_id}`;
        case 'get_backend':
          return `GET ${vs}/${op.rs_id}`;
        case 'get_service':
          return `GET ${vs}`;
        case 'list_services':
          return 'GET /service';
        case 'pulse':
          return `(pulse: ${plural(op.count ?? 1, 'check')} of ${op.rs_id} ${op.result === 1 || op.result === 'down' ? 'fails' : 'succeeds'})`;
        default:
          return op.op;
      }
    }

    function record(rec) {
      const op = rec.op;
      rest.textContent = `${restLine(op)}${rec.error ? ` → ${rec.http_status ?? ''} {"error": ${JSON.stringify(rec.error)}}` : ''}`;
      response.textContent = rec.response !== undefined ? JSON.stringify(rec.response, null, 1) : '';
      if (rec.error) return restLine(op);
      if (op.op === 'pulse') {
        lastChecks = rec.checks;
        for (const c of rec.checks) push(op.rs_id, c.at_ms, c.weight, c.metrics.status === 1);
        const last = rec.checks[rec.checks.length - 1];
        return `pulse ${op.rs_id} ${op.result === 1 || op.result === 'down' ? 'down' : 'up'} ×${rec.checks.length} → ${last.action}, weight ${last.weight}${last.stash != null ? ` (stash ${last.stash})` : ''}, health ${last.metrics.health.toFixed(3)}`;
      }
      if (op.op === 'add_backend' || op.op === 'patch_weight') {
        const b = rec.backends.find((x) => x.rs_id === op.rs_id);
        if (b) push(b.rs_id, rec.now_ms, b.options.weight, false);
        if (op.op === 'patch_weight') return `PATCH ${op.rs_id} weight ${op.weight} (was ${rec.previous_weight})`;
      }
      if (op.op === 'get_service') return `GET ${op.vs_id} → health ${rec.response.health}`;
      if (op.op === 'get_backend') return `GET ${op.rs_id} → ${rec.response.metrics.status === 0 ? 'Up' : 'Down'}, health ${rec.response.metrics.health.toFixed(3)}, weight ${rec.response.options.weight}`;
      return restLine(op);
    }

    function render() {
      const rec = lastRecord;
      const bs = rec?.backends ?? [];
      svcLine.textContent = rec?.services?.length
        ? rec.services.map((s) => `service ${s.vs_id}: ${s.options.host || settings.endpoint || '(endpoint)'}:${s.options.port} ${s.options.protocol} ${s.options.method}`).join(' · ') + ` · t = ${(rec.now_ms / 1000).toFixed(0)} s`
        : 'No service yet: step to create it.';
      const stash = new Map((rec?.stash ?? []).map((s) => [s.rs_id, s.weight]));
      cards.replaceChildren(
        ...bs.slice(0, 24).map((b) => {
          const down = b.metrics.status === 1;
          return h(
            'div',
            { class: `ipvs-card${down ? ' ipvs-down' : ''}`, 'data-testid': `backend-${b.rs_id}` },
            h('p', { class: 'ipvs-card-title' }, swatch(b.rs_id), b.rs_id),
            h('p', { class: 'ipvs-mono', text: `${b.options.host}:${b.options.port} ${b.options.method}` }),
            h('p', {}, h('span', { class: 'ipvs-big', 'data-testid': 'weight', text: b.options.weight }), ' weight'),
            h('p', { text: `${down ? 'Down' : 'Up'} · health ${(100 * b.metrics.health).toFixed(1)} % · ${b.window_checks ? `${b.window_downs}/${b.window_checks} failed` : 'no check yet: GORB serves zero metrics'}` }),
            h('p', { class: 'ipvs-note', text: `${stash.has(b.rs_id) ? `stash ${stash.get(b.rs_id)} · ` : ''}${b.options.pulse?.type ?? 'tcp'} every ${b.options.pulse?.interval ?? '1m'} · on its own clock, next check at ${(b.next_check_ms / 1000).toFixed(0)} s` }),
          );
        }),
      );
      setOptions(rsSel, bs.map((b) => b.rs_id));
      if (!nId.value || bs.some((b) => b.rs_id === nId.value)) {
        let i = bs.length + 1;
        while (bs.some((b) => b.rs_id === `rs-${i}`)) i++;
        nId.value = `rs-${i}`;
      }
      checks.replaceChildren(
        ...lastChecks.slice(-8).map((c) => h('li', { text: `t=${(c.at_ms / 1000).toFixed(0)} s ${c.metrics.status ? 'Down' : 'Up'} health ${c.metrics.health.toFixed(3)} → ${c.action}, weight ${c.weight}${c.stash != null ? `, stash ${c.stash}` : ''}` })),
      );
      cv.canvas.hidden = history.size === 0;
      cv.draw();
    }

    function draw(c, w, ht, t) {
      if (history.size === 0) return;
      let t0 = Infinity;
      let t1 = -Infinity;
      let wMax = 1;
      for (const hs of history.values()) for (const p of hs) {
        t0 = Math.min(t0, p.t);
        t1 = Math.max(t1, p.t);
        wMax = Math.max(wMax, p.w);
      }
      // At least a second wide, so that the axis' two ends never read the same.
      if (t1 < t0 + 1000) t1 = t0 + 1000;
      const L = 30;
      const T = 14;
      const B = ht - 14;
      const X = (v) => L + ((w - L - 6) * (v - t0)) / (t1 - t0);
      const Y = (v) => B - ((B - T) * v) / wMax;
      c.strokeStyle = t.line;
      c.fillStyle = t.soft;
      c.font = '11px system-ui, sans-serif';
      c.beginPath();
      c.moveTo(L, T);
      c.lineTo(L, B);
      c.lineTo(w, B);
      c.stroke();
      c.fillText(wMax, 2, T + 4);
      c.fillText('0', 2, B);
      c.fillText(`${(t0 / 1000).toFixed(0)} s`, L, ht - 2);
      c.textAlign = 'right';
      c.fillText(`${(t1 / 1000).toFixed(0)} s`, w - 4, ht - 2);
      c.textAlign = 'left';
      c.fillText('weight', L + 4, T - 3);
      for (const [rs, hs] of history) {
        c.strokeStyle = colourOf(rs);
        c.lineWidth = 2;
        c.beginPath();
        // A step line: each weight holds until the next check.
        let y = hs[0].w;
        c.moveTo(X(hs[0].t), Y(y));
        for (const p of hs) {
          c.lineTo(X(p.t), Y(y));
          c.lineTo(X(p.t), Y((y = p.w)));
        }
        c.lineTo(X(t1), Y(y));
        c.stroke();
        c.lineWidth = 1;
        c.fillStyle = '#e15759';
        for (const p of hs) if (p.down) c.fillRect(X(p.t) - 2, B - 5, 4, 4);
      }
    }

    return { el, controls: controlsEl, record, render };
  }

  // ---- lifecycle ----
  const redraw = () => {
    themeCache = null;
    view?.render();
  };
  darkMode.addEventListener('change', redraw);
  if (!css.sheet) css.addEventListener('load', redraw, { once: true });

  create(player.text, player.name, ctx.step);
  if (ctx.autoplay) player.start();
  // For the browser tests: the last record and the frame (the Maglev table).
  root.demo = {
    get lastRecord() {
      return lastRecord;
    },
    frame: () => Array.from(frame()),
  };

  return {
    pause: player.pause,
    resume: player.resume,
    destroy() {
      player.destroy();
      queue.length = 0;
      ro.disconnect();
      darkMode.removeEventListener('change', redraw);
      css.removeEventListener('load', redraw);
      view?.destroy?.();
      demo?.free();
      demo = null;
      delete root.demo;
      root.replaceChildren();
    },
  };
}
