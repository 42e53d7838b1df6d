//! Mastodon: public statuses from one server (the `base_url`), by hashtag, by search and from
//! the public timeline filtered by keyword.
//!
//! - `tags`: `GET {base_url}/api/v1/timelines/tag/{tag}?limit=40` (no token needed on most
//!   servers; boosts are not included).
//! - `queries`: `GET {base_url}/api/v2/search?q=…&type=statuses&limit=40`: full-text search
//!   needs a search backend on the server and, on most servers, a user token
//!   (`token_env`, sent as `Authorization: Bearer`; the token also goes with tag requests).
//! - `timelines`: `"public"` (every public status the server knows, federated ones included)
//!   and `"local"` (its own accounts' only): `GET {base_url}/api/v1/timelines/public?limit=40`,
//!   with `&local=true` for `"local"`. No token needed on most servers. This is a firehose, so
//!   a status from it is kept only when its text (content warning included) matches one of
//!   the source's `queries` locally ([`crate::keywords::matches_query`]: words, `"phrases"`,
//!   `OR`, `-term`/`NOT term`); `timelines` without `queries` is refused. The queries are
//!   still searched as well.
//!
//! A server only knows the posts that reached it; poll several servers (several sources) for
//! breadth. The mention's external id is the status `uri` (its ActivityPub id, the same on
//! every server), so a post seen through two servers or two tags is one mention; a boost
//! counts as the post it boosts. `parent_id` is the parent's id on the polled server (the API
//! gives no parent `uri`); the thread root is not given, so `thread_id` stays empty.
//! Followers-only and direct posts (a token's search can return them) are never collected.
//!
//! Cursor, per tag, query and timeline: the newest status id seen (ids are time-sortable
//! snowflakes), sent as `since_id` (tags, timelines) or `min_id` (search), with every id at or
//! below it dropped client-side, so a server that ignores the parameter repeats nothing. A
//! timeline's statuses that match no query still move its mark. The first pass takes
//! the newest page only. When a later pass finds its first page full, the connector walks the
//! window backwards, one page per pass (`max_id` from the `Link: <…>; rel="next"` header, or
//! the page's oldest id for search) with `more` set, and moves the high-water mark up only
//! once the walk reaches it, so a burst between two polls is read whole. On a busy server's
//! public timeline that walk can be long: the filter applies to what is read, not to what is
//! requested.
//!
//! Rate limit: 300 requests per 5 minutes per token or IP (`X-RateLimit-*` headers, which the
//! HTTP client paces to). Example:
//!
//! ```toml
//! [[sources]]
//! id = "fosstodon"
//! kind = "mastodon"
//! base_url = "https://fosstodon.org"
//! tags = ["acmecrm"]
//! queries = ["acme crm"]
//! timelines = ["local"]
//! token_env = "HARK_FOSSTODON_TOKEN"
//! interval = "5m"
//! ```

pub mod api;
pub mod convert;
#[cfg(test)]
pub(crate) mod tests;

use std::cmp::Ordering;
use std::collections::{BTreeMap, HashSet};

use serde::{Deserialize, Serialize};

use crate::contract::{Connector, Named, Pass, Settings, Source, parse_cursor};
use crate::http::HttpClient;
use crate::{ConnectorError, Fields, Kind, Page};
use convert::{Context, Statuses, compare_ids, is_valid_id};

pub const KIND: Kind = Kind {
    name: "mastodon",
    folder: "mastodon",
    description: "Mastodon statuses by hashtag, full-text search or keyword-filtered public timeline, from one \
                  server (the base_url)",
    example: "[[sources]]\nid = \"fosstodon\"\nkind = \"mastodon\"\nbase_url = \"https://fosstodon.org\"   # the server\n\
              tags = [\"acmecrm\"]\n# queries = [\"acme crm\"]   # search needs a token on most servers\n\
              # timelines = [\"local\"]   # or \"public\": kept where a status matches a query\n\
              # token_env = \"HARK_FOSSTODON_TOKEN\"\ninterval = \"5m\"\n",
    fields: Fields {
        allowed: &["tags", "queries", "timelines", "token_env"],
        needs_one_of: &["tags", "queries", "timelines"],
        required: &["base_url"],
    },
    quotas: &[("*", DEFAULT_PER_MINUTE)],
    build,
};

/// Mastodon's documented default: 300 requests per 5 minutes per token or IP.
pub const DEFAULT_PER_MINUTE: u32 = 60;

/// Statuses asked for per request (the API's maximum).
pub const LIMIT: usize = 40;

fn build(settings: &Settings) -> Result<Box<dyn Connector>, String> {
    let Some(base_url) = settings.base_url.as_deref() else {
        return Err(format!(
            "{}: a mastodon source needs base_url, the server (e.g. https://fosstodon.org)",
            settings.id
        ));
    };
    let token = match (settings.string("token_env"), settings.secret("token_env")?) {
        (Some(variable), Some(value)) => Some(Token { variable, value }),
        _ => None,
    };
    let source = Mastodon::with_timelines(
        base_url,
        &settings.strings("tags"),
        &settings.strings("queries"),
        &settings.strings("timelines"),
        token,
    )
    .map_err(|err| format!("{}: {err}", settings.id))?;
    Ok(Named::boxed(&settings.id, source))
}

/// A user token and the variable it came from (the quota bucket's name).
#[derive(Clone)]
pub struct Token {
    pub variable: String,
    pub value: String,
}

impl std::fmt::Debug for Token {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Token").field("variable", &self.variable).field("value", &"<redacted>").finish()
    }
}

/// What one cursor entry follows.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Feed {
    Tag(String),
    Search(String),
    /// The public timeline: the server's own accounts only when `local`.
    Timeline {
        local: bool,
    },
}

impl Feed {
    fn key(&self) -> String {
        match self {
            Self::Tag(tag) => format!("tag:{tag}"),
            Self::Search(query) => format!("search:{query}"),
            Self::Timeline { local: false } => "timeline:public".to_owned(),
            Self::Timeline { local: true } => "timeline:local".to_owned(),
        }
    }

    /// A `timelines` entry: `"public"` or `"local"` (any case).
    fn timeline(name: &str) -> Result<Self, String> {
        match name.trim().to_ascii_lowercase().as_str() {
            "public" => Ok(Self::Timeline { local: false }),
            "local" => Ok(Self::Timeline { local: true }),
            _ => Err(format!("timelines: unknown timeline {name:?}; expected \"public\" or \"local\"")),
        }
    }
}

/// Per feed: the newest status id taken (`newest`), and while a window is walked backwards,
/// where the walk stands.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
struct FeedCursor {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    newest: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    paging: Option<Paging>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
struct Paging {
    /// The next (older) page ends below this id.
    max_id: String,
    /// The window's newest id: where `newest` goes once the walk ends.
    top: String,
}

impl FeedCursor {
    fn check(&self, raw: &str) -> Result<(), ConnectorError> {
        let ids = self.newest.iter().chain(self.paging.iter().flat_map(|paging| [&paging.max_id, &paging.top]));
        for id in ids {
            if !is_valid_id(id) {
                return Err(ConnectorError::cursor(KIND.name, raw, format!("{id:?} is not a status id")));
            }
        }
        Ok(())
    }
}

/// A configured Mastodon source.
#[derive(Debug, Clone)]
pub struct Mastodon {
    base: reqwest::Url,
    instance: String,
    feeds: Vec<Feed>,
    /// The queries a timeline's statuses must match one of to be kept.
    filter: Vec<String>,
    token: Option<Token>,
}

impl Source for Mastodon {
    /// One pass over every tag and query: the new statuses and the next cursor.
    async fn fetch(&self, pass: Pass<'_>, cursor: Option<&str>) -> Result<Page, ConnectorError> {
        let Pass { http, source_id, now } = pass;
        let mut cursors: BTreeMap<String, FeedCursor> = parse_cursor(KIND.name, cursor)?;
        for entry in cursors.values() {
            entry.check(cursor.unwrap_or_default())?;
        }
        let mut page = Page::empty();
        let mut taken = HashSet::new();
        let context = Context { source_id, instance: &self.instance, fetched_at: now };
        for feed in &self.feeds {
            let key = feed.key();
            let previous = cursors.remove(&key).unwrap_or_default();
            let (fetched, next) = self.fetch_feed(http, feed, &previous, context).await?;
            page.count(&fetched.response);
            page.skipped += fetched.skipped;
            for mention in fetched.mentions {
                if taken.insert(mention.external_id.clone()) {
                    page.mentions.push(mention);
                }
            }
            page.more |= next.paging.is_some();
            cursors.insert(key, next);
        }
        page.next_cursor = Some(serde_json::to_string(&cursors).expect("cursors serialise"));
        Ok(page)
    }
}

impl Mastodon {
    /// A source on the server at `base_url`; tags may carry a leading `#`.
    pub fn new(base_url: &str, tags: &[String], queries: &[String], token: Option<Token>) -> Result<Self, String> {
        Self::with_timelines(base_url, tags, queries, &[], token)
    }

    /// A source that also reads `timelines` (`"public"`, `"local"`), keeping their statuses
    /// that match one of `queries`; timelines without queries are refused.
    pub fn with_timelines(
        base_url: &str,
        tags: &[String],
        queries: &[String],
        timelines: &[String],
        token: Option<Token>,
    ) -> Result<Self, String> {
        let base = reqwest::Url::parse(base_url.trim().trim_end_matches('/'))
            .map_err(|err| format!("base_url {base_url:?} is not a URL: {err}"))?;
        if !matches!(base.scheme(), "http" | "https") || base.host_str().is_none() {
            return Err(format!("base_url {base_url:?} must be an http(s) URL of the server"));
        }
        let instance = base.host_str().unwrap_or_default().to_owned();
        let mut feeds: Vec<Feed> = tags
            .iter()
            .map(|tag| tag.trim().trim_start_matches('#').to_owned())
            .filter(|tag| !tag.is_empty())
            .map(Feed::Tag)
            .collect();
        let filter: Vec<String> = queries.iter().map(|q| q.trim().to_owned()).filter(|q| !q.is_empty()).collect();
        feeds.extend(filter.iter().cloned().map(Feed::Search));
        let timelines: Vec<Feed> = timelines.iter().map(|name| Feed::timeline(name)).collect::<Result<_, _>>()?;
        if !timelines.is_empty() && filter.is_empty() {
            return Err("timelines need queries: the public timeline is a firehose, and only its statuses that \
                        match one of the queries are kept"
                .to_owned());
        }
        feeds.extend(timelines);
        let mut seen = HashSet::new();
        feeds.retain(|feed| seen.insert(feed.key()));
        if feeds.is_empty() {
            return Err("a mastodon source needs at least one tag, query or timeline".to_owned());
        }
        Ok(Self { base, instance, feeds, filter, token })
    }

    /// `base_url` with `segments` appended (each percent-encoded as needed).
    fn endpoint(&self, segments: &[&str]) -> reqwest::Url {
        let mut url = self.base.clone();
        if let Ok(mut path) = url.path_segments_mut() {
            path.pop_if_empty().extend(segments);
        }
        url
    }

    fn feed_url(&self, feed: &Feed, newest: Option<&str>, max_id: Option<&str>) -> reqwest::Url {
        let limit = LIMIT.to_string();
        // The endpoint, the parameter for the high-water mark, and parameters after `limit`.
        let (mut url, lower_bound, options): (_, _, &[(&str, &str)]) = match feed {
            Feed::Tag(tag) => (self.endpoint(&["api", "v1", "timelines", "tag", tag]), "since_id", &[]),
            Feed::Search(query) => {
                let mut url = self.endpoint(&["api", "v2", "search"]);
                url.query_pairs_mut().append_pair("q", query).append_pair("type", "statuses");
                (url, "min_id", &[])
            }
            Feed::Timeline { local } => (
                self.endpoint(&["api", "v1", "timelines", "public"]),
                "since_id",
                if *local { &[("local", "true")] } else { &[] },
            ),
        };
        {
            let mut query = url.query_pairs_mut();
            query.append_pair("limit", &limit);
            query.extend_pairs(options);
            if let Some(newest) = newest {
                query.append_pair(lower_bound, newest);
            }
            if let Some(max_id) = max_id {
                query.append_pair("max_id", max_id);
            }
        }
        url
    }

    /// One request for `feed`: its new mentions and the feed's next cursor.
    async fn fetch_feed(
        &self,
        http: &HttpClient,
        feed: &Feed,
        previous: &FeedCursor,
        context: Context<'_>,
    ) -> Result<(FeedPage, FeedCursor), ConnectorError> {
        let newest = previous.newest.as_deref();
        // A walk needs a floor to walk down to.
        let paging = previous.paging.as_ref().filter(|_| newest.is_some());
        let url = self.feed_url(feed, newest, paging.map(|p| p.max_id.as_str()));
        let authorization = self.token.as_ref().map(|token| format!("Bearer {}", token.value));
        let headers: Vec<(&str, &str)> =
            authorization.as_deref().map(|value| ("Authorization", value)).into_iter().collect();
        let credential = self.token.as_ref().map(|token| token.variable.as_str());
        let response = http.get(url.as_str(), credential, &headers).await.map_err(|err| self.http_error(feed, err))?;
        let statuses: Statuses = match feed {
            Feed::Tag(_) | Feed::Timeline { .. } => convert::parse_timeline(&response.body, context)?,
            Feed::Search(_) => convert::parse_search(&response.body, context)?,
        };

        // The window: above the high-water mark, below the walk's last page.
        let in_window = |id: &str| {
            newest.is_none_or(|floor| compare_ids(id, floor) == Ordering::Greater)
                && paging.is_none_or(|p| compare_ids(id, &p.max_id) == Ordering::Less)
        };
        let window_ids: Vec<&String> = statuses.ids.iter().filter(|id| in_window(id)).collect();
        let mut top = paging.map(|p| p.top.clone()).or_else(|| newest.map(str::to_owned));
        for id in &window_ids {
            if top.as_deref().is_none_or(|top| compare_ids(id, top) == Ordering::Greater) {
                top = Some((*id).clone());
            }
        }
        // Walk on when the page was full, everything on it was new, and the walk moves down.
        let link_next = convert::next_max_id(link_values(&response.headers));
        let full = statuses.total >= LIMIT || link_next.is_some();
        let reached_floor = window_ids.is_empty() || window_ids.len() < statuses.ids.len();
        let oldest = window_ids.iter().min_by(|a, b| compare_ids(a, b)).map(|id| (*id).clone());
        let next_max_id = link_next
            .filter(|id| oldest.as_deref().is_none_or(|oldest| compare_ids(id, oldest) != Ordering::Greater))
            .or(oldest)
            .filter(|id| in_window(id));
        let next = match (newest, top, next_max_id) {
            (Some(newest), Some(top), Some(max_id)) if full && !reached_floor => {
                FeedCursor { newest: Some(newest.to_owned()), paging: Some(Paging { max_id, top }) }
            }
            (_, top, _) => FeedCursor { newest: top, paging: None },
        };
        // A timeline's statuses count for the window whether they match or not.
        let mentions = statuses
            .entries
            .into_iter()
            .filter(|(id, mention)| in_window(id) && self.keeps(feed, mention))
            .map(|(_, mention)| mention)
            .collect();
        Ok((FeedPage { response, mentions, skipped: statuses.skipped }, next))
    }

    /// Whether a status read from `feed` is kept: always for tags and search, for timelines
    /// when its content warning or text matches one of the queries.
    fn keeps(&self, feed: &Feed, mention: &hark_core::Mention) -> bool {
        match feed {
            Feed::Tag(_) | Feed::Search(_) => true,
            Feed::Timeline { .. } => {
                let text = match &mention.title {
                    Some(title) => format!("{title}\n{}", mention.text),
                    None => mention.text.clone(),
                };
                crate::keywords::matches_any(&text, &self.filter)
            }
        }
    }

    /// A request error as the connector reports it: other statuses with what the server said
    /// (`Record not found` for an unknown tag), never with the token.
    fn http_error(&self, feed: &Feed, err: crate::http::HttpError) -> ConnectorError {
        match err {
            crate::http::HttpError::Status { status, body, .. } => {
                let mut detail =
                    format!("{} answered HTTP {status}{}", feed.key(), convert::error_hint(body.as_bytes()));
                if let Some(token) = self.token.as_ref().filter(|token| !token.value.is_empty()) {
                    detail = detail.replace(&token.value, "<redacted>");
                }
                ConnectorError::Http { source_kind: KIND.name, detail }
            }
            other => ConnectorError::from_http(KIND.name, other),
        }
    }
}

/// What one request for a feed gave.
#[derive(Debug)]
struct FeedPage {
    response: crate::http::Fetched,
    /// The mentions inside the window, in the response's order.
    mentions: Vec<hark_core::Mention>,
    skipped: usize,
}

/// The `Link` header values of a response.
fn link_values(headers: &reqwest::header::HeaderMap) -> impl Iterator<Item = &str> {
    headers.get_all(reqwest::header::LINK).iter().filter_map(|value| value.to_str().ok())
}
