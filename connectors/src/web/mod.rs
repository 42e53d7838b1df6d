//! Web pages without an API (forum threads, comment sections, review pages), read with CSS
//! selectors.
//!
//! Each configured page is fetched once per pass (`GET {page}`), then up to `max_pages − 1`
//! more along the `next` link (same host only), continuing where the last pass stopped: a
//! forum thread is read to its end over a few passes, and afterwards each pass re-checks its
//! first and last pages with a conditional GET (`ETag`/`Last-Modified` sent back verbatim;
//! a 304 yields nothing). `item` selects one post; inside it `body` (required), `title`,
//! `author`, `date` and `link`; `exclude` (default `blockquote`) drops quotes of earlier
//! posts from the text; `next` is the pagination link; `empty` marks pages that legitimately
//! hold no posts. A page where `item` matches nothing is malformed (the layout may have
//! changed) unless `empty` matches.
//!
//! A post's id is its `link` (resolved against the page, session ids such as phpBB `sid` and
//! vBulletin `s` removed, canonical), else the configured page URL, `#`, and a fingerprint of
//! author and text. The cursor is a JSON map, per configured page, of the validators, where
//! to resume, and the fingerprints of the recent post ids ([`SEEN_CAP`]), so repeats never
//! come back. Dates come from `datetime`/`data-time`/`title` attributes or the text, in the
//! forms people write. The character set comes from the HTTP `Content-Type`, then
//! `<meta charset>`.
//!
//! robots.txt (`{scheme}://{host}/robots.txt`) is read once per host per pass and obeyed for
//! the agent `hark` (else `*`): a disallowed page is skipped with a warning and counted in
//! `skipped`, never fetched; `Crawl-delay` holds the host between requests; a missing
//! robots.txt (4xx) allows everything, an unreachable one (5xx, network) allows nothing this
//! pass. A configured page that fails fails the pass when every page failed; otherwise it is
//! logged, counted in `skipped`, and retried next pass. Example:
//!
//! ```toml
//! [[sources]]
//! id = "acme-forum"
//! kind = "web"
//! pages = ["https://forum.example.com/threads/acme-crm-experiences.123/"]
//! selectors = { item = "article.message--post", body = ".bbWrapper", author = ".message-name .username", date = "time.u-dt", link = "a.message-attribution-gadget", next = "a.pageNav-jump--next" }
//! max_pages = 3
//! interval = "30m"
//! ```

pub mod extract;
pub mod robots;
#[cfg(test)]
pub(crate) mod tests;

use std::collections::{BTreeMap, HashMap, HashSet};

use serde::{Deserialize, Serialize};

use crate::contract::{Connector, KeyedCursors, Named, Pass, Settings, Source};
use crate::documents::{SeenIds, Validators, content_type_charset, document_urls};
use crate::http::{HttpClient, HttpError};
use crate::{ConnectorError, Fields, Kind, Page};
use extract::Selectors;
use robots::Rules;

pub const KIND: Kind = Kind {
    name: "web",
    folder: "web",
    description: "forum threads, comment sections and review pages read with CSS selectors (robots.txt obeyed)",
    example: "[[sources]]\nid = \"acme-forum\"\nkind = \"web\"\npages = [\"https://forum.example.com/threads/acme-crm-experiences.123/\"]\nselectors = { item = \"article.message--post\", body = \".bbWrapper\", author = \".message-name .username\", date = \"time.u-dt\", link = \"a.message-attribution-gadget\", next = \"a.pageNav-jump--next\" }\nmax_pages = 3\ninterval = \"30m\"\n",
    fields: Fields {
        allowed: &["pages", "selectors", "max_pages"],
        needs_one_of: &["pages"],
        required: &["selectors"],
    },
    quotas: &[("*", DEFAULT_PER_MINUTE)],
    build,
};

/// Requests per minute per host: sites without an API are someone's forum; be gentle
/// (robots.txt `Crawl-delay` slows this further).
pub const DEFAULT_PER_MINUTE: u32 = 12;

/// Pages read per configured page per pass when `max_pages` is not set.
pub const DEFAULT_MAX_PAGES: usize = 3;

/// Upper bound of `max_pages`.
const MAX_PAGES_LIMIT: usize = 50;

/// Post ids remembered per configured page (as 16-character fingerprints).
pub const SEEN_CAP: usize = 2000;

fn build(settings: &Settings) -> Result<Box<dyn Connector>, String> {
    let id = &settings.id;
    let selectors = Selectors::from_value(settings.fields.get("selectors")).map_err(|err| format!("{id}: {err}"))?;
    let mut pages = Vec::new();
    for (_, parsed) in document_urls(settings, "pages")? {
        if !pages.contains(&parsed) {
            pages.push(parsed);
        }
    }
    if pages.is_empty() {
        return Err(format!("{id}: pages must list at least one page URL"));
    }
    let max_pages = match settings.fields.get("max_pages") {
        None => DEFAULT_MAX_PAGES,
        Some(value) => match value.as_u64() {
            Some(n) if n >= 1 => usize::try_from(n).unwrap_or(MAX_PAGES_LIMIT).min(MAX_PAGES_LIMIT),
            _ => return Err(format!("{id}: max_pages must be a positive whole number")),
        },
    };
    Ok(Named::boxed(id, Pages { pages, selectors, max_pages }))
}

/// A configured web source.
#[derive(Debug, Clone)]
pub struct Pages {
    pages: Vec<url::Url>,
    selectors: Selectors,
    max_pages: usize,
}

/// What is remembered of one configured page between passes.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
struct PageCursor {
    /// Validators of the configured page and of the resume page.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    validators: BTreeMap<String, Validators>,
    /// Where the walk along `next` continues: a page not read yet, or the last page, re-read
    /// for new posts.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    resume: Option<String>,
    #[serde(default)]
    seen: SeenIds,
}

/// robots.txt rules per origin, read once per pass.
type RobotsCache = HashMap<String, Result<Rules, ConnectorError>>;

impl Source for Pages {
    /// One pass over every configured page: the posts not returned before, and the next cursor.
    async fn fetch(&self, pass: Pass<'_>, cursor: Option<&str>) -> Result<Page, ConnectorError> {
        let mut robots = RobotsCache::new();
        let mut cursors = KeyedCursors::parse(KIND.name, cursor)?;
        let mut page = Page::empty();
        for start in &self.pages {
            let previous: PageCursor = cursors.take(start.as_str());
            let walked = self.walk(pass, start, &previous, &mut robots, &mut page).await;
            let next = page.tolerate(walked, previous, |err| {
                tracing::warn!(source = %pass.source_id, page = %start, error = %err, "page skipped this pass");
            });
            cursors.put(start.to_string(), next);
        }
        page.next_cursor = Some(cursors.finish());
        page.unless_all_failed(self.pages.len())
    }
}

impl Pages {
    /// Reads one configured page and its continuation; returns its next cursor. The walk:
    /// the start page, then the page the last pass stopped at (else the start page's `next`),
    /// then along `next`, `max_pages` pages in all. The last page read is re-read next pass
    /// (new posts land there); a page not reached for lack of budget is where the next pass
    /// goes on, and `more` says so.
    async fn walk(
        &self,
        pass: Pass<'_>,
        start: &url::Url,
        previous: &PageCursor,
        robots: &mut RobotsCache,
        page: &mut Page,
    ) -> Result<PageCursor, ConnectorError> {
        let Pass { http, source_id, now } = pass;
        let thread_url = hark_core::url::canonicalize(start.as_str()).unwrap_or_else(|_| start.to_string());
        let continuation = previous
            .resume
            .as_deref()
            .filter(|resume| *resume != start.as_str())
            .and_then(|resume| url::Url::parse(resume).ok())
            .filter(|_| self.max_pages > 1);
        let mut next = PageCursor {
            validators: BTreeMap::new(),
            resume: continuation.as_ref().map(ToString::to_string),
            seen: previous.seen.clone(),
        };
        // Post ids read this pass, in order, once each.
        let mut ids: Vec<String> = Vec::new();
        let mut in_pass: HashSet<String> = HashSet::new();
        let mut visited: HashSet<String> = HashSet::new();
        let mut current = Some(start.clone());
        let mut fetched_pages = 0;
        while let Some(url) = current.take() {
            if fetched_pages == self.max_pages {
                next.resume = Some(url.to_string());
                page.more = true;
                break;
            }
            if !visited.insert(url.to_string()) {
                break;
            }
            let is_start = url == *start;
            let rules = self.robots(http, &url, robots, page).await?;
            if !rules.allows(&path_and_query(&url)) {
                tracing::warn!(source = %source_id, page = %url, "robots.txt disallows this page; skipped");
                page.skipped += 1;
                break;
            }
            let validators = previous.validators.get(url.as_str()).cloned().unwrap_or_default();
            let result = http.get(url.as_str(), None, &validators.request_headers()).await;
            hold_for_crawl_delay(http, &url, &rules);
            let fetched = match result {
                Ok(fetched) => fetched,
                // A continuation page that is gone (thread pruned, pages renumbered): start over.
                Err(HttpError::Status { status: 404 | 410, .. }) if !is_start => {
                    page.requests += 1;
                    tracing::warn!(source = %source_id, page = %url, "continuation page is gone; starting over next pass");
                    next.resume = None;
                    break;
                }
                Err(err) => return Err(ConnectorError::from_http(KIND.name, err)),
            };
            page.count(&fetched);
            fetched_pages += 1;
            if !is_start {
                next.resume = Some(url.to_string());
            }
            if fetched.status == 304 {
                next.validators.insert(url.to_string(), validators);
                // Unchanged, so its `next` is too: the start page leads on to where the last
                // pass stopped; a continuation page that has not changed ends the walk.
                current = if is_start { continuation.clone() } else { None };
                continue;
            }
            let html = extract::decode_page(&fetched.body, content_type_charset(&fetched.headers).as_deref());
            let found = extract::extract(&html, &url, &thread_url, &self.selectors, source_id, now)?;
            page.skipped += found.skipped;
            for mention in found.mentions {
                if in_pass.insert(mention.external_id.clone()) {
                    ids.push(mention.external_id.clone());
                    if !previous.seen.contains(&mention.external_id) {
                        page.mentions.push(mention);
                    }
                }
            }
            let validators = Validators::from_headers(&fetched.headers);
            if !validators.is_empty() {
                next.validators.insert(url.to_string(), validators);
            }
            let onward = found
                .next
                .and_then(|link| url::Url::parse(&link).ok())
                .filter(|link| {
                    link.host() == start.host() && link.port_or_known_default() == start.port_or_known_default()
                })
                .filter(|_| self.max_pages > 1);
            current = match (is_start, &continuation) {
                (true, Some(resume)) => Some(resume.clone()),
                _ => onward,
            };
        }
        // Keep validators only for the pages the next pass requests first.
        let resume = next.resume.clone();
        next.validators.retain(|url, _| url == start.as_str() || resume.as_deref() == Some(url.as_str()));
        next.seen.remember(ids.iter().map(String::as_str), SEEN_CAP.max(ids.len()));
        Ok(next)
    }

    /// The robots.txt rules for `url`'s origin, fetched once per pass. 4xx: everything is
    /// allowed; 5xx or network failure: nothing is, this pass.
    async fn robots(
        &self,
        http: &HttpClient,
        url: &url::Url,
        cache: &mut RobotsCache,
        page: &mut Page,
    ) -> Result<Rules, ConnectorError> {
        let origin = url.origin().ascii_serialization();
        if let Some(known) = cache.get(&origin) {
            return known.clone();
        }
        let robots_url = format!("{origin}/robots.txt");
        let rules = match http.get(&robots_url, None, &[]).await {
            Ok(fetched) => {
                page.count(&fetched);
                let body = &fetched.body[..fetched.body.len().min(robots::MAX_BYTES)];
                Ok(robots::rules_for(&String::from_utf8_lossy(body), robots::AGENT))
            }
            Err(HttpError::Status { status: 400..=499, .. } | HttpError::Auth { .. }) => {
                page.requests += 1;
                Ok(Rules::allow_all())
            }
            Err(err @ HttpError::RateLimited { .. }) => Err(ConnectorError::from_http(KIND.name, err)),
            Err(err) => Err(ConnectorError::Http {
                source_kind: KIND.name,
                detail: format!("robots.txt unavailable, so no page on {origin} is read this pass: {err}"),
            }),
        };
        if let Ok(rules) = &rules {
            hold_for_crawl_delay(http, url, rules);
        }
        cache.insert(origin, rules.clone());
        rules
    }
}

/// The path and query of `url`, as robots.txt rules see it.
fn path_and_query(url: &url::Url) -> String {
    match url.query() {
        Some(query) => format!("{}?{query}", url.path()),
        None => url.path().to_owned(),
    }
}

/// Holds the host for its `Crawl-delay` after a request.
fn hold_for_crawl_delay(http: &HttpClient, url: &url::Url, rules: &Rules) {
    let (Some(delay), Some(host)) = (rules.crawl_delay, url.host_str()) else { return };
    if delay > robots::MAX_CRAWL_DELAY {
        tracing::warn!(
            host,
            delay_s = delay.as_secs(),
            "Crawl-delay capped at {} s",
            robots::MAX_CRAWL_DELAY.as_secs()
        );
    }
    http.pause(host, delay.min(robots::MAX_CRAWL_DELAY));
}
