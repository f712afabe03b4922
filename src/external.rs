//! `copbook check --external`: the links to other sites written in the
//! handbook's Markdown, checked over HTTP(S).
//!
//! Each distinct URL (without its `#fragment`) is requested once, by a
//! small pool of threads. One host gets one request at a time and at most
//! one every [`ExternalOptions::per_host_interval`], so a handbook with a
//! hundred links to one wiki does not hammer it. A `HEAD` that fails is
//! retried as `GET` (many servers answer `HEAD` badly). A 4xx or 5xx
//! answer or a failed connection is an error at every place the URL is
//! written; 429 (too many requests) is only a warning.

use crate::diag::Diagnostic;
use crate::resolve::Handbook;
use crate::source::Loc;
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use std::collections::{BTreeMap, VecDeque};
use std::io::IsTerminal;
use std::sync::{Condvar, Mutex};
use std::time::{Duration, Instant};

#[derive(Clone, Debug)]
pub struct ExternalOptions {
    /// Requests in flight at once (to different hosts).
    pub concurrency: usize,
    /// The least time between two requests to one host.
    pub per_host_interval: Duration,
    /// The most one request may take, redirects included.
    pub timeout: Duration,
    /// Draw a progress bar on stderr (only when it is a terminal).
    pub progress: bool,
}

impl Default for ExternalOptions {
    fn default() -> Self {
        ExternalOptions {
            concurrency: 8,
            per_host_interval: Duration::from_millis(250),
            timeout: Duration::from_secs(20),
            progress: true,
        }
    }
}

/// Where a URL is written: source path and position.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct Place {
    pub path: String,
    pub loc: Loc,
}

/// What checking one URL found.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Outcome {
    Ok,
    /// The server answered with an error status (after redirects).
    Status(u16),
    /// No answer: DNS, connection, TLS or timeout.
    Unreachable(String),
}

/// What `check` reports beside its diagnostics.
#[derive(Debug, Default)]
pub struct Summary {
    pub urls: usize,
    pub hosts: usize,
    pub dead: usize,
}

/// Every external link of the handbook's Markdown, by URL without its
/// fragment, with every place it is written (in site order).
pub fn collect(hb: &Handbook) -> BTreeMap<String, Vec<Place>> {
    let keys = hb.documents();
    let mut urls: BTreeMap<String, Vec<Place>> = BTreeMap::new();
    for k in keys {
        let Some(doc) = hb.doc(k) else { continue };
        let src = &hb.sources[doc.file];
        for link in &doc.analysis.external {
            let url = link.target.split('#').next().unwrap_or_default();
            urls.entry(url.to_owned()).or_default().push(Place {
                path: src.path.clone(),
                loc: src.loc(doc.body_start + link.offset),
            });
        }
    }
    urls
}

/// `scheme://host:port`, lower case: what the rate limit is per.
pub fn host_of(url: &str) -> String {
    let (scheme, rest) = url.split_once("://").unwrap_or(("", url));
    let authority = rest.split(['/', '?', '#']).next().unwrap_or_default();
    let host = authority.rsplit_once('@').map_or(authority, |(_, h)| h);
    format!(
        "{}://{}",
        scheme.to_ascii_lowercase(),
        host.to_ascii_lowercase()
    )
}

/// One host's queue of URLs.
struct HostQueue {
    urls: VecDeque<String>,
    busy: bool,
    /// When the next request to this host may start.
    next: Instant,
}

/// Hands URLs to the workers, one host at a time and not too often.
struct Scheduler {
    state: Mutex<Vec<HostQueue>>,
    changed: Condvar,
    interval: Duration,
}

impl Scheduler {
    /// The next URL a worker may request now (waiting until one may), with
    /// its host's index; `None` when every URL is taken.
    fn take(&self) -> Option<(usize, String)> {
        let mut hosts = self.state.lock().unwrap_or_else(|e| e.into_inner());
        loop {
            let now = Instant::now();
            let mut earliest: Option<Instant> = None;
            let mut pending = false;
            for (i, h) in hosts.iter_mut().enumerate() {
                if h.urls.is_empty() {
                    continue;
                }
                pending = true;
                if h.busy {
                    continue;
                }
                if h.next <= now {
                    h.busy = true;
                    return h.urls.pop_front().map(|u| (i, u));
                }
                earliest = Some(earliest.map_or(h.next, |e| e.min(h.next)));
            }
            if !pending {
                return None;
            }
            hosts = match earliest {
                Some(t) => {
                    self.changed
                        .wait_timeout(hosts, t.saturating_duration_since(now))
                        .unwrap_or_else(|e| e.into_inner())
                        .0
                }
                None => self.changed.wait(hosts).unwrap_or_else(|e| e.into_inner()),
            };
        }
    }

    fn done(&self, host: usize) {
        let mut hosts = self.state.lock().unwrap_or_else(|e| e.into_inner());
        hosts[host].busy = false;
        hosts[host].next = Instant::now() + self.interval;
        drop(hosts);
        self.changed.notify_all();
    }
}

fn agent(timeout: Duration) -> ureq::Agent {
    ureq::Agent::config_builder()
        .timeout_global(Some(timeout))
        .http_status_as_error(false)
        .max_redirects(10)
        .user_agent(concat!(
            "copbook/",
            env!("CARGO_PKG_VERSION"),
            " (link check of a handbook)"
        ))
        .build()
        .into()
}

/// Requests `url`: `HEAD`, then `GET` when `HEAD` does not say 2xx/3xx.
fn fetch(agent: &ureq::Agent, url: &str) -> Outcome {
    let status = |r: Result<ureq::http::Response<ureq::Body>, ureq::Error>| match r {
        Ok(resp) => Ok(resp.status().as_u16()),
        Err(e) => Err(e.to_string()),
    };
    match status(agent.head(url).call()) {
        Ok(s) if s < 400 => return Outcome::Ok,
        // A server that cannot be reached by HEAD will not be by GET.
        Err(e) => return Outcome::Unreachable(e),
        Ok(_) => {}
    }
    match status(agent.get(url).call()) {
        Ok(s) if s < 400 => Outcome::Ok,
        Ok(s) => Outcome::Status(s),
        Err(e) => Outcome::Unreachable(e),
    }
}

/// Checks `urls` (as [`collect`] returns them) and returns one outcome per
/// URL, in the same order.
pub fn check_urls(urls: &[String], opts: &ExternalOptions) -> Vec<Outcome> {
    let mut by_host: BTreeMap<String, Vec<usize>> = BTreeMap::new();
    for (i, u) in urls.iter().enumerate() {
        by_host.entry(host_of(u)).or_default().push(i);
    }
    let now = Instant::now();
    let host_names: Vec<&String> = by_host.keys().collect();
    let sched = Scheduler {
        state: Mutex::new(
            by_host
                .values()
                .map(|ix| HostQueue {
                    urls: ix.iter().map(|&i| urls[i].clone()).collect(),
                    busy: false,
                    next: now,
                })
                .collect(),
        ),
        changed: Condvar::new(),
        interval: opts.per_host_interval,
    };
    let index: std::collections::HashMap<&str, usize> = urls
        .iter()
        .enumerate()
        .map(|(i, u)| (u.as_str(), i))
        .collect();
    let target = if opts.progress && std::io::stderr().is_terminal() {
        ProgressDrawTarget::stderr()
    } else {
        ProgressDrawTarget::hidden()
    };
    let bar = ProgressBar::with_draw_target(Some(urls.len() as u64), target);
    if let Ok(style) =
        ProgressStyle::with_template("{spinner} external links {pos}/{len} [{bar:30}] {wide_msg}")
    {
        bar.set_style(style.progress_chars("=> "));
    }
    bar.enable_steady_tick(Duration::from_millis(120));
    let results: Mutex<Vec<Option<Outcome>>> = Mutex::new(vec![None; urls.len()]);
    let agent = agent(opts.timeout);
    let workers = opts.concurrency.clamp(1, 64).min(host_names.len().max(1));
    std::thread::scope(|s| {
        for _ in 0..workers {
            s.spawn(|| {
                while let Some((host, url)) = sched.take() {
                    bar.set_message(host_names[host].clone());
                    let outcome = fetch(&agent, &url);
                    sched.done(host);
                    bar.inc(1);
                    if let Some(&i) = index.get(url.as_str()) {
                        results.lock().unwrap_or_else(|e| e.into_inner())[i] = Some(outcome);
                    }
                }
            });
        }
    });
    bar.finish_and_clear();
    results
        .into_inner()
        .unwrap_or_else(|e| e.into_inner())
        .into_iter()
        .map(|o| o.unwrap_or_else(|| Outcome::Unreachable("not checked".into())))
        .collect()
}

/// Checks every external link of `hb`: diagnostics at each place a dead
/// URL is written, and what was checked.
pub fn check(hb: &Handbook, opts: &ExternalOptions) -> (Vec<Diagnostic>, Summary) {
    let all = collect(hb);
    let urls: Vec<String> = all.keys().cloned().collect();
    let outcomes = check_urls(&urls, opts);
    let mut diags = Vec::new();
    let mut summary = Summary {
        urls: urls.len(),
        hosts: {
            let mut h: Vec<String> = urls.iter().map(|u| host_of(u)).collect();
            h.sort();
            h.dedup();
            h.len()
        },
        dead: 0,
    };
    for ((url, places), outcome) in all.iter().zip(outcomes) {
        let (message, warning) = match outcome {
            Outcome::Ok => continue,
            Outcome::Status(429) => (
                format!(
                    "external link `{url}` was not checked: the server answered 429 Too Many Requests"
                ),
                true,
            ),
            Outcome::Status(s) => (
                format!(
                    "dead external link `{url}`: the server answered {s}{}",
                    reason(s)
                ),
                false,
            ),
            Outcome::Unreachable(e) => (
                format!("dead external link `{url}`: cannot reach it ({e})"),
                false,
            ),
        };
        if !warning {
            summary.dead += 1;
        }
        for p in places {
            diags.push(if warning {
                Diagnostic::warning(p.path.clone(), p.loc, message.clone())
            } else {
                Diagnostic::error(p.path.clone(), p.loc, message.clone())
            });
        }
    }
    (diags, summary)
}

fn reason(status: u16) -> &'static str {
    match status {
        400 => " Bad Request",
        401 => " Unauthorized",
        403 => " Forbidden",
        404 => " Not Found",
        405 => " Method Not Allowed",
        410 => " Gone",
        500 => " Internal Server Error",
        502 => " Bad Gateway",
        503 => " Service Unavailable",
        504 => " Gateway Timeout",
        _ => "",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hosts_are_scheme_host_and_port() {
        assert_eq!(host_of("https://E.org/a?b#c"), "https://e.org");
        assert_eq!(host_of("http://u:p@e.org:8080/x"), "http://e.org:8080");
        assert_eq!(host_of("https://e.org"), "https://e.org");
    }
}
