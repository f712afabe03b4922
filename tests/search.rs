//! The search index (`copbook::search`) and its browser client
//! (`themes/default/search.js`), on the `good` fixture: folding, kinds,
//! ranking, phases, shards and excerpts; then the client itself, run in
//! node with `fetch` served from the index files.

mod common;

use copbook::model::Date;
use copbook::search;
use serde_json::Value;
use std::collections::BTreeMap;
use std::path::Path;
use std::process::Command;

/// The index of the `good` fixture: output path -> JSON.
fn index() -> BTreeMap<String, Value> {
    let today = Date::parse(common::TODAY).expect("a date");
    let checked = copbook::build::check(&common::fixture("good"), today, false)
        .unwrap_or_else(|e| panic!("not a book: {}", e.0));
    assert!(
        checked.report.errors.is_empty(),
        "{:?}",
        checked.report.errors
    );
    search::build_index(&checked.handbook)
        .into_iter()
        .map(|f| {
            let v: Value = serde_json::from_slice(&f.bytes)
                .unwrap_or_else(|e| panic!("{} is not JSON: {e}", f.path));
            (f.path, v)
        })
        .collect()
}

/// Decodes a postings string: (doc, weighted tf, length).
fn decode(p: &str, norm: f64) -> Vec<(u64, u64, f64)> {
    let digit = |c: u8| {
        search::ALPHABET
            .iter()
            .position(|&a| a == c)
            .expect("a digit") as u64
    };
    let b = p.as_bytes();
    let num = |i: &mut usize| {
        let (mut v, mut shift) = (0u64, 0);
        loop {
            let d = digit(b[*i]);
            *i += 1;
            v |= (d & 31) << shift;
            shift += 5;
            if d < 32 {
                return v;
            }
        }
    };
    let mut out = Vec::new();
    let (mut i, mut doc) = (0, 0);
    while i < b.len() {
        doc += num(&mut i);
        let tf = num(&mut i);
        let len = norm.powi(digit(b[i]) as i32);
        i += 1;
        out.push((doc, tf, len));
    }
    out
}

/// The client's lookup and ranking, for one word: (doc id, score), best
/// first.
fn query(ix: &BTreeMap<String, Value>, word: &str) -> Vec<(u64, f64)> {
    let meta = &ix["search/meta.json"];
    let mut key = String::new();
    search::fold(word, &mut key);
    let shard_of = |k: &str| {
        let shards = meta["shards"].as_array().expect("shards");
        let i = shards
            .iter()
            .rposition(|s| s.as_str().expect("a key") <= k)
            .unwrap_or(0);
        &ix[&format!("search/idx-{i}.json")]
    };
    let sh = shard_of(&key);
    let stem = match sh["w"].get(&key) {
        Some(s) => s.as_str().expect("a stem").to_owned(),
        None => key.clone(),
    };
    let Some(p) = shard_of(&stem)["p"].get(&stem) else {
        return Vec::new();
    };
    let (n, avgdl, k1, b, norm) = (
        meta["n"].as_f64().unwrap(),
        meta["avgdl"].as_f64().unwrap(),
        meta["k1"].as_f64().unwrap(),
        meta["b"].as_f64().unwrap(),
        meta["norm"].as_f64().unwrap(),
    );
    let postings = decode(p.as_str().expect("postings"), norm);
    let df = postings.len() as f64;
    let idf = (1.0 + (n - df + 0.5) / (df + 0.5)).ln();
    let mut out: Vec<(u64, f64)> = postings
        .into_iter()
        .map(|(doc, tf, dl)| {
            let tf = tf as f64;
            (
                doc,
                idf * tf * (k1 + 1.0) / (tf + k1 * (1.0 - b + b * dl / avgdl)),
            )
        })
        .collect();
    out.sort_by(|a, b| b.1.total_cmp(&a.1));
    out
}

/// Document `id`: the `id % group`th of its group's file.
fn doc(ix: &BTreeMap<String, Value>, id: u64) -> &Value {
    let group = ix["search/meta.json"]["group"]
        .as_u64()
        .expect("a group size");
    &ix[&format!("search/doc-{}.json", id / group)][(id % group) as usize]
}

fn title(ix: &BTreeMap<String, Value>, id: u64) -> &str {
    doc(ix, id)["t"].as_str().expect("a title")
}

fn kind(ix: &BTreeMap<String, Value>, id: u64) -> String {
    let kinds = ix["search/meta.json"]["kinds"].as_object().expect("kinds");
    kinds
        .iter()
        .find(|(_, r)| r[0].as_u64().unwrap() <= id && id < r[1].as_u64().unwrap())
        .map(|(k, _)| k.clone())
        .expect("every doc has a kind")
}

fn id_of(ix: &BTreeMap<String, Value>, url: &str) -> u64 {
    (0..)
        .find(|&i| doc(ix, i)["u"] == url)
        .expect("a doc with that URL")
}

#[test]
fn a_folded_name_finds_the_member() {
    let ix = index();
    for q in ["kovac", "Kovač", "KOVAC"] {
        let hits = query(&ix, q);
        // The member, then the page that links to him ("[[luka]]" reads
        // as his name).
        assert_eq!(hits.len(), 2, "{q}: {hits:?}");
        assert_eq!(title(&ix, hits[0].0), "Luka Kovač");
        assert_eq!(title(&ix, hits[1].0), "Purpose");
        assert_eq!(kind(&ix, hits[0].0), "member");
        assert_eq!(doc(&ix, hits[0].0)["u"], "members/luka/");
    }
    // Organisation and expertise are indexed too.
    let hits = query(&ix, "glossaries");
    assert_eq!(title(&ix, hits[0].0), "Amara Okafor");
    let hits = query(&ix, "riverton");
    assert_eq!(title(&ix, hits[0].0), "Amara Okafor");
}

#[test]
fn a_role_title_finds_the_role_first() {
    let ix = index();
    let hits = query(&ix, "facilitator");
    assert_eq!(title(&ix, hits[0].0), "Facilitator");
    assert_eq!(kind(&ix, hits[0].0), "role");
    // The member who holds it is found too.
    assert!(hits.iter().any(|h| title(&ix, h.0) == "Luka Kovač"));
    // "Organised" in the coordinator's summary is found as "organise".
    let hits = query(&ix, "organised");
    assert_eq!(title(&ix, hits[0].0), "Coordinator");
    let hits = query(&ix, "consent");
    assert_eq!(kind(&ix, hits[0].0), "norm");
}

#[test]
fn a_question_ranks_above_a_mention() {
    let ix = index();
    // "When do we meet?" is a question of ways-of-working; purpose.md says
    // "facilitates our meetings" once in its body.
    let hits = query(&ix, "meet");
    let rank = |url: &str| {
        let id = id_of(&ix, url);
        hits.iter().position(|h| h.0 == id).expect("found")
    };
    assert!(
        rank("plan/ways-of-working/") < rank("define/purpose/"),
        "{hits:?}"
    );
}

#[test]
fn phases_and_kinds_are_id_ranges() {
    let ix = index();
    let meta = &ix["search/meta.json"];
    assert_eq!(meta["format"], search::FORMAT);
    let phases = meta["phases"].as_array().expect("phases");
    let slugs: Vec<&str> = phases.iter().map(|p| p["slug"].as_str().unwrap()).collect();
    assert_eq!(slugs, ["define", "plan"]);
    let in_phase = |url: &str, slug: &str| {
        let id = id_of(&ix, url);
        let p = phases.iter().find(|p| p["slug"] == slug).unwrap();
        p["start"].as_u64().unwrap() <= id && id < p["end"].as_u64().unwrap()
    };
    assert!(in_phase("define/purpose/", "define"));
    assert!(in_phase("define/community/", "define"));
    assert!(in_phase("plan/ways-of-working/", "plan"));
    assert!(!in_phase("plan/ways-of-working/", "define"));
    assert_eq!(kind(&ix, id_of(&ix, "define/purpose/")), "page");
    assert_eq!(kind(&ix, id_of(&ix, "norms/meetings/")), "norm");
    assert_eq!(kind(&ix, id_of(&ix, "cases/amara/")), "case");
    // Every document is in a group, the groups in id order, each full
    // but the last.
    let n = meta["n"].as_u64().unwrap();
    let group = meta["group"].as_u64().unwrap();
    assert_eq!(group, search::DOC_GROUP as u64);
    let groups = ix.keys().filter(|k| k.starts_with("search/doc-")).count() as u64;
    assert_eq!(groups, n.div_ceil(group));
    for g in 0..groups {
        let len = ix[&format!("search/doc-{g}.json")]
            .as_array()
            .unwrap()
            .len() as u64;
        assert_eq!(len, group.min(n - g * group), "group {g}");
    }
    assert_eq!(
        doc(&ix, n - 1)["u"].as_str().map(str::is_empty),
        Some(false)
    );
}

#[test]
fn shards_are_small_and_cover_the_keys() {
    let ix = index();
    let shards = ix["search/meta.json"]["shards"].as_array().expect("shards");
    assert_eq!(shards[0], "");
    for (i, first) in shards.iter().enumerate() {
        let sh = &ix[&format!("search/idx-{i}.json")];
        let size = serde_json::to_string(sh).unwrap().len();
        assert!(size <= search::SHARD_BYTES * 2, "shard {i}: {size} bytes");
        let next = shards.get(i + 1).and_then(Value::as_str);
        for part in ["w", "p"] {
            for key in sh[part].as_object().expect("an object").keys() {
                assert!(
                    key.as_str() >= first.as_str().unwrap(),
                    "{key} in shard {i}"
                );
                assert!(next.is_none_or(|n| key.as_str() < n), "{key} in shard {i}");
            }
        }
    }
}

#[test]
fn excerpts_are_plain_text() {
    let ix = index();
    let x = |url: &str| {
        doc(&ix, id_of(&ix, url))["x"]
            .as_str()
            .expect("text")
            .to_owned()
    };
    let purpose = x("define/purpose/");
    assert!(
        purpose.starts_with("Agreed at the launch workshop"),
        "{purpose}"
    );
    // Labels and titles stay, syntax goes.
    assert!(purpose.contains("how we decide"), "{purpose}");
    assert!(purpose.contains("Luka Kovač facilitates"), "{purpose}");
    assert!(purpose.contains("See the coordinator for"), "{purpose}");
    for syntax in ["[[", "]]", "](", "<!--", "##", ".md"] {
        assert!(!purpose.contains(syntax), "{syntax} in {purpose}");
    }
    let community = x("define/community/");
    assert!(community.contains("Chen Wei joined last"), "{community}");
    // A record's excerpt starts with its fields.
    let amara = x("members/amara/");
    assert!(
        amara.starts_with("Riverton City Council data governance glossaries Coordinator"),
        "{amara}"
    );
}

/// The client, in node, on the fixture's index: ranking, filters,
/// prefixes and excerpts.
#[test]
fn the_client_ranks_and_filters() {
    if node_missing() {
        return;
    }
    let dir = tempfile::tempdir().expect("a temp dir");
    write_index(&common::fixture("good"), dir.path());
    let out = run_client(HARNESS, &[dir.path()]);
    let results: Value = serde_json::from_str(&out).expect("JSON from the harness");
    let get = |q: &str| {
        results
            .as_array()
            .unwrap()
            .iter()
            .find(|r| r["q"] == q)
            .unwrap_or_else(|| panic!("no result for {q}"))
    };
    let first = |q: &str| get(q)["top"][0].clone();

    assert_eq!(first("kovac")["title"], "Luka Kovač");
    assert_eq!(first("kovac")["kind"], "member");
    assert_eq!(first("kovac")["url"], "members/luka/");
    assert_eq!(first("Kovač")["title"], "Luka Kovač");
    assert_eq!(first("facilitator")["kind"], "role");
    // A form the book does not use finds the word it uses.
    assert_eq!(first("coordinators")["title"], "Coordinator");
    assert_eq!(first("organising")["title"], "Coordinator");
    // Filters: kinds, and a phase (pages of that phase only).
    let roles = get("coordinator roles");
    assert!(
        roles["top"]
            .as_array()
            .unwrap()
            .iter()
            .all(|r| r["kind"] == "role")
    );
    assert_eq!(roles["top"][0]["title"], "Coordinator");
    let plan = get("meet in plan");
    assert_eq!(plan["count"], 1, "{plan}");
    assert_eq!(plan["top"][0]["url"], "plan/ways-of-working/");
    // The question outranks the mention.
    let meet = get("meet pages");
    let urls: Vec<&str> = meet["top"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["url"].as_str().unwrap())
        .collect();
    let pos = |u: &str| urls.iter().position(|x| *x == u).unwrap_or(usize::MAX);
    assert!(
        pos("plan/ways-of-working/") < pos("define/purpose/"),
        "{urls:?}"
    );
    // The last word typed is a prefix; two words rank docs with both first.
    assert_eq!(first("facil")["title"], "Facilitator");
    assert_eq!(first("data clinics")["title"], "Luka Kovač");
    // The excerpt marks the match.
    let ex = first("consent")["excerpt"].as_str().unwrap().to_owned();
    assert!(ex.contains("[consent]"), "{ex}");
    assert_eq!(get("nothingmatchesthis")["count"], 0);
}

/// The client revalidates `meta.json` (its name is fixed, so a copy
/// cached from the last deploy would pair new pages with an old index),
/// asks for every other file with the index's version, and says "reload"
/// to an index in a format it cannot read instead of reading it wrongly.
#[test]
fn the_client_revalidates_meta_and_refuses_another_format() {
    if node_missing() {
        return;
    }
    let tmp = tempfile::tempdir().expect("a temp dir");
    let (good_dir, old_dir) = (tmp.path().join("good"), tmp.path().join("old"));
    write_index(&common::fixture("good"), &good_dir);
    with_format(&good_dir, &old_dir, search::FORMAT - 1);
    let run = |dir: &Path| {
        let out = run_client(FETCH_HARNESS, &[dir]);
        serde_json::from_str::<Value>(&out).expect("JSON from the harness")
    };
    let meta: Value =
        serde_json::from_slice(&std::fs::read(good_dir.join("search/meta.json")).unwrap()).unwrap();
    let version = meta["version"].as_str().expect("a version").to_owned();
    let good = run(&good_dir);
    assert_eq!(good["error"], Value::Null, "{good}");
    assert_eq!(good["format"], search::FORMAT, "the client's FORMAT");
    assert_eq!(good["title"], "Luka Kovač", "{good}");
    let calls = good["calls"].as_array().expect("calls");
    assert_eq!(
        calls[0],
        serde_json::json!(["search/meta.json", true]),
        "meta.json first, revalidated: {good}"
    );
    assert!(calls.len() >= 3, "a shard and a document too: {good}");
    for c in &calls[1..] {
        let url = c[0].as_str().unwrap();
        assert!(
            url.ends_with(&format!("?v={version}")) && c[1] == false,
            "every other file by version, from the cache: {c}"
        );
    }

    let old = run(&old_dir);
    assert_eq!(old["error"], "Outdated", "{old}");
    assert_eq!(old["calls"].as_array().map(Vec::len), Some(1), "{old}");
}

/// A page left open across a deploy: its client keeps the index it has
/// for a minute, then asks for `meta.json` again before a query, and on a
/// new version reads only the new index's files (none of the old ones it
/// fetched); an index in a format it cannot read then says "reload".
#[test]
fn an_open_page_moves_to_a_new_deploy_s_index() {
    if node_missing() {
        return;
    }
    let tmp = tempfile::tempdir().expect("a temp dir");
    // Deploy 1 is the fixture; in deploy 2 Luka Kovač is Luka Horvat.
    let book = tmp.path().join("book");
    common::copy_dir(&common::fixture("good"), &book);
    let deploy = |name: &str| {
        let dir = tmp.path().join(name);
        write_index(&book, &dir);
        dir
    };
    let one = deploy("one");
    let luka = book.join("content/members/luka.md");
    let text = std::fs::read_to_string(&luka).unwrap();
    std::fs::write(&luka, text.replace("Luka Kovač", "Luka Horvat")).unwrap();
    let two = deploy("two");
    // Deploy 3: an index of a later format.
    let three = tmp.path().join("three");
    with_format(&two, &three, 99);
    let out = run_client(REDEPLOY_HARNESS, &[&one, &two, &three]);
    let steps: Value = serde_json::from_str(&out).expect("JSON from the harness");
    let step = |n: usize| &steps[n];
    let title = |n: usize| step(n)["titles"][0].clone();
    assert_eq!(title(0), "Luka Kovač", "deploy 1: {}", step(0));
    assert_eq!(
        step(1)["metas"],
        0,
        "deploy 2 is live, 30 s later: no new request for meta.json: {}",
        step(1)
    );
    assert_eq!(
        title(1),
        "Luka Kovač",
        "still deploy 1's index, whole: {}",
        step(1)
    );
    assert_eq!(
        step(2)["metas"],
        1,
        "61 s later: meta.json again: {}",
        step(2)
    );
    assert_eq!(title(2), "Luka Horvat", "deploy 2's index: {}", step(2));
    assert!(
        step(2)["dirs"]
            .as_array()
            .unwrap()
            .iter()
            .all(|d| d == "two"),
        "every file of that query from deploy 2: {}",
        step(2)
    );
    assert_eq!(step(3)["count"], 0, "deploy 2 has no Kovač: {}", step(3));
    assert_eq!(
        step(4)["error"],
        "Outdated",
        "deploy 3's format: {}",
        step(4)
    );
}

/// Steps of `REDEPLOY_HARNESS`: a query at a time (s) on a deploy (0, 1
/// or 2 of the folders given), with the meta.json requests it made and the
/// deploys its files came from.
const REDEPLOY_HARNESS: &str = r#"
const fs = require("fs"), path = require("path");
const S = require(process.argv[2]);
const dirs = process.argv.slice(3);
let live = 0, t = 0, metas = 0, from = [];
const get = (u, fresh) => {
  if (u.endsWith("meta.json")) metas++;
  from.push(path.basename(dirs[live]));
  return Promise.resolve(JSON.parse(fs.readFileSync(path.join(dirs[live], u.split("?")[0]), "utf8")));
};
const s = S.createSearch("", get, () => t);
const steps = [[0, 0, "kovac"], [1, 30, "kovac"], [1, 61, "horvat"], [1, 62, "kovac"], [2, 200, "horvat"]];
(async () => {
  const out = [];
  for (const [d, at, q] of steps) {
    [live, t, metas, from] = [d, at * 1000, 0, []];
    try {
      const r = await s.query(q);
      const titles = [];
      for (const x of r.slice(0, 3)) titles.push((await s.doc(x.id)).t);
      out.push({ q, count: r.length, titles, metas, dirs: from });
    } catch (e) {
      out.push({ q, error: e instanceof S.Outdated ? "Outdated" : String(e), metas });
    }
  }
  console.log(JSON.stringify(out));
})().catch((e) => { console.error(e); process.exit(1); });
"#;

const FETCH_HARNESS: &str = r#"
const fs = require("fs"), path = require("path");
const S = require(process.argv[2]);
const dir = process.argv[3], calls = [];
const get = (u, fresh) => {
  calls.push([u, fresh]);
  return Promise.resolve(JSON.parse(fs.readFileSync(path.join(dir, u.split("?")[0]), "utf8")));
};
(async () => {
  const s = S.createSearch("", get);
  let title = null, error = null;
  try {
    const r = await s.query("kovac");
    title = (await s.doc(r[0].id)).t;
  } catch (e) {
    error = e instanceof S.Outdated ? "Outdated" : String(e);
  }
  console.log(JSON.stringify({ calls, title, error, format: S.FORMAT }));
})().catch((e) => { console.error(e); process.exit(1); });
"#;

const HARNESS: &str = r#"
const fs = require("fs"), path = require("path");
const S = require(process.argv[2]);
const dir = process.argv[3];
const get = (u) => Promise.resolve(JSON.parse(fs.readFileSync(path.join(dir, u.split("?")[0]), "utf8")));
const queries = [
  ["kovac"], ["Kovač"], ["facilitator"], ["coordinators"], ["organising"], ["facil"], ["consent"], ["data clinics"], ["nothingmatchesthis"],
  ["coordinator roles", "coordinator", { kinds: ["role"] }],
  ["meet in plan", "meet", { phase: "plan" }],
  ["meet pages", "meet", { kinds: ["page"] }],
];
(async () => {
  const s = S.createSearch("", get), out = [];
  for (const [name, q, filter] of queries) {
    const r = await s.query(q || name, filter);
    const top = await Promise.all(r.slice(0, 5).map(async (x) => {
      const d = await s.doc(x.id);
      const ex = S.excerpt(d.x, x.stems).map((p, i) => (i % 2 ? "[" + p + "]" : p)).join("");
      return { kind: x.kind, phase: x.phase && x.phase.slug, title: d.t, url: d.u, excerpt: ex };
    }));
    out.push({ q: name, count: r.length, top });
  }
  console.log(JSON.stringify(out));
})().catch((e) => { console.error(e); process.exit(1); });
"#;

fn node_missing() -> bool {
    let missing = Command::new("node").arg("--version").output().is_err();
    if missing {
        eprintln!("node is not installed: skipping the search client test");
    }
    missing
}

/// The search index of the handbook at `book`, written under `dir`.
fn write_index(book: &Path, dir: &Path) {
    let today = Date::parse(common::TODAY).expect("a date");
    let checked = copbook::build::check(book, today, false).expect("a book");
    for f in search::build_index(&checked.handbook) {
        let p = dir.join(&f.path);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(p, f.bytes).unwrap();
    }
}

/// The index under `from`, copied to `to` with `format` in its meta.json.
fn with_format(from: &Path, to: &Path, format: u32) {
    common::copy_dir(from, to);
    let path = to.join("search/meta.json");
    let mut meta: Value = serde_json::from_slice(&std::fs::read(&path).unwrap()).unwrap();
    meta["format"] = format.into();
    std::fs::write(path, serde_json::to_vec(&meta).unwrap()).unwrap();
}

/// Runs `harness` in node with the client and `dirs` as its arguments;
/// what it printed.
fn run_client(harness: &str, dirs: &[&Path]) -> String {
    let tmp = tempfile::tempdir().expect("a temp dir");
    let script = tmp.path().join("harness.js");
    std::fs::write(&script, harness).unwrap();
    let out = Command::new("node")
        .arg(&script)
        .arg(common::repo_root().join("themes/default/search.js"))
        .args(dirs)
        .output()
        .expect("run node");
    assert!(
        out.status.success(),
        "node failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).expect("UTF-8")
}
