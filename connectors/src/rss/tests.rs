//! Compatibility with the recorded feeds in `../shared/fixtures/rss/` (RSS 2.0, Atom html and
//! xhtml, RDF, gb2312, BOM, undefined entities, truncation), Reddit and Google Alerts feeds,
//! hostile variants that must never panic, and fetches against the replay server
//! (conditional GET, repeats, several feeds).

use chrono::Utc;
use hark_replay::Reply;

use super::parse::{parse_feed, unwrap_redirect};
use crate::ConnectorError;
use crate::testing::Fixtures;

const FIXTURES: Fixtures = Fixtures("rss");

const FEED: &str = "https://feeds.example/feed";

fn parse(body: &[u8]) -> Result<super::parse::FeedPage, ConnectorError> {
    parse_feed(body, None, FEED, "feeds", Utc::now())
}

fn xml_reply(body: Vec<u8>) -> Reply {
    Reply::new(200, body).header("Content-Type", "application/rss+xml; charset=utf-8")
}

/// The conformance suite's view of feeds: one feed under the base URL, the recorded Medium
/// RSS 2.0 document.
pub(crate) fn conformance_case() -> crate::conformance::Case {
    crate::conformance::Case {
        kind: &super::KIND,
        settings: |base_url| {
            crate::Settings::new("feeds")
                .with_base_url(base_url)
                .with("feeds", serde_json::json!([format!("{base_url}/feed/medium.xml")]))
        },
        routes: || vec![("/feed/medium.xml".to_owned(), vec![xml_reply(FIXTURES.read("rss2_content_encoded.xml"))])],
        root_routes: Vec::new,
        main_route: "/feed/medium.xml",
        malformed_body: b"<html><body><h1>Welcome to our shop</h1></body></html>",
    }
}

#[test]
fn rss2_with_content_encoded() {
    let page = parse(&FIXTURES.read("rss2_content_encoded.xml")).unwrap();
    assert_eq!((page.mentions.len(), page.skipped), (10, 0));
    let first = &page.mentions[0];
    assert_eq!(first.external_id, "https://medium.com/p/417d97952d42", "the guid, not the link");
    assert_eq!(first.title.as_deref(), Some("Hodl Hodl closes funding round"));
    assert_eq!(first.author.name.as_deref(), Some("Hodl Hodl"));
    assert_eq!(first.author.handle, None);
    assert_eq!(first.published_at.unwrap().to_rfc3339(), "2018-11-19T08:10:26+00:00");
    assert!(first.url.as_deref().unwrap().starts_with("https://medium.com/@hodlhodl/hodl-hodl-closes-funding-round"));
    // content:encoded (the full post), as plain text.
    assert!(first.text.starts_with("For a long time Hodl Hodl remained self-funded."), "{}", first.text);
    assert!(first.text.len() > 1000 && !first.text.contains('<'));
    assert_eq!(first.raw.as_ref().unwrap()["feed"], FEED);
    for mention in &page.mentions {
        assert!(mention.published_at.is_some() && mention.url.is_some() && mention.title.is_some());
    }
}

#[test]
fn atom_with_html_and_xhtml_content() {
    let html = parse(&FIXTURES.read("atom_html_content.xml")).unwrap();
    assert_eq!((html.mentions.len(), html.skipped), (48, 0));
    let first = &html.mentions[0];
    assert_eq!(first.external_id, "tag:daringfireball.net,2017:/linked//6.33853");
    assert_eq!(
        first.url.as_deref(),
        Some("https://daringfireball.net/thetalkshow/2017/06/26/ep-195"),
        "the alternate link"
    );
    assert_eq!(first.title.as_deref(), Some("The Talk Show: ‘I Do Like Throwing a Baby’"));
    assert_eq!(first.author.profile_url.as_deref(), Some("http://daringfireball.net/"));
    assert_eq!(first.lang.as_deref(), Some("en"));
    assert!(first.text.starts_with("New episode of America’s favorite 3-star podcast"), "{}", first.text);
    for mention in &html.mentions {
        assert!(!mention.text.contains("&nbsp;") && !mention.text.contains("&#8217;"), "{}", mention.text);
    }

    let xhtml = parse(&FIXTURES.read("atom_xhtml.xml")).unwrap();
    assert_eq!((xhtml.mentions.len(), xhtml.skipped), (43, 0));
    let first = &xhtml.mentions[0];
    assert_eq!(first.external_id, "tag:typepad.com,2003:post-6a017d3e79c482970c01bb098db7b9970d");
    assert_eq!(first.published_at.unwrap().to_rfc3339(), "2017-04-07T01:50:50+00:00", "+10:30 honoured");
    assert_eq!(first.author.name.as_deref(), Some("ENTexpertopinion"));
    assert!(first.text.starts_with("Dr Nicholas Jufas interviews Dr Dave Pothier"), "{}", first.text);
    assert!(xhtml.mentions.iter().all(|m| !m.text.contains("<div") && !m.text.contains("xmlns")));
}

#[test]
fn rdf_feed() {
    let page = parse(&FIXTURES.read("rdf.xml")).unwrap();
    assert_eq!((page.mentions.len(), page.skipped), (30, 0));
    let first = &page.mentions[0];
    assert_eq!(first.external_id, "http://biorxiv.org/cgi/content/short/743294v1?rss=1");
    assert_eq!(first.published_at.unwrap().to_rfc3339(), "2019-08-27T00:00:00+00:00", "dc:date");
    assert!(first.title.as_deref().unwrap().starts_with("Wheat inositol pyrophosphate kinase"));
    assert!(first.author.name.as_deref().unwrap().starts_with("Kaur, M."));
    assert!(first.text.starts_with("Inositol pyrophosphates"), "{}", first.text);
}

#[test]
fn declared_gb2312_is_decoded_whatever_http_says() {
    for http_charset in [None, Some("utf-8"), Some("iso-8859-1")] {
        let page = parse_feed(&FIXTURES.read("encoding_gb2312.xml"), http_charset, FEED, "feeds", Utc::now()).unwrap();
        assert_eq!((page.mentions.len(), page.skipped), (20, 0));
        let first = &page.mentions[0];
        assert_eq!(first.title.as_deref(), Some("建国35周年纪念，华表，和平鸽"), "{http_charset:?}");
        assert_eq!(first.author.name.as_deref(), Some("大鱼儿"));
        assert_eq!(first.lang.as_deref(), Some("zh"));
        assert_eq!(first.published_at.unwrap().to_rfc3339(), "2020-01-10T14:33:00+00:00", "2020/1/10 14:33:00");
        assert_eq!(first.external_id, "http://www.kc0011.net/dispbbs.asp?BoardID=10&ID=25164257&Page=1");
        assert!(page.mentions.iter().all(|m| !m.text.contains('\u{fffd}') && !m.text.is_empty()));
    }
}

#[test]
fn byte_order_mark_before_the_declaration() {
    let page = parse(&FIXTURES.read("utf8_bom.xml")).unwrap();
    assert_eq!(page.mentions.len(), 10);
    assert_eq!(page.mentions[0].title.as_deref(), Some("Skipping Around"));
    assert_eq!(page.mentions[0].published_at.unwrap().to_rfc3339(), "2019-05-24T07:00:00+00:00");
    assert!(page.mentions[0].text.contains("murdered by a coconut"));
    // The same document served with blank lines before the BOM-less declaration.
    let mut padded = b"\n\n  ".to_vec();
    padded.extend_from_slice(&FIXTURES.read("utf8_bom.xml")[3..]);
    assert_eq!(parse(&padded).unwrap().mentions.len(), 10);
}

#[test]
fn undefined_entities_are_read_leniently() {
    let page = parse(&FIXTURES.read("undefined_entity.xml")).unwrap();
    assert_eq!(page.mentions.len(), 1);
    let post = &page.mentions[0];
    assert_eq!(post.external_id, "https://db-engines.com/en/blog_post/103");
    assert!(post.text.starts_with("Snowflake is the database management system"), "{}", post.text);
    assert!(post.text.contains("our DB-Engines Ranking within"), "&nbsp; becomes a space: {}", post.text);
    assert!(!post.text.contains("&nbsp;"));
    assert_eq!(post.author.name.as_deref(), Some("Matthias Gelbmann, Paul Andlinger"));
    assert_eq!(post.published_at.unwrap().to_rfc3339(), "2023-01-03T15:00:00+00:00");
}

#[test]
fn truncated_documents_are_malformed() {
    let err = parse(&FIXTURES.read("malformed_truncated.xml")).unwrap_err();
    assert!(matches!(&err, ConnectorError::Malformed { detail, .. } if detail.contains("<rss>")), "{err}");
    let whole = FIXTURES.read("rss2_content_encoded.xml");
    for cut in [whole.len() / 3, whole.len() / 2, whole.len() - 10] {
        assert!(matches!(parse(&whole[..cut]), Err(ConnectorError::Malformed { .. })), "cut at {cut}");
    }
    for body in [&b""[..], b"   ", b"null", b"{\"items\": []}", b"<html><body>Service unavailable</body></html>"] {
        assert!(matches!(parse(body), Err(ConnectorError::Malformed { .. })), "{:?}", String::from_utf8_lossy(body));
    }
}

const REDDIT: &str = r#"<?xml version="1.0" encoding="UTF-8"?><feed xmlns="http://www.w3.org/2005/Atom" xmlns:media="http://search.yahoo.com/mrss/"><category term="crm" label="r/crm"/><updated>2024-05-01T10:00:00+00:00</updated><id>/r/crm/new/.rss</id><link rel="self" href="https://www.reddit.com/r/crm/new/.rss" type="application/atom+xml" /><link rel="alternate" href="https://www.reddit.com/r/crm/new/" type="text/html" /><title>newest submissions : crm</title>
<entry><author><name>/u/SalesOpsSam</name><uri>https://www.reddit.com/user/SalesOpsSam</uri></author><category term="crm" label="r/crm"/><content type="html">&lt;!-- SC_OFF --&gt;&lt;div class=&quot;md&quot;&gt;&lt;p&gt;We are moving off Acme CRM &amp;amp; need &lt;em&gt;recommendations&lt;/em&gt;.&lt;/p&gt;&lt;/div&gt;&lt;!-- SC_ON --&gt; &amp;#32; submitted by &amp;#32; &lt;a href=&quot;https://www.reddit.com/user/SalesOpsSam&quot;&gt; /u/SalesOpsSam &lt;/a&gt; &lt;br/&gt; &lt;span&gt;&lt;a href=&quot;https://www.reddit.com/r/crm/comments/1cabcde/moving_off_acme_crm/&quot;&gt;[link]&lt;/a&gt;&lt;/span&gt;</content><id>t3_1cabcde</id><link href="https://www.reddit.com/r/crm/comments/1cabcde/moving_off_acme_crm/" /><updated>2024-05-01T09:58:00+00:00</updated><published>2024-05-01T09:57:00+00:00</published><title>Moving off Acme CRM</title></entry>
<entry><author><name>/u/linkposter</name><uri>https://www.reddit.com/user/linkposter</uri></author><content type="html">&lt;table&gt;&lt;tr&gt;&lt;td&gt; &amp;#32; submitted by &amp;#32; &lt;a href=&quot;https://www.reddit.com/user/linkposter&quot;&gt; /u/linkposter &lt;/a&gt; &lt;br/&gt; &lt;span&gt;&lt;a href=&quot;https://example.com/review&quot;&gt;[link]&lt;/a&gt;&lt;/span&gt;&lt;/td&gt;&lt;/tr&gt;&lt;/table&gt;</content><id>t3_1cabcdf</id><link href="https://www.reddit.com/r/crm/comments/1cabcdf/acme_crm_review/" /><updated>2024-05-01T09:50:00+00:00</updated><title>Acme CRM review after a year</title></entry>
</feed>"#;

#[test]
fn reddit_feeds_give_handles_and_the_post_text() {
    let page = parse(REDDIT.as_bytes()).unwrap();
    assert_eq!(page.mentions.len(), 2);
    let post = &page.mentions[0];
    assert_eq!(post.external_id, "t3_1cabcde");
    assert_eq!(post.author.handle.as_deref(), Some("salesopssam"));
    assert_eq!(post.author.name.as_deref(), Some("SalesOpsSam"));
    assert_eq!(post.author.profile_url.as_deref(), Some("https://www.reddit.com/user/SalesOpsSam"));
    assert_eq!(post.text, "We are moving off Acme CRM & need recommendations.");
    assert_eq!(post.published_at.unwrap().to_rfc3339(), "2024-05-01T09:57:00+00:00", "published before updated");
    assert_eq!(post.url.as_deref(), Some("https://www.reddit.com/r/crm/comments/1cabcde/moving_off_acme_crm"));
    let link_post = &page.mentions[1];
    assert_eq!(link_post.text, "Acme CRM review after a year", "a link post says what its title says");
    assert_eq!(link_post.published_at.unwrap().to_rfc3339(), "2024-05-01T09:50:00+00:00", "updated when unpublished");
}

const ALERTS: &str = r#"<?xml version="1.0" encoding="utf-8"?><feed xmlns="http://www.w3.org/2005/Atom" xmlns:idx="urn:atom-extension:indexing"><id>tag:google.com,2005:reference/alerts/feeds/0123/4567</id><title>Google Alert - acme crm</title><link href="https://www.google.com/alerts/feeds/0123/4567" rel="self"></link><updated>2024-05-01T10:00:00Z</updated>
<entry><id>tag:google.com,2013:googlealerts/feed:1234567890</id><title type="html">Why teams leave &lt;b&gt;Acme CRM&lt;/b&gt;</title><link href="https://www.google.com/url?rct=j&amp;sa=t&amp;url=https://blog.example.com/why-teams-leave-acme%3Futm_source%3Dalerts%26page%3D2&amp;ct=ga&amp;cd=CAIyGA&amp;usg=AOvVaw1" /><published>2024-05-01T09:00:00Z</published><updated>2024-05-01T09:00:00Z</updated><content type="html">Many teams switch from &lt;b&gt;Acme CRM&lt;/b&gt; because of pricing &amp;nbsp;...</content><author><name></name></author></entry>
</feed>"#;

#[test]
fn google_alerts_links_point_at_the_target() {
    let page = parse(ALERTS.as_bytes()).unwrap();
    assert_eq!(page.mentions.len(), 1);
    let alert = &page.mentions[0];
    assert_eq!(alert.external_id, "tag:google.com,2013:googlealerts/feed:1234567890");
    assert_eq!(alert.url.as_deref(), Some("https://blog.example.com/why-teams-leave-acme?page=2"));
    assert_eq!(alert.title.as_deref(), Some("Why teams leave Acme CRM"));
    assert_eq!(alert.text, "Many teams switch from Acme CRM because of pricing ...");
    assert_eq!(alert.author.name, None, "an empty name is no name");
    assert_eq!(
        unwrap_redirect("https://example.com/url?url=https://x.example"),
        "https://example.com/url?url=https://x.example"
    );
}

#[test]
fn entries_without_ids_get_stable_ones() {
    let feed = |items: &str| {
        format!(r#"<rss version="2.0"><channel><title>t</title><link>https://x.example</link>{items}</channel></rss>"#)
    };
    let body = feed(
        "<item><title>Linked</title><link>https://x.example/a?utm_source=rss</link><description>one</description></item>\
         <item><title>Unlinked</title><description>two</description></item>\
         <item><description>three, without title or link</description></item>\
         <item><title></title></item>",
    );
    let first = parse(body.as_bytes()).unwrap();
    let again = parse_feed(body.as_bytes(), None, FEED, "another-source", Utc::now()).unwrap();
    let ids = |page: &super::parse::FeedPage| page.mentions.iter().map(|m| m.external_id.clone()).collect::<Vec<_>>();
    assert_eq!(ids(&first), ids(&again));
    assert_eq!(first.mentions.len(), 3);
    assert_eq!(first.skipped, 1, "an item with nothing to say is skipped");
    assert_eq!(first.mentions[0].external_id, "https://x.example/a", "the canonical link");
    assert!(first.mentions[1].external_id.starts_with(&format!("{FEED}#")));
    assert_ne!(first.mentions[1].external_id, first.mentions[2].external_id);
    assert!(first.mentions.iter().all(|m| m.published_at.is_none()));
}

#[test]
fn hostile_variants_never_panic() {
    for name in ["rss2_content_encoded.xml", "atom_xhtml.xml", "rdf.xml", "encoding_gb2312.xml", "utf8_bom.xml"] {
        let body = FIXTURES.read(name);
        for cut in (0..body.len()).step_by(211) {
            assert!(parse(&body[..cut]).is_err(), "{name} cut at {cut} was accepted");
        }
        let mut broken = body.clone();
        broken.insert(body.len() / 2, 0xff);
        broken.insert(body.len() / 3, 0x00);
        let _ = parse(&broken);
    }
    // Huge text, deep markup inside content, entity bombs (no DTDs are expanded).
    let huge = format!(
        r#"<rss version="2.0"><channel><item><guid>1</guid><description>{}</description></item><item><guid>2</guid><description>{}x{}</description></item></channel></rss>"#,
        "&lt;p&gt;word&lt;/p&gt;".repeat(100_000),
        "&lt;div&gt;".repeat(5000),
        "&lt;/div&gt;".repeat(5000)
    );
    let page = parse(huge.as_bytes()).unwrap();
    assert_eq!(page.mentions[0].text.matches("word").count(), 100_000);
    assert_eq!(page.mentions[1].text, "x");
    let bomb = r#"<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;">]><rss version="2.0"><channel><item><guid>1</guid><title>&lol2;</title></item></channel></rss>"#;
    let page = parse(bomb.as_bytes()).unwrap();
    assert!(page.mentions[0].text.len() < 100, "{}", page.mentions[0].text);
    let deep_xml =
        format!("<rss version=\"2.0\"><channel>{}{}</channel></rss>", "<x>".repeat(5000), "</x>".repeat(5000));
    let _ = parse(deep_xml.as_bytes());
}

mod fetch {
    use hark_replay::{ReplayServer, Reply};

    use super::{FIXTURES, xml_reply};
    use crate::testing::{client, header};
    use crate::{Connector, ConnectorError, Settings};

    fn connector(server: &ReplayServer, feeds: &[&str]) -> Box<dyn Connector> {
        let feeds: Vec<String> = feeds.iter().map(|feed| format!("{}{feed}", server.base_url())).collect();
        (super::super::KIND.build)(&Settings::new("feeds").with("feeds", serde_json::json!(feeds))).unwrap()
    }

    #[tokio::test]
    async fn conditional_get_sends_validators_back_and_a_304_yields_nothing() {
        let first = xml_reply(FIXTURES.read("atom_html_content.xml"))
            .header("ETag", "W/\"df-2017-06-27\"")
            .header("Last-Modified", "Tue, 27 Jun 2017 00:54:20 GMT");
        let server = ReplayServer::start(vec![("/feeds/main", vec![first, Reply::new(304, "")])]).await.unwrap();
        let source = connector(&server, &["/feeds/main"]);
        let http = client(0);
        let page = source.fetch(&http, None, chrono::Utc::now()).await.unwrap();
        assert_eq!(page.mentions.len(), 48);
        assert!(header(&server.requests()[0], "if-none-match").is_none());

        let second = source.fetch(&http, page.next_cursor.as_deref(), chrono::Utc::now()).await.unwrap();
        assert!(second.mentions.is_empty());
        assert_eq!(second.requests, 1);
        assert_eq!(second.next_cursor, page.next_cursor, "a 304 keeps the cursor");
        let requests = server.requests();
        assert_eq!(header(&requests[1], "if-none-match"), Some("W/\"df-2017-06-27\""));
        assert_eq!(header(&requests[1], "if-modified-since"), Some("Tue, 27 Jun 2017 00:54:20 GMT"), "verbatim");
    }

    #[tokio::test]
    async fn servers_ignoring_validators_repeat_nothing_and_new_entries_come_through() {
        let old = r#"<rss version="2.0"><channel><title>t</title><item><guid>a</guid><title>First</title></item><item><title>No id or date</title><link>https://x.example/undated</link></item></channel></rss>"#;
        let new = r#"<rss version="2.0"><channel><title>t</title><item><guid>b</guid><title>Second</title></item><item><guid>a</guid><title>First, edited</title></item><item><title>No id or date</title><link>https://x.example/undated</link></item></channel></rss>"#;
        let server = ReplayServer::start(vec![(
            "/feed",
            vec![xml_reply(old.into()), xml_reply(old.into()), xml_reply(new.into())],
        )])
        .await
        .unwrap();
        let source = connector(&server, &["/feed"]);
        let http = client(0);
        let mut cursor = None;
        let mut titles = Vec::new();
        for _ in 0..4 {
            let page = source.fetch(&http, cursor.as_deref(), chrono::Utc::now()).await.unwrap();
            titles.push(page.mentions.iter().map(|m| m.title.clone().unwrap()).collect::<Vec<_>>());
            cursor = page.next_cursor;
        }
        assert_eq!(titles, vec![vec!["First", "No id or date"], vec![], vec!["Second"], vec![]]);
    }

    #[tokio::test]
    async fn one_failing_feed_does_not_stop_the_others() {
        let server = ReplayServer::start(vec![
            ("/good", vec![xml_reply(FIXTURES.read("utf8_bom.xml"))]),
            ("/cut", vec![xml_reply(FIXTURES.read("malformed_truncated.xml"))]),
            ("/gone", vec![Reply::new(404, "not here")]),
        ])
        .await
        .unwrap();
        let http = client(0);
        let page =
            connector(&server, &["/cut", "/good", "/gone"]).fetch(&http, None, chrono::Utc::now()).await.unwrap();
        assert_eq!(page.mentions.len(), 10);
        assert_eq!(page.failures.len(), 2, "the two failed feeds are reported (the run is partial)");
        assert!(page.failures.iter().all(|failure| !matches!(failure, ConnectorError::Cursor { .. })));
        let cursor: serde_json::Value = serde_json::from_str(page.next_cursor.as_deref().unwrap()).unwrap();
        assert_eq!(cursor.as_object().unwrap().len(), 3);

        let all_bad = connector(&server, &["/cut", "/gone"]).fetch(&http, None, chrono::Utc::now()).await;
        assert!(matches!(all_bad, Err(ConnectorError::Malformed { .. })), "{all_bad:?}");
        let bad_cursor = connector(&server, &["/good"]).fetch(&http, Some("[1, 2]"), chrono::Utc::now()).await;
        assert!(matches!(bad_cursor, Err(ConnectorError::Cursor { .. })));
    }

    #[tokio::test]
    async fn relative_feeds_resolve_against_base_url_and_bad_urls_fail_the_build() {
        let server =
            ReplayServer::start(vec![("/mount/r/crm/new/.rss", vec![xml_reply(super::REDDIT.into())])]).await.unwrap();
        let settings = Settings::new("feeds")
            .with_base_url(&format!("{}/mount/", server.base_url()))
            .with("feeds", serde_json::json!(["/r/crm/new/.rss"]));
        let page =
            (super::super::KIND.build)(&settings).unwrap().fetch(&client(0), None, chrono::Utc::now()).await.unwrap();
        assert_eq!(page.mentions.len(), 2);
        assert_eq!(server.requests()[0].target, "/mount/r/crm/new/.rss");

        let build =
            |feeds: serde_json::Value| (super::super::KIND.build)(&Settings::new("f").with("feeds", feeds)).err();
        assert!(build(serde_json::json!(["/relative.rss"])).unwrap().contains("base_url"));
        assert!(build(serde_json::json!(["ftp://x.example/feed"])).unwrap().contains("feeds[0]"));
        assert!(build(serde_json::json!([])).is_some());
    }
}
