//! Golden renders of the three fixture hubs. Re-bless after an intended change with
//! `STOA_BLESS=1 cargo test -p stoa_hubs --test hubs golden`, then review the diff.

use std::path::PathBuf;

use stoa_hubs::{render_local_json, render_z2jh};

use crate::fixtures::{all, render_context, sizes};

fn check(name: &str, actual: &str) {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/golden")
        .join(name);
    if std::env::var_os("STOA_BLESS").is_some() {
        std::fs::write(&path, actual).unwrap();
        return;
    }
    let expected = std::fs::read_to_string(&path).unwrap_or_else(|e| {
        panic!(
            "{}: {e}; run with STOA_BLESS=1 to create it",
            path.display()
        )
    });
    assert!(
        expected == actual,
        "{} differs from the render; if the change is intended, re-bless with STOA_BLESS=1.\n{}",
        path.display(),
        similar::TextDiff::from_lines(expected.as_str(), actual)
            .unified_diff()
            .header("golden", "render")
    );
}

#[test]
fn golden_renders() {
    let sizes = sizes();
    for (name, spec) in all() {
        check(
            &format!("{name}.local.json"),
            &render_local_json(&spec, &render_context(&sizes)).unwrap(),
        );
        check(
            &format!("{name}.z2jh.yaml"),
            &render_z2jh(&spec, &render_context(&sizes)).unwrap(),
        );
    }
}
