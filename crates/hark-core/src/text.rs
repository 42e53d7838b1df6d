//! Safe HTML-to-text: what a post says, without its markup.
//!
//! Parsing goes through html5ever (via `scraper`), the same parser a browser would use, so
//! broken or hostile markup cannot smuggle a tag through. The walk is iterative, so deeply
//! nested input cannot exhaust the stack. Script, style and similar elements are dropped with
//! their content; entities are decoded; block elements and `<br>` become line breaks; runs of
//! white space fold to one space; control characters are removed.
//!
//! A browser-grade parser spends time proportional to the nesting depth on every tag, so a
//! hostile page of 100,000 nested `<div>`s would take it minutes. Input nested deeper than
//! [`MAX_PARSED_DEPTH`] is first flattened by a small tag stripper (linear, with the same
//! dropped and block elements), and only the tag-free remainder goes through the parser for
//! entity decoding.

use ego_tree::iter::Edge;
use scraper::{Html, Node};

/// Elements whose content is never text a person wrote.
const DROPPED: &[&str] = &["script", "style", "noscript", "template", "iframe", "object", "svg", "math", "head"];

/// Elements after which the text continues on a new line.
const BLOCKS: &[&str] = &[
    "p",
    "div",
    "br",
    "li",
    "ul",
    "ol",
    "h1",
    "h2",
    "h3",
    "h4",
    "h5",
    "h6",
    "tr",
    "blockquote",
    "pre",
    "section",
    "article",
    "header",
    "footer",
    "hr",
    "table",
    "dd",
    "dt",
    "figure",
    "figcaption",
];

/// Nesting beyond which markup is flattened before parsing.
pub const MAX_PARSED_DEPTH: usize = 256;

const VOID: &[&str] =
    &["br", "img", "hr", "input", "meta", "link", "wbr", "area", "base", "col", "embed", "source", "track", "param"];

/// Converts an HTML fragment (or plain text) to plain text.
pub fn html_to_text(html: &str) -> String {
    if estimated_depth(html) > MAX_PARSED_DEPTH {
        return parse_to_text(&strip_tags(html));
    }
    parse_to_text(html)
}

/// The name of the tag starting at `rest` (after `<` or `</`), lower case.
fn tag_name(rest: &str) -> String {
    rest.chars().take_while(|c| c.is_ascii_alphanumeric()).collect::<String>().to_ascii_lowercase()
}

/// An upper bound on how deep the elements nest, counted without parsing.
fn estimated_depth(html: &str) -> usize {
    let (mut depth, mut max) = (0usize, 0usize);
    let mut rest = html;
    while let Some(start) = rest.find('<') {
        rest = &rest[start + 1..];
        if let Some(closing) = rest.strip_prefix('/') {
            depth = depth.saturating_sub(usize::from(closing.starts_with(|c: char| c.is_ascii_alphabetic())));
        } else if rest.starts_with(|c: char| c.is_ascii_alphabetic()) && !VOID.contains(&tag_name(rest).as_str()) {
            let self_closing = rest.find('>').is_some_and(|end| rest[..end].ends_with('/'));
            if !self_closing {
                depth += 1;
                max = max.max(depth);
            }
        }
    }
    max
}

/// Removes tags without parsing: dropped elements lose their content, block elements become
/// line breaks, comments vanish. Entities are left for the parser.
fn strip_tags(html: &str) -> String {
    let mut out = String::with_capacity(html.len());
    let mut rest = html;
    while let Some(start) = rest.find('<') {
        out.push_str(&rest[..start]);
        let after = &rest[start + 1..];
        let is_tag = after.starts_with(|c: char| c.is_ascii_alphabetic() || c == '/' || c == '!' || c == '?');
        if !is_tag {
            out.push_str("&lt;");
            rest = after;
            continue;
        }
        let Some(end) = after.find('>') else {
            // An unterminated tag runs to the end of the input, as in a browser.
            return out;
        };
        let name = tag_name(after.trim_start_matches('/'));
        rest = &after[end + 1..];
        if !after.starts_with('/') && DROPPED.contains(&name.as_str()) {
            let closing = format!("</{name}");
            rest = match rest.to_ascii_lowercase().find(&closing) {
                Some(close) => rest[close..].find('>').map_or("", |gt| &rest[close + gt + 1..]),
                None => "",
            };
        } else if BLOCKS.contains(&name.as_str()) {
            out.push('\n');
        }
    }
    out.push_str(rest);
    out
}

fn parse_to_text(html: &str) -> String {
    let fragment = Html::parse_fragment(html);
    let mut raw = String::with_capacity(html.len());
    let mut dropped_depth = 0usize;
    for edge in fragment.tree.root().traverse() {
        match edge {
            Edge::Open(node) => match node.value() {
                Node::Element(element) => {
                    let name = element.name();
                    if dropped_depth > 0 || DROPPED.contains(&name) {
                        dropped_depth += 1;
                    } else if BLOCKS.contains(&name) {
                        raw.push('\n');
                    }
                }
                Node::Text(text) if dropped_depth == 0 => raw.push_str(text),
                _ => {}
            },
            Edge::Close(node) => {
                if let Node::Element(element) = node.value() {
                    if dropped_depth > 0 {
                        dropped_depth -= 1;
                    } else if BLOCKS.contains(&element.name()) {
                        raw.push('\n');
                    }
                }
            }
        }
    }
    fold_whitespace(&raw)
}

/// Folds runs of white space within a line to one space, trims every line, drops empty
/// lines and control characters.
pub fn fold_whitespace(raw: &str) -> String {
    let mut out = String::with_capacity(raw.len());
    for line in raw.split('\n') {
        let mut folded = String::new();
        for word in line.split(|c: char| c.is_whitespace() || c.is_control()) {
            let word: String = word.chars().filter(|c| !is_invisible(*c)).collect();
            if word.is_empty() {
                continue;
            }
            if !folded.is_empty() {
                folded.push(' ');
            }
            folded.push_str(&word);
        }
        if folded.is_empty() {
            continue;
        }
        if !out.is_empty() {
            out.push('\n');
        }
        out.push_str(&folded);
    }
    out
}

/// Zero-width and bidi-control characters that hide text from a reader.
fn is_invisible(c: char) -> bool {
    matches!(c, '\u{200B}'..='\u{200F}' | '\u{202A}'..='\u{202E}' | '\u{2060}'..='\u{2064}' | '\u{FEFF}')
}

/// `text` on one line (white space folded), cut to `width` characters with an ellipsis.
pub fn snippet(text: &str, width: usize) -> String {
    let flat = text.split_whitespace().collect::<Vec<_>>().join(" ");
    if flat.chars().count() <= width {
        flat
    } else {
        format!("{}…", flat.chars().take(width.saturating_sub(1)).collect::<String>())
    }
}

/// `1234567` → `1,234,567`.
pub fn thousands(n: i64) -> String {
    let digits = n.unsigned_abs().to_string();
    let mut out = String::new();
    for (index, digit) in digits.chars().enumerate() {
        if index > 0 && (digits.len() - index) % 3 == 0 {
            out.push(',');
        }
        out.push(digit);
    }
    if n < 0 { format!("-{out}") } else { out }
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    #[test]
    fn thousands_separators() {
        assert_eq!(thousands(0), "0");
        assert_eq!(thousands(999), "999");
        assert_eq!(thousands(1000), "1,000");
        assert_eq!(thousands(-1234567), "-1,234,567");
    }

    #[test]
    fn snippets_are_one_line_and_cut_with_an_ellipsis() {
        assert_eq!(snippet("a  b\n c", 10), "a b c");
        assert_eq!(snippet("abcdef", 4), "abc…");
    }

    fn check(html: &str, expected: &str) {
        assert_eq!(html_to_text(html), expected, "html_to_text({html:?})");
    }

    #[test]
    fn examples() {
        check("<p>Hello <b>world</b></p><p>again</p>", "Hello world\nagain");
        check("AT&amp;T &lt;3 caf&eacute; &#x1F600;", "AT&T <3 café 😀");
        check("I <3 this & that", "I <3 this & that");
        check("line one<br>line two<br/>three", "line one\nline two\nthree");
        check("<script>alert('x')</script>visible<style>p{}</style>", "visible");
        check("<img src=x onerror=alert(1)>after", "after");
        check("  lots   of \t\t space\n\n\n and lines  ", "lots of space\nand lines");
        check("<a href=\"https://x\">link text</a>", "link text");
        check("unclosed <b>bold <i>italic", "unclosed bold italic");
        check("<!-- comment -->text<![CDATA[ x ]]>", "text");
        check("zero\u{200B}width", "zerowidth");
        check("", "");
    }

    #[test]
    fn deep_nesting_does_not_overflow() {
        let html = "<div>".repeat(100_000) + "deep &amp; <b>bold</b>" + &"</div>".repeat(100_000);
        assert_eq!(html_to_text(&html), "deep & bold");
        let html = "<p>x".repeat(50_000) + "<script>alert(1)</script><span>end</span>";
        assert!(html_to_text(&html).ends_with("xend"));
    }

    #[test]
    fn the_flattener_agrees_with_the_parser() {
        for html in [
            "<p>Hello <b>world</b></p><p>again</p>",
            "a <script>x()</SCRIPT> b",
            "I <3 you &amp; me",
            "<!-- c -->t<br/>u",
        ] {
            assert_eq!(parse_to_text(&strip_tags(html)), parse_to_text(html), "{html}");
        }
    }

    proptest! {
        #[test]
        fn no_markup_survives(parts in prop::collection::vec(prop_oneof![
            Just("<script>bad()</script>".to_owned()),
            Just("<b>".to_owned()), Just("</b>".to_owned()), Just("<p>".to_owned()),
            Just("<a href='x'>".to_owned()), Just("<img src=x onerror=y>".to_owned()),
            Just("&amp;".to_owned()), Just("&lt;".to_owned()), "[a-z ]{0,8}",
        ], 0..20)) {
            let text = html_to_text(&parts.concat());
            prop_assert!(!text.contains("<script"));
            prop_assert!(!text.contains("<b>"));
            prop_assert!(!text.contains("<img"));
            prop_assert!(!text.contains("bad()"));
            prop_assert!(!text.contains("  "));
            prop_assert_eq!(text.trim(), text.as_str());
        }

        #[test]
        fn is_idempotent_on_plain_text(text in "[a-zA-Z0-9 .,!?\n]{0,80}") {
            let once = html_to_text(&text);
            prop_assert_eq!(html_to_text(&once), once);
        }
    }
}
