//! Community logos uploaded to Stoa and served from its own origin (no third-party image
//! host learns who looks at a community). The type is sniffed from the bytes, never taken
//! from the upload's name or declared type; only raster formats are accepted (an SVG is a
//! document that can carry script), and size and dimensions are bounded.

use sha2::{Digest, Sha256};
use stoa_db::logos::{self, Logo, NewLogo};
use stoa_db::{Conn, WriteTx};
use stoa_model::logo::{LogoType, MAX_LOGO_BYTES, MAX_LOGO_SIDE, logo_path};
use stoa_model::{Action, Invalid};

use crate::{Ctx, DomainError, Result, access};

/// The form field the messages belong to.
const FIELD: &str = "logo";

fn refuse(message: impl Into<String>) -> Invalid {
    Invalid::field(FIELD, message)
}

/// What an image's first bytes say it is, and its width and height in pixels; `None` when
/// it is not a complete header of an accepted format.
pub fn sniff(bytes: &[u8]) -> Option<(LogoType, u32, u32)> {
    let be16 = |i: usize| {
        bytes
            .get(i..i + 2)
            .map(|b| u32::from(u16::from_be_bytes([b[0], b[1]])))
    };
    let le16 = |i: usize| {
        bytes
            .get(i..i + 2)
            .map(|b| u32::from(u16::from_le_bytes([b[0], b[1]])))
    };
    let be32 = |i: usize| {
        bytes
            .get(i..i + 4)
            .map(|b| u32::from_be_bytes([b[0], b[1], b[2], b[3]]))
    };
    let le24 = |i: usize| {
        bytes
            .get(i..i + 3)
            .map(|b| u32::from_le_bytes([b[0], b[1], b[2], 0]))
    };
    if bytes.starts_with(b"\x89PNG\r\n\x1a\n") {
        // The first chunk must be IHDR: width and height, big-endian.
        if bytes.get(12..16) != Some(b"IHDR") {
            return None;
        }
        return Some((LogoType::Png, be32(16)?, be32(20)?));
    }
    if bytes.starts_with(b"GIF87a") || bytes.starts_with(b"GIF89a") {
        return Some((LogoType::Gif, le16(6)?, le16(8)?));
    }
    if bytes.starts_with(b"\xff\xd8\xff") {
        // Walk the segments to the first start-of-frame marker, which holds the size.
        let mut i = 2;
        while i + 4 <= bytes.len() {
            if bytes[i] != 0xff {
                return None;
            }
            let marker = bytes[i + 1];
            if marker == 0xff {
                i += 1; // fill byte
                continue;
            }
            let len = usize::try_from(be16(i + 2)?).ok()?;
            let is_sof = matches!(marker, 0xc0..=0xcf) && !matches!(marker, 0xc4 | 0xc8 | 0xcc);
            if is_sof {
                return Some((LogoType::Jpeg, be16(i + 7)?, be16(i + 5)?));
            }
            if len < 2 {
                return None;
            }
            i += 2 + len;
        }
        return None;
    }
    if bytes.get(0..4) == Some(b"RIFF") && bytes.get(8..12) == Some(b"WEBP") {
        return match bytes.get(12..16)? {
            // Lossy: a key frame's start code, then 14-bit sizes.
            b"VP8 " if bytes.get(23..26) == Some(b"\x9d\x01\x2a") => {
                Some((LogoType::Webp, le16(26)? & 0x3fff, le16(28)? & 0x3fff))
            }
            // Lossless: signature 0x2f, then 14-bit sizes minus one, packed.
            b"VP8L" if bytes.get(20) == Some(&0x2f) => {
                let b = bytes.get(21..25)?;
                let bits = u32::from_le_bytes([b[0], b[1], b[2], b[3]]);
                Some((
                    LogoType::Webp,
                    (bits & 0x3fff) + 1,
                    ((bits >> 14) & 0x3fff) + 1,
                ))
            }
            // Extended: 24-bit canvas sizes minus one.
            b"VP8X" => Some((LogoType::Webp, le24(24)? + 1, le24(27)? + 1)),
            _ => None,
        };
    }
    None
}

/// Checks an upload: size, type (from the bytes), dimensions.
pub fn check(bytes: &[u8]) -> Result<(LogoType, u32, u32), Invalid> {
    if bytes.is_empty() {
        return Err(refuse("Choose an image file to upload."));
    }
    if bytes.len() > MAX_LOGO_BYTES {
        return Err(refuse(format!(
            "The image is {} KiB; a logo may be at most {} KiB.",
            bytes.len().div_ceil(1024),
            MAX_LOGO_BYTES / 1024
        )));
    }
    let Some((kind, width, height)) = sniff(bytes) else {
        return Err(refuse(
            "That file is not a PNG, JPEG, WebP or GIF image (SVG and other formats are not \
             accepted, whatever the file is called).",
        ));
    };
    if width == 0 || height == 0 || width > MAX_LOGO_SIDE || height > MAX_LOGO_SIDE {
        return Err(refuse(format!(
            "The image is {width}×{height} pixels; a logo may be at most \
             {MAX_LOGO_SIDE}×{MAX_LOGO_SIDE}."
        )));
    }
    Ok((kind, width, height))
}

/// Sets or replaces the logo of community `slug` (its admins); returns the logo's path.
pub async fn upload(ctx: &Ctx, tx: &mut WriteTx, slug: &str, bytes: &[u8]) -> Result<String> {
    let access = access::change(ctx, tx, slug, Action::UpdateCommunity).await?;
    let me = ctx.caller()?;
    let (kind, width, height) = check(bytes)?;
    let version = hex::encode(&Sha256::digest(bytes)[..8]);
    let c = &access.community;
    let before = logos::info(tx.conn(), c.id).await?;
    let new = NewLogo {
        content_type: kind,
        bytes,
        version: &version,
        width,
        height,
    };
    logos::set(tx.conn(), c.id, &new, me.id, ctx.now).await?;
    let state = |t: LogoType, v: &str, size: i64| serde_json::json!({"type": t, "version": v, "bytes": size});
    let size = i64::try_from(bytes.len()).unwrap_or(i64::MAX);
    let mut entry = access
        .audit(me, "community.logo_set", &c.name)
        .after(state(kind, &version, size));
    if let Some(old) = &before {
        entry = entry.before(state(old.content_type, &old.version, old.size));
    }
    entry.record(tx.conn(), ctx.now).await?;
    Ok(logo_path(&c.slug, &version))
}

/// Removes the logo of community `slug` (its admins); refused when there is none.
pub async fn remove(ctx: &Ctx, tx: &mut WriteTx, slug: &str) -> Result<()> {
    let access = access::change(ctx, tx, slug, Action::UpdateCommunity).await?;
    let me = ctx.caller()?;
    let c = &access.community;
    let Some(old) = logos::info(tx.conn(), c.id).await? else {
        return Err(DomainError::invalid(FIELD, "This community has no logo."));
    };
    logos::remove(tx.conn(), c.id).await?;
    access
        .audit(me, "community.logo_removed", &c.name)
        .before(serde_json::json!({"type": old.content_type, "version": old.version, "bytes": old.size}))
        .record(tx.conn(), ctx.now)
        .await?;
    Ok(())
}

/// The logo of community `slug`, for whoever may see its page.
pub async fn get(ctx: &Ctx, mut conn: Conn<'_>, slug: &str) -> Result<Logo> {
    let access = access::community(ctx, conn.reborrow(), slug, Action::ViewCommunityPage).await?;
    logos::get(conn, access.community.id)
        .await?
        .ok_or(DomainError::NotFound)
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    /// A 1×1 PNG (transparent pixel).
    pub(crate) const PNG_1X1: &[u8] = &[
        0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0x00, 0x00, 0x00, 0x0d, 0x49, 0x48, 0x44,
        0x52, 0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x01, 0x08, 0x06, 0x00, 0x00, 0x00, 0x1f,
        0x15, 0xc4, 0x89, 0x00, 0x00, 0x00, 0x0d, 0x49, 0x44, 0x41, 0x54, 0x78, 0x9c, 0x63, 0x00,
        0x01, 0x00, 0x00, 0x05, 0x00, 0x01, 0x0d, 0x0a, 0x2d, 0xb4, 0x00, 0x00, 0x00, 0x00, 0x49,
        0x45, 0x4e, 0x44, 0xae, 0x42, 0x60, 0x82,
    ];

    fn png(width: u32, height: u32) -> Vec<u8> {
        let mut b = PNG_1X1.to_vec();
        b[16..20].copy_from_slice(&width.to_be_bytes());
        b[20..24].copy_from_slice(&height.to_be_bytes());
        b
    }

    #[test]
    fn sniffs_each_accepted_format() {
        assert_eq!(sniff(PNG_1X1), Some((LogoType::Png, 1, 1)));
        assert_eq!(sniff(&png(300, 200)), Some((LogoType::Png, 300, 200)));
        let gif = b"GIF89a\x20\x00\x10\x00\x80\x00\x00";
        assert_eq!(sniff(gif), Some((LogoType::Gif, 32, 16)));
        // JPEG: SOI, an APP0 segment, then SOF0 with height 40, width 64.
        let mut jpeg = vec![0xff, 0xd8, 0xff, 0xe0, 0x00, 0x04, 0x00, 0x00];
        jpeg.extend_from_slice(&[0xff, 0xc0, 0x00, 0x0b, 0x08, 0x00, 0x28, 0x00, 0x40, 0x01]);
        assert_eq!(sniff(&jpeg), Some((LogoType::Jpeg, 64, 40)));
        let mut vp8x = b"RIFF\0\0\0\0WEBPVP8X\x0a\0\0\0\0\0\0\0".to_vec();
        vp8x.extend_from_slice(&[0x7f, 0, 0, 0x3f, 0, 0]);
        assert_eq!(sniff(&vp8x), Some((LogoType::Webp, 128, 64)));
        let mut vp8l = b"RIFF\0\0\0\0WEBPVP8L\0\0\0\0\x2f".to_vec();
        let bits: u32 = 99 | (49 << 14);
        vp8l.extend_from_slice(&bits.to_le_bytes());
        assert_eq!(sniff(&vp8l), Some((LogoType::Webp, 100, 50)));
        let mut vp8 = b"RIFF\0\0\0\0WEBPVP8 \0\0\0\0\0\0\0\x9d\x01\x2a".to_vec();
        vp8.extend_from_slice(&[0x20, 0x00, 0x10, 0x00]);
        assert_eq!(sniff(&vp8), Some((LogoType::Webp, 32, 16)));
    }

    #[test]
    fn refuses_what_is_not_an_accepted_image() {
        let svg = br#"<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>"#;
        let html = b"<html><script>alert(1)</script></html>";
        for bad in [
            &svg[..],
            &html[..],
            b"",
            b"\x89PNG\r\n\x1a\n",
            b"GIF89a",
            b"\xff\xd8\xff",
        ] {
            let err = check(bad).unwrap_err();
            assert_eq!(err.fields(), ["logo"], "{bad:?}");
        }
        assert!(check(svg).unwrap_err().to_string().contains("SVG"));
    }

    #[test]
    fn bounds_size_and_dimensions() {
        assert!(check(&png(MAX_LOGO_SIDE, MAX_LOGO_SIDE)).is_ok());
        assert!(check(&png(MAX_LOGO_SIDE + 1, 10)).is_err());
        assert!(check(&png(10, 0)).is_err());
        let mut big = png(10, 10);
        big.resize(MAX_LOGO_BYTES, 0);
        assert!(check(&big).is_ok(), "exactly the limit is accepted");
        big.push(0);
        let err = check(&big).unwrap_err();
        assert!(err.to_string().contains("at most 256 KiB"), "{err}");
    }
}
