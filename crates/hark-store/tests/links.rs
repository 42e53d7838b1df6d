//! The same post reached through two source kinds is stored once and linked.

use chrono::Utc;
use hark_core::{Mention, SourceKind};
use hark_store::Store;

fn mention(kind: &str, external_id: &str, url: &str) -> Mention {
    let mut mention = Mention::new(
        SourceKind::parse(kind).expect("a valid kind"),
        kind,
        external_id,
        "Acme CRM is down again",
        Utc::now(),
    );
    mention.url = Some(url.to_owned());
    mention
}

#[tokio::test]
async fn a_url_seen_from_another_kind_is_linked_not_duplicated() {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open_in(dir.path()).await.unwrap();
    let post = "https://www.reddit.com/r/crm/comments/abc/acme_down/";
    let listing = store.save_page("reddit", &[mention("reddit", "t3_abc", post)], Some("c1")).await.unwrap();
    assert_eq!(listing.inserted.len(), 1);

    let feed_entry = mention("rss", "t3_abc-feed", post);
    let feed = store.save_page("feeds", std::slice::from_ref(&feed_entry), Some("f1")).await.unwrap();
    assert_eq!((feed.inserted.len(), feed.duplicates, feed.linked), (0, 1, 1));
    assert_eq!(store.count_mentions().await.unwrap(), 1);
    assert!(store.stored_ids(std::slice::from_ref(&feed_entry.id)).await.unwrap().contains(&feed_entry.id));
    assert_eq!(store.cursor("feeds").await.unwrap().as_deref(), Some("f1"), "the cursor moves with the page");

    // Seen again: still one mention, one link.
    let again = store.save_page("feeds", &[feed_entry], Some("f2")).await.unwrap();
    assert_eq!((again.inserted.len(), again.duplicates), (0, 1));
    assert_eq!(store.count_mentions().await.unwrap(), 1);

    // The same kind with the same URL is not linked: a source's own ids decide there (two
    // forum posts on one page may share the page URL).
    let sibling = store.save_page("reddit", &[mention("reddit", "t1_def", post)], None).await.unwrap();
    assert_eq!(sibling.inserted.len(), 1);
}
