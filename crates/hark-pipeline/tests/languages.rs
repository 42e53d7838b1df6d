//! Languages through the whole pipeline, with the real classifier attached: in one page, an
//! English complaint is scored, flagged and routed, while the same complaint in German and in
//! Japanese is stored and indexed under its detected language without signals, so it is never
//! flagged or routed. Needs `make model`, like the classifier's own tests.

use std::path::PathBuf;
use std::sync::Arc;

use chrono::{DateTime, TimeZone, Utc};
use hark_classifier::classifier::Classifier;
use hark_classifier::{EncoderOptions, ModelPaths};
use hark_core::{ManualClock, Mention, Sentiment, SentimentScores, Signals, SourceKind};
use hark_index::mentions::{CommitPolicy, Indexer, SearchOptions};
use hark_pipeline::Pipeline;
use hark_pipeline::classify::ClassifierWorker;
use hark_store::Store;

fn start() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 3, 2, 9, 0, 0).single().expect("a valid time")
}

fn classifier() -> Classifier {
    let models = std::env::var_os("HARK_MODEL_DIR")
        .map_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../models"), PathBuf::from);
    let paths = ModelPaths::in_models_dir(&models);
    Classifier::load(&paths, &models.join("heads"), EncoderOptions::default()).expect("model and heads load")
}

fn post(external_id: &str, text: &str) -> Mention {
    let kind = SourceKind::parse("reddit").expect("a valid kind");
    let mut mention = Mention::new(kind, "r", external_id, text, start());
    mention.author.handle = Some(format!("author_{external_id}"));
    mention.published_at = Some(start());
    mention
}

/// Signals as a mention file from an earlier run might carry them: a flagged complaint.
fn flagged() -> Signals {
    Signals {
        sentiment: Sentiment::Negative,
        sentiment_scores: SentimentScores { negative: 0.9, neutral: 0.05, positive: 0.05 },
        complaint: 0.95,
        intent: 0.1,
        cues: vec![],
        model_version: "earlier".to_owned(),
    }
}

#[tokio::test]
async fn only_english_is_scored_and_routed_other_languages_are_stored_and_searchable() {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open_in(dir.path()).await.unwrap();
    let indexer = Arc::new(Indexer::open(&dir.path().join("index"), CommitPolicy::default()).unwrap());
    let worker = ClassifierWorker::spawn(classifier()).unwrap();
    let pipeline = Pipeline::new(store.clone(), Arc::new(ManualClock::new(start())))
        .with_classifier(worker)
        .with_index(Arc::clone(&indexer));

    let english =
        post("t3_en", "I was charged twice for my subscription and nobody at Acme will refund me. Terrible service.");
    let german = post(
        "t3_de",
        "Mir wurde mein Abo bei Acme zweimal abgebucht und niemand erstattet mir das Geld. Schrecklicher Service.",
    );
    let japanese =
        post("t3_ja", "Acmeのサブスクリプションが二重に請求されたのに、誰も返金してくれません。最悪のサービスです。");
    // The source says German; the signals it arrived with are a guess and are dropped.
    let mut tagged = post("t3_tagged", "Schon wieder doppelt abgebucht, Acme. Unverschämt.");
    tagged.lang = Some("de-AT".to_owned());
    tagged.signals = Some(flagged());
    let ids = [english.id.clone(), german.id.clone(), japanese.id.clone(), tagged.id.clone()];

    let outcome = pipeline.process_page("r", vec![english, german, japanese, tagged], None).await.unwrap();
    assert_eq!(outcome.new_mentions.len(), 4);
    assert_eq!((outcome.complaints, outcome.intents), (1, 0), "only the English complaint is flagged");
    assert_eq!(outcome.routed.created, 1, "{:?}", outcome.routed);

    let stored = store.mentions_by_ids(&ids).await.unwrap();
    let [english, german, japanese, tagged] = &stored[..] else { panic!("four mentions stored: {stored:?}") };
    assert_eq!(english.lang.as_deref(), Some("en"));
    let signals = english.signals.as_ref().expect("the English post is scored");
    assert_eq!(signals.sentiment, Sentiment::Negative);
    assert!(store.queue_item_for_mention(&english.id).await.unwrap().is_some(), "the English complaint is routed");

    for (mention, lang) in [(german, "de"), (japanese, "ja"), (tagged, "de-AT")] {
        assert_eq!(mention.lang.as_deref(), Some(lang), "{}", mention.text);
        assert_eq!(mention.signals, None, "not scored: {}", mention.text);
        assert!(store.queue_item_for_mention(&mention.id).await.unwrap().is_none(), "not routed: {}", mention.text);
    }

    // Routing everything again routes nothing new: the unscored posts have no signals.
    let again = pipeline.route_all().await.unwrap();
    assert_eq!((again.created, again.unchanged), (0, 1), "{again:?}");

    // Indexed under their languages: `lang:` finds them.
    indexer.commit().unwrap();
    indexer.index().reload().unwrap();
    let find = |query: &str| {
        let query = hark_index::query::parse(query).unwrap();
        let mut found: Vec<String> = indexer
            .index()
            .search(&query, &SearchOptions::default())
            .unwrap()
            .hits
            .into_iter()
            .map(|hit| hit.id.as_str().to_owned())
            .collect();
        found.sort();
        found
    };
    let id = |index: usize| stored[index].id.as_str().to_owned();
    let mut german_ids = vec![id(1), id(3)];
    german_ids.sort();
    assert_eq!(find("lang:de"), german_ids);
    assert_eq!(find("lang:de-at"), [id(3)]);
    assert_eq!(find("lang:ja"), [id(2)]);
    assert_eq!(find("lang:en"), [id(0)]);
    assert_eq!(find("abgebucht lang:de"), german_ids);
}
