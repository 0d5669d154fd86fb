//! The announcement: Markdown written by a community admin, shown as HTML on the hub's front
//! page and in Stoa's preview.
//!
//! Decisions (the front page is visited by everybody who signs in, so the announcement must
//! not be a way to run script or track readers):
//! - Raw HTML in the Markdown is shown as text, not interpreted: `<b>` appears as `<b>`.
//! - Images are never embedded. An image from another origin would tell that server who reads
//!   the page; an image becomes a link to it, labelled with its alt text.
//! - Links may be `http`, `https` or `mailto` only, absolute (a relative link would point into
//!   the hub, not to what the author meant), and get `rel="noopener nofollow noreferrer"`.
//! - Headings start at `<h3>`, below the page's own headings.
//! - The output goes through ammonia's allow-list as a second line of defence, so even a
//!   pulldown-cmark bug cannot let an attribute or tag through that is not listed here.

use std::collections::{HashMap, HashSet};

use pulldown_cmark::{Event, HeadingLevel, LinkType, Options, Parser, Tag, TagEnd};

const TAGS: &[&str] = &[
    "p",
    "br",
    "hr",
    "em",
    "strong",
    "del",
    "code",
    "pre",
    "blockquote",
    "ul",
    "ol",
    "li",
    "a",
    "h3",
    "h4",
    "h5",
    "h6",
    "table",
    "thead",
    "tbody",
    "tr",
    "th",
    "td",
];

fn demote(level: HeadingLevel) -> HeadingLevel {
    match level {
        HeadingLevel::H1 => HeadingLevel::H3,
        HeadingLevel::H2 => HeadingLevel::H4,
        HeadingLevel::H3 => HeadingLevel::H5,
        _ => HeadingLevel::H6,
    }
}

/// The announcement's Markdown as sanitised HTML (empty for an empty announcement). The same
/// input always gives the same bytes, so renders stay deterministic.
pub fn announcement_html(markdown: &str) -> String {
    if markdown.trim().is_empty() {
        return String::new();
    }
    let options = Options::ENABLE_STRIKETHROUGH | Options::ENABLE_TABLES;
    let events = Parser::new_ext(markdown, options).map(|event| match event {
        // Raw HTML is shown as the text that was typed.
        Event::Html(html) | Event::InlineHtml(html) => Event::Text(html),
        Event::Start(Tag::Image {
            dest_url, title, ..
        }) => Event::Start(Tag::Link {
            link_type: LinkType::Inline,
            dest_url,
            title,
            id: "".into(),
        }),
        Event::End(TagEnd::Image) => Event::End(TagEnd::Link),
        Event::Start(Tag::Heading {
            level,
            id,
            classes,
            attrs,
        }) => Event::Start(Tag::Heading {
            level: demote(level),
            id,
            classes,
            attrs,
        }),
        Event::End(TagEnd::Heading(level)) => Event::End(TagEnd::Heading(demote(level))),
        other => other,
    });
    let mut html = String::new();
    pulldown_cmark::html::push_html(&mut html, events);

    let mut attributes = HashMap::new();
    attributes.insert("a", HashSet::from(["href", "title"]));
    attributes.insert("ol", HashSet::from(["start"]));
    ammonia::Builder::empty()
        .tags(TAGS.iter().copied().collect())
        .tag_attributes(attributes)
        .url_schemes(HashSet::from(["http", "https", "mailto"]))
        .url_relative(ammonia::UrlRelative::Deny)
        .link_rel(Some("noopener nofollow noreferrer"))
        .clean(&html)
        .to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_text_and_links() {
        let html = announcement_html(
            "**Maintenance** on *Friday*: see [the plan](https://example.org/plan).",
        );
        assert_eq!(
            html,
            "<p><strong>Maintenance</strong> on <em>Friday</em>: see <a href=\"https://example.org/plan\" rel=\"noopener nofollow noreferrer\">the plan</a>.</p>\n"
        );
        assert_eq!(announcement_html("  \n"), "");
    }

    #[test]
    fn raw_html_is_text() {
        let html = announcement_html("<script>alert(1)</script>\n\nHi <b onclick=x>there</b>");
        assert!(!html.contains("<script"), "{html}");
        assert!(!html.contains("<b"), "{html}");
        assert!(html.contains("&lt;script&gt;"), "{html}");
        assert!(html.contains("&lt;b onclick=x&gt;"), "{html}");
    }

    #[test]
    fn images_become_links_and_bad_schemes_go() {
        let html = announcement_html("![a cat](https://tracker.example/cat.png)");
        assert!(!html.contains("<img"), "{html}");
        assert!(
            html.contains("<a href=\"https://tracker.example/cat.png\""),
            "{html}"
        );
        assert!(html.contains(">a cat</a>"), "{html}");
        for bad in [
            "[x](javascript:alert(1))",
            "[x](data:text/html;base64,PHNjcmlwdD4=)",
            "[x](/hub/admin)",
            "[x](vbscript:msgbox)",
        ] {
            let html = announcement_html(bad);
            assert!(!html.contains("href"), "{bad}: {html}");
        }
        assert!(
            announcement_html("<mailto:help@example.org>")
                .contains("href=\"mailto:help@example.org\"")
        );
    }

    #[test]
    fn headings_are_demoted_and_tables_kept() {
        let html = announcement_html("# Big\n\n| a | b |\n|:-|-:|\n| 1 | 2 |\n");
        assert!(html.starts_with("<h3>Big</h3>"), "{html}");
        assert!(
            html.contains("<table>") && html.contains("<td>2</td>"),
            "{html}"
        );
        assert!(!html.contains("style"), "{html}");
    }
}
