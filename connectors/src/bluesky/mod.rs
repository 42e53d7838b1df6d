//! Bluesky: posts matching keyword queries and hashtags, through `app.bsky.feed.searchPosts`.
//!
//! `GET {base_url}/xrpc/app.bsky.feed.searchPosts?q=…&sort=latest&limit=100[&cursor=…]`;
//! `tags` are searched as `#tag`. Anonymous search goes to the public AppView
//! (`https://public.api.bsky.app`), which often refuses full-text search without a login
//! (403, an auth error) and always refuses `cursor` paging; with credentials the default
//! `base_url` is the `https://bsky.social` PDS, which proxies to the AppView. Credentials:
//! `identifier_env` + `app_password_env` (a handle and an app password: the connector logs in
//! with `com.atproto.server.createSession` and reuses the session across passes, since logins
//! are limited to 30 per 5 minutes and 300 a day), or `token_env` (an access token).
//!
//! The external id is the post's `at://` uri; the link is its bsky.app page. Link labels that
//! the client shortened are replaced by their link (facets, by UTF-8 byte offsets).
//!
//! Cursor, per query: the newest sort time taken (`sort=latest` orders by the earlier of
//! `createdAt` and `indexedAt`) and the uris taken in the two minutes below it, so a post
//! indexed a little after a newer one is still taken and nothing is taken twice. The first pass
//! takes the newest page only. With credentials, when a later pass finds its first page all
//! new, the connector walks the window down with the API's opaque `cursor`, one page per pass
//! with `more` set (at most 50 pages), before the high-water mark moves up.
//!
//! Rate limit: 3000 requests per 5 minutes per IP (`RateLimit-*` headers, which the HTTP client
//! paces to); Bluesky asks that search serve human-directed listening, not bulk collection.
//! Example:
//!
//! ```toml
//! [[sources]]
//! id = "bluesky"
//! kind = "bluesky"
//! queries = ["acme crm"]
//! tags = ["acmecrm"]
//! identifier_env = "HARK_BSKY_HANDLE"
//! app_password_env = "HARK_BSKY_APP_PASSWORD"
//! interval = "5m"
//! ```

pub mod api;
pub mod convert;
#[cfg(test)]
pub(crate) mod tests;

use std::collections::{BTreeMap, HashMap, HashSet};
use std::sync::{LazyLock, Mutex};
use std::time::{Duration, Instant};

use chrono::{DateTime, SecondsFormat, Utc};
use serde::{Deserialize, Serialize};

use crate::contract::{Connector, Named, Pass, Settings, Source, parse_cursor};
use crate::http::{Fetched, HttpClient, HttpError};
use crate::{ConnectorError, Fields, Kind, Page};
use convert::{Context, SearchPage};

pub const KIND: Kind = Kind {
    name: "bluesky",
    folder: "bluesky",
    description: "Bluesky posts matching keyword queries and hashtags (searchPosts; an app password recommended)",
    example: "[[sources]]\nid = \"bluesky\"\nkind = \"bluesky\"\nqueries = [\"acme crm\"]\ntags = [\"acmecrm\"]\n\
              # search without a login is often refused: name the variables holding a handle and an app password\n\
              # identifier_env = \"HARK_BSKY_HANDLE\"\n# app_password_env = \"HARK_BSKY_APP_PASSWORD\"\n\
              interval = \"5m\"\n",
    fields: Fields {
        allowed: &["queries", "tags", "identifier_env", "token_env", "app_password_env"],
        needs_one_of: &["queries", "tags"],
        required: &[],
    },
    quotas: &[
        ("public.api.bsky.app", DEFAULT_PER_MINUTE),
        ("bsky.social", DEFAULT_PER_MINUTE),
        ("*", DEFAULT_PER_MINUTE),
    ],
    build,
};

/// A polite pace: one request every 2 s. The documented limit is 3000 requests per 5 minutes
/// per IP, and Bluesky asks that search serve human-directed listening, not bulk collection.
pub const DEFAULT_PER_MINUTE: u32 = 30;

/// The public AppView: anonymous reads.
pub const DEFAULT_BASE_URL: &str = "https://public.api.bsky.app";

/// The bsky.social PDS: logins, and authenticated reads proxied to the AppView.
pub const DEFAULT_AUTH_BASE_URL: &str = "https://bsky.social";

/// Posts asked for per request (the API's maximum).
pub const LIMIT: u32 = 100;

/// How far below the high-water mark posts are still looked for (indexing lag, client clocks).
const OVERLAP: chrono::TimeDelta = chrono::TimeDelta::minutes(2);

/// Most uris kept in a cursor for the overlap.
const MAX_RECENT: usize = 1000;

/// Most pages walked down one window before the high-water mark moves up anyway.
const MAX_WALK_PAGES: u32 = 50;

/// How long a session's access token is reused (bsky.social's last about two hours).
const SESSION_TTL: Duration = Duration::from_secs(30 * 60);

fn build(settings: &Settings) -> Result<Box<dyn Connector>, String> {
    let identifier = settings.secret("identifier_env")?;
    let password = settings.secret("app_password_env")?;
    let token = settings.secret("token_env")?;
    let credentials = match (identifier, password, token) {
        (Some(identifier), Some(password), _) => Some(Credentials::Password {
            variable: settings.string("identifier_env").unwrap_or_default(),
            identifier,
            password,
        }),
        (Some(_), None, _) | (None, Some(_), _) => {
            return Err(format!("{}: identifier_env and app_password_env go together", settings.id));
        }
        (None, None, Some(token)) => {
            Some(Credentials::Token { variable: settings.string("token_env").unwrap_or_default(), token })
        }
        (None, None, None) => None,
    };
    let mut queries = settings.strings("queries");
    queries.extend(settings.strings("tags").iter().map(|tag| format!("#{}", tag.trim().trim_start_matches('#'))));
    let source = Bluesky::new(settings.base_url.as_deref(), &queries, credentials)
        .map_err(|err| format!("{}: {err}", settings.id))?;
    Ok(Named::boxed(&settings.id, source))
}

/// How the source logs in. `variable` names the environment variable the identity came from:
/// it is the quota bucket's name, and the only part that may be shown.
#[derive(Clone)]
pub enum Credentials {
    /// A handle (or DID or email) and an app password, exchanged for a session.
    Password { variable: String, identifier: String, password: String },
    /// An access token used as is.
    Token { variable: String, token: String },
}

impl Credentials {
    fn variable(&self) -> &str {
        match self {
            Self::Password { variable, .. } | Self::Token { variable, .. } => variable,
        }
    }

    /// Every secret value, to keep out of messages.
    fn secrets(&self) -> Vec<&str> {
        match self {
            Self::Password { password, .. } => vec![password],
            Self::Token { token, .. } => vec![token],
        }
    }
}

impl std::fmt::Debug for Credentials {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Credentials").field("variable", &self.variable()).field("secret", &"<redacted>").finish()
    }
}

/// Sessions by PDS and identifier, shared by every pass of the process.
static SESSIONS: LazyLock<Mutex<HashMap<String, (String, Instant)>>> = LazyLock::new(Mutex::default);

/// Per query: the newest sort time taken, the posts taken shortly below it, and while a window
/// is walked down, where the walk stands.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
struct QueryCursor {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    since: Option<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    recent: Vec<Seen>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    paging: Option<Paging>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
struct Seen {
    uri: String,
    at: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
struct Paging {
    /// The API's cursor for the next (older) page.
    cursor: String,
    /// The window's newest sort time: where `since` goes once the walk ends.
    top: String,
    /// The oldest sort time taken so far in the walk, and the uris taken there: pages shift
    /// down as posts arrive, so what is above it was taken already.
    low: String,
    low_seen: Vec<String>,
    pages: u32,
}

fn time_text(at: DateTime<Utc>) -> String {
    at.to_rfc3339_opts(SecondsFormat::AutoSi, true)
}

/// A cursor with its times parsed.
#[derive(Debug)]
struct Parsed {
    since: Option<DateTime<Utc>>,
    recent: Vec<(String, DateTime<Utc>)>,
    paging: Option<(Paging, DateTime<Utc>, DateTime<Utc>)>,
}

impl QueryCursor {
    fn parse(&self, raw: &str) -> Result<Parsed, ConnectorError> {
        let time = |text: &str| {
            DateTime::parse_from_rfc3339(text)
                .map(|at| at.with_timezone(&Utc))
                .map_err(|err| ConnectorError::cursor(KIND.name, raw, format!("{text:?}: {err}")))
        };
        let since = self.since.as_deref().map(time).transpose()?;
        let recent =
            self.recent.iter().map(|seen| Ok((seen.uri.clone(), time(&seen.at)?))).collect::<Result<Vec<_>, _>>()?;
        let paging = match (&self.paging, since) {
            (Some(paging), Some(_)) => Some((paging.clone(), time(&paging.top)?, time(&paging.low)?)),
            _ => None,
        };
        Ok(Parsed { since, recent, paging })
    }
}

/// A configured Bluesky source.
#[derive(Debug, Clone)]
pub struct Bluesky {
    base_url: String,
    queries: Vec<String>,
    credentials: Option<Credentials>,
}

impl Source for Bluesky {
    /// One pass over every query: the new posts and the next cursor.
    async fn fetch(&self, pass: Pass<'_>, cursor: Option<&str>) -> Result<Page, ConnectorError> {
        let Pass { http, source_id, now } = pass;
        let mut cursors: BTreeMap<String, QueryCursor> = parse_cursor(KIND.name, cursor)?;
        let mut parsed = HashMap::new();
        for (query, entry) in &cursors {
            parsed.insert(query.clone(), entry.parse(cursor.unwrap_or_default())?);
        }
        let mut page = Page::empty();
        let mut session = self.session(http, &mut page, false).await?;
        let context = Context { source_id, fetched_at: now };
        let mut taken = HashSet::new();
        for query in &self.queries {
            let previous = parsed.remove(query).unwrap_or(Parsed { since: None, recent: Vec::new(), paging: None });
            let api_cursor = previous.paging.as_ref().map(|(paging, _, _)| paging.cursor.as_str());
            let fetched = match self.search(http, query, api_cursor, session.as_ref()).await {
                Err(err) if session.as_ref().is_some_and(|s| s.cached) && session_expired(&err) => {
                    // The reused session ran out: log in again, once.
                    session = self.session(http, &mut page, true).await?;
                    self.search(http, query, api_cursor, session.as_ref()).await
                }
                other => other,
            }
            .map_err(|err| self.search_error(query, err))?;
            page.count(&fetched);
            let found = convert::parse_search(&fetched.body, context)?;
            page.skipped += found.skipped;
            let (mentions, next) = advance(&previous, found, self.credentials.is_some());
            page.mentions.extend(mentions.into_iter().filter(|mention| taken.insert(mention.external_id.clone())));
            page.more |= next.paging.is_some();
            cursors.insert(query.clone(), next);
        }
        page.next_cursor = Some(serde_json::to_string(&cursors).expect("cursors serialise"));
        Ok(page)
    }
}

impl Bluesky {
    /// A source searching `queries` (a tag is a query `#tag`) at `base_url`, or at the default
    /// host for the credentials given.
    pub fn new(base_url: Option<&str>, queries: &[String], credentials: Option<Credentials>) -> Result<Self, String> {
        let default = if credentials.is_some() { DEFAULT_AUTH_BASE_URL } else { DEFAULT_BASE_URL };
        let base_url = base_url.unwrap_or(default).trim().trim_end_matches('/').to_owned();
        let parsed = reqwest::Url::parse(&base_url).map_err(|err| format!("base_url {base_url:?}: {err}"))?;
        if !matches!(parsed.scheme(), "http" | "https") || parsed.host_str().is_none() {
            return Err(format!("base_url {base_url:?} must be an http(s) URL"));
        }
        let mut seen = HashSet::new();
        let queries: Vec<String> = queries
            .iter()
            .map(|query| query.trim().to_owned())
            .filter(|query| !query.is_empty() && query != "#" && seen.insert(query.clone()))
            .collect();
        if queries.is_empty() {
            return Err("a bluesky source needs at least one query or tag".to_owned());
        }
        Ok(Self { base_url, queries, credentials })
    }

    async fn search(
        &self,
        http: &HttpClient,
        query: &str,
        api_cursor: Option<&str>,
        session: Option<&Session>,
    ) -> Result<Fetched, HttpError> {
        let mut url = reqwest::Url::parse(&format!("{}/xrpc/app.bsky.feed.searchPosts", self.base_url))
            .map_err(|_| HttpError::Url(self.base_url.clone()))?;
        url.query_pairs_mut()
            .append_pair("q", query)
            .append_pair("sort", "latest")
            .append_pair("limit", &LIMIT.to_string());
        if let Some(api_cursor) = api_cursor {
            url.query_pairs_mut().append_pair("cursor", api_cursor);
        }
        let authorization = session.map(|session| format!("Bearer {}", session.token));
        let headers: Vec<(&str, &str)> =
            authorization.as_deref().map(|value| ("Authorization", value)).into_iter().collect();
        http.get(url.as_str(), self.credentials.as_ref().map(Credentials::variable), &headers).await
    }

    /// A search error as the connector reports it: XRPC error envelopes explained.
    fn search_error(&self, query: &str, err: HttpError) -> ConnectorError {
        match err {
            HttpError::Status { status, body, .. } => {
                let said = convert::xrpc_error(body.as_bytes()).unwrap_or_else(|| "no XRPC error given".to_owned());
                ConnectorError::Http {
                    source_kind: KIND.name,
                    detail: self.redact(&format!("searchPosts for {query:?} was refused (HTTP {status}): {said}")),
                }
            }
            other => ConnectorError::from_http(KIND.name, other),
        }
    }

    fn redact(&self, text: &str) -> String {
        let mut text = text.to_owned();
        for secret in self.credentials.iter().flat_map(Credentials::secrets) {
            if !secret.is_empty() {
                text = text.replace(secret, "<redacted>");
            }
        }
        text
    }

    /// The token to send: none, the configured one, a reused session, or a new login.
    async fn session(
        &self,
        http: &HttpClient,
        page: &mut Page,
        fresh: bool,
    ) -> Result<Option<Session>, ConnectorError> {
        let (variable, identifier, password) = match &self.credentials {
            None => return Ok(None),
            Some(Credentials::Token { token, .. }) => return Ok(Some(Session { token: token.clone(), cached: false })),
            Some(Credentials::Password { variable, identifier, password }) => (variable, identifier, password),
        };
        let key = format!("{}\u{0}{identifier}", self.base_url);
        if !fresh {
            let sessions = SESSIONS.lock().expect("session map lock is never poisoned");
            if let Some((token, _)) = sessions.get(&key).filter(|(_, until)| *until > Instant::now()) {
                return Ok(Some(Session { token: token.clone(), cached: true }));
            }
        }
        let url = format!("{}/xrpc/com.atproto.server.createSession", self.base_url);
        let body = serde_json::json!({ "identifier": identifier, "password": password });
        let fetched = http.post_json(&url, Some(variable), &[], &body).await.map_err(|err| match err {
            HttpError::Status { status, body, .. } => {
                let said = convert::xrpc_error(body.as_bytes()).unwrap_or_else(|| "no XRPC error given".to_owned());
                ConnectorError::Http {
                    source_kind: KIND.name,
                    detail: self.redact(&format!("createSession refused the login (HTTP {status}): {said}")),
                }
            }
            other => ConnectorError::from_http(KIND.name, other),
        })?;
        page.count(&fetched);
        let session: api::Session = serde_json::from_slice(&fetched.body)
            .map_err(|err| ConnectorError::malformed(KIND.name, format!("createSession response: {err}")))?;
        if session.access_jwt.trim().is_empty() {
            return Err(ConnectorError::malformed(KIND.name, "createSession gave an empty accessJwt"));
        }
        SESSIONS
            .lock()
            .expect("session map lock is never poisoned")
            .insert(key, (session.access_jwt.clone(), Instant::now() + SESSION_TTL));
        Ok(Some(Session { token: session.access_jwt, cached: false }))
    }
}

/// A token to send, and whether it came from the session cache (and may have run out).
#[derive(Clone)]
struct Session {
    token: String,
    cached: bool,
}

/// Whether a search failed because the session's token ran out.
fn session_expired(err: &HttpError) -> bool {
    match err {
        HttpError::Auth { status: 401, .. } => true,
        HttpError::Status { status: 400, body, .. } => {
            matches!(convert::xrpc_error_name(body.as_bytes()).as_deref(), Some("ExpiredToken" | "InvalidToken"))
        }
        _ => false,
    }
}

/// One response for one query: the new posts, and the query's next cursor. `can_walk` says
/// whether older pages may be fetched with the API cursor (it needs a login).
fn advance(previous: &Parsed, found: SearchPage, can_walk: bool) -> (Vec<hark_core::Mention>, QueryCursor) {
    let since = previous.since;
    let floor = since.map(|since| since - OVERLAP);
    let recent: HashSet<&str> = previous.recent.iter().map(|(uri, _)| uri.as_str()).collect();
    let walk = previous.paging.as_ref();
    let below_walk = |at: DateTime<Utc>, uri: &str| {
        walk.is_none_or(|(paging, _, low)| at < *low || (at == *low && !paging.low_seen.iter().any(|seen| seen == uri)))
    };
    let mut taken: Vec<convert::Post> = Vec::new();
    for post in found.posts {
        let uri = post.mention.external_id.as_str();
        if floor.is_none_or(|floor| post.at > floor) && !recent.contains(uri) && below_walk(post.at, uri) {
            taken.push(post);
        }
    }
    let top = found.times.iter().copied().chain(walk.map(|(_, top, _)| *top)).chain(since).max();
    // The page reached what earlier passes covered: the window is read.
    let reached = since.is_some_and(|since| found.times.iter().any(|at| *at <= since));
    let pages = walk.map_or(0, |(paging, _, _)| paging.pages);
    let repeated = walk.is_some_and(|(paging, _, _)| found.cursor.as_deref() == Some(paging.cursor.as_str()));
    let next_cursor =
        found.cursor.filter(|_| can_walk && since.is_some() && !reached && !taken.is_empty() && !repeated);
    if next_cursor.is_some() && pages >= MAX_WALK_PAGES {
        tracing::warn!(pages, "bluesky: a window deeper than the walk allows; older posts in it are skipped");
    }
    let mut recent_next: Vec<(String, DateTime<Utc>)> = previous.recent.clone();
    let next = match (next_cursor.filter(|_| pages < MAX_WALK_PAGES), top) {
        (Some(api_cursor), Some(top)) => {
            let low = taken.iter().map(|post| post.at).min().expect("a walk goes on only after taking posts");
            let mut low_seen: Vec<String> = walk
                .filter(|(_, _, previous_low)| *previous_low == low)
                .map(|(paging, _, _)| paging.low_seen.clone())
                .unwrap_or_default();
            low_seen.extend(taken.iter().filter(|post| post.at == low).map(|post| post.mention.external_id.clone()));
            recent_next.extend(
                taken.iter().filter(|post| post.at > top - OVERLAP).map(|p| (p.mention.external_id.clone(), p.at)),
            );
            let paging =
                Paging { cursor: api_cursor, top: time_text(top), low: time_text(low), low_seen, pages: pages + 1 };
            QueryCursor { since: since.map(time_text), recent: trim_recent(recent_next, None), paging: Some(paging) }
        }
        (_, top) => {
            recent_next.extend(taken.iter().map(|post| (post.mention.external_id.clone(), post.at)));
            let recent = trim_recent(recent_next, top.map(|top| top - OVERLAP));
            QueryCursor { since: top.map(time_text), recent, paging: None }
        }
    };
    (taken.into_iter().map(|post| post.mention).collect(), next)
}

/// The newest [`MAX_RECENT`] uris above `floor`, newest first, each once.
fn trim_recent(mut recent: Vec<(String, DateTime<Utc>)>, floor: Option<DateTime<Utc>>) -> Vec<Seen> {
    recent.retain(|(_, at)| floor.is_none_or(|floor| *at > floor));
    recent.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
    recent.dedup_by(|a, b| a.0 == b.0);
    recent.truncate(MAX_RECENT);
    recent.into_iter().map(|(uri, at)| Seen { uri, at: time_text(at) }).collect()
}
