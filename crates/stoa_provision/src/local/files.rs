//! The hub's config file and templates, compiled into Stoa (`crates/stoa_provision/hub/`), so
//! a hub always runs the config of the Stoa that started it, and a Stoa upgrade reaches
//! every hub at its next start.

use std::path::Path;

/// Every shipped file: path inside the hub's folder, contents.
pub const FILES: &[(&str, &str)] = &[
    (
        "jupyterhub_config.py",
        include_str!("../../hub/jupyterhub_config.py"),
    ),
    (
        "templates/page.html",
        include_str!("../../hub/templates/page.html"),
    ),
    (
        "templates/login.html",
        include_str!("../../hub/templates/login.html"),
    ),
    (
        "templates/home.html",
        include_str!("../../hub/templates/home.html"),
    ),
    (
        "templates/error.html",
        include_str!("../../hub/templates/error.html"),
    ),
    (
        "templates/stoa.html",
        include_str!("../../hub/templates/stoa.html"),
    ),
];

/// Writes the shipped files into `root` (readable by the hub; they hold no secret).
pub fn write_all(root: &Path) -> std::io::Result<()> {
    for (name, contents) in FILES {
        let path = root.join(name);
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent)?;
        }
        if std::fs::read(&path).ok().as_deref() != Some(contents.as_bytes()) {
            super::write_atomic(&path, contents.as_bytes(), 0o644)?;
        }
    }
    Ok(())
}
