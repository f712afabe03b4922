// End-to-end browser tests for copbook, run by tests/browser.rs against a
// running `copbook serve` of a temporary copy of the example handbook:
//
//   node tests/browser/run.mjs http://127.0.0.1:PORT/ <book dir>
//
// It drives Debian's chromium (never a downloaded browser) through
// playwright-core, prints one line per check ("ok", "FAIL" or "SKIP") and
// exits 1 when any check failed. SKIP is for a feature the site does not
// have yet (the check says which); it does not fail the run.
//
// COPBOOK_BIN is the copbook binary, for the checks that build a site of
// their own (tests/browser.rs sets it; without it they are skipped).
// COPBOOK_CHROMIUM overrides the browser binary (default /usr/bin/chromium);
// COPBOOK_BROWSER_ONLY=1,7 runs only those checks (5, console errors, is
// always on), for quick iterations on one part of the site.

import { chromium } from "playwright-core";
import { createRequire } from "node:module";
import { execFileSync } from "node:child_process";
import crypto from "node:crypto";
import fs from "node:fs";
import http from "node:http";
import os from "node:os";
import path from "node:path";

const require = createRequire(import.meta.url);
const AXE = require.resolve("axe-core/axe.min.js");
const CHROMIUM = process.env.COPBOOK_CHROMIUM || "/usr/bin/chromium";
const PHONE_SHOT = "/tmp/copbook-phone.png";
const AXE_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"];
/** Any single wait gives up after this long. */
const WAIT = 10_000;
const ONLY = process.env.COPBOOK_BROWSER_ONLY ? process.env.COPBOOK_BROWSER_ONLY.split(",").map((s) => s.trim()) : null;

// Never hang a test run: a stuck browser fails the run instead.
setTimeout(() => {
  console.log("FAIL - watchdog: the browser checks took over 120 s");
  process.exit(1);
}, 120_000).unref();

const [baseArg, bookArg] = process.argv.slice(2);
if (!baseArg || !bookArg) {
  console.error("usage: node run.mjs http://127.0.0.1:PORT/ <book dir>");
  process.exit(2);
}
const BASE = baseArg.endsWith("/") ? baseArg : baseArg + "/";
const BOOK = path.resolve(bookArg);
const url = (p) => new URL(p.replace(/^\//, ""), BASE).href;
const pathOf = (u) => {
  try {
    return new URL(u).pathname;
  } catch {
    return u;
  }
};

// ---------------------------------------------------------------------------
// Reporting

const failures = [];
const skips = [];
let current = "setup";

function ok(msg) {
  console.log(`ok   - ${current}: ${msg}`);
}
function fail(msg) {
  failures.push(`${current}: ${msg}`);
  console.log(`FAIL - ${current}: ${msg}`);
}
function skip(msg) {
  skips.push(`${current}: ${msg}`);
  console.log(`SKIP: ${current}: ${msg}`);
}
function check(cond, msg, detail = "") {
  if (cond) ok(msg);
  else fail(detail ? `${msg} (${detail})` : msg);
  return cond;
}

/** Runs one numbered check; an exception fails it without stopping the run. */
async function section(name, fn) {
  current = name;
  if (ONLY && !ONLY.includes(name.split(" ")[0])) return;
  const t0 = Date.now();
  try {
    await fn();
  } catch (e) {
    fail(`threw: ${(e && e.stack) || e}`.split("\n").slice(0, 6).join("\n    "));
  }
  console.log(`     (${name}: ${((Date.now() - t0) / 1000).toFixed(1)} s)`);
}

// ---------------------------------------------------------------------------
// The browser

const profile = fs.mkdtempSync(path.join(os.tmpdir(), "copbook-chromium-"));
const context = await chromium
  .launchPersistentContext(profile, {
  executablePath: CHROMIUM,
  headless: true,
  args: [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-quic",
    "--no-first-run",
    "--disable-component-update",
    "--disable-sync",
  ],
  viewport: { width: 1280, height: 800 },
  timeout: 30_000,
  })
  .catch((e) => {
    console.log(`FAIL - setup: cannot launch ${CHROMIUM}: ${String(e.message || e).split("\n")[0]}`);
    fs.rmSync(profile, { recursive: true, force: true });
    process.exit(1);
  });
context.setDefaultTimeout(WAIT);
context.setDefaultNavigationTimeout(WAIT);

// Check 5 collects from every page for the whole run.
const consoleErrors = [];
/** URLs (full) whose own 404 is expected: the test asks for them on purpose. */
const expected404 = new Set();
/** The favicon 404 (the site has no favicon), reported as a note. */
const ignoredErrors = new Set();
function watch(page) {
  page.on("console", (msg) => {
    if (msg.type() !== "error") return;
    const where = msg.location()?.url || "";
    const text = msg.text();
    if (/\/favicon\.ico$/.test(where)) {
      ignoredErrors.add(`${text} [${pathOf(where)}]`);
      return;
    }
    if (expected404.has(where) && /status of 404/.test(text)) return;
    consoleErrors.push(`${pathOf(page.url())}: console error: ${text}${where ? ` [${pathOf(where)}]` : ""}`);
  });
  page.on("pageerror", (err) => {
    consoleErrors.push(`${pathOf(page.url())}: page error: ${String(err && err.message ? err.message : err)}`);
  });
}
context.on("page", watch);
for (const p of context.pages()) watch(p);

async function newPage() {
  const page = await context.newPage();
  await page.emulateMedia({ colorScheme: "light" });
  return page;
}

async function open(page, p) {
  const res = await page.goto(url(p), { waitUntil: "load" });
  return res;
}

/** The visible text of <main>, or "" when there is none. */
async function mainText(page) {
  return page.evaluate(() => document.querySelector("main")?.innerText ?? "");
}

// ---------------------------------------------------------------------------
// 1. Walking the onboarding path

await section("1 onboarding path", async () => {
  const page = await newPage();
  await open(page, "/start/");
  const begin = page.locator("main a").filter({ hasText: /^\s*Begin with step 1/ }).first();
  if (!check((await begin.count()) === 1, '/start/ has a "Begin with step 1" link in <main>')) return;
  await Promise.all([page.waitForEvent("load"), begin.click()]);

  const seen = []; // [k, n, path]
  let last = false;
  for (let i = 0; i < 60; i++) {
    const text = await mainText(page);
    const m = text.match(/\bstep (\d+) of (\d+)\b/i);
    if (!m) {
      fail(`${pathOf(page.url())} does not say "step k of n" in <main>`);
      break;
    }
    seen.push([Number(m[1]), Number(m[2]), pathOf(page.url())]);
    if (/That was the last step of the path/.test(text)) {
      last = true;
      break;
    }
    const next = page.locator("main a").filter({ hasText: /^\s*Next step/ }).first();
    if ((await next.count()) === 0) {
      fail(`${pathOf(page.url())} (step ${m[1]} of ${m[2]}) has neither a "Next step" link in <main> nor "That was the last step of the path"`);
      break;
    }
    const before = page.url();
    await Promise.all([page.waitForEvent("load"), next.click()]);
    if (page.url() === before) {
      fail(`"Next step" on ${pathOf(before)} did not leave the page`);
      break;
    }
  }
  const n = seen.length ? seen[0][1] : 0;
  const walk = seen.map(([k, nn, p]) => `${k}/${nn} ${p}`).join(", ");
  check(n > 0 && seen.every(([, nn]) => nn === n), `every step says the same n (${n})`, walk);
  check(
    seen.length === n && seen.every(([k], i) => k === i + 1),
    `saw step 1..${n} of ${n} in order`,
    walk,
  );
  check(last && seen.length > 0 && seen[seen.length - 1][0] === n, `ended on the last step, which says "That was the last step of the path"`, walk);
  if (seen.length) console.log(`     walked: ${walk}`);
  await page.close();
});

// ---------------------------------------------------------------------------
// 2. Searching for a role and opening it

async function searchFrom(page, from) {
  await open(page, from);
  const input = page.locator("form.search[role=search] input[type=search]#search");
  if ((await page.locator("#search").count()) === 0) {
    fail(`no #search on ${from} (contract: <form class="search" role="search"><input type="search" id="search">…, results in #search-results)`);
    return false;
  }
  if (!check((await input.count()) === 1, `${from}: #search is an <input type="search"> inside <form class="search" role="search">`)) return false;
  await input.click();
  await input.pressSequentially("facilitator", { delay: 20 });
  // A result link whose item carries the kind label "role": the text of an
  // element whose class names a kind, else the word "role" in the item.
  await page.evaluate(() => {
    window.__copbookIsRole = (a) => {
      const item = a.closest("li") || a;
      const label = item.querySelector("[class*=kind]");
      return label ? /^\s*roles?\s*$/i.test(label.textContent) : /\brole\b/i.test(item.innerText || "");
    };
  });
  const found = await page
    .waitForFunction(
      () => {
        const box = document.querySelector("#search-results");
        if (!box) return false;
        return [...box.querySelectorAll("a[href]")].some(window.__copbookIsRole);
      },
      null,
      { timeout: WAIT },
    )
    .then(() => true)
    .catch(() => false);
  if (!found) {
    const got = await page.evaluate(() => document.querySelector("#search-results")?.innerText ?? "(no #search-results element)");
    fail(`${from}: typing "facilitator" showed no result of kind role in #search-results within ${WAIT / 1000} s; it shows: ${JSON.stringify(got.slice(0, 300))}`);
    return false;
  }
  const links = page.locator("#search-results a[href]");
  const count = await links.count();
  let target = null;
  for (let i = 0; i < count; i++) {
    const a = links.nth(i);
    if (await a.evaluate((el) => window.__copbookIsRole(el))) {
      target = a;
      break;
    }
  }
  const label = (await target.innerText()).replace(/\s+/g, " ").trim();
  ok(`${from}: typing "facilitator" shows a role result: ${JSON.stringify(label)}`);
  await Promise.all([page.waitForEvent("load"), target.click()]);
  check(pathOf(page.url()).endsWith("/roles/facilitator/"), `${from}: the first role result opens /roles/facilitator/`, `it opened ${pathOf(page.url())}`);
  const h1 = (await page.locator("h1").first().innerText().catch(() => "")).trim();
  check(/^Facilitator$/i.test(h1), `${from}: the opened page's h1 says Facilitator`, `h1 is ${JSON.stringify(h1)}`);
  return true;
}

await section("2 search", async () => {
  const page = await newPage();
  // From the home page and from a page two folders down (relative paths).
  if (await searchFrom(page, "/")) await searchFrom(page, "/define/purpose/");
  await page.close();
});

// ---------------------------------------------------------------------------
// 3. Toggling dark mode

await section("3 dark mode toggle", async () => {
  const page = await newPage();
  await open(page, "/");
  const toggle = page.locator("header #theme-toggle");
  if ((await page.locator("#theme-toggle").count()) === 0) {
    fail('no #theme-toggle on / (contract: a <button id="theme-toggle"> in the header that sets data-theme on <html>, remembered in localStorage)');
    await page.close();
    return;
  }
  check((await toggle.count()) === 1, "#theme-toggle is in the header");
  check((await toggle.evaluate((el) => el.tagName)) === "BUTTON", "#theme-toggle is a <button>");
  const state = () =>
    page.evaluate(() => ({
      theme: document.documentElement.getAttribute("data-theme"),
      bg: getComputedStyle(document.body).backgroundColor,
    }));
  // Waits for the body colour to settle (a CSS transition may be running).
  const settled = async () => {
    let prev = await state();
    for (let i = 0; i < 40; i++) {
      await page.waitForTimeout(50);
      const now = await state();
      if (now.bg === prev.bg && now.theme === prev.theme) return now;
      prev = now;
    }
    return prev;
  };

  for (const scheme of ["light", "dark"]) {
    const opposite = scheme === "light" ? "dark" : "light";
    await page.evaluate(() => localStorage.clear());
    await page.emulateMedia({ colorScheme: scheme });
    await page.reload({ waitUntil: "load" });
    const before = await settled();
    check(before.theme === null || before.theme === scheme, `prefers-color-scheme ${scheme}: <html> starts without data-theme or with "${scheme}"`, `data-theme=${before.theme}`);
    await toggle.click();
    const after = await settled();
    check(after.theme === opposite, `prefers-color-scheme ${scheme}: a click sets data-theme="${opposite}"`, `data-theme=${after.theme}`);
    check(after.bg !== before.bg, `prefers-color-scheme ${scheme}: the body background changes (${before.bg} -> ${after.bg})`);
    await page.reload({ waitUntil: "load" });
    const reloaded = await settled();
    check(
      reloaded.theme === opposite && reloaded.bg === after.bg,
      `prefers-color-scheme ${scheme}: after a reload the choice is remembered (data-theme="${opposite}", ${after.bg})`,
      `data-theme=${reloaded.theme}, body ${reloaded.bg}`,
    );
    const stored = await page.evaluate(() => JSON.stringify(Object.assign({}, localStorage)));
    check(stored.includes(`"${opposite}"`), `prefers-color-scheme ${scheme}: localStorage holds the choice`, `localStorage=${stored}`);
    await toggle.click();
    const back = await settled();
    check(back.theme === scheme && back.bg === before.bg, `prefers-color-scheme ${scheme}: a second click goes back to ${scheme}`, `data-theme=${back.theme}, body ${back.bg}`);
  }
  // Leave no choice behind for the checks that follow.
  await page.evaluate(() => localStorage.clear());
  await page.close();
});

// ---------------------------------------------------------------------------
// 6. axe-core on every kind of page, light and dark

const AXE_PAGES = [
  ["home", "/"],
  ["phase page", "/define/"],
  ["answer page", "/define/purpose/"],
  ["answer page (stale)", "/commit/governance/"],
  ["members index", "/members/"],
  ["member page", "/members/amara/"],
  ["roles index (matrix)", "/roles/"],
  ["role page", "/roles/facilitator/"],
  ["role page (vacant)", "/roles/librarian/"],
  ["norms index", "/norms/"],
  ["norm page", "/norms/decisions/"],
  ["cases index", "/cases/"],
  ["case page", "/cases/amara/"],
  ["progress", "/progress/"],
  ["start", "/start/"],
  ["print", "/print/"],
  ["search", "/search/"],
  ["topics", "/topics/"],
  ["glossary", "/glossary/"],
  ["meetings", "/meetings/"],
  ["404", "/no-such-page/"],
];

await section("6 axe-core (WCAG 2.2 AA)", async () => {
  const page = await newPage();
  expected404.add(url("/no-such-page/"));
  let clean = 0;
  for (const scheme of ["light", "dark"]) {
    await page.emulateMedia({ colorScheme: scheme });
    for (const [kind, p] of AXE_PAGES) {
      const res = await open(page, p);
      const status = res ? res.status() : 0;
      const want = p === "/no-such-page/" ? 404 : 200;
      if (status !== want) fail(`${kind} ${p} answered ${status}, expected ${want}`);
      // Let any colour transition finish before contrast is measured.
      await page.evaluate(() => new Promise((r) => requestAnimationFrame(() => setTimeout(r, 50))));
      await page.addScriptTag({ path: AXE });
      const violations = await page.evaluate(async (tags) => {
        const r = await window.axe.run(document, { runOnly: { type: "tag", values: tags }, resultTypes: ["violations"] });
        return r.violations.map((v) => ({
          id: v.id,
          impact: v.impact,
          help: v.help,
          nodes: v.nodes.map((n) => ({ target: n.target.join(" "), impact: n.impact, summary: n.failureSummary || "" })),
        }));
      }, AXE_TAGS);
      const bad = violations.filter((v) => v.impact === "serious" || v.impact === "critical");
      const minor = violations.filter((v) => !bad.includes(v));
      if (bad.length === 0) {
        clean++;
        ok(`${scheme} ${kind} ${p}: no serious or critical violations${minor.length ? ` (minor/moderate: ${minor.map((v) => `${v.id}[${v.impact}]`).join(", ")})` : ""}`);
      } else {
        for (const v of bad) {
          const targets = v.nodes.slice(0, 12).map((n) => n.target);
          const more = v.nodes.length > 12 ? ` … and ${v.nodes.length - 12} more` : "";
          const why = (v.nodes[0]?.summary || "").split("\n").slice(0, 3).join(" ").replace(/\s+/g, " ").slice(0, 300);
          fail(`${scheme} ${kind} ${p}: ${v.id} [${v.impact}] ${v.help}: ${targets.join(" | ")}${more}${why ? `\n       first: ${why}` : ""}`);
        }
      }
    }
  }
  console.log(`     axe: ${clean} of ${AXE_PAGES.length * 2} page/scheme runs clean`);
  await page.close();
});

// ---------------------------------------------------------------------------
// 7. Phone: 360 x 740, no sideways scrolling

await section("7 phone 360px", async () => {
  const page = await newPage();
  await page.setViewportSize({ width: 360, height: 740 });
  for (const [kind, p] of [
    ["home", "/"],
    ["answer page", "/define/purpose/"],
    ["roles index", "/roles/"],
  ]) {
    await open(page, p);
    const r = await page.evaluate(() => {
      const W = document.documentElement.clientWidth;
      const scrollWidth = document.documentElement.scrollWidth;
      // The elements that stick out of the viewport while their parent does
      // not (the culprits), unless something between them and the page
      // scrolls sideways by itself (e.g. a table in its own scroll region).
      const name = (el) => {
        let s = el.tagName.toLowerCase();
        if (el.id) s += "#" + el.id;
        if (el.classList.length) s += "." + [...el.classList].join(".");
        return s;
      };
      // Whether a box is clipped by an ancestor that scrolls or clips
      // sideways. An absolutely positioned box escapes every such ancestor
      // below its containing block (e.g. a visually hidden .sr span inside a
      // scrolling table whose wrapper is not positioned).
      const clipped = (el) => {
        for (let cur = el; ; ) {
          const cs = getComputedStyle(cur);
          if (cs.position === "fixed") return false;
          let a = cur.parentElement;
          if (cs.position === "absolute") {
            while (a && a !== document.body && getComputedStyle(a).position === "static" && getComputedStyle(a).transform === "none") a = a.parentElement;
          }
          if (!a || a === document.body || a === document.documentElement) return false;
          if (getComputedStyle(a).overflowX !== "visible") return true;
          cur = a;
        }
      };
      const sticksOut = (el) => {
        const r = el.getBoundingClientRect();
        return r.width > 0 && r.right > W + 0.5;
      };
      const found = new Map(); // description -> [count, right edge]
      for (const el of document.body.querySelectorAll("*")) {
        if (!sticksOut(el) || clipped(el)) continue;
        const parent = el.parentElement;
        if (parent !== document.body && sticksOut(parent) && !clipped(parent)) continue;
        const chain = [];
        for (let a = el; a && a !== document.body; a = a.parentElement) chain.unshift(name(a));
        const pos = getComputedStyle(el).position;
        const key = `${chain.slice(-5).join(" > ")}${pos === "static" ? "" : ` (position: ${pos})`}`;
        const [n, right] = found.get(key) || [0, 0];
        found.set(key, [n + 1, Math.max(right, Math.round(el.getBoundingClientRect().right))]);
      }
      const culprits = [...found].slice(0, 8).map(([k, [n, right]]) => `${k}${n > 1 ? ` ×${n}` : ""}, right edge up to ${right}px`);
      return { scrollWidth, W, culprits };
    });
    check(
      r.scrollWidth <= 360,
      `${kind} ${p}: no sideways scrolling at 360px (scrollWidth ${r.scrollWidth})`,
      r.culprits.length ? `sticking out: ${r.culprits.join("; ")}` : "no single culprit found",
    );
    if (p === "/") {
      await page.screenshot({ path: PHONE_SHOT });
      console.log(`     screenshot of / at 360x740: ${PHONE_SHOT}`);
    }
  }
  await page.close();
});

// ---------------------------------------------------------------------------
// 8. Search after a redeploy, behind an HTTP cache like GitHub Pages

/**
 * Serves the folder `dir()` names at the time of each request, as GitHub
 * Pages does: `Cache-Control: max-age=600` and an ETag, 304 when it
 * matches.
 */
async function staticServer(dir) {
  const types = { ".html": "text/html; charset=utf-8", ".js": "text/javascript", ".css": "text/css", ".json": "application/json" };
  const server = http.createServer((req, res) => {
    const root = dir();
    let p = decodeURIComponent(new URL(req.url, "http://localhost").pathname);
    if (p.endsWith("/")) p += "index.html";
    const file = path.join(root, p);
    if (!file.startsWith(root + path.sep) || !fs.existsSync(file) || !fs.statSync(file).isFile()) {
      res.writeHead(404).end();
      return;
    }
    const body = fs.readFileSync(file);
    const etag = `"${crypto.createHash("sha1").update(body).digest("hex")}"`;
    const headers = { "Cache-Control": "max-age=600", ETag: etag, "Content-Type": types[path.extname(file)] || "application/octet-stream" };
    if (req.headers["if-none-match"] === etag) res.writeHead(304, headers).end();
    else res.writeHead(200, headers).end(body);
  });
  await new Promise((r) => server.listen(0, "127.0.0.1", r));
  return server;
}

await section("8 search after a redeploy", async () => {
  const bin = process.env.COPBOOK_BIN;
  if (!bin) return skip("COPBOOK_BIN is not set, so no site can be built (tests/browser.rs sets it)");
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "copbook-redeploy-"));
  let server = null;
  try {
    // Deploy 1 has the word on the purpose page, deploy 2 on the scope
    // page only: a result from a cached index of deploy 1 is stale.
    const book = path.join(tmp, "book");
    fs.cpSync(BOOK, book, { recursive: true });
    const page1 = path.join(book, "content", "01-define", "purpose.md");
    const page2 = path.join(book, "content", "01-define", "scope.md");
    const [text1, text2] = [fs.readFileSync(page1, "utf8"), fs.readFileSync(page2, "utf8")];
    const word = "quokkamascot";
    const deploy = (name) => {
      execFileSync(bin, ["build", book, "-d", path.join(tmp, name)], { stdio: "pipe" });
      return path.join(tmp, name);
    };
    fs.writeFileSync(page1, text1.replace(/\s*$/, `\n\nOur ${word} says hello.\n`));
    const first = deploy("one");
    fs.writeFileSync(page1, text1);
    fs.writeFileSync(page2, text2.replace(/\s*$/, `\n\nThe ${word} is out of scope.\n`));
    const second = deploy("two");
    let live = first;
    server = await staticServer(() => live);
    const origin = `http://127.0.0.1:${server.address().port}/`;
    const page = await newPage();
    // The result links for the word, on the page open at `at` (or on the
    // page as it is, with no `at`), once they are there.
    const results = async (at) => {
      if (at !== undefined) await page.goto(origin + at, { waitUntil: "load" });
      const list = page.locator("#search-results .search-list a[href]");
      // The box shows its last list until the new one replaces it whole:
      // emptied here, the links waited for are the new query's.
      await page.locator("#search").fill("");
      await page.evaluate(() => document.querySelector("#search-results .search-list")?.replaceChildren());
      await page.locator("#search").fill(word);
      await list.first().waitFor({ timeout: WAIT });
      return (await list.evaluateAll((as) => as.map((a) => a.getAttribute("href")))).join(" ");
    };
    const one = await results("");
    check(/purpose\//.test(one) && !/scope\//.test(one), `deploy 1: "${word}" finds the purpose page`, `links: ${one}`);
    live = second;
    const two = await results("members/");
    check(/scope\//.test(two) && !/purpose\//.test(two), `deploy 2, same browser cache: "${word}" finds the scope page, not deploy 1's purpose page`, `links: ${two}`);
    // A page left open across a deploy: within a minute it keeps the
    // index it has; after that its next query reads the new deploy's.
    live = first;
    const before = await results("norms/");
    live = second;
    const within = await results();
    await page.evaluate(() => {
      const real = Date.now;
      Date.now = () => real() + 120_000;
    });
    const after = await results();
    check(
      /purpose\//.test(before) && /purpose\//.test(within) && /scope\//.test(after) && !/purpose\//.test(after),
      "a page open across a deploy: its index for the first minute, then the new deploy's (scope page, not purpose)",
      `links: on deploy 1 ${before}; deploy 2 at once ${within}; two minutes later ${after}`,
    );
    // A page whose script is older than the index's format (a deploy of a
    // later copbook) says to reload rather than show wrong results.
    const meta = path.join(second, "search", "meta.json");
    fs.writeFileSync(meta, fs.readFileSync(meta, "utf8").replace(/"format":\d+/, '"format":99'));
    await page.goto(origin + "roles/", { waitUntil: "load" });
    await page.locator("#search").fill(word);
    const status = page.locator("#search-results .search-status");
    const said = await status.filter({ hasText: "reload the page" }).waitFor({ timeout: WAIT }).then(() => true, () => false);
    check(said, "an index in a format the page cannot read: the search box says to reload the page", `it says ${JSON.stringify(await status.innerText().catch(() => ""))}`);
    await page.close();
  } finally {
    server?.close();
    fs.rmSync(tmp, { recursive: true, force: true });
  }
});

// ---------------------------------------------------------------------------
// 4. An edit reaching an open page under serve

await section("4 live reload under serve", async () => {
  const file = path.join(BOOK, "content", "01-define", "purpose.md");
  const page = await newPage();
  // Short enough that the page scrolls.
  await page.setViewportSize({ width: 1280, height: 400 });
  await open(page, "/define/purpose/");
  await page.evaluate(() => {
    window.__copbookNotReloaded = true;
    window.scrollTo(0, document.documentElement.scrollHeight);
  });
  await page.waitForTimeout(100);
  const scrolled = await page.evaluate(() => window.scrollY);
  check(scrolled > 0, `scrolled to the bottom of /define/purpose/ (scrollY ${scrolled})`);
  const pageUrl = page.url();
  const sentence = `Browser test sentence ${Date.now().toString(36)}.`;
  const text = fs.readFileSync(file, "utf8");
  const tmp = path.join(path.dirname(file), `.purpose.md.${process.pid}.tmp`);
  fs.writeFileSync(tmp, text.replace(/\s*$/, "\n\n") + sentence + "\n");
  fs.renameSync(tmp, file);
  const t0 = Date.now();
  let shown = false;
  let reloaded = false;
  while (Date.now() - t0 < WAIT) {
    try {
      const s = await page.evaluate((needle) => ({
        shown: (document.querySelector("main")?.innerText ?? "").includes(needle),
        reloaded: window.__copbookNotReloaded !== true,
      }), sentence);
      shown = s.shown;
      reloaded = s.reloaded;
      if (shown) break;
    } catch {
      // The page is reloading: its context went away; ask again.
    }
    await page.waitForTimeout(100);
  }
  const took = ((Date.now() - t0) / 1000).toFixed(1);
  check(shown, `the open page shows the appended sentence by itself (after ${took} s)`, `not within ${WAIT / 1000} s`);
  if (shown) {
    check(reloaded, "it got there by a reload of the page");
    check(page.url() === pageUrl, "the page stayed at /define/purpose/", `now at ${page.url()}`);
    let y = 0;
    for (let i = 0; i < 30 && y === 0; i++) {
      y = await page.evaluate(() => window.scrollY).catch(() => 0);
      if (y === 0) await page.waitForTimeout(50);
    }
    check(y > 0, `the scroll position is kept across the reload (scrollY ${y}, was ${scrolled})`);
  }
  await page.close();
});

// ---------------------------------------------------------------------------
// 5. No console errors anywhere in the run

current = "5 no console errors";
if (consoleErrors.length === 0) ok("no console errors or page errors on any page visited");
else for (const e of [...new Set(consoleErrors)]) fail(e);
for (const e of ignoredErrors) console.log(`     note: ignored console error: ${e}`);

// ---------------------------------------------------------------------------

await context.close();
fs.rmSync(profile, { recursive: true, force: true });
console.log("");
if (skips.length) console.log(`${skips.length} skipped:\n  ${skips.join("\n  ")}`);
if (failures.length) {
  console.log(`${failures.length} failed:\n  ${failures.join("\n  ")}`);
  process.exit(1);
}
console.log("all browser checks passed");
