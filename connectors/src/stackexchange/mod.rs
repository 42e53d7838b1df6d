//! Stack Exchange: new questions on one site (Stack Overflow, Super User, …) matching keyword
//! queries or carrying tags, through the Stack Exchange API 2.3.
//!
//! `GET {base_url}/2.3/search/advanced?site=…&q=…&tagged=…&sort=creation&order=desc&filter=withbody&pagesize=100&fromdate=…`
//! (base URL `https://api.stackexchange.com`). With `queries` each query is one search (inside
//! the `tags`, any of them, when tags are set too); with `tags` only, each tag is one search.
//! Questions are read, not answers.
//!
//! Cursor, per search: the newest `creation_date` seen and the question ids seen at that
//! second; the next pass asks `fromdate=` that second (inclusive) and skips those ids. When a
//! window holds more than one page (`has_more`), the following passes walk it page by page,
//! with `todate=` fixed at the window's newest second so that new questions do not shift the
//! pages, before the window moves on. The first pass reads only the newest page: the backlog of a
//! popular query would cost the whole day's quota.
//!
//! Rate limits live in the body: `backoff` (seconds before the same method may be called again)
//! holds the host in the HTTP client ([`crate::http::HttpClient::pause`]); `quota_remaining`
//! below [`LOW_QUOTA`] is logged, and at 0 the pass fails as rate limited until the daily
//! quota resets. Without an app key an IP gets 300 requests a day, with a key (`key_env`; keys are
//! not secret, but stay out of the file like every credential) 10,000; more than 30 requests a
//! second from one IP is banned. `token_env` adds an `access_token` (it needs a key). Errors
//! come as JSON (`error_id`, `error_name`, `error_message`), mostly with HTTP 400: a
//! `throttle_violation` is a rate limit with its wait, `access_denied`-like names are credential
//! problems, the rest say what was rejected. Example:
//!
//! ```toml
//! [[sources]]
//! id = "stackoverflow"
//! kind = "stackexchange"
//! site = "stackoverflow"
//! queries = ["acme crm"]
//! tags = ["acme-crm"]
//! key_env = "HARK_STACKEXCHANGE_KEY"
//! interval = "10m"
//! ```

pub mod api;
pub mod convert;
#[cfg(test)]
pub(crate) mod tests;

use std::time::Duration;

use chrono::{DateTime, Utc};

use crate::contract::{Connector, KeyedCursors, Named, Pass, Settings, Source};
use crate::http::HttpError;
use crate::window::Window;
use crate::{ConnectorError, Fields, Kind, Page};

pub const KIND: Kind = Kind {
    name: "stackexchange",
    folder: "stackexchange",
    description: "Stack Exchange questions (Stack Overflow and the other sites) matching queries or tags (API 2.3)",
    example: "[[sources]]\nid = \"stackoverflow\"\nkind = \"stackexchange\"\nsite = \"stackoverflow\"\n\
              queries = [\"acme crm\"]\ninterval = \"10m\"\n",
    fields: Fields {
        allowed: &["site", "queries", "tags", "key_env", "token_env"],
        needs_one_of: &["queries", "tags"],
        required: &["site"],
    },
    quotas: &[("api.stackexchange.com", DEFAULT_PER_MINUTE), ("*", DEFAULT_PER_MINUTE)],
    build,
};

/// Requests per minute to `api.stackexchange.com`: 10,000 a day with an app key is about 6.9
/// a minute, so 6 a minute never runs the day's quota dry (without a key, 300 a day: use long
/// intervals).
pub const DEFAULT_PER_MINUTE: u32 = 6;

/// The default address of the API; `base_url` overrides it.
pub const DEFAULT_BASE_URL: &str = "https://api.stackexchange.com";

/// Below this many requests left for the day, every response is logged as a warning.
pub const LOW_QUOTA: i64 = 10;

/// Questions per page (the API's maximum).
const PAGE_SIZE: &str = "100";

/// Pages walked within one window before it is closed at its newest second.
const MAX_PAGES: u32 = 10;

fn build(settings: &Settings) -> Result<Box<dyn Connector>, String> {
    let site = settings
        .string("site")
        .map(|site| site.trim().to_owned())
        .filter(|site| !site.is_empty() && site.chars().all(|c| c.is_ascii_alphanumeric() || c == '.' || c == '-'))
        .ok_or_else(|| format!("{}: stackexchange needs a site such as \"stackoverflow\"", settings.id))?;
    let queries: Vec<String> =
        settings.strings("queries").into_iter().map(|q| q.trim().to_owned()).filter(|q| !q.is_empty()).collect();
    let tags: Vec<String> =
        settings.strings("tags").into_iter().map(|t| t.trim().to_lowercase()).filter(|t| !t.is_empty()).collect();
    if let Some(tag) = tags.iter().find(|tag| tag.contains(';') || tag.contains(char::is_whitespace)) {
        return Err(format!("{}: tags: {tag:?} is not one tag", settings.id));
    }
    if queries.is_empty() && tags.is_empty() {
        return Err(format!("{}: stackexchange needs queries or tags", settings.id));
    }
    let key = settings
        .secret("key_env")?
        .map(|value| Credential { name: settings.string("key_env").unwrap_or_default(), value });
    let token = settings
        .secret("token_env")?
        .map(|value| Credential { name: settings.string("token_env").unwrap_or_default(), value });
    if token.is_some() && key.is_none() {
        return Err(format!(
            "{}: token_env needs key_env too (Stack Exchange takes a token only with an app key)",
            settings.id
        ));
    }
    let source = StackExchange::new(settings.base_url.as_deref(), &site, searches(&queries, &tags), key, token);
    Ok(Named::boxed(&settings.id, source))
}

/// A value read from the environment; it never reaches a message or a log.
#[derive(Clone)]
pub struct Credential {
    /// The variable's name: the quota bucket.
    pub name: String,
    pub value: String,
}

impl std::fmt::Debug for Credential {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Credential").field("name", &self.name).finish_non_exhaustive()
    }
}

/// One search run every pass.
#[derive(Debug, Clone, PartialEq)]
pub struct Search {
    pub query: Option<String>,
    /// Any of these tags (`tagged=a;b`).
    pub tags: Vec<String>,
}

impl Search {
    /// The cursor key.
    fn key(&self) -> String {
        match &self.query {
            Some(query) if self.tags.is_empty() => format!("q:{query}"),
            Some(query) => format!("q:{query}|tagged:{}", self.tags.join(";")),
            None => format!("tagged:{}", self.tags.join(";")),
        }
    }
}

/// The searches `queries` and `tags` ask for.
pub fn searches(queries: &[String], tags: &[String]) -> Vec<Search> {
    if queries.is_empty() {
        return tags.iter().map(|tag| Search { query: None, tags: vec![tag.clone()] }).collect();
    }
    queries.iter().map(|query| Search { query: Some(query.clone()), tags: tags.to_vec() }).collect()
}

/// Per search: the newest `creation_date` taken (0 before the first pass) and the ids there;
/// `paging` (pages numbered from 1, the window's newest second sent as `todate`) while a window
/// of several pages is walked.
type SearchCursor = Window<u64>;

/// A configured Stack Exchange source.
#[derive(Debug)]
pub struct StackExchange {
    base_url: String,
    host: String,
    site: String,
    site_key: String,
    searches: Vec<Search>,
    key: Option<Credential>,
    token: Option<Credential>,
}

impl Source for StackExchange {
    /// One pass over every search: the new questions and the next cursor.
    async fn fetch(&self, pass: Pass<'_>, cursor: Option<&str>) -> Result<Page, ConnectorError> {
        let mut cursors = KeyedCursors::parse(KIND.name, cursor)?;
        let mut page = Page::empty();
        for search in &self.searches {
            let key = search.key();
            let next = self.fetch_search(pass, search, cursors.take(&key), &mut page).await?;
            cursors.put(key, next);
        }
        page.next_cursor = Some(cursors.finish());
        Ok(page)
    }
}

impl StackExchange {
    pub fn new(
        base_url: Option<&str>,
        site: &str,
        searches: Vec<Search>,
        key: Option<Credential>,
        token: Option<Credential>,
    ) -> Self {
        let base_url = base_url.unwrap_or(DEFAULT_BASE_URL).trim_end_matches('/').to_owned();
        let host = reqwest::Url::parse(&base_url)
            .ok()
            .and_then(|url| url.host_str().map(str::to_owned))
            .unwrap_or_else(|| "api.stackexchange.com".to_owned());
        Self { base_url, host, site: site.to_owned(), site_key: convert::site_key(site), searches, key, token }
    }

    async fn fetch_search(
        &self,
        pass: Pass<'_>,
        search: &Search,
        cursor: SearchCursor,
        page: &mut Page,
    ) -> Result<SearchCursor, ConnectorError> {
        let mut params = vec![("site", self.site.clone())];
        if let Some(query) = &search.query {
            params.push(("q", query.clone()));
        }
        if !search.tags.is_empty() {
            params.push(("tagged", search.tags.join(";")));
        }
        params.extend([
            ("sort", "creation".to_owned()),
            ("order", "desc".to_owned()),
            ("filter", "withbody".to_owned()),
            ("pagesize", PAGE_SIZE.to_owned()),
        ]);
        let first = cursor.since == 0;
        if !first {
            params.push(("fromdate", cursor.since.to_string()));
        }
        if let Some(paging) = &cursor.paging {
            params.push(("todate", paging.top.to_string()));
            params.push(("page", paging.page.to_string()));
        }
        if let Some(key) = &self.key {
            params.push(("key", key.value.clone()));
        }
        if let Some(token) = &self.token {
            params.push(("access_token", token.value.clone()));
        }
        let url = reqwest::Url::parse_with_params(&format!("{}/2.3/search/advanced", self.base_url), &params).map_err(
            |err| ConnectorError::Http { source_kind: KIND.name, detail: format!("{}: {err}", search.key()) },
        )?;
        let credential = self.key.as_ref().map(|key| key.name.as_str());
        let fetched = pass.http.get(url.as_str(), credential, &[]).await.map_err(|err| self.error(pass, err))?;
        page.count(&fetched);
        let response = convert::parse_response(&fetched.body, &self.site_key, pass.source_id, pass.now)?;
        self.observe_limits(pass, &response)?;
        page.skipped += response.skipped;

        let mut newest = cursor.newest_from(cursor.since);
        for item in response.items {
            let repeated = !first && cursor.taken(item.created, &item.question_id);
            newest.see(item.created, &item.question_id);
            if !repeated {
                page.mentions.push(item.mention);
            }
        }
        let next_page = cursor.paging.as_ref().map_or(2, |paging| paging.page + 1);
        if response.has_more && !first && next_page <= MAX_PAGES {
            page.more = true;
            return Ok(cursor.walking(next_page, newest));
        }
        // The window is read: it closes at its newest second.
        Ok(cursor.closed(newest))
    }

    /// Honours `backoff` and the day's quota.
    fn observe_limits(&self, pass: Pass<'_>, response: &convert::Response) -> Result<(), ConnectorError> {
        let Pass { http, source_id, .. } = pass;
        if let Some(backoff) = response.backoff {
            tracing::info!(source = %source_id, backoff_secs = backoff, "stack exchange asked for a backoff");
            http.pause(&self.host, Duration::from_secs(backoff));
        }
        match response.quota_remaining {
            Some(left) if left <= 0 => {
                let wait = seconds_to_next_utc_day(Utc::now());
                tracing::warn!(source = %source_id, wait_secs = wait, "stack exchange quota used up for today");
                Err(ConnectorError::RateLimited { source_kind: KIND.name, retry_after_secs: wait })
            }
            Some(left) if left < LOW_QUOTA => {
                tracing::warn!(
                    source = %source_id,
                    quota_remaining = left,
                    quota_max = response.quota_max.unwrap_or_default(),
                    "stack exchange quota almost used up; set key_env or lengthen the interval"
                );
                Ok(())
            }
            _ => Ok(()),
        }
    }

    /// A client error, read through the body Stack Exchange explains it with.
    fn error(&self, pass: Pass<'_>, err: HttpError) -> ConnectorError {
        let Pass { http, source_id, .. } = pass;
        let (status, body) = match &err {
            HttpError::Status { status, body, .. } | HttpError::Auth { status, body, .. } => (*status, body.as_str()),
            _ => return ConnectorError::from_http(KIND.name, err),
        };
        let Some(explained) = convert::parse_error(body) else { return ConnectorError::from_http(KIND.name, err) };
        let name = explained.error_name.unwrap_or_default();
        let message = explained.error_message.unwrap_or_default();
        // What Stack Exchange says, minus anything that could echo a key or token back.
        let clean = |text: &str| {
            let mut text: String = text.chars().filter(|c| !c.is_control()).take(300).collect();
            for secret in self.key.iter().chain(&self.token) {
                text = text.replace(&secret.value, "***");
            }
            text
        };
        match (explained.error_id, name.as_str()) {
            (502, _) | (_, "throttle_violation") => {
                let wait = convert::throttle_wait(&message).unwrap_or(3600);
                tracing::warn!(source = %source_id, wait_secs = wait, "stack exchange is throttling this IP");
                http.pause(&self.host, Duration::from_secs(wait));
                ConnectorError::RateLimited { source_kind: KIND.name, retry_after_secs: wait }
            }
            (401..=403 | 405 | 406, _) | (_, "access_denied" | "access_token_required" | "invalid_access_token") => {
                ConnectorError::Auth { source_kind: KIND.name, status }
            }
            (id, _) => ConnectorError::Http {
                source_kind: KIND.name,
                detail: format!(
                    "{} rejected the request (HTTP {status}, {id} {}): {}",
                    self.host,
                    clean(&name),
                    clean(&message)
                ),
            },
        }
    }
}

/// Seconds from `now` to the next 00:00 UTC, when the daily quota starts again.
fn seconds_to_next_utc_day(now: DateTime<Utc>) -> u64 {
    let since_midnight = now.timestamp().rem_euclid(86_400);
    u64::try_from(86_400 - since_midnight).unwrap_or(86_400)
}
