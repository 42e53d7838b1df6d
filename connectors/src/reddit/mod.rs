//! Reddit: submissions and comments from subreddit listings and keyword searches.
//!
//! What is read, per the configured fields:
//! - `subreddits` only: every new submission, `GET /r/a+b/new?limit=100&raw_json=1` (the
//!   subreddits joined into one listing), and with `comments = true` every new comment,
//!   `GET /r/a+b/comments?limit=100&raw_json=1`.
//! - `queries` only: a site-wide search per query, `GET /search?q=…&sort=new&type=link`.
//! - both: a search per query inside the subreddits (`/r/a+b/search?…&restrict_sr=1`), and with
//!   `comments = true` the subreddits' comment listing kept only where a comment matches a query
//!   locally (comments cannot be searched through the API; see [`crate::keywords::matches_query`]).
//!
//! Access: with `client_id_env` and `client_secret_env`, an application-only OAuth token
//! (`POST {www.reddit.com}/api/v1/access_token`, HTTP Basic, `grant_type=client_credentials`,
//! taken once per pass and kept while it is valid), then `https://oauth.reddit.com` with
//! `Authorization: bearer …`; a 401 on a token held from earlier in the pass gets one new token
//! and one retry. Without them, the public `https://www.reddit.com/….json` endpoints. With a
//! `base_url`, both the token endpoint and the API live under it. Every request carries the
//! `user_agent` field as its User-Agent (Reddit throttles generic agents; the recommended form
//! is `<platform>:<app id>:<version> (by /u/<username>)`).
//!
//! Cursor, per listing or search: the newest `created_utc` seen, a floor 30 minutes below it
//! (search indexes lag and moderators release held posts late, so the window overlaps) and the
//! fullnames seen since the floor, so that the overlap repeats nothing. `after` is used only as
//! a hint: when a whole page is new, the next pass walks back one page at a time (at most ten,
//! as far as listings reach) before the floor moves; `before` is never used, since a `before`
//! pointing at a removed item answers empty pages for ever. Removed and deleted items are
//! skipped and counted. A community that is quarantined, private or banned is an error naming
//! it, not an empty result.
//!
//! Rate limits: OAuth clients may make 100 requests per minute ([`DEFAULT_PER_MINUTE`]) and
//! responses carry `X-Ratelimit-*` headers, which the HTTP client paces to; the public JSON
//! endpoints allow about 10 per minute per IP ([`PUBLIC_PER_MINUTE`]). Example:
//!
//! ```toml
//! [[sources]]
//! id = "reddit-crm"
//! kind = "reddit"
//! subreddits = ["crm", "smallbusiness"]
//! queries = ["acme crm"]
//! comments = true
//! client_id_env = "HARK_REDDIT_CLIENT_ID"
//! client_secret_env = "HARK_REDDIT_CLIENT_SECRET"
//! user_agent = "server:acme-listening:1.0 (by /u/acme_social)"
//! interval = "5m"
//! ```

pub mod api;
pub mod convert;
#[cfg(test)]
pub(crate) mod tests;

use std::collections::BTreeMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use base64::Engine as _;
use serde::{Deserialize, Serialize};

use crate::contract::{Connector, KeyedCursors, Named, Pass, Settings, Source};
use crate::http::{Fetched, HttpClient, HttpError};
use crate::{ConnectorError, Fields, Kind, Page};

pub const KIND: Kind = Kind {
    name: "reddit",
    folder: "reddit",
    description: "Reddit submissions and comments from subreddit listings and keyword searches (OAuth or public JSON)",
    example: "[[sources]]\nid = \"reddit-crm\"\nkind = \"reddit\"\nsubreddits = [\"crm\"]\nqueries = [\"acme crm\"]\n\
              comments = true\nclient_id_env = \"HARK_REDDIT_CLIENT_ID\"\n\
              client_secret_env = \"HARK_REDDIT_CLIENT_SECRET\"\n\
              user_agent = \"server:acme-listening:1.0 (by /u/acme_social)\"\ninterval = \"5m\"\n",
    fields: Fields {
        allowed: &["subreddits", "queries", "client_id_env", "client_secret_env", "user_agent", "comments"],
        needs_one_of: &["subreddits", "queries"],
        required: &[],
    },
    quotas: &[(OAUTH_HOST, DEFAULT_PER_MINUTE), (PUBLIC_HOST, PUBLIC_PER_MINUTE), ("*", PUBLIC_PER_MINUTE)],
    build,
};

/// Requests per minute to [`OAUTH_HOST`]: the Data API free tier allows 100 per minute per
/// OAuth client id (counted over 10 minutes).
pub const DEFAULT_PER_MINUTE: u32 = 100;

/// Requests per minute to [`PUBLIC_HOST`] (public JSON and the token endpoint): about 10 per
/// minute per IP without OAuth.
pub const PUBLIC_PER_MINUTE: u32 = 10;

/// The API host for OAuth clients.
pub const OAUTH_HOST: &str = "oauth.reddit.com";

/// The public site: unauthenticated JSON and the token endpoint.
pub const PUBLIC_HOST: &str = "www.reddit.com";

/// Items asked for per request (Reddit's maximum).
const LIMIT: &str = "100";

/// How far below the newest item seen a listing is still read (seconds).
const OVERLAP_SECS: i64 = 30 * 60;

/// Fullnames kept per listing in the cursor; past it the floor rises instead.
const MAX_SEEN: usize = 500;

/// Pages walked back with `after` within one window (listings reach about 1,000 items).
const MAX_PAGES: u32 = 10;

fn build(settings: &Settings) -> Result<Box<dyn Connector>, String> {
    let mut subreddits = Vec::new();
    for raw in settings.strings("subreddits") {
        subreddits.push(subreddit_name(&raw).ok_or_else(|| {
            format!("{}: subreddits: {raw:?} is not a subreddit name (letters, digits and _)", settings.id)
        })?);
    }
    let queries: Vec<String> =
        settings.strings("queries").into_iter().map(|q| q.trim().to_owned()).filter(|q| !q.is_empty()).collect();
    let comments = settings.fields.get("comments").and_then(serde_json::Value::as_bool).unwrap_or(false);
    if subreddits.is_empty() && queries.is_empty() {
        return Err(format!("{}: reddit needs subreddits or queries", settings.id));
    }
    if comments && subreddits.is_empty() {
        return Err(format!(
            "{}: comments = true needs subreddits (Reddit's API cannot search comments site-wide)",
            settings.id
        ));
    }
    let credentials = match (settings.secret("client_id_env")?, settings.secret("client_secret_env")?) {
        (Some(client_id), Some(secret)) => {
            Some(Credentials { name: settings.string("client_id_env").unwrap_or_default(), client_id, secret })
        }
        (None, None) => None,
        _ => {
            return Err(format!(
                "{}: OAuth needs both client_id_env and client_secret_env (or neither, for the public JSON endpoints)",
                settings.id
            ));
        }
    };
    let user_agent = match settings.string("user_agent") {
        Some(agent) if agent.trim().is_empty() || agent.chars().any(char::is_control) => {
            return Err(format!("{}: user_agent must be one line of printable text", settings.id));
        }
        Some(agent) => agent.trim().to_owned(),
        None => format!("server:hark:{} (self-hosted social listening)", env!("CARGO_PKG_VERSION")),
    };
    let options = Options { subreddits, queries, comments, user_agent };
    Ok(Named::boxed(&settings.id, Reddit::new(settings.base_url.as_deref(), options, credentials)))
}

/// `crm`, `r/crm`, `/r/crm/` or a subreddit URL as the bare name, lower case.
fn subreddit_name(raw: &str) -> Option<String> {
    let raw = raw.trim();
    let raw = raw.find("/r/").map_or(raw, |at| &raw[at + 3..]);
    let name = raw.trim_start_matches('/').trim_start_matches("r/").trim_end_matches('/');
    let valid = (2..=21).contains(&name.len()) && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_');
    valid.then(|| name.to_ascii_lowercase())
}

/// What a Reddit source reads.
#[derive(Debug, Clone)]
pub struct Options {
    /// Bare subreddit names.
    pub subreddits: Vec<String>,
    pub queries: Vec<String>,
    /// Whether to read the subreddits' comment listing too.
    pub comments: bool,
    pub user_agent: String,
}

/// OAuth client credentials. The values never reach a message or a log.
#[derive(Clone)]
pub struct Credentials {
    /// The name of the variable holding the client id: the quota bucket.
    pub name: String,
    pub client_id: String,
    pub secret: String,
}

impl std::fmt::Debug for Credentials {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Credentials").field("name", &self.name).finish_non_exhaustive()
    }
}

/// One listing or search read every pass, with its own cursor.
#[derive(Debug, Clone)]
struct Target {
    /// The cursor key, e.g. `new:r/crm+sales` or `search:r/crm:acme crm`.
    key: String,
    /// The path under the API base, without `.json`.
    path: String,
    /// Search parameters (`q`, and whether restricted to the subreddits).
    search: Option<(String, bool)>,
    /// Keep only items matching one of these (comment listings watched for keywords).
    filter: Vec<String>,
}

/// The listings and searches that `options` asks for.
fn targets(options: &Options) -> Vec<Target> {
    let joined = options.subreddits.iter().map(|name| name.to_ascii_lowercase()).collect::<Vec<_>>().join("+");
    let mut targets = Vec::new();
    if options.subreddits.is_empty() {
        for query in &options.queries {
            let search = Some((query.clone(), false));
            targets.push(Target { key: format!("search:{query}"), path: "/search".into(), search, filter: Vec::new() });
        }
        return targets;
    }
    if options.queries.is_empty() {
        targets.push(Target {
            key: format!("new:r/{joined}"),
            path: format!("/r/{joined}/new"),
            search: None,
            filter: Vec::new(),
        });
    }
    for query in &options.queries {
        targets.push(Target {
            key: format!("search:r/{joined}:{query}"),
            path: format!("/r/{joined}/search"),
            search: Some((query.clone(), true)),
            filter: Vec::new(),
        });
    }
    if options.comments {
        targets.push(Target {
            key: format!("comments:r/{joined}"),
            path: format!("/r/{joined}/comments"),
            search: None,
            filter: options.queries.clone(),
        });
    }
    targets
}

/// Per listing: where the next pass starts.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
struct TargetCursor {
    /// The newest `created_utc` seen (Unix seconds; 0 before the first read).
    newest: i64,
    /// Items created before this are not new.
    floor: i64,
    /// Fullnames seen at or after `floor`, with their creation second.
    seen: BTreeMap<String, i64>,
    /// While walking back through a window: the `after` hint of the next page.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    paging: Option<Paging>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
struct Paging {
    after: String,
    /// Pages read in this window so far.
    pages: u32,
}

impl TargetCursor {
    /// Drops fullnames below the floor; past [`MAX_SEEN`], the oldest go and the floor rises
    /// above them, so nothing dropped can come back as new.
    fn prune(&mut self) {
        let floor = self.floor;
        self.seen.retain(|_, created| *created >= floor);
        if self.seen.len() > MAX_SEEN {
            let mut times: Vec<i64> = self.seen.values().copied().collect();
            times.sort_unstable_by(|a, b| b.cmp(a));
            let cut = times[MAX_SEEN];
            self.floor = self.floor.max(cut.saturating_add(1));
            let floor = self.floor;
            self.seen.retain(|_, created| *created >= floor);
        }
    }
}

/// A token held for the rest of its life.
struct CachedToken {
    value: String,
    until: Instant,
}

/// A configured Reddit source.
pub struct Reddit {
    api_base: String,
    auth_base: String,
    /// Public endpoints take a `.json` suffix.
    json_suffix: &'static str,
    credentials: Option<Credentials>,
    targets: Vec<Target>,
    user_agent: String,
    token: Mutex<Option<CachedToken>>,
}

impl std::fmt::Debug for Reddit {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Reddit")
            .field("api_base", &self.api_base)
            .field("credentials", &self.credentials)
            .field("targets", &self.targets)
            .finish_non_exhaustive()
    }
}

impl Source for Reddit {
    /// One pass over every listing and search: the new items and the next cursor.
    async fn fetch(&self, pass: Pass<'_>, cursor: Option<&str>) -> Result<Page, ConnectorError> {
        let mut cursors = KeyedCursors::parse(KIND.name, cursor)?;
        let mut page = Page::empty();
        for target in &self.targets {
            let next = self.fetch_target(pass, target, cursors.take(&target.key), &mut page).await?;
            cursors.put(target.key.clone(), next);
        }
        page.next_cursor = Some(cursors.finish());
        Ok(page)
    }
}

impl Reddit {
    pub fn new(base_url: Option<&str>, options: Options, credentials: Option<Credentials>) -> Self {
        let configured = base_url.map(|url| url.trim_end_matches('/').to_owned());
        let public = format!("https://{PUBLIC_HOST}");
        let (api_base, auth_base) = match (&configured, &credentials) {
            (Some(base), _) => (base.clone(), base.clone()),
            (None, Some(_)) => (format!("https://{OAUTH_HOST}"), public),
            (None, None) => (public.clone(), public),
        };
        Self {
            api_base,
            auth_base,
            json_suffix: if credentials.is_some() { "" } else { ".json" },
            credentials,
            targets: targets(&options),
            user_agent: options.user_agent,
            token: Mutex::new(None),
        }
    }

    async fn fetch_target(
        &self,
        pass: Pass<'_>,
        target: &Target,
        mut cursor: TargetCursor,
        page: &mut Page,
    ) -> Result<TargetCursor, ConnectorError> {
        let first = cursor == TargetCursor::default();
        let mut params = vec![("limit", LIMIT.to_owned()), ("raw_json", "1".to_owned())];
        if let Some((query, restrict)) = &target.search {
            params.push(("q", query.clone()));
            params.push(("sort", "new".to_owned()));
            params.push(("type", "link".to_owned()));
            if *restrict {
                params.push(("restrict_sr", "1".to_owned()));
            }
        }
        let paging = cursor.paging.take();
        if let Some(paging) = &paging {
            params.push(("after", paging.after.clone()));
        }
        let url =
            reqwest::Url::parse_with_params(&format!("{}{}{}", self.api_base, target.path, self.json_suffix), &params)
                .map_err(|err| ConnectorError::Http {
                    source_kind: KIND.name,
                    detail: format!("{}: {err}", target.key),
                })?;
        let fetched = self.get(pass, url.as_str(), target, page).await?;
        let listing = convert::parse_listing(&fetched.body, pass.source_id, pass.now)?;
        page.skipped += listing.unreadable;

        let mut last_was_new = false;
        for entry in listing.entries {
            cursor.newest = cursor.newest.max(entry.created);
            last_was_new = entry.created >= cursor.floor && !cursor.seen.contains_key(&entry.fullname);
            if !last_was_new {
                continue;
            }
            cursor.seen.insert(entry.fullname, entry.created);
            match entry.mention {
                None => page.skipped += 1,
                Some(mention)
                    if target.filter.is_empty() || crate::keywords::matches_any(&mention.text, &target.filter) =>
                {
                    page.mentions.push(mention);
                }
                // A comment that does not mention any query.
                Some(_) => {}
            }
        }
        let pages = paging.map_or(1, |paging| paging.pages + 1);
        cursor.paging = match listing.after {
            // The whole page was new: older new items may wait behind it.
            Some(after) if !first && last_was_new && pages < MAX_PAGES => Some(Paging { after, pages }),
            _ => None,
        };
        if cursor.paging.is_some() {
            page.more = true;
        } else {
            cursor.floor = cursor.floor.max(cursor.newest.saturating_sub(OVERLAP_SECS));
        }
        cursor.prune();
        Ok(cursor)
    }

    /// GET with the User-Agent and, for OAuth, the bearer token (renewed once on a 401).
    async fn get(
        &self,
        pass: Pass<'_>,
        url: &str,
        target: &Target,
        page: &mut Page,
    ) -> Result<Fetched, ConnectorError> {
        let http = pass.http;
        let agent = ("User-Agent", self.user_agent.as_str());
        let Some(credentials) = &self.credentials else {
            let fetched = http.get(url, None, &[agent]).await.map_err(|err| refusal(target, err))?;
            page.count(&fetched);
            return Ok(fetched);
        };
        let mut renewed = false;
        loop {
            let (token, fresh) = self.token(http, credentials, page).await?;
            let authorization = format!("bearer {token}");
            match http.get(url, Some(&credentials.name), &[agent, ("Authorization", authorization.as_str())]).await {
                Ok(fetched) => {
                    page.count(&fetched);
                    return Ok(fetched);
                }
                Err(HttpError::Auth { status: 401, .. }) if !fresh && !renewed => {
                    tracing::info!(source = %pass.source_id, "reddit token expired; taking a new one");
                    *self.token.lock().expect("token lock is never poisoned") = None;
                    renewed = true;
                }
                Err(err) => return Err(refusal(target, err)),
            }
        }
    }

    /// The bearer token, and whether it was taken just now.
    async fn token(
        &self,
        http: &HttpClient,
        credentials: &Credentials,
        page: &mut Page,
    ) -> Result<(String, bool), ConnectorError> {
        {
            let held = self.token.lock().expect("token lock is never poisoned");
            if let Some(token) = held.as_ref().filter(|token| token.until > Instant::now()) {
                return Ok((token.value.clone(), false));
            }
        }
        let basic = base64::engine::general_purpose::STANDARD
            .encode(format!("{}:{}", credentials.client_id, credentials.secret));
        let authorization = format!("Basic {basic}");
        let fetched = http
            .post_form(
                &format!("{}/api/v1/access_token", self.auth_base),
                Some(&credentials.name),
                &[("User-Agent", self.user_agent.as_str()), ("Authorization", authorization.as_str())],
                &[("grant_type", "client_credentials")],
            )
            .await
            .map_err(|err| ConnectorError::from_http(KIND.name, err))?;
        page.count(&fetched);
        let (value, lifetime) = convert::parse_token(fetched.status, &fetched.body)?;
        // Renewed a minute early; a token without a stated lifetime is kept for an hour.
        let lifetime = Duration::from_secs(lifetime.unwrap_or(3600).saturating_sub(60));
        let until = Instant::now() + lifetime;
        *self.token.lock().expect("token lock is never poisoned") = Some(CachedToken { value: value.clone(), until });
        Ok((value, true))
    }
}

/// A client error for `target`; a community Reddit refuses to show (quarantined, private,
/// banned: a 403 or 404 with a `reason`) is named as unavailable rather than as bad credentials.
fn refusal(target: &Target, err: HttpError) -> ConnectorError {
    let reason = match &err {
        HttpError::Auth { status: 403, body, .. } | HttpError::Status { status: 404, body, .. } => {
            serde_json::from_str::<api::Refusal>(body).ok().and_then(|refusal| refusal.reason)
        }
        _ => None,
    };
    match (reason, &err) {
        (Some(reason), HttpError::Auth { status, .. } | HttpError::Status { status, .. }) => {
            let reason: String = reason.chars().filter(|c| c.is_ascii_alphanumeric() || *c == '_').take(40).collect();
            ConnectorError::Http {
                source_kind: KIND.name,
                detail: format!(
                    "{} is unavailable: Reddit answers HTTP {status}, reason {reason:?} (remove it from this source)",
                    target.path
                ),
            }
        }
        _ => ConnectorError::from_http(KIND.name, err),
    }
}
