//! `serve`'s request path handling: whatever the request line holds, a path
//! that is accepted stays inside the site.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(raw) = std::str::from_utf8(data) else {
        return;
    };
    if let Ok(path) = copbook::serve::clean_path(raw) {
        assert!(path.starts_with('/'), "{raw:?} -> {path:?}");
        assert!(!path.contains('\0'), "{raw:?} -> {path:?}");
        assert!(!path.contains('\\'), "{raw:?} -> {path:?}");
        assert!(!path.contains('?') || raw.contains("%3f") || raw.contains("%3F"));
        assert!(
            !path.split('/').any(|seg| seg == ".." || seg == "."),
            "{raw:?} -> {path:?}"
        );
        // Decoding never adds segments: an encoded `/` is refused.
        let raw_path = raw.split(['?', '#']).next().unwrap_or("");
        assert_eq!(
            path.matches('/').count(),
            raw_path.matches('/').count(),
            "{raw:?} -> {path:?}"
        );
    }
});
