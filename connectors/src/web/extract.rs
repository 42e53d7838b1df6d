//! Pages → posts (pure): the configured CSS selectors, the page's character set, text without
//! quotes of earlier posts, links resolved against the page without session ids, dates in
//! the forms people write, and stable ids.

use std::sync::OnceLock;

use chrono::{DateTime, Utc};
use ego_tree::iter::Edge;
use hark_core::text::html_to_text;
use hark_core::{Author, Mention, SourceKind, handle};
use regex::Regex;
use scraper::{ElementRef, Html, Node, Selector};

use crate::ConnectorError;
use crate::documents::{decode, fingerprint};

const KIND: &str = "web";

/// The selectors a source may set; `item` and `body` are required.
pub const SELECTOR_NAMES: &[&str] = &["item", "body", "title", "author", "date", "link", "next", "empty", "exclude"];

/// Elements dropped from a post's text unless `exclude` says otherwise: quotes of earlier
/// posts are not new mentions.
pub const DEFAULT_EXCLUDE: &str = "blockquote";

/// Pages nested deeper than this are refused: a browser-grade parser and selector matching
/// both slow down with depth, and no real forum comes close.
pub const MAX_DEPTH: usize = 2_000;

/// HTML kept per post in `raw`.
const RAW_HTML_CHARS: usize = 16 * 1024;

/// The compiled selectors of a source.
#[derive(Debug, Clone)]
pub struct Selectors {
    pub item: Selector,
    pub body: Selector,
    pub title: Option<Selector>,
    pub author: Option<Selector>,
    pub date: Option<Selector>,
    pub link: Option<Selector>,
    pub next: Option<Selector>,
    /// Matches on pages that legitimately hold no items (an empty comment section).
    pub empty: Option<Selector>,
    /// Removed from a post's text (default: `blockquote`).
    pub exclude: Selector,
    /// The `item` selector as written, for messages.
    pub item_text: String,
}

impl Selectors {
    /// Compiles the `selectors` table; an error names the selector and what is wrong.
    pub fn from_value(value: Option<&serde_json::Value>) -> Result<Self, String> {
        let Some(table) = value.and_then(serde_json::Value::as_object) else {
            return Err("selectors must be a table of CSS selectors (item and body at least)".to_owned());
        };
        let mut compiled = std::collections::HashMap::new();
        for (name, value) in table {
            if !SELECTOR_NAMES.contains(&name.as_str()) {
                return Err(format!(
                    "selectors.{name}: unknown selector; expected one of: {}",
                    SELECTOR_NAMES.join(", ")
                ));
            }
            let Some(text) = value.as_str().map(str::trim).filter(|text| !text.is_empty()) else {
                return Err(format!("selectors.{name}: must be a non-empty CSS selector string"));
            };
            let selector = Selector::parse(text)
                .map_err(|err| format!("selectors.{name}: {text:?} is not a valid CSS selector ({err})"))?;
            compiled.insert(name.as_str(), (selector, text.to_owned()));
        }
        let mut take = |name: &str| compiled.remove(name);
        let (item, item_text) = take("item").ok_or("selectors.item is required: the CSS selector of one post")?;
        let (body, _) = take("body").ok_or("selectors.body is required: the CSS selector of a post's text")?;
        let exclude = match take("exclude") {
            Some((selector, _)) => selector,
            None => Selector::parse(DEFAULT_EXCLUDE).expect("the default exclude selector is valid"),
        };
        Ok(Self {
            item,
            body,
            title: take("title").map(|(selector, _)| selector),
            author: take("author").map(|(selector, _)| selector),
            date: take("date").map(|(selector, _)| selector),
            link: take("link").map(|(selector, _)| selector),
            next: take("next").map(|(selector, _)| selector),
            empty: take("empty").map(|(selector, _)| selector),
            exclude,
            item_text,
        })
    }
}

/// What one page holds.
#[derive(Debug, Clone, PartialEq)]
pub struct Extracted {
    pub mentions: Vec<Mention>,
    /// The `next` link, resolved, when there is one.
    pub next: Option<String>,
    /// Items without text.
    pub skipped: usize,
}

/// Decodes a page: byte order mark, then the HTTP charset, then `<meta charset>` (or
/// `http-equiv`), then UTF-8 if valid, else windows-1252.
pub fn decode_page(body: &[u8], http_charset: Option<&str>) -> String {
    static META: OnceLock<Regex> = OnceLock::new();
    let meta = META.get_or_init(|| {
        Regex::new(r#"(?i)<meta\b[^>]*?charset\s*=\s*["']?\s*([A-Za-z0-9._:-]+)"#).expect("the meta pattern is valid")
    });
    let head = String::from_utf8_lossy(&body[..body.len().min(8192)]);
    let declared = meta.captures(&head).and_then(|captures| captures.get(1)).map(|m| m.as_str().to_owned());
    decode(body, &[http_charset, declared.as_deref()]).0.into_owned()
}

/// An upper bound of how deep elements nest, counted without parsing (void and self-closing
/// elements do not nest; closing tags close one level whatever they name).
pub fn nesting_depth(html: &str) -> usize {
    // Void elements never nest; these close themselves when a sibling opens.
    const FLAT: &[&str] = &[
        "br", "img", "hr", "input", "meta", "link", "wbr", "area", "base", "col", "embed", "source", "track", "param",
        "p", "li", "td", "th", "tr", "dt", "dd", "option", "optgroup", "tbody", "thead", "tfoot", "colgroup",
    ];
    let (mut depth, mut max) = (0usize, 0usize);
    let bytes = html.as_bytes();
    let mut index = 0;
    while let Some(offset) = html[index..].find('<') {
        index += offset + 1;
        let rest = &bytes[index..];
        if rest.first() == Some(&b'/') {
            depth = depth.saturating_sub(1);
        } else if rest.first().is_some_and(u8::is_ascii_alphabetic) {
            let name_len = rest.iter().take_while(|b| b.is_ascii_alphanumeric()).count();
            let name = html[index..index + name_len].to_ascii_lowercase();
            let end = html[index..].find('>').map_or(html.len(), |end| index + end);
            if name == "script" || name == "style" {
                // Their content is text, whatever it looks like.
                index = find_closing(bytes, end, &name).map_or(html.len(), |at| at + 2);
                continue;
            }
            if !FLAT.contains(&name.as_str()) && !html[..end].ends_with('/') {
                depth += 1;
                max = max.max(depth);
            }
        }
    }
    max
}

/// Where `</name` starts at or after `from` (ASCII case-insensitive).
fn find_closing(bytes: &[u8], from: usize, name: &str) -> Option<usize> {
    let needle_len = name.len() + 2;
    (from..bytes.len().saturating_sub(needle_len - 1)).find(|&at| {
        bytes[at] == b'<'
            && bytes[at + 1] == b'/'
            && bytes[at + 2..at + needle_len].eq_ignore_ascii_case(name.as_bytes())
    })
}

/// The posts on one page. `page_url` is where the page was fetched (links resolve against
/// it); `thread_url` is the configured page the walk started from (posts without a link of
/// their own are identified under it). No item on a page with content is an error, unless
/// `empty` matches: a layout change must not pass for silence.
pub fn extract(
    html: &str,
    page_url: &url::Url,
    thread_url: &str,
    selectors: &Selectors,
    source_id: &str,
    fetched_at: DateTime<Utc>,
) -> Result<Extracted, ConnectorError> {
    if html.trim().is_empty() {
        return Err(ConnectorError::malformed(KIND, format!("{page_url}: empty page")));
    }
    let depth = nesting_depth(html);
    if depth > MAX_DEPTH {
        return Err(ConnectorError::malformed(
            KIND,
            format!("{page_url}: elements nest {depth} deep (more than {MAX_DEPTH}); not parsing it"),
        ));
    }
    let document = Html::parse_document(html);
    let items: Vec<ElementRef<'_>> = document.select(&selectors.item).collect();
    let next = selectors.next.as_ref().and_then(|next| {
        document.select(next).find_map(|element| element.value().attr("href")).and_then(|href| resolve(page_url, href))
    });
    if items.is_empty() {
        if selectors.empty.as_ref().is_some_and(|empty| document.select(empty).next().is_some()) {
            return Ok(Extracted { mentions: Vec::new(), next, skipped: 0 });
        }
        let has_text = !html_to_text(&document.root_element().html()).is_empty();
        let detail = if has_text {
            format!(
                "{page_url}: the item selector {:?} matches nothing on a page with content; the layout may have \
                 changed (set selectors.empty to a selector that marks pages with no posts)",
                selectors.item_text
            )
        } else {
            format!("{page_url}: the page has no text (rendered by JavaScript, or an error page?)")
        };
        return Err(ConnectorError::malformed(KIND, detail));
    }
    let mut page = Extracted { mentions: Vec::new(), next, skipped: 0 };
    for item in &items {
        match item_to_mention(*item, page_url, thread_url, selectors, source_id, fetched_at) {
            Some(mention) => page.mentions.push(mention),
            None => page.skipped += 1,
        }
    }
    if page.mentions.is_empty() {
        return Err(ConnectorError::malformed(
            KIND,
            format!("{page_url}: {} items matched but none has text; check selectors.body", items.len()),
        ));
    }
    Ok(page)
}

fn first<'a>(item: ElementRef<'a>, selector: Option<&Selector>) -> Option<ElementRef<'a>> {
    item.select(selector?).next()
}

fn item_to_mention(
    item: ElementRef<'_>,
    page_url: &url::Url,
    thread_url: &str,
    selectors: &Selectors,
    source_id: &str,
    fetched_at: DateTime<Utc>,
) -> Option<Mention> {
    let title =
        first(item, selectors.title.as_ref()).map(|element| text_without(element, None)).filter(|t| !t.is_empty());
    let body = item
        .select(&selectors.body)
        .next()
        .map(|element| text_without(element, Some(&selectors.exclude)))
        .filter(|text| !text.is_empty());
    let text = body.or_else(|| title.clone())?;
    let author_element = first(item, selectors.author.as_ref());
    let author_name = author_element.map(|element| text_without(element, None)).filter(|name| !name.is_empty());
    let profile_url = author_element.and_then(|element| {
        let href = element
            .value()
            .attr("href")
            .or_else(|| element.select(link_selector()).find_map(|link| link.value().attr("href")))?;
        resolve(page_url, href)
    });
    let link = first(item, selectors.link.as_ref())
        .and_then(|element| element.value().attr("href"))
        .and_then(|href| resolve(page_url, href));
    let date_element = first(item, selectors.date.as_ref());
    let published_at = date_element.and_then(date_of);
    let external_id = link.clone().unwrap_or_else(|| {
        format!("{thread_url}#{}", fingerprint(&[author_name.as_deref().unwrap_or(""), text.as_str()]))
    });
    let kind = SourceKind::parse(KIND).expect("the kind name is valid");
    let mut mention = Mention::new(kind, source_id, external_id, text, fetched_at);
    mention.url = link.clone().or_else(|| resolve(page_url, page_url.as_str()));
    mention.title = title;
    mention.author = Author {
        handle: author_name.as_deref().and_then(|name| handle::normalize(KIND, name)),
        name: author_name.clone(),
        email: None,
        profile_url,
        reach: None,
    };
    mention.published_at = published_at;
    mention.thread_id = Some(thread_url.to_owned());
    let mut html = item.html();
    if html.len() > RAW_HTML_CHARS {
        let mut end = RAW_HTML_CHARS;
        while !html.is_char_boundary(end) {
            end -= 1;
        }
        html.truncate(end);
    }
    mention.raw = Some(serde_json::json!({
        "page": page_url.as_str(),
        "link": link,
        "author": author_name,
        "date": date_element.map(|element| element.text().collect::<String>().trim().to_owned()),
        "html": html,
    }));
    Some(mention)
}

fn link_selector() -> &'static Selector {
    static LINK: OnceLock<Selector> = OnceLock::new();
    LINK.get_or_init(|| Selector::parse("a[href]").expect("a[href] is a valid selector"))
}

/// The date an element gives: its `datetime`, `data-time`, `data-timestamp`, `content` or
/// `title` attribute, else its text.
fn date_of(element: ElementRef<'_>) -> Option<DateTime<Utc>> {
    let value = element.value();
    ["datetime", "data-time", "data-timestamp", "content", "title"]
        .iter()
        .filter_map(|name| value.attr(name))
        .find_map(crate::dates::parse)
        .or_else(|| crate::dates::parse(&element.text().collect::<String>()))
}

/// The plain text of `element` without the descendants `exclude` matches.
fn text_without(element: ElementRef<'_>, exclude: Option<&Selector>) -> String {
    let excluded: Vec<ego_tree::NodeId> =
        exclude.map(|exclude| element.select(exclude).map(|found| found.id()).collect()).unwrap_or_default();
    if excluded.is_empty() {
        return html_to_text(&element.inner_html());
    }
    // Re-serialise the markup that matters to text (names, text), skipping excluded subtrees.
    let mut html = String::new();
    let mut skipping: Option<ego_tree::NodeId> = None;
    for edge in element.traverse() {
        match edge {
            Edge::Open(node) => {
                if skipping.is_some() {
                    continue;
                }
                match node.value() {
                    Node::Element(_) if excluded.contains(&node.id()) => skipping = Some(node.id()),
                    Node::Element(inner) => {
                        html.push('<');
                        html.push_str(inner.name());
                        html.push('>');
                    }
                    Node::Text(text) => {
                        for c in text.chars() {
                            match c {
                                '&' => html.push_str("&amp;"),
                                '<' => html.push_str("&lt;"),
                                '>' => html.push_str("&gt;"),
                                c => html.push(c),
                            }
                        }
                    }
                    _ => {}
                }
            }
            Edge::Close(node) => {
                if skipping == Some(node.id()) {
                    skipping = None;
                } else if skipping.is_none()
                    && let Node::Element(inner) = node.value()
                {
                    html.push_str("</");
                    html.push_str(inner.name());
                    html.push('>');
                }
            }
        }
    }
    html_to_text(&html)
}

/// Query parameters that carry a visitor's session, not the page: dropped from links so ids
/// stay stable.
const SESSION_PARAMS: &[&str] = &["sid", "phpsessid", "jsessionid", "sessionid", "session_id", "oscsid", "zenid"];

/// `href` resolved against `base`, without session ids, canonical; `None` for non-HTTP links.
pub fn resolve(base: &url::Url, href: &str) -> Option<String> {
    let mut url = base.join(href.trim()).ok()?;
    if !matches!(url.scheme(), "http" | "https") {
        return None;
    }
    if let Some(path) = url.path().split_once(";jsessionid=").map(|(path, _)| path.to_owned()) {
        url.set_path(&path);
    }
    hark_core::url::retain_query(&mut url, |name, value| {
        let name = name.to_ascii_lowercase();
        let vbulletin_session = name == "s" && value.len() == 32 && value.bytes().all(|b| b.is_ascii_hexdigit());
        !SESSION_PARAMS.contains(&name.as_str()) && !vbulletin_session
    });
    hark_core::url::canonicalize(url.as_str()).ok()
}
