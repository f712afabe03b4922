// copbook search: a client of the index under search/ (see src/search.rs).
(() => {
"use strict";
const DIGITS = "0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ-_";
const KINDS = { page: "Page", member: "Member", role: "Role", norm: "Norm", case: "Case" };
const LATIN = { ß: "ss", æ: "ae", œ: "oe", ø: "o", ł: "l", đ: "d", ð: "d", þ: "th", ı: "i" };
const keys = (w) => {
  const low = w.toLowerCase();
  const a = low.normalize("NFD").replace(/\p{M}/gu, "").replace(/[ßæœøłđðþı]/g, (c) => LATIN[c]).replace(/[^a-z0-9]/g, "");
  const b = low.normalize("NFC").replace(/[^\p{L}\p{N}]/gu, "");
  return a && a !== b ? [a, b] : [b || a];
};
const words = (t) => t.split(/[^\p{L}\p{N}\p{M}_'’.:]+/u).map((w) => w.replace(/^[.:]+|[.:]+$/g, "")).filter(Boolean);

/** The index format this client reads (`FORMAT` in src/search.rs). */
const FORMAT = 2;
/** How long a page trusts the meta.json it has before a query asks again. */
const RECHECK_MS = 60_000;

/** An index this client cannot read: the page is older than the site. */
class Outdated extends Error {}

// `get(url, fresh)`: `fresh` asks the HTTP cache to check with the server
// first. meta.json has a fixed name and every other file is asked for with
// its version, so meta.json alone is revalidated (one 304 while nothing
// changed): a copy cached from an earlier deploy (GitHub Pages says
// `max-age=600`) would pair this deploy's pages with the last one's index.
// A page left open across a deploy asks again before a query once its
// copy is a minute old, and drops what it fetched when the version moved:
// it would otherwise mix the old index's files with the new one's.
// `now` is the clock (for the tests; Date.now is looked up at each call).
function createSearch(root, get, now = () => Date.now()) {
  get = get || ((u, fresh) => fetch(u, fresh ? { cache: "no-cache" } : {}).then((r) => { if (!r.ok) throw Error(u); return r.json(); }));
  let cache = {}, meta = null, checked = 0, pending = null;
  const load = (p) => { const u = root + "search/" + p + "?v=" + meta.version; return cache[u] || (cache[u] = get(u, false)); };
  const fetchMeta = () => get(root + "search/meta.json", true).then((m) => {
    if (m.format !== FORMAT) throw new Outdated("search index format " + m.format + ", this page reads " + FORMAT);
    checked = now();
    if (!meta || m.version !== meta.version) [meta, cache] = [m, {}];
    return meta;
  });
  const ask = () => pending || (pending = fetchMeta().finally(() => { pending = null; }));
  // What a query starts from: the meta it has while it is fresh, else
  // meta.json again (the one it has when that fails for want of a
  // network).
  const init = () => {
    if (meta && now() - checked < RECHECK_MS) return Promise.resolve(meta);
    return meta ? ask().catch((e) => { if (e instanceof Outdated) throw e; return meta; }) : ask();
  };
  const index = (key) => Math.max(0, meta.shards.findLastIndex((s) => s <= key));
  const shard = (i) => load("idx-" + i + ".json");
  async function lookup(key, prefix) {
    const i = index(key), ids = prefix && (meta.shards[i + 1] || "").startsWith(key) ? [i, i + 1] : [i];
    const shs = await Promise.all(ids.map(shard));
    let stem = shs[0].w[key] || (shs[0].p[key] !== undefined ? key : null);
    const stems = stem ? [stem] : [];
    let exact = stems.length;
    // A form the book does not use ("coordinators"): a shorter word of the
    // same stem ("coordinator" → "coordin").
    for (let d = 1; !stem && d < 4 && key.length - d > 2; d++) {
      const k = key.slice(0, -d), st = shs[0].w[k] || (shs[0].p[k] !== undefined ? k : "");
      if (st && key.startsWith(st.replace(/i$/, ""))) exact = stems.push((stem = st));
    }
    if (prefix && key.length > 1) for (const sh of shs) for (const k of Object.keys(sh.w).concat(Object.keys(sh.p))) {
      const st = sh.w[k] || k;
      if (stems.length < 8 && k.startsWith(key) && !stems.includes(st)) stems.push(st);
    }
    return Promise.all(stems.map(async (st, j) => [st, (await shard(index(st))).p[st] || "", j < exact ? 1 : 0.5]));
  }
  // Postings: [[doc, tf, length]].
  function decode(p) {
    let i = 0, doc = 0;
    const out = [], num = () => { let v = 0, f = 1, c; do { c = DIGITS.indexOf(p[i++]); v += (c & 31) * f; f *= 32; } while (c >= 32); return v; };
    while (i < p.length) out.push([(doc += num()), num(), meta.norm ** DIGITS.indexOf(p[i++])]);
    return out;
  }
  const kindOf = (id) => Object.keys(meta.kinds).find((k) => id >= meta.kinds[k][0] && id < meta.kinds[k][1]);
  const phaseOf = (id) => meta.phases.find((p) => id >= p.start && id < p.end) || null;
  async function query(q, filter = {}) {
    await init();
    const ws = words(q), stems = [];
    const terms = await Promise.all(ws.map(async (w, i) => {
      const ks = keys(w), last = i === ws.length - 1 && !/\s$/.test(q);
      stems.push(ks[0]);
      const r = await lookup(ks[0], last);
      return r.length || !ks[1] ? r : lookup(ks[1], last);
    }));
    const docs = new Map(), { n, k1, b, avgdl } = meta;
    terms.forEach((alts, t) => alts.forEach(([st, p, weight]) => {
      const ps = decode(p), idf = Math.log(1 + (n - ps.length + 0.5) / (ps.length + 0.5));
      stems.push(st);
      for (const [id, tf, dl] of ps) {
        const e = docs.get(id) || docs.set(id, []).get(id);
        e[t] = Math.max(e[t] || 0, weight * idf * tf * (k1 + 1) / (tf + k1 * (1 - b + b * dl / avgdl)));
      }
    }));
    const out = [];
    for (const [id, e] of docs) {
      const kind = kindOf(id), phase = phaseOf(id), s = e.filter((x) => x !== undefined);
      if ((filter.kinds && !filter.kinds.includes(kind)) || (filter.phase && phase?.slug !== filter.phase)) continue;
      out.push({ id, kind, phase, stems, matched: s.length, score: s.reduce((x, y) => x + y, 0) });
    }
    return out.sort((x, y) => y.matched - x.matched || y.score - x.score || x.id - y.id);
  }
  // Documents come in groups of meta.group consecutive ids, one file each.
  // A result's document comes from the index the query read: no check
  // here, which could move to another version between the two.
  const doc = (id) => (meta ? Promise.resolve(meta) : ask()).then((m) => load("doc-" + Math.floor(id / m.group) + ".json").then((g) => g[id % m.group]));
  return { init, query, doc };
}

// [text, match, text, …]: the text around the first match ("meeting" for
// the stem "meet", "community" for "communiti").
function excerpt(text, stems, size = 180) {
  text = text.replace(/\s+/g, " ");
  const re = /[\p{L}\p{N}_'’]+/gu;
  const hit = (w) => { const k = keys(w)[0]; return stems.some((s) => s && (k.startsWith(s) || (s.length > 3 && s.endsWith("i") && k.startsWith(s.slice(0, -1))))); };
  let m, at = -1, last = 0;
  while ((m = re.exec(text))) if (hit(m[0])) { at = m.index; break; }
  let start = at < 0 ? 0 : Math.max(0, at - size / 3);
  const end = Math.min(text.length, start + size);
  if (start > 0) start = text.indexOf(" ", start) + 1 || start;
  const cut = text.slice(start, end), parts = [];
  for (const w of cut.matchAll(new RegExp(re))) if (hit(w[0])) { parts.push(cut.slice(last, w.index), w[0]); last = w.index + w[0].length; }
  parts.push(cut.slice(last));
  if (start > 0) parts[0] = "…" + parts[0];
  if (end < text.length) parts[parts.length - 1] += "…";
  return parts;
}

if (typeof module === "object") module.exports = { createSearch, excerpt, keys, words, FORMAT, Outdated };
if (typeof document === "undefined") return;

const me = document.currentScript;
const root = me ? me.getAttribute("data-root") ?? (me.getAttribute("src") || "").replace(/[^/]*$/, "") : "";
const el = (tag, cls, text) => { const e = document.createElement(tag); if (cls) e.className = cls; if (text) e.textContent = text; return e; };
const href = (u) => { const h = root + u; return location.protocol === "file:" && (!h || h.endsWith("/")) ? h + "index.html" : h; };

function attach(form) {
  const input = form.querySelector('input[type="search"]');
  if (!input) return;
  let box = document.getElementById("search-results"), shown = 10, seq = 0, timer;
  if (!box) { box = el("div"); box.id = "search-results"; box.hidden = true; form.after(box); }
  box.innerHTML = '<div class="search-filters" role="group" aria-label="Filter results"></div><p class="search-status" role="status"></p><ol class="search-list"></ol><button type="button" class="search-more" hidden>More results</button>';
  const [filters, status, list, more] = box.children, search = createSearch(root), phase = el("select");
  const fail = (e) => {
    box.hidden = false;
    const browse = " Browse: " + ["members", "roles", "norms"].map((k) => `<a href="${href(k + "/")}">${k[0].toUpperCase() + k.slice(1)}</a>`).join(", ");
    status.innerHTML = (e instanceof Outdated ? "The handbook has changed since this page was loaded: reload the page to search it." : "Search needs the site served over HTTP.") + browse;
  };
  async function run() {
    const q = input.value.trim(), n = ++seq, kinds = [...filters.querySelectorAll("input:checked")].map((c) => c.value);
    box.hidden = !q;
    if (!q) return;
    let res, docs;
    try {
      res = await search.query(input.value, { kinds, phase: phase.value });
      // The list is replaced whole, once the results shown have their
      // titles and links: a result is never a link without a target.
      docs = await Promise.all(res.slice(0, shown).map((r) => search.doc(r.id)));
    } catch (e) { return fail(e); }
    if (n !== seq) return;
    status.textContent = (res.length ? res.length + (res.length > 1 ? " results" : " result") : "No results") + " for “" + q + "”";
    more.hidden = res.length <= shown;
    list.replaceChildren(...docs.map((d, j) => {
      const r = res[j], li = el("li"), a = el("a"), p = el("p", "search-excerpt");
      a.href = href(d.u);
      a.append(el("span", "search-kind search-kind-" + r.kind, KINDS[r.kind]), " ", el("span", "search-title", d.t));
      excerpt(d.x, r.stems).forEach((s, i) => p.append(i % 2 ? el("mark", "", s) : s));
      li.append(a, r.phase ? " " : "", r.phase ? el("span", "search-phase", r.phase.title) : "", p);
      return li;
    }));
  }
  more.onclick = () => { shown += 10; run(); };
  filters.onchange = run;
  input.addEventListener("input", () => { shown = 10; clearTimeout(timer); timer = setTimeout(run, 120); });
  form.addEventListener("submit", (e) => { e.preventDefault(); run(); });
  // Arrow keys move between the box and the result links; Escape closes.
  const nav = (e) => {
    const ls = [input, ...list.querySelectorAll("a")], i = ls.indexOf(document.activeElement);
    if (e.key === "Escape") { box.hidden = true; input.focus(); }
    if (i < 0 || !/^Arrow(Up|Down)$/.test(e.key)) return;
    e.preventDefault();
    (ls[e.key === "ArrowDown" ? i + 1 : i - 1] || ls[i]).focus();
  };
  form.addEventListener("keydown", nav);
  box.addEventListener("keydown", nav);
  search.init().then((m) => {
    filters.innerHTML = Object.keys(m.kinds).map((k) => `<label><input type="checkbox" checked value="${k}"> ${KINDS[k]}s</label>`).join("");
    if (m.phases.length) {
      const lab = el("label", "", "Phase ");
      phase.append(new Option("All phases", ""), ...m.phases.map((p) => new Option(p.title, p.slug)));
      lab.append(phase);
      filters.append(lab);
    }
    const q = new URLSearchParams(location.search).get("q");
    if (q && !input.value) input.value = q;
    if (input.value) run();
  }, (e) => input.addEventListener("focus", () => fail(e)));
}

const start = () => document.querySelectorAll("form.search").forEach(attach);
if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start); else start();
})();
