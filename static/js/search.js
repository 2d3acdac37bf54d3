// Site search in the browser: reads the index the generator writes under search/ (format:
// generator/src/search.rs), with no server and no framework.
//
// The header box shows results as you type; the search page (search/?q=…) lists them all.
// Keyboard: `/` focuses the box, ArrowDown/ArrowUp move through the results, Enter opens the
// selected one, Escape closes the list. Everything shown is built with text nodes, so neither
// the content nor the query can inject markup.
//
// Only the manifest is needed up front; a query fetches the term shards its words fall in and
// the page chunks of the results it shows. Excerpts come from the summary when it holds a
// query word, otherwise from the result's own page, fetched when the result is shown.

const SITE = new URL('../', import.meta.url);
const DATA = new URL('search/', SITE);
const POPUP_RESULTS = 8;
const PAGE_RESULTS = 20;
const EXCERPT_CHARS = 220;
// Runs of letters and digits, a dot between two ASCII digits included (`1.9`, `172.17.0.1`):
// the generator's `for_each_term` rule, which the index was built with.
const WORD = /(?:[\p{Alphabetic}\p{N}]|(?<=[0-9])\.(?=[0-9]))+/gu;

const cache = new Map();

/** Fetches `url` once; `kind` is 'json', 'bytes' or 'html'. */
function load(url, kind) {
  const key = url.href;
  if (!cache.has(key)) {
    const promise = fetch(url).then(async (res) => {
      if (!res.ok) throw new Error(`${url.pathname}: HTTP ${res.status}`);
      if (kind === 'json') return res.json();
      if (kind === 'bytes') return new Uint8Array(await res.arrayBuffer());
      return res.text();
    });
    // A failed fetch is retried by the next query rather than remembered.
    promise.catch(() => cache.delete(key));
    cache.set(key, promise);
  }
  return cache.get(key);
}

/** The body part of a posting's score, from the number of times the word is in the body. */
function bodyScore(count, w) {
  return Math.min(w.body_cap, w.body * (1 + Math.log(count)));
}

let manifestPromise = null;

function manifest() {
  manifestPromise ??= load(new URL('manifest.json', DATA), 'json').then((m) => {
    const w = m.weights;
    // A posting's field score by its six field bits, and its body score by its count.
    const fieldScores = new Float64Array(64);
    for (let code = 0; code < 64; code += 1) {
      for (let bit = 0; bit < w.fields.length; bit += 1) if (code & (1 << bit)) fieldScores[code] += w.fields[bit];
    }
    const bodyScores = new Float64Array(256);
    for (let count = 1; count < 256; count += 1) bodyScores[count] = bodyScore(count, w);
    return { ...m, folds: new Map(m.folds), fieldScores, bodyScores };
  }, (err) => {
    manifestPromise = null;
    throw err;
  });
  return manifestPromise;
}

/** A word lowercased one character at a time with the manifest's folds, and its length. */
function fold(word, folds) {
  let out = '';
  let chars = 0;
  for (const ch of word) {
    for (const lower of ch.toLowerCase()) {
      out += folds.get(lower) ?? lower;
      chars += 1;
    }
  }
  return [out, chars];
}

/** The query words of `text`, tokenized as the generator tokenizes pages. */
function terms(text, m) {
  const out = [];
  for (const [word] of text.matchAll(WORD)) {
    const [term, chars] = fold(word, m.folds);
    if (chars >= m.min_term_chars && chars <= m.max_term_chars && !out.includes(term)) out.push(term);
  }
  return out;
}

/** Code point order, as the generator sorts terms (UTF-16 order differs above U+FFFF). */
function compare(a, b) {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i += 1) {
    let x = a.charCodeAt(i);
    let y = b.charCodeAt(i);
    if (x === y) continue;
    if (x >= 0xd800 && x <= 0xdfff) x += 0x2000;
    else if (x >= 0xe000) x -= 0x800;
    if (y >= 0xd800 && y <= 0xdfff) y += 0x2000;
    else if (y >= 0xe000) y -= 0x800;
    return x < y ? -1 : 1;
  }
  return a.length - b.length;
}

/** The shard indices a word needs (see `SearchIndex::shards_for` in the generator). */
function shardsFor(word, m) {
  const shards = m.shards;
  if (shards.length === 0) return [];
  let lo = 0;
  let hi = shards.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (compare(shards[mid], word) <= 0) lo = mid + 1;
    else hi = mid;
  }
  const first = Math.max(lo - 1, 0);
  let end = first + 1;
  while (end < shards.length && shards[end].startsWith(word)) end += 1;
  end = Math.min(end, first + m.max_prefix_shards);
  const out = [];
  for (let i = first; i < end; i += 1) out.push(i);
  return out;
}

function varint(bytes, state) {
  let value = 0;
  let shift = 0;
  for (;;) {
    const byte = bytes[state.at];
    if (byte === undefined) throw new Error('search index: truncated shard');
    state.at += 1;
    value += (byte & 0x7f) * 2 ** shift;
    if (byte < 0x80) return value;
    shift += 7;
  }
}

const decoder = new TextDecoder();
const shardCache = new Map();

/** Shard `n` as `{ bytes, terms: [{ term, start, end }] }`, postings left encoded. */
function shard(n) {
  if (!shardCache.has(n)) {
    const promise = load(new URL(`terms/${n}.bin`, DATA), 'bytes').then((bytes) => {
      const list = [];
      const state = { at: 0 };
      let term = new Uint8Array(0);
      while (state.at < bytes.length) {
        const shared = varint(bytes, state);
        const suffixLen = varint(bytes, state);
        const next = new Uint8Array(shared + suffixLen);
        next.set(term.subarray(0, shared));
        next.set(bytes.subarray(state.at, state.at + suffixLen), shared);
        state.at += suffixLen;
        term = next;
        const len = varint(bytes, state);
        list.push({ term: decoder.decode(term), start: state.at, end: state.at + len });
        state.at += len;
      }
      return { bytes, terms: list };
    });
    promise.catch(() => shardCache.delete(n));
    shardCache.set(n, promise);
  }
  return shardCache.get(n);
}

/** Every page's best score for one word: `{ scores: Float64Array by page id, pages }`. */
async function wordScores(word, m) {
  const { fieldScores, bodyScores } = m;
  const w = m.weights;
  const scores = new Float64Array(m.pages);
  const pages = [];
  for (const { bytes, terms: list } of await Promise.all(shardsFor(word, m).map(shard))) {
    for (const entry of list) {
      if (!entry.term.startsWith(word)) continue;
      const factor = entry.term === word ? 1 : w.prefix_factor;
      const end = entry.end;
      let at = entry.start;
      let page = 0;
      // Pairs of varints (page delta, field bits + 64 × body count), decoded inline.
      while (at < end) {
        let byte = bytes[at++];
        let value = byte & 0x7f;
        for (let scale = 128; byte >= 0x80; scale *= 128) value += ((byte = bytes[at++]) & 0x7f) * scale;
        page += value;
        byte = bytes[at++];
        let code = byte & 0x7f;
        for (let scale = 128; byte >= 0x80; scale *= 128) code += ((byte = bytes[at++]) & 0x7f) * scale;
        if (at > end || at > bytes.length) throw new Error('search index: truncated shard');
        const count = Math.floor(code / 64);
        let score = fieldScores[code & 63];
        if (count > 0) score += count < bodyScores.length ? bodyScores[count] : bodyScore(count, w);
        score *= factor;
        if (scores[page] === 0) pages.push(page);
        if (score > scores[page]) scores[page] = score;
      }
    }
  }
  return { scores, pages };
}

/**
 * Searches the index: every word of `query` must match a term it is a prefix of.
 * Resolves to `{ words, hits: [{ page, score }] }`, best first, ties in site order.
 */
export async function search(query) {
  const m = await manifest();
  const words = terms(query, m);
  if (words.length === 0) return { words, hits: [] };
  const [first, ...rest] = await Promise.all(words.map((word) => wordScores(word, m)));
  const hits = [];
  for (const page of first.pages) {
    let total = first.scores[page];
    for (const { scores } of rest) {
      if (scores[page] === 0) {
        total = 0;
        break;
      }
      total += scores[page];
    }
    if (total > 0) hits.push({ page, score: total });
  }
  hits.sort((a, b) => b.score - a.score || a.page - b.page);
  return { words, hits };
}

/** The index's entry for a page: `{ url, title, speakers, category, summary }`. */
async function pageEntry(page) {
  const m = await manifest();
  const chunk = await load(new URL(`pages/${Math.floor(page / m.page_chunk)}.json`, DATA), 'json');
  const [url, title, speakers, category, summary] = chunk[page % m.page_chunk];
  return { url: new URL(url, SITE).href, title, speakers, category, summary };
}

/** Where `text` has a word starting with one of `words`: [{ start, end }]. */
function matches(text, words, folds) {
  const out = [];
  for (const match of text.matchAll(WORD)) {
    const [term] = fold(match[0], folds);
    if (words.some((w) => term.startsWith(w))) out.push({ start: match.index, end: match.index + match[0].length });
  }
  return out;
}

/** `text` as nodes, the words matching `words` in <mark>. */
function highlighted(text, words, folds) {
  const fragment = document.createDocumentFragment();
  let at = 0;
  for (const { start, end } of matches(text, words, folds)) {
    if (start > at) fragment.append(document.createTextNode(text.slice(at, start)));
    const mark = document.createElement('mark');
    mark.textContent = text.slice(start, end);
    fragment.append(mark);
    at = end;
  }
  if (at < text.length) fragment.append(document.createTextNode(text.slice(at)));
  return fragment;
}

/** About EXCERPT_CHARS of `text` around its first match, cut at spaces, or null. */
function excerptAround(text, words, folds, always) {
  const found = matches(text, words, folds);
  if (found.length === 0 && !always) return null;
  if (text.length <= EXCERPT_CHARS) return text;
  let start = found.length > 0 ? Math.max(0, found[0].start - 60) : 0;
  if (start > 0) start = text.indexOf(' ', start) + 1 || start;
  let end = Math.min(text.length, start + EXCERPT_CHARS);
  if (end < text.length) end = text.lastIndexOf(' ', end) > start ? text.lastIndexOf(' ', end) : end;
  return `${start > 0 ? '…' : ''}${text.slice(start, end).trim()}${end < text.length ? '…' : ''}`;
}

/** The readable text of a session page's body, fetched and parsed without running it. */
async function bodyText(url) {
  const html = await load(new URL(url), 'html');
  const doc = new DOMParser().parseFromString(html, 'text/html');
  const prose = doc.querySelector('.session .prose') ?? doc.querySelector('main');
  if (!prose) return '';
  // A demo's fallback and the link to its page are the same words on every demo; its
  // caption is the author's and stays, as in the index.
  for (const el of prose.querySelectorAll('pre, .anchor, .badge, .demo-embed .demo-root, .demo-embed figcaption a')) el.remove();
  // textContent runs adjacent cells, items and headings together: separate blocks first.
  for (const el of prose.querySelectorAll('p, li, td, th, h1, h2, h3, h4, h5, h6, dt, dd, blockquote, figcaption, br')) el.after(' ');
  return prose.textContent.replace(/\s+/g, ' ').trim();
}

/** The excerpt text for a result: the summary when it matches, else the body's best part. */
async function excerpt(entry, words, folds) {
  const fromSummary = excerptAround(entry.summary, words, folds, false);
  if (fromSummary) return fromSummary;
  try {
    const fromBody = excerptAround(await bodyText(entry.url), words, folds, false);
    if (fromBody) return fromBody;
  } catch {
    // The page could not be fetched: the summary still describes the result.
  }
  return excerptAround(entry.summary, words, folds, true);
}

let optionIds = 0;

/** Wires one search box (the header's or the search page's) to its result list. */
function attach({ form, input, list, status, popup, more, all, limit, onQuery }) {
  let entries = [];
  let active = -1;
  let run = 0;
  let shown = 0;
  let current = { words: [], hits: [] };

  const open = (yes) => {
    if (popup) popup.hidden = !yes;
    input.setAttribute('aria-expanded', String(yes && list.children.length > 0));
  };
  const select = (index) => {
    const items = [...list.children];
    if (items.length === 0) return;
    active = (index + items.length) % items.length;
    items.forEach((item, i) => item.setAttribute('aria-selected', String(i === active)));
    input.setAttribute('aria-activedescendant', items[active].id);
    items[active].scrollIntoView({ block: 'nearest' });
  };
  const clearSelection = () => {
    active = -1;
    input.removeAttribute('aria-activedescendant');
  };

  async function render(from, to, token) {
    const m = await manifest();
    const slice = current.hits.slice(from, to);
    const found = await Promise.all(slice.map((hit) => pageEntry(hit.page)));
    if (token !== run) return;
    for (const entry of found) {
      const item = document.createElement('li');
      item.id = `search-option-${(optionIds += 1)}`;
      item.className = 'search-result';
      item.setAttribute('role', 'option');
      item.setAttribute('aria-selected', 'false');
      const link = document.createElement('a');
      link.href = entry.url;
      const title = document.createElement('span');
      title.className = 'search-result-title';
      title.append(highlighted(entry.title, current.words, m.folds));
      const meta = document.createElement('span');
      meta.className = 'search-result-meta';
      meta.append(highlighted(`${entry.speakers} · ${entry.category}`, current.words, m.folds));
      const text = document.createElement('span');
      text.className = 'search-result-excerpt';
      text.append(highlighted(excerptAround(entry.summary, current.words, m.folds, true), current.words, m.folds));
      link.append(title, meta, text);
      item.append(link);
      list.append(item);
      entries.push(entry);
      const words = current.words;
      excerpt(entry, words, m.folds).then((best) => {
        if (token === run) text.replaceChildren(highlighted(best, words, m.folds));
      });
    }
    shown = to;
    if (more) more.hidden = shown >= current.hits.length;
  }

  async function update() {
    const query = input.value;
    const token = (run += 1);
    onQuery?.(query);
    let result;
    try {
      result = await search(query);
    } catch (err) {
      if (token !== run) return;
      status.textContent = `Search is unavailable: ${err.message}`;
      list.replaceChildren();
      open(true);
      return;
    }
    if (token !== run) return;
    current = result;
    entries = [];
    clearSelection();
    list.replaceChildren();
    const n = result.hits.length;
    if (result.words.length === 0) {
      status.textContent = query.trim() === '' ? '' : 'Type at least two letters or digits.';
    } else {
      status.textContent = n === 0 ? `No results for “${query.trim()}”.` : `${n} result${n === 1 ? '' : 's'} for “${query.trim()}”.`;
    }
    await render(0, Math.min(n, limit), token);
    if (token !== run) return;
    if (all) {
      all.hidden = n <= limit;
      all.href = `${new URL('search/', SITE).href}?q=${encodeURIComponent(query)}`;
      all.textContent = `All ${n} results`;
    }
    open(query.trim() !== '');
    list.dataset.query = query;
  }

  input.addEventListener('input', update);
  input.addEventListener('focus', () => {
    manifest().catch(() => {});
    if (popup && input.value.trim() !== '' && list.dataset.query === input.value) open(true);
  });
  input.addEventListener('keydown', (event) => {
    if (event.key === 'ArrowDown' || event.key === 'ArrowUp') {
      event.preventDefault();
      if (popup?.hidden && list.children.length > 0) open(true);
      select(active + (event.key === 'ArrowDown' ? 1 : -1));
    } else if (event.key === 'Enter' && active >= 0) {
      event.preventDefault();
      window.location.assign(entries[active].url);
    } else if (event.key === 'Escape') {
      if (popup && !popup.hidden) {
        event.preventDefault();
        clearSelection();
        open(false);
      } else if (!popup && input.value !== '') {
        event.preventDefault();
        input.value = '';
        update();
      }
    }
  });
  if (popup) {
    form.addEventListener('focusout', (event) => {
      if (!form.contains(event.relatedTarget)) open(false);
    });
  } else {
    form.addEventListener('submit', (event) => {
      event.preventDefault();
      update();
    });
  }
  more?.addEventListener('click', () => render(shown, Math.min(current.hits.length, shown + limit), run));
  return { input, update };
}

function init() {
  const boxes = [];
  const pageForm = document.querySelector('form[data-search-page]');
  if (pageForm) {
    const box = attach({
      form: pageForm,
      input: pageForm.querySelector('.search-input'),
      list: pageForm.querySelector('.search-results'),
      status: pageForm.querySelector('.search-status'),
      more: pageForm.querySelector('.search-more'),
      limit: PAGE_RESULTS,
      onQuery: (query) => {
        const url = new URL(window.location.href);
        if (query === '') url.searchParams.delete('q');
        else url.searchParams.set('q', query);
        window.history.replaceState(null, '', url);
      },
    });
    const q = new URLSearchParams(window.location.search).get('q');
    if (q) {
      box.input.value = q;
      box.update();
    }
    boxes.push(box);
  }
  const headerForm = document.querySelector('form[data-search-box]');
  if (headerForm) {
    boxes.push(attach({
      form: headerForm,
      input: headerForm.querySelector('.search-input'),
      list: headerForm.querySelector('.search-results'),
      status: headerForm.querySelector('.search-status'),
      popup: headerForm.querySelector('.search-popup'),
      all: headerForm.querySelector('.search-all'),
      limit: POPUP_RESULTS,
    }));
  }
  document.addEventListener('keydown', (event) => {
    if (event.key !== '/' || event.ctrlKey || event.metaKey || event.altKey || boxes.length === 0) return;
    const target = event.target;
    if (target instanceof Element && (target.closest('input, textarea, select') || target.isContentEditable)) return;
    event.preventDefault();
    boxes[0].input.focus();
    boxes[0].input.select();
  });
}

init();
