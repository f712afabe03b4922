//! copbook: a static-site generator for Community of Practice handbooks.
//!
//! Data flows one way: [`load`] reads files into typed records, [`resolve`]
//! builds one immutable [`resolve::Handbook`], [`render`] turns it into
//! pages in memory, and [`write`] swaps them into the build dir.

pub mod build;
pub mod cli;
pub mod diag;
pub mod external;
pub mod feed;
pub mod fields;
pub mod fingerprint;
pub mod frontmatter;
pub mod glossary;
pub mod incremental;
pub mod linkcheck;
pub mod load;
pub mod markdown;
pub mod meetings;
pub mod model;
pub mod render;
pub mod resolve;
pub mod review;
pub mod scaffold;
pub mod search;
pub mod serve;
pub mod slots;
pub mod source;
pub mod templates;
pub mod theme;
pub mod topics;
pub mod urls;
pub mod write;

/// A hash map keyed by what the build itself names: ids, source and
/// output paths, document keys. foldhash instead of the standard SipHash,
/// whose protection against keys crafted to collide guards nothing here
/// (a handbook's author can only slow their own build) and which was 2%
/// of a build's instructions. Seeded per process, as the standard map
/// is, so that nothing comes to depend on an iteration order.
pub(crate) type Map<K, V> = std::collections::HashMap<K, V, foldhash::fast::RandomState>;
/// The set of [`Map`].
pub(crate) type Set<K> = std::collections::HashSet<K, foldhash::fast::RandomState>;

/// The options the `copbook` binary (src/main.rs) gives jemalloc, its
/// allocator for one-pass commands, as jemalloc reads them: a C string
/// for `_rjem_malloc_conf`. One arena per CPU: jemalloc's default of four
/// per CPU spreads a build's blocks thinner and was 4–9% slower on 2
/// cores (docs/benchmarks.md). Here so that the benchmarks that stand in
/// for a build (examples/search_cost.rs) run on the same settings.
pub const JEMALLOC_OPTIONS: &[u8] = b"percpu_arena:percpu\0";
