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
