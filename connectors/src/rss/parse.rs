//! Feed documents → mentions (pure): character set, well-formedness, the feed-rs parse, and
//! each entry's id, link, text, author and date.

use chrono::{DateTime, Utc};
use feed_rs::model::{Entry, Feed, Link};
use hark_core::text::{fold_whitespace, html_to_text};
use hark_core::{Author, Mention, SourceKind, handle, url};

use crate::ConnectorError;
use crate::documents::{decode, fingerprint};

const KIND: &str = "rss";

fn malformed(detail: impl Into<String>) -> ConnectorError {
    ConnectorError::malformed(KIND, detail)
}

/// One entry of a feed, read.
#[derive(Debug, Clone, PartialEq)]
pub struct FeedPage {
    /// Every entry that could be read, in document order (the caller drops those seen before).
    pub mentions: Vec<Mention>,
    /// Entries with nothing to identify or say.
    pub skipped: usize,
}

/// Parses a feed document fetched from `feed_url`. `http_charset` is the `Content-Type`
/// charset, trusted after a byte order mark and the XML declaration.
pub fn parse_feed(
    body: &[u8],
    http_charset: Option<&str>,
    feed_url: &str,
    source_id: &str,
    fetched_at: DateTime<Utc>,
) -> Result<FeedPage, ConnectorError> {
    let xml = prepare(body, http_charset)?;
    let parser = feed_rs::parser::Builder::new()
        .base_uri(Some(feed_url))
        // No invented ids: entries without one get ours (link, then title and link).
        .id_generator(|_, _, _| String::new())
        .timestamp_parser(crate::dates::parse)
        .build();
    let feed = parser.parse(xml.as_bytes()).map_err(|err| malformed(format!("{feed_url}: {err}")))?;
    let mut page = FeedPage { mentions: Vec::new(), skipped: 0 };
    for entry in &feed.entries {
        match entry_to_mention(&feed, entry, feed_url, source_id, fetched_at) {
            Some(mention) => page.mentions.push(mention),
            None => page.skipped += 1,
        }
    }
    Ok(page)
}

/// The document as UTF-8 text the XML parser can read: decoded from its declared encoding
/// (byte order mark, then XML declaration, then HTTP charset), with the declaration dropped
/// (it would name the old encoding) and anything before the first tag cut. A document whose
/// root element never closes was cut off and is malformed.
pub fn prepare(body: &[u8], http_charset: Option<&str>) -> Result<String, ConnectorError> {
    let declared = declared_encoding(body);
    let (text, _) = decode(body, &[declared.as_deref(), http_charset]);
    let text = text.trim_matches(|c: char| c.is_whitespace() || c == '\0' || c == '\u{feff}');
    if text.is_empty() {
        return Err(malformed("empty document"));
    }
    let Some(start) = text.find('<') else { return Err(malformed("not XML: no element")) };
    let mut rest = &text[start..];
    if rest.starts_with("<?xml")
        && let Some(end) = rest.find("?>")
    {
        rest = &rest[end + 2..];
    }
    let root = root_name(rest).ok_or_else(|| malformed("not XML: no root element"))?;
    if !closes(rest, &root) {
        return Err(malformed(format!("the document ends before <{root}> closes: cut off or not XML")));
    }
    Ok(rest.to_owned())
}

/// The `encoding` of an XML declaration at the start of `body` (ASCII-compatible documents).
fn declared_encoding(body: &[u8]) -> Option<String> {
    let head = &body[..body.len().min(512)];
    let head = String::from_utf8_lossy(head);
    let head = head.trim_start_matches(|c: char| c.is_whitespace() || c == '\u{feff}');
    let declaration = &head[..head.find("?>")?];
    if !declaration.starts_with("<?xml") {
        return None;
    }
    let after = &declaration[declaration.find("encoding")? + "encoding".len()..];
    let after = after.trim_start().strip_prefix('=')?.trim_start();
    let quote = after.chars().next().filter(|c| *c == '"' || *c == '\'')?;
    let value = &after[1..];
    Some(value[..value.find(quote)?].to_owned())
}

/// The name of the first element, skipping comments, processing instructions and doctypes.
fn root_name(mut text: &str) -> Option<String> {
    loop {
        text = text.trim_start();
        if let Some(rest) = text.strip_prefix("<!--") {
            text = &rest[rest.find("-->")? + 3..];
        } else if text.starts_with("<!DOCTYPE") || text.starts_with("<!doctype") {
            // An internal subset (`[ ... ]`) may hold `>` of its own.
            let end = match (text.find('['), text.find('>')) {
                (Some(open), Some(close)) if open < close => open + text[open..].find("]")? + 1,
                _ => 0,
            };
            text = &text[end + text[end..].find('>')? + 1..];
        } else if text.starts_with("<?") || text.starts_with("<!") {
            text = &text[text.find('>')? + 1..];
        } else {
            let rest = text.strip_prefix('<')?;
            let name: String = rest.chars().take_while(|c| !c.is_whitespace() && *c != '>' && *c != '/').collect();
            return (!name.is_empty()).then_some(name);
        }
    }
}

/// Whether `text` ends with the end tag of `root` (trailing comments and blanks aside), or
/// the root element closes itself.
fn closes(text: &str, root: &str) -> bool {
    let mut end = text.trim_end_matches(|c: char| c.is_whitespace() || c == '\0');
    while end.ends_with("-->") {
        match end.rfind("<!--") {
            Some(start) => end = end[..start].trim_end(),
            None => return false,
        }
    }
    if let Some(tag) = end.strip_suffix('>')
        && let Some(open) = tag.rfind("</")
    {
        return tag[open + 2..].trim_end() == root;
    }
    // `<feed .../>`: a root without children.
    end.ends_with("/>") && !text[1..].contains('<')
}

/// The link a person would follow: the alternate link, else the first; Google Alerts'
/// redirect unwrapped.
fn entry_link(entry: &Entry) -> Option<String> {
    let pick = |link: &&Link| link.rel.as_deref().is_none_or(|rel| rel == "alternate");
    let link = entry.links.iter().find(pick).or(entry.links.first())?;
    url::canonicalize(&unwrap_redirect(&link.href)).ok()
}

/// `https://www.google.com/url?...&url=TARGET` (Google Alerts) → `TARGET`.
pub fn unwrap_redirect(href: &str) -> String {
    let Ok(parsed) = ::url::Url::parse(href) else { return href.to_owned() };
    let google = parsed.host_str().is_some_and(|host| {
        let host = host.trim_start_matches("www.");
        host == "google.com" || host.starts_with("google.")
    });
    if !google || parsed.path() != "/url" {
        return href.to_owned();
    }
    parsed
        .query_pairs()
        .find(|(name, value)| (name == "url" || name == "q") && value.starts_with("http"))
        .map_or_else(|| href.to_owned(), |(_, target)| target.into_owned())
}

/// Text from a feed text construct: markup stripped unless it is plain text.
fn text_of(body: &str, media_type: &str) -> String {
    if media_type.starts_with("text/plain") { fold_whitespace(body) } else { html_to_text(body) }
}

fn entry_to_mention(
    feed: &Feed,
    entry: &Entry,
    feed_url: &str,
    source_id: &str,
    fetched_at: DateTime<Utc>,
) -> Option<Mention> {
    let link = entry_link(entry);
    let title = entry
        .title
        .as_ref()
        .map(|title| text_of(&title.content, title.content_type.as_ref()))
        .filter(|title| !title.is_empty());
    let body = entry
        .content
        .as_ref()
        .and_then(|content| {
            let body = content.body.as_deref()?;
            // Reddit wraps a post's own text in SC_OFF/SC_ON and appends "submitted by /u/...
            // [link] [comments]"; a link post has no text of its own (its title says it).
            let reddit = entry.authors.iter().any(|person| person.name.as_deref().is_some_and(is_reddit_user));
            let body = if reddit { reddit_self_text(body)? } else { body };
            Some(text_of(body, content.content_type.as_ref()))
        })
        .filter(|text| !text.is_empty())
        .or_else(|| {
            let summary = entry.summary.as_ref()?;
            Some(text_of(&summary.content, summary.content_type.as_ref())).filter(|text| !text.is_empty())
        });
    let text = body.or_else(|| title.clone())?;
    let external_id = match entry.id.trim() {
        "" => link
            .clone()
            .unwrap_or_else(|| format!("{feed_url}#{}", fingerprint(&[title.as_deref().unwrap_or(""), text.as_str()]))),
        id => id.to_owned(),
    };
    let kind = SourceKind::parse(KIND).expect("the kind name is valid");
    let mut mention = Mention::new(kind, source_id, external_id, text, fetched_at);
    mention.url = link;
    mention.title = title;
    mention.author = entry.authors.first().map(author).unwrap_or_default();
    mention.published_at = entry.published.or(entry.updated);
    mention.lang = entry
        .language
        .as_deref()
        .or(feed.language.as_deref())
        .and_then(|tag| tag.split(['-', '_']).next())
        .map(str::to_lowercase)
        .filter(|lang| !lang.is_empty());
    mention.raw = Some(serde_json::json!({
        "feed": feed_url,
        "id": entry.id,
        "title": entry.title.as_ref().map(|title| &title.content),
        "links": entry.links.iter().map(|link| &link.href).collect::<Vec<_>>(),
        "authors": entry.authors.iter().map(|person| &person.name).collect::<Vec<_>>(),
        "published": entry.published,
        "updated": entry.updated,
        "categories": entry.categories.iter().map(|category| &category.term).collect::<Vec<_>>(),
    }));
    Some(mention)
}

fn is_reddit_user(name: &str) -> bool {
    name.trim().starts_with("/u/")
}

/// The post text inside Reddit's `<!-- SC_OFF -->...<!-- SC_ON -->` markers, if any.
fn reddit_self_text(html: &str) -> Option<&str> {
    let start = html.find("<!-- SC_OFF -->")? + "<!-- SC_OFF -->".len();
    let end = html[start..].find("<!-- SC_ON -->")? + start;
    Some(&html[start..end])
}

/// A feed's person: Reddit writes `/u/name`, which is a handle; elsewhere a name is only a
/// name.
fn author(person: &feed_rs::model::Person) -> Author {
    let name = person.name.as_deref().map(str::trim).filter(|name| !name.is_empty());
    let reddit_user = name.filter(|name| is_reddit_user(name)).map(|name| &name["/u/".len()..]);
    Author {
        handle: reddit_user.and_then(|user| handle::normalize(KIND, user)),
        name: reddit_user.or(name).map(str::to_owned),
        email: person.email.clone().filter(|email| email.contains('@')),
        profile_url: person.uri.as_deref().and_then(|uri| url::canonicalize(uri).ok()),
        reach: None,
    }
}
