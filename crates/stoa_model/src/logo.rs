//! Community logos: the image types Stoa accepts and serves, and their limits.

use std::fmt;

use serde::{Deserialize, Serialize};

/// Largest logo accepted, in bytes (256 KiB; the database refuses larger ones too).
pub const MAX_LOGO_BYTES: usize = 256 * 1024;
/// Longest side accepted, in pixels (a logo is shown at 48 px; 1024 leaves room for
/// high-density screens and refuses decompression bombs).
pub const MAX_LOGO_SIDE: u32 = 1024;

/// The raster formats a logo may have. No SVG: it is a document that can carry script.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum LogoType {
    /// PNG.
    Png,
    /// JPEG.
    Jpeg,
    /// WebP.
    Webp,
    /// GIF.
    Gif,
}

impl LogoType {
    /// Every type.
    pub const ALL: [LogoType; 4] = [LogoType::Png, LogoType::Jpeg, LogoType::Webp, LogoType::Gif];

    /// The media type it is stored and served as.
    pub fn as_str(self) -> &'static str {
        match self {
            LogoType::Png => "image/png",
            LogoType::Jpeg => "image/jpeg",
            LogoType::Webp => "image/webp",
            LogoType::Gif => "image/gif",
        }
    }

    /// Parses a stored media type.
    pub fn parse(value: &str) -> Option<LogoType> {
        LogoType::ALL.into_iter().find(|t| t.as_str() == value)
    }
}

impl fmt::Display for LogoType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The path a community's logo is served at; `version` changes with the image, so the URL
/// of one image never changes meaning and can be cached for good.
pub fn logo_path(slug: &str, version: &str) -> String {
    format!("/communities/{slug}/logo?v={version}")
}
