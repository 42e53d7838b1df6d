//! Compatibility with the recorded pages in `../shared/fixtures/web/` (phpBB, XenForo,
//! vBulletin in latin1, WordPress and Blogger comments, a Trustpilot review, a news page with
//! no comments), selector validation, hostile pages that must never panic, and fetches
//! against the replay server (robots.txt, Crawl-delay, conditional GET, pagination, repeats).

use chrono::Utc;
use hark_replay::Reply;

use super::extract::{Extracted, Selectors, decode_page, extract, resolve};
use crate::ConnectorError;
use crate::testing::Fixtures;

const FIXTURES: Fixtures = Fixtures("web");

fn phpbb_selectors() -> serde_json::Value {
    serde_json::json!({
        "item": "div.post", "body": "div.content", "author": "dl.postprofile a.username", "date": "p.author",
        "link": "p.author a[href*='#p']", "next": "div.pagination a.next"
    })
}

fn xenforo_selectors() -> serde_json::Value {
    serde_json::json!({
        "item": "article.message--post", "body": ".bbWrapper", "author": ".message-name .username",
        "date": "time.u-dt", "link": "a.message-attribution-gadget", "next": "a.pageNav-jump--next"
    })
}

fn vbulletin_selectors() -> serde_json::Value {
    serde_json::json!({
        "item": "li.postcontainer", "body": "blockquote.postcontent", "author": "a.username",
        "date": "dl.userstats dd", "link": "a.postcounter", "next": "link[rel=next]", "exclude": ".bbcode_container"
    })
}

fn wordpress_selectors() -> serde_json::Value {
    serde_json::json!({
        "item": "article.comment-body", "body": ".comment-content", "author": ".comment-author .fn",
        "date": ".comment-metadata time", "link": ".comment-metadata a", "next": ".comment-navigation .nav-next a"
    })
}

fn read(
    name: &str,
    page_url: &str,
    selectors: &serde_json::Value,
    http_charset: Option<&str>,
) -> Result<Extracted, ConnectorError> {
    let selectors = Selectors::from_value(Some(selectors)).unwrap();
    let html = decode_page(&FIXTURES.read(name), http_charset);
    let page_url = url::Url::parse(page_url).unwrap();
    extract(&html, &page_url, page_url.as_str(), &selectors, "forum", Utc::now())
}

fn html_reply(body: impl Into<Vec<u8>>) -> Reply {
    Reply::new(200, body).header("Content-Type", "text/html; charset=utf-8")
}

/// The conformance suite's view of web pages: a phpBB topic under the base URL, robots.txt
/// at the server root.
pub(crate) fn conformance_case() -> crate::conformance::Case {
    crate::conformance::Case {
        kind: &super::KIND,
        settings: |base_url| {
            crate::Settings::new("forum")
                .with_base_url(base_url)
                .with("pages", serde_json::json!([format!("{base_url}/viewtopic.php?f=4&t=167")]))
                .with("selectors", phpbb_selectors())
        },
        routes: || vec![("/viewtopic.php".to_owned(), vec![html_reply(FIXTURES.read("forum_thread_phpbb.html"))])],
        root_routes: || vec![("/robots.txt".to_owned(), vec![Reply::new(200, "User-agent: *\nDisallow: /ucp.php\n")])],
        main_route: "/viewtopic.php",
        malformed_body: b"<html><body><h1>Board closed</h1><p>The forum is down for maintenance.</p></body></html>",
    }
}

#[test]
fn phpbb_topic() {
    let url = "https://foren.myoos.de/viewtopic.php?f=4&t=167&sid=58428beaa14598c2e02d93ad5c773e4d";
    let page = read("forum_thread_phpbb.html", url, &phpbb_selectors(), None).unwrap();
    assert_eq!((page.mentions.len(), page.skipped, page.next.as_deref()), (1, 0, None));
    let post = &page.mentions[0];
    assert_eq!(post.external_id, "https://foren.myoos.de/viewtopic.php?p=453#p453", "the session id is not part of it");
    assert_eq!(post.author.name.as_deref(), Some("r23"));
    assert_eq!(post.author.handle.as_deref(), Some("r23"));
    assert_eq!(post.author.profile_url.as_deref(), Some("https://foren.myoos.de/memberlist.php?mode=viewprofile&u=5"));
    assert_eq!(
        post.published_at.unwrap().to_rfc3339(),
        "2009-01-21T05:42:00+00:00",
        "found inside 'von r23 » 21.01.2009, 05:42'"
    );
    assert!(
        post.text.starts_with("Was ist Freie Software und warum ist sie wichtig?\nvon Georg C. F. Greve"),
        "{}",
        post.text
    );
    assert!(post.text.ends_with("http://www.bitkom.org/de/publikationen/38336_39870.aspx"), "{}", post.text);
    assert!(!post.text.contains("Der fundamentale Akt von Freundschaft"), "the quoted block is not the author's text");
    assert!(!post.text.contains("Digitalagentur"), "the signature is outside the body");
    assert_eq!(
        post.thread_id.as_deref(),
        Some("https://foren.myoos.de/viewtopic.php?f=4&t=167&sid=58428beaa14598c2e02d93ad5c773e4d")
    );
    let raw_html = post.raw.as_ref().unwrap()["html"].as_str().unwrap();
    assert!(raw_html.starts_with("<div class=\"post has-profile bg2\" id=\"p453\">"), "{}", &raw_html[..100]);
}

#[test]
fn xenforo_thread() {
    let url = "https://www.katzen-forum.net/threads/jede-nacht-verliert-pepe-soviel-dreck-aus-dem-fell.230143/";
    let page = read("forum_thread_xenforo.html", url, &xenforo_selectors(), None).unwrap();
    assert_eq!((page.mentions.len(), page.skipped, page.next.as_deref()), (18, 0, None));
    let first = &page.mentions[0];
    assert_eq!(first.external_id, format!("{}post-6331411", url));
    assert_eq!(first.author.name.as_deref(), Some("Pepemaus"));
    assert_eq!(first.author.profile_url.as_deref(), Some("https://www.katzen-forum.net/members/pepemaus.81656"));
    assert_eq!(first.published_at.unwrap().to_rfc3339(), "2018-09-27T12:51:09+00:00", "datetime with its +0200");
    assert!(first.text.starts_with("Hallo,\nPepe schläft nachts mit mir im Schlafzimmer"), "{}", first.text);
    assert!(page.mentions.iter().all(|m| m.published_at.is_some() && m.author.name.is_some()));
    // Two posts quote earlier ones: the quotes are left out.
    assert!(page.mentions.iter().all(|m| !m.text.contains("hat gesagt")), "quotes are excluded");
    let mut ids: Vec<&str> = page.mentions.iter().map(|m| m.external_id.as_str()).collect();
    ids.dedup();
    assert_eq!(ids.len(), 18);
}

#[test]
fn vbulletin_thread_in_latin1() {
    let url = "https://www.pocketpc.ch/windows-phone-7-allgemein/122760-microsoft-beginnt-auslieferung-vorbereitungsupdate-34.html";
    // The page declares ISO-8859-1 in <meta charset>; the same when the server says so.
    for http_charset in [None, Some("ISO-8859-1")] {
        let page = read("forum_thread_vbulletin_latin1.html", url, &vbulletin_selectors(), http_charset).unwrap();
        assert_eq!((page.mentions.len(), page.skipped), (20, 0));
        assert_eq!(
            page.next.as_deref(),
            Some(
                "https://www.pocketpc.ch/windows-phone-7-allgemein/122760-microsoft-beginnt-auslieferung-vorbereitungsupdate-35.html"
            ),
            "link rel=next, without the s= session"
        );
        let first = &page.mentions[0];
        assert_eq!(
            first.external_id,
            "https://www.pocketpc.ch/windows-phone-7-allgemein/122760-microsoft-beginnt-auslieferung-vorbereitungsupdate-post949757.html#post949757"
        );
        assert_eq!(first.author.name.as_deref(), Some("Predator"));
        assert_eq!(first.published_at.unwrap().to_rfc3339(), "2011-03-03T14:17:00+00:00");
        assert!(first.text.starts_with("Das war noch nicht das Update"), "{}", first.text);
        assert!(page.mentions.iter().all(|m| !m.text.contains('\u{fffd}') && !m.text.contains("Ã")), "latin1 decoded");
        assert!(page.mentions.iter().any(|m| m.text.contains('ä') || m.text.contains('ü') || m.text.contains('ö')));
        assert!(page.mentions.iter().all(|m| !m.text.contains("googletag")), "scripts are not text");
        assert!(page.mentions.iter().all(|m| m.published_at.is_some()));
    }
    // Read as UTF-8 against its declaration, umlauts would break: the declaration matters.
    let body = FIXTURES.read("forum_thread_vbulletin_latin1.html");
    let (wrong, _) = crate::documents::decode(&body, &[Some("utf-8")]);
    assert!(wrong.contains('\u{fffd}'));
}

#[test]
fn wordpress_comments() {
    let url =
        "https://netzpolitik.org/2016/die-cider-connection-abmahnungen-gegen-nutzer-von-creative-commons-bildern/";
    let page = read("blog_comments.html", url, &wordpress_selectors(), None).unwrap();
    assert_eq!((page.mentions.len(), page.skipped, page.next.as_deref()), (74, 0, None));
    let first = &page.mentions[0];
    assert_eq!(
        first.external_id,
        "https://netzpolitik.org/2016/die-cider-connection-abmahnungen-gegen-nutzer-von-creative-commons-bildern#comment-2058226"
    );
    assert_eq!(first.author.name.as_deref(), Some("blah blubb"));
    assert_eq!(first.author.handle, None, "a display name with spaces is no handle");
    assert_eq!(first.published_at.unwrap().to_rfc3339(), "2016-06-23T15:21:09+00:00");
    assert!(first.text.starts_with("selber blöd, wer bis dato"), "{}", first.text);
    // Nested replies are their own items, not part of their parent's text.
    assert!(!first.text.contains("Aber Herr S."));
    assert_eq!(
        page.mentions[1].text,
        "Aber Herr S., sie müssen doch jetzt nicht hier trollen, nur weil ihr komisches Geschäftsmodell ins Tageslicht gezerrt wurde."
    );
    assert!(page.mentions.iter().all(|m| m.published_at.is_some() && m.external_id.contains("#comment-")));
}

#[test]
fn blogger_comment_and_trustpilot_review() {
    let blogger = serde_json::json!({
        "item": "li.comment", "body": ".comment-content", "author": "cite.user", "date": ".datetime a", "link": ".datetime a"
    });
    let url = "https://weinlachgummis.blogspot.com/2017/09/rezi-love-is-war-sehnsucht-von-r-k.html";
    let page = read("review_blog_comments.html", url, &blogger, None).unwrap();
    assert_eq!(page.mentions.len(), 1);
    let comment = &page.mentions[0];
    assert_eq!(comment.external_id, format!("{url}?showComment=1505059956197#c6452616768283379311"));
    assert_eq!(comment.published_at.unwrap().to_rfc3339(), "2017-09-10T18:12:00+00:00", "10. September 2017 um 18:12");
    assert_eq!(comment.author.profile_url.as_deref(), Some("https://www.blogger.com/profile/10849216306777395835"));
    assert!(
        comment.text.starts_with("Hey Tanja,\nschön, dass dir das Buch gefallen hat.")
            && comment.text.ends_with("Lena")
    );

    let trustpilot = serde_json::json!({
        "item": "article.review", "title": ".review-content__title", "body": ".review-content__text",
        "author": ".consumer-information__name", "date": "script[data-initial-state=review-dates]",
        "link": ".review-content__title a"
    });
    let url = "https://uk.trustpilot.com/reviews/581cf1892ae760087cadbf17";
    let page = read("review_single.html", url, &trustpilot, None).unwrap();
    assert_eq!(page.mentions.len(), 1);
    let review = &page.mentions[0];
    assert_eq!(review.external_id, url);
    assert_eq!(review.title.as_deref(), Some("Gousto has changed my life...."));
    assert_eq!(review.author.name.as_deref(), Some("Mrs H Pyke"));
    assert_eq!(review.published_at.unwrap().to_rfc3339(), "2016-11-04T20:37:27+00:00", "from the page's JSON");
    assert!(review.text.starts_with("I cannot thank Gousto enough."), "{}", review.text);
}

#[test]
fn no_items_is_malformed_unless_the_page_says_it_is_empty() {
    let url = "https://www.juraforum.de/recht-gesetz/ohne-ernsthafte-bewerbungsbemuehungen-kein-wohngeld-722430";
    let comments = serde_json::json!({"item": "#box-kommentare .kommentar", "body": ".kommentar-text"});
    let err = read("news_no_comments.html", url, &comments, None).unwrap_err();
    assert!(
        matches!(&err, ConnectorError::Malformed { detail, .. } if detail.contains("layout may have changed") && detail.contains("#box-kommentare .kommentar")),
        "{err}"
    );
    let mut with_empty = comments;
    with_empty["empty"] = serde_json::json!("#box-kommentare");
    let page = read("news_no_comments.html", url, &with_empty, None).unwrap();
    assert_eq!((page.mentions.len(), page.skipped), (0, 0));
    // A forum layout that changed under its selectors is no silent miss either.
    let err = read("forum_thread_xenforo.html", url, &phpbb_selectors(), None).unwrap_err();
    assert!(matches!(err, ConnectorError::Malformed { .. }));
    // Items whose body never matches.
    let mut wrong_body = xenforo_selectors();
    wrong_body["body"] = serde_json::json!(".postbody");
    let err = read("forum_thread_xenforo.html", url, &wrong_body, None).unwrap_err();
    assert!(matches!(&err, ConnectorError::Malformed { detail, .. } if detail.contains("18 items")), "{err}");
    // A JavaScript shell and an empty body.
    let selectors = Selectors::from_value(Some(&phpbb_selectors())).unwrap();
    let page_url = url::Url::parse(url).unwrap();
    let shell = "<html><head><script>window.app()</script></head><body><div id=\"root\"></div></body></html>";
    let err = extract(shell, &page_url, url, &selectors, "s", Utc::now()).unwrap_err();
    assert!(matches!(&err, ConnectorError::Malformed { detail, .. } if detail.contains("no text")), "{err}");
    assert!(extract("  \n", &page_url, url, &selectors, "s", Utc::now()).is_err());
}

#[test]
fn selectors_are_checked_when_built() {
    let build = |selectors: serde_json::Value| {
        let settings = crate::Settings::new("forum")
            .with("pages", serde_json::json!(["https://forum.example/thread"]))
            .with("selectors", selectors);
        (super::KIND.build)(&settings).err().unwrap_or_default()
    };
    assert!(build(serde_json::json!({"item": "div.post"})).contains("selectors.body is required"));
    assert!(build(serde_json::json!({"body": "p"})).contains("selectors.item is required"));
    let bad = build(serde_json::json!({"item": "div.post", "body": "p", "date": "time:frobnicate"}));
    assert!(bad.contains("selectors.date") && bad.contains("time:frobnicate"), "{bad}");
    let double_dot = build(serde_json::json!({"item": "div, , p", "body": "p"}));
    assert!(double_dot.contains("selectors.item"), "{double_dot}");
    assert!(
        build(serde_json::json!({"item": "div", "body": "p", "autor": "a"}))
            .contains("selectors.autor: unknown selector")
    );
    assert!(build(serde_json::json!({"item": "div", "body": 3})).contains("selectors.body"));
    assert!(build(serde_json::json!("div.post")).contains("table"));
    assert!(build(phpbb_selectors()).is_empty());
    let no_pages = (super::KIND.build)(&crate::Settings::new("f").with("selectors", phpbb_selectors())).err().unwrap();
    assert!(no_pages.contains("pages"));
    let zero = (super::KIND.build)(
        &crate::Settings::new("f")
            .with("pages", serde_json::json!(["https://x.example/"]))
            .with("selectors", phpbb_selectors())
            .with("max_pages", serde_json::json!(0)),
    );
    assert!(zero.err().unwrap().contains("max_pages"));
}

#[test]
fn links_lose_session_ids_and_odd_schemes() {
    let base = url::Url::parse("https://forum.example/t/1?page=2").unwrap();
    assert_eq!(
        resolve(&base, "./viewtopic.php?p=4&sid=abc#p4").as_deref(),
        Some("https://forum.example/t/viewtopic.php?p=4#p4")
    );
    assert_eq!(
        resolve(&base, "/x.html?s=22c09551c71c1a6b64e4364ca45cbf28&t=9").as_deref(),
        Some("https://forum.example/x.html?t=9")
    );
    assert_eq!(
        resolve(&base, "/x.html?s=acme").as_deref(),
        Some("https://forum.example/x.html?s=acme"),
        "a search, not a session"
    );
    assert_eq!(resolve(&base, "/a;jsessionid=0AB12?x=1").as_deref(), Some("https://forum.example/a?x=1"));
    assert_eq!(resolve(&base, "javascript:void(0)"), None);
    assert_eq!(resolve(&base, "mailto:a@b.example"), None);
}

#[test]
fn hostile_pages_never_panic() {
    let url = "https://www.katzen-forum.net/threads/x.1/";
    let selectors = Selectors::from_value(Some(&xenforo_selectors())).unwrap();
    let page_url = url::Url::parse(url).unwrap();
    let whole = decode_page(&FIXTURES.read("forum_thread_xenforo.html"), None);
    let mut cut = 0;
    while cut < whole.len() {
        while !whole.is_char_boundary(cut) {
            cut += 1;
        }
        let _ = extract(&whole[..cut], &page_url, url, &selectors, "s", Utc::now());
        cut += 4099;
    }
    // Invalid UTF-8 and NULs decode to something; the page still reads.
    let mut broken = FIXTURES.read("forum_thread_xenforo.html");
    broken.insert(1000, 0xff);
    broken.insert(2000, 0x00);
    assert_eq!(
        extract(&decode_page(&broken, None), &page_url, url, &selectors, "s", Utc::now()).unwrap().mentions.len(),
        18
    );
    // Deep nesting is refused quickly instead of parsed slowly.
    let deep = format!(
        "<html><body>{}<article class=\"message--post\"><div class=\"bbWrapper\">x</div></article>{}</body></html>",
        "<div>".repeat(100_000),
        "</div>".repeat(100_000)
    );
    let started = std::time::Instant::now();
    let err = extract(&deep, &page_url, url, &selectors, "s", Utc::now()).unwrap_err();
    assert!(matches!(&err, ConnectorError::Malformed { detail, .. } if detail.contains("nest")), "{err}");
    assert!(started.elapsed() < std::time::Duration::from_secs(2));
    // Many unclosed paragraphs and list items are flat, not deep; huge posts are read.
    let flat = format!(
        "<html><body>{}<article class=\"message--post\"><div class=\"bbWrapper\">{}</div></article></body></html>",
        "<p>x<li>y".repeat(20_000),
        "<b>word</b> ".repeat(100_000)
    );
    let page = extract(&flat, &page_url, url, &selectors, "s", Utc::now()).unwrap();
    assert_eq!(page.mentions[0].text.matches("word").count(), 100_000);
    // Script content that looks like tags does not count as nesting.
    let script = format!(
        "<html><body><script>{}</script><article class=\"message--post\"><div class=\"bbWrapper\">ok</div></article></body></html>",
        "if (a<b) {} ".repeat(5000)
    );
    assert_eq!(extract(&script, &page_url, url, &selectors, "s", Utc::now()).unwrap().mentions[0].text, "ok");
}

mod fetch {
    use std::time::Duration;

    use hark_replay::{ReplayServer, Reply};

    use super::{FIXTURES, html_reply, phpbb_selectors, xenforo_selectors};
    use crate::testing::{client, header};
    use crate::{Connector, ConnectorError, Page, Settings};

    fn connector(
        server: &ReplayServer,
        pages: &[&str],
        selectors: serde_json::Value,
        max_pages: u64,
    ) -> Box<dyn Connector> {
        let pages: Vec<String> = pages.iter().map(|page| format!("{}{page}", server.base_url())).collect();
        let settings = Settings::new("forum")
            .with("pages", serde_json::json!(pages))
            .with("selectors", selectors)
            .with("max_pages", serde_json::json!(max_pages));
        (super::super::KIND.build)(&settings).unwrap()
    }

    fn targets(server: &ReplayServer) -> Vec<String> {
        server.requests().into_iter().map(|request| request.target).collect()
    }

    /// A small thread page in the XenForo shape: posts `ids`, and a `next` link if given.
    fn thread_page(ids: &[u32], next: Option<&str>) -> Reply {
        let posts: String = ids
            .iter()
            .map(|id| {
                format!(
                    "<article class=\"message--post\"><h4 class=\"message-name\"><a class=\"username\" href=\"/members/u{id}\">user{id}</a></h4>\
                     <time class=\"u-dt\" datetime=\"2026-11-25T10:{:02}:00+0000\">25 Nov</time>\
                     <a class=\"message-attribution-gadget\" href=\"/threads/acme.1/post-{id}\">#</a>\
                     <div class=\"bbWrapper\">Post {id} about Acme CRM</div></article>",
                    id % 60
                )
            })
            .collect();
        let next =
            next.map(|href| format!("<a class=\"pageNav-jump--next\" href=\"{href}\">Next</a>")).unwrap_or_default();
        html_reply(format!("<html><body>{posts}{next}</body></html>"))
    }

    fn texts(page: &Page) -> Vec<String> {
        page.mentions.iter().map(|m| m.text.clone()).collect()
    }

    #[tokio::test]
    async fn robots_disallow_skips_pages_unfetched_and_is_read_once_per_host() {
        let server = ReplayServer::start(vec![
            (
                "/robots.txt",
                vec![Reply::new(200, "User-agent: *\nDisallow: /private/\n\nUser-agent: otherbot\nDisallow: /\n")],
            ),
            ("/private/", vec![thread_page(&[1], None)]),
            ("/threads/", vec![thread_page(&[2, 3], None)]),
        ])
        .await
        .unwrap();
        let source = connector(&server, &["/private/thread", "/threads/acme.1/"], xenforo_selectors(), 3);
        let page = source.fetch(&client(0), None, chrono::Utc::now()).await.unwrap();
        assert_eq!(texts(&page), vec!["Post 2 about Acme CRM", "Post 3 about Acme CRM"]);
        assert_eq!(page.skipped, 1, "the disallowed page is counted");
        assert_eq!(targets(&server), vec!["/robots.txt", "/threads/acme.1/"], "never fetched, robots read once");
        assert_eq!(page.requests, 2);
        let requests = server.requests();
        let ua = header(&requests[0], "user-agent").unwrap();
        assert!(ua.starts_with("hark/"), "{ua}");
    }

    #[tokio::test]
    async fn crawl_delay_spaces_requests_to_the_host() {
        let server = ReplayServer::start(vec![
            ("/robots.txt", vec![Reply::new(200, "User-agent: hark\nCrawl-delay: 1\n")]),
            ("/threads/a", vec![thread_page(&[1], None)]),
            ("/threads/b", vec![thread_page(&[2], None)]),
        ])
        .await
        .unwrap();
        let source = connector(&server, &["/threads/a", "/threads/b"], xenforo_selectors(), 3);
        let page = source.fetch(&client(0), None, chrono::Utc::now()).await.unwrap();
        assert_eq!(page.mentions.len(), 2);
        let requests = server.requests();
        assert_eq!(requests.len(), 3);
        for pair in requests.windows(2) {
            let gap = pair[1].at.duration_since(pair[0].at);
            assert!(gap >= Duration::from_millis(950), "{} after {:?}", pair[1].target, gap);
        }
        assert!(page.waited >= Duration::from_millis(1900), "{:?}", page.waited);
    }

    #[tokio::test]
    async fn missing_robots_allows_and_unreachable_robots_blocks() {
        let server = ReplayServer::start(vec![("/threads/", vec![thread_page(&[1], None)])]).await.unwrap();
        let page = connector(&server, &["/threads/a"], xenforo_selectors(), 3)
            .fetch(&client(0), None, chrono::Utc::now())
            .await
            .unwrap();
        assert_eq!(page.mentions.len(), 1, "robots.txt answered 404");
        assert_eq!(page.requests, 2);

        let down = ReplayServer::start(vec![
            ("/robots.txt", vec![Reply::new(500, "oops")]),
            ("/threads/", vec![thread_page(&[1], None)]),
        ])
        .await
        .unwrap();
        let result =
            connector(&down, &["/threads/a"], xenforo_selectors(), 3).fetch(&client(0), None, chrono::Utc::now()).await;
        assert!(
            matches!(&result, Err(ConnectorError::Http { detail, .. }) if detail.contains("robots.txt")),
            "{result:?}"
        );
        assert_eq!(targets(&down), vec!["/robots.txt"], "no page is fetched");
    }

    #[tokio::test]
    async fn conditional_get_and_repeats() {
        let first = thread_page(&[1, 2], None)
            .header("ETag", "\"v1\"")
            .header("Last-Modified", "Wed, 25 Nov 2026 10:00:00 GMT");
        let server = ReplayServer::start(vec![
            ("/robots.txt", vec![Reply::new(404, "")]),
            // 200, then 304, then a server that ignores validators and adds a post.
            ("/threads/", vec![first, Reply::new(304, ""), thread_page(&[1, 2, 3], None)]),
        ])
        .await
        .unwrap();
        let source = connector(&server, &["/threads/acme.1/"], xenforo_selectors(), 3);
        let http = client(0);
        let one = source.fetch(&http, None, chrono::Utc::now()).await.unwrap();
        assert_eq!(one.mentions.len(), 2);
        let two = source.fetch(&http, one.next_cursor.as_deref(), chrono::Utc::now()).await.unwrap();
        assert!(two.mentions.is_empty());
        assert_eq!(two.requests, 2, "robots and one conditional GET");
        let requests = server.requests();
        assert_eq!(header(&requests[3], "if-none-match"), Some("\"v1\""));
        assert_eq!(header(&requests[3], "if-modified-since"), Some("Wed, 25 Nov 2026 10:00:00 GMT"));
        let three = source.fetch(&http, two.next_cursor.as_deref(), chrono::Utc::now()).await.unwrap();
        assert_eq!(texts(&three), vec!["Post 3 about Acme CRM"], "only the new post");
        let four = source.fetch(&http, three.next_cursor.as_deref(), chrono::Utc::now()).await.unwrap();
        assert!(four.mentions.is_empty());
    }

    #[tokio::test]
    async fn long_threads_are_read_over_passes_then_their_last_page_is_watched() {
        let server = ReplayServer::start(vec![
            ("/robots.txt", vec![Reply::new(404, "")]),
            ("/t/page-1", vec![thread_page(&[1, 2], Some("/t/page-2"))]),
            ("/t/page-2", vec![thread_page(&[3, 4], Some("/t/page-3"))]),
            // The last page; later a fourth page appears after it.
            ("/t/page-3", vec![thread_page(&[5], None), thread_page(&[5, 6], Some("/t/page-4"))]),
            ("/t/page-4", vec![thread_page(&[7], Some("https://elsewhere.example/t/page-5"))]),
        ])
        .await
        .unwrap();
        let source = connector(&server, &["/t/page-1"], xenforo_selectors(), 2);
        let http = client(0);
        let one = source.fetch(&http, None, chrono::Utc::now()).await.unwrap();
        assert_eq!(one.mentions.len(), 4);
        assert!(one.more, "page 3 is waiting");
        let two = source.fetch(&http, one.next_cursor.as_deref(), chrono::Utc::now()).await.unwrap();
        assert_eq!(texts(&two), vec!["Post 5 about Acme CRM"]);
        assert!(!two.more);
        let three = source.fetch(&http, two.next_cursor.as_deref(), chrono::Utc::now()).await.unwrap();
        assert_eq!(texts(&three), vec!["Post 6 about Acme CRM"], "the last page is re-read");
        assert!(three.more);
        let four = source.fetch(&http, three.next_cursor.as_deref(), chrono::Utc::now()).await.unwrap();
        assert_eq!(texts(&four), vec!["Post 7 about Acme CRM"]);
        assert!(!four.more, "a next link to another host is not followed");
        let paths: Vec<String> = targets(&server).into_iter().filter(|target| target != "/robots.txt").collect();
        assert_eq!(
            paths,
            vec![
                "/t/page-1",
                "/t/page-2",
                "/t/page-1",
                "/t/page-3",
                "/t/page-1",
                "/t/page-3",
                "/t/page-1",
                "/t/page-4"
            ]
        );
    }

    #[tokio::test]
    async fn a_vanished_continuation_starts_over_and_errors_fail_only_their_page() {
        let server = ReplayServer::start(vec![
            ("/robots.txt", vec![Reply::new(404, "")]),
            ("/t/page-1", vec![thread_page(&[1], Some("/t/page-2"))]),
            ("/t/page-2", vec![thread_page(&[2], None), Reply::new(404, "gone")]),
            ("/broken", vec![html_reply("<html><body><p>We moved to a new forum.</p></body></html>")]),
        ])
        .await
        .unwrap();
        let source = connector(&server, &["/t/page-1", "/broken"], xenforo_selectors(), 3);
        let http = client(0);
        let one = source.fetch(&http, None, chrono::Utc::now()).await.unwrap();
        assert_eq!(texts(&one), vec!["Post 1 about Acme CRM", "Post 2 about Acme CRM"]);
        assert_eq!(one.failures.len(), 1, "the page whose layout changed is reported, the other is read");
        assert!(matches!(one.failures[0], ConnectorError::Malformed { .. }), "{:?}", one.failures);
        let two = source.fetch(&http, one.next_cursor.as_deref(), chrono::Utc::now()).await.unwrap();
        assert!(two.mentions.is_empty());
        let cursor: serde_json::Value = serde_json::from_str(two.next_cursor.as_deref().unwrap()).unwrap();
        let thread = &cursor[format!("{}/t/page-1", server.base_url())];
        assert!(thread.get("resume").is_none(), "{cursor}");

        let only_broken =
            connector(&server, &["/broken"], xenforo_selectors(), 3).fetch(&http, None, chrono::Utc::now()).await;
        assert!(matches!(only_broken, Err(ConnectorError::Malformed { .. })));
        let bad_cursor =
            connector(&server, &["/broken"], phpbb_selectors(), 3).fetch(&http, Some("nope"), chrono::Utc::now()).await;
        assert!(matches!(bad_cursor, Err(ConnectorError::Cursor { .. })));
    }

    #[tokio::test]
    async fn latin1_pages_served_with_their_charset() {
        let page = Reply::new(200, FIXTURES.read("forum_thread_vbulletin_latin1.html"))
            .header("Content-Type", "text/html; charset=ISO-8859-1");
        let server =
            ReplayServer::start(vec![("/robots.txt", vec![Reply::new(404, "")]), ("/t/", vec![page])]).await.unwrap();
        let source = connector(&server, &["/t/122760-34.html"], super::vbulletin_selectors(), 1);
        let read = source.fetch(&client(0), None, chrono::Utc::now()).await.unwrap();
        assert_eq!(read.mentions.len(), 20);
        assert!(!read.more, "max_pages = 1 reads only the configured page");
        assert!(read.mentions.iter().all(|m| !m.text.contains('\u{fffd}')));
    }
}
