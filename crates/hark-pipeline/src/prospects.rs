//! Prospects: authors who are not customers, with what they want.
//!
//! [`aggregate`] turns one author's mentions into a prospect record (intent evidence, topics,
//! last seen, reach); the matching stage calls it for every author it evaluates who has no
//! automatic or confirmed customer match, so the stored list never holds a customer.
//! [`rank`] orders prospects for `hark prospects`: by BM25 relevance of their posts to a
//! topic, blended with intent, or by intent alone; [`lookalikes`] orders them by how much
//! their posts read like the posts of chosen customers (TF-IDF cosine).

use std::collections::{BTreeMap, HashMap};

use hark_core::{MatchState, Mention, MentionId, Prospect};
use hark_index::customers::text;
use hark_store::{AuthorRef, Store, StoreError};

use crate::matching::author_mentions;

/// How `hark prospects` orders the list.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Ranking<'a> {
    /// Highest intent first.
    Intent,
    /// BM25 relevance of their posts to a topic, with intent.
    Topic(&'a str),
    /// Resemblance to the posts of the customers with the most matched mentions.
    LikeCustomers,
}

/// Customers whose posts define "lookalike": the ones with the most matched mentions.
const MODEL_CUSTOMERS: usize = 20;
/// Posts read per model customer.
const MODEL_POSTS: usize = 20;

/// The stored prospects, ranked, at most `limit`.
pub async fn list(store: &Store, ranking: Ranking<'_>, limit: usize) -> Result<Vec<Ranked>, StoreError> {
    let prospects = store.prospects().await?;
    if ranking == Ranking::Intent {
        let mut ranked = rank(prospects.into_iter().map(|p| (p, Vec::new())).collect(), None);
        ranked.truncate(limit);
        return Ok(ranked);
    }
    let mut with_texts = Vec::with_capacity(prospects.len());
    for prospect in prospects {
        let author = AuthorRef { source_kind: prospect.source.clone(), key: prospect.author.clone() };
        let texts = author_mentions(store, &author)
            .await?
            .into_iter()
            .map(|mention| match mention.title {
                Some(title) => format!("{title}\n{}", mention.text),
                None => mention.text,
            })
            .collect();
        with_texts.push((prospect, texts));
    }
    let mut ranked = match ranking {
        Ranking::Topic(topic) => rank(with_texts, Some(topic)),
        _ => {
            let mut per_customer: HashMap<String, Vec<MentionId>> = HashMap::new();
            for matched in store.all_matches().await? {
                if matches!(matched.state, MatchState::Auto | MatchState::Confirmed) {
                    per_customer.entry(matched.customer_id.to_string()).or_default().push(matched.mention_id);
                }
            }
            let mut best: Vec<(String, Vec<MentionId>)> = per_customer.into_iter().collect();
            best.sort_by(|a, b| b.1.len().cmp(&a.1.len()).then(a.0.cmp(&b.0)));
            let mut customer_texts = Vec::new();
            for (_, mentions) in best.into_iter().take(MODEL_CUSTOMERS) {
                for id in mentions.iter().take(MODEL_POSTS) {
                    if let Some(mention) = store.mention(id).await? {
                        customer_texts.push(mention.text);
                    }
                }
            }
            lookalikes(with_texts, &customer_texts)
        }
    };
    ranked.truncate(limit);
    Ok(ranked)
}

/// How prospects are built.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ProspectConfig {
    /// A mention with buying intent at or above this is evidence; an author with none is no
    /// prospect.
    pub intent_threshold: f32,
    /// Topics kept per prospect.
    pub topics: usize,
}

impl Default for ProspectConfig {
    fn default() -> Self {
        Self { intent_threshold: 0.5, topics: 5 }
    }
}

/// The prospect record of one author (all `mentions` are theirs), or `None` when none of
/// their mentions shows buying intent.
pub fn aggregate(author: &AuthorRef, mentions: &[&Mention], config: &ProspectConfig) -> Option<Prospect> {
    let mut evidence: Vec<(f32, &MentionId)> = mentions
        .iter()
        .filter_map(|mention| mention.signals.as_ref().map(|signals| (signals.intent, &mention.id)))
        .filter(|(intent, _)| *intent >= config.intent_threshold)
        .collect();
    if evidence.is_empty() {
        return None;
    }
    evidence.sort_by(|a, b| b.0.total_cmp(&a.0).then(a.1.cmp(b.1)));
    let last_seen = mentions.iter().map(|mention| mention.published_at.unwrap_or(mention.fetched_at)).max()?;
    Some(Prospect {
        author: author.key.clone(),
        source: author.source_kind.clone(),
        intent: evidence[0].0,
        topics: topics(mentions.iter().copied(), config.topics),
        evidence: evidence.into_iter().map(|(_, id)| id.clone()).collect(),
        last_seen,
        reach: mentions.iter().filter_map(|mention| mention.author.reach).max(),
    })
}

/// The most frequent content words of the mentions, in their most common written form.
fn topics<'a>(mentions: impl Iterator<Item = &'a Mention>, keep: usize) -> Vec<String> {
    let mut counts: HashMap<String, (usize, BTreeMap<String, usize>)> = HashMap::new();
    for mention in mentions {
        for source in [mention.title.as_deref().unwrap_or(""), mention.text.as_str()] {
            for (stem, word) in text::terms_with_forms(source) {
                if word.len() < 3 || word.chars().any(|c| c.is_ascii_digit()) {
                    continue;
                }
                let entry = counts.entry(stem).or_default();
                entry.0 += 1;
                *entry.1.entry(word).or_default() += 1;
            }
        }
    }
    let mut ranked: Vec<(usize, String)> = counts
        .into_values()
        .filter_map(|(count, forms)| {
            let form = forms.into_iter().max_by(|a, b| a.1.cmp(&b.1).then(b.0.cmp(&a.0)))?.0;
            Some((count, form))
        })
        .collect();
    ranked.sort_by(|a, b| b.0.cmp(&a.0).then(a.1.cmp(&b.1)));
    ranked.into_iter().take(keep).map(|(_, form)| form).collect()
}

/// A prospect with its place in a ranking.
#[derive(Debug, Clone, PartialEq)]
pub struct Ranked {
    pub prospect: Prospect,
    /// BM25 of their posts for the topic (0 without one), or similarity to the customers.
    pub relevance: f32,
    /// Cosine similarity of the topic's embedding to their closest post, when re-ranked by
    /// meaning ([`rerank_by_meaning`]).
    pub similarity: Option<f32>,
    pub score: f32,
}

/// Re-ranks topic results by meaning: `similarity[i]` is the cosine of the topic's embedding
/// to prospect i's closest post. The score becomes 45% normalised BM25, 35% similarity and 20%
/// intent, so a post that says the same thing in other words counts, and one that only shares
/// a word counts less.
pub fn rerank_by_meaning(ranked: Vec<Ranked>, similarity: &[f32]) -> Vec<Ranked> {
    let best = ranked.iter().map(|r| r.relevance).fold(0.0_f32, f32::max).max(f32::EPSILON);
    let mut reranked: Vec<Ranked> = ranked
        .into_iter()
        .zip(similarity.iter().copied().chain(std::iter::repeat(0.0)))
        .map(|(mut ranked, similarity)| {
            let similarity = similarity.clamp(0.0, 1.0);
            ranked.score = 0.45 * ranked.relevance / best + 0.35 * similarity + 0.2 * ranked.prospect.intent;
            ranked.similarity = Some(similarity);
            ranked
        })
        .collect();
    sort_best_first(&mut reranked);
    reranked
}

/// Highest score first; ties by most recently seen, then by author.
fn sort_best_first(ranked: &mut [Ranked]) {
    ranked.sort_by(|a, b| {
        b.score
            .total_cmp(&a.score)
            .then(b.prospect.last_seen.cmp(&a.prospect.last_seen))
            .then(a.prospect.author.cmp(&b.prospect.author))
    });
}

/// Ranks prospects, each given with the texts of their posts. With a topic: prospects
/// whose posts do not mention it are left out, the rest ordered by normalised BM25 (70%)
/// and intent (30%). Without: by intent, then most recently seen.
pub fn rank(prospects: Vec<(Prospect, Vec<String>)>, topic: Option<&str>) -> Vec<Ranked> {
    let query: Vec<String> = topic.map(text::terms).unwrap_or_default();
    let mut ranked: Vec<Ranked> = if query.is_empty() {
        prospects
            .into_iter()
            .map(|(prospect, _)| Ranked { score: prospect.intent, relevance: 0.0, similarity: None, prospect })
            .collect()
    } else {
        let documents: Vec<Vec<String>> =
            prospects.iter().map(|(_, texts)| texts.iter().flat_map(|t| text::terms(t)).collect()).collect();
        let scores = bm25(&documents, &query);
        let best = scores.iter().copied().fold(0.0_f32, f32::max);
        prospects
            .into_iter()
            .zip(scores)
            .filter(|(_, relevance)| *relevance > 0.0)
            .map(|((prospect, _), relevance)| Ranked {
                score: 0.7 * relevance / best + 0.3 * prospect.intent,
                relevance,
                similarity: None,
                prospect,
            })
            .collect()
    };
    sort_best_first(&mut ranked);
    ranked
}

/// Okapi BM25 (k1 = 1.2, b = 0.75) of each document for the query terms.
pub fn bm25(documents: &[Vec<String>], query: &[String]) -> Vec<f32> {
    const K1: f32 = 1.2;
    const B: f32 = 0.75;
    let n = documents.len() as f32;
    if documents.is_empty() {
        return Vec::new();
    }
    let average = documents.iter().map(Vec::len).sum::<usize>() as f32 / n;
    let mut unique_query = query.to_vec();
    unique_query.sort();
    unique_query.dedup();
    let document_frequency: Vec<f32> = unique_query
        .iter()
        .map(|term| documents.iter().filter(|document| document.contains(term)).count() as f32)
        .collect();
    documents
        .iter()
        .map(|document| {
            let length = document.len() as f32;
            unique_query
                .iter()
                .zip(&document_frequency)
                .map(|(term, &df)| {
                    let tf = document.iter().filter(|word| *word == term).count() as f32;
                    if tf == 0.0 {
                        return 0.0;
                    }
                    let idf = ((n - df + 0.5) / (df + 0.5) + 1.0).ln();
                    idf * tf * (K1 + 1.0) / (tf + K1 * (1.0 - B + B * length / average.max(1.0)))
                })
                .sum()
        })
        .collect()
}

/// Ranks prospects by how closely their posts resemble `customer_texts` (the posts of the
/// best current customers): cosine between TF-IDF vectors, blended with intent (80/20).
pub fn lookalikes(prospects: Vec<(Prospect, Vec<String>)>, customer_texts: &[String]) -> Vec<Ranked> {
    let documents: Vec<Vec<String>> =
        prospects.iter().map(|(_, texts)| texts.iter().flat_map(|t| text::terms(t)).collect()).collect();
    let customers: Vec<String> = customer_texts.iter().flat_map(|t| text::terms(t)).collect();
    let n = documents.len() as f32 + 1.0;
    let mut document_frequency: HashMap<&str, f32> = HashMap::new();
    for document in documents.iter().chain(std::iter::once(&customers)) {
        let mut unique: Vec<&str> = document.iter().map(String::as_str).collect();
        unique.sort_unstable();
        unique.dedup();
        for term in unique {
            *document_frequency.entry(term).or_default() += 1.0;
        }
    }
    let vector = |document: &[String]| -> HashMap<String, f32> {
        let mut counts: HashMap<String, f32> = HashMap::new();
        for term in document {
            *counts.entry(term.clone()).or_default() += 1.0;
        }
        for (term, weight) in counts.iter_mut() {
            let df = document_frequency.get(term.as_str()).copied().unwrap_or(1.0);
            // Smoothed IDF: a term every document has still counts a little.
            *weight = (1.0 + weight.ln()) * (((n + 1.0) / (df + 1.0)).ln() + 1.0);
        }
        counts
    };
    let cosine = |a: &HashMap<String, f32>, b: &HashMap<String, f32>| -> f32 {
        let dot: f32 = a.iter().filter_map(|(term, x)| b.get(term).map(|y| x * y)).sum();
        let norm = |v: &HashMap<String, f32>| v.values().map(|x| x * x).sum::<f32>().sqrt();
        let denominator = norm(a) * norm(b);
        if denominator == 0.0 { 0.0 } else { dot / denominator }
    };
    let target = vector(&customers);
    let mut ranked: Vec<Ranked> = prospects
        .into_iter()
        .zip(&documents)
        .map(|((prospect, _), document)| {
            let relevance = cosine(&vector(document), &target);
            Ranked { score: 0.8 * relevance + 0.2 * prospect.intent, relevance, similarity: None, prospect }
        })
        .filter(|ranked| ranked.relevance > 0.0)
        .collect();
    ranked.sort_by(|a, b| b.score.total_cmp(&a.score).then(a.prospect.author.cmp(&b.prospect.author)));
    ranked
}

#[cfg(test)]
mod tests {
    use chrono::{TimeZone, Utc};
    use hark_core::{Sentiment, SentimentScores, Signals, SourceKind};

    use super::*;

    fn mention(id: &str, text: &str, intent: Option<f32>, day: u32) -> Mention {
        let at = Utc.with_ymd_and_hms(2026, 11, day, 10, 0, 0).unwrap();
        let mut mention = Mention::new(SourceKind::parse("reddit").unwrap(), "r", id, text, at);
        mention.published_at = Some(at);
        mention.author.reach = Some(i64::from(day));
        mention.signals = intent.map(|intent| Signals {
            sentiment: Sentiment::Neutral,
            sentiment_scores: SentimentScores { negative: 0.1, neutral: 0.8, positive: 0.1 },
            complaint: 0.0,
            intent,
            cues: vec![],
            model_version: "test".to_owned(),
        });
        mention
    }

    fn author(key: &str) -> AuthorRef {
        AuthorRef { source_kind: "reddit".to_owned(), key: key.to_owned() }
    }

    #[test]
    fn an_author_with_intent_becomes_a_prospect() {
        let a = mention("a", "Looking for invoicing software, invoices are killing us", Some(0.9), 3);
        let b = mention("b", "Invoicing again: which invoicing tool has sane pricing?", Some(0.7), 5);
        let c = mention("c", "Nice weather", Some(0.1), 1);
        let prospect = aggregate(&author("buyer"), &[&a, &b, &c], &ProspectConfig::default()).unwrap();
        assert_eq!(prospect.intent, 0.9);
        assert_eq!(prospect.evidence, vec![a.id, b.id]);
        assert_eq!(prospect.topics[0], "invoicing");
        assert_eq!(prospect.last_seen, b.published_at.unwrap());
        assert_eq!(prospect.reach, Some(5));
        assert!(aggregate(&author("idle"), &[&c], &ProspectConfig::default()).is_none());
        let unscored = mention("d", "Looking for a CRM", None, 2);
        assert!(aggregate(&author("unscored"), &[&unscored], &ProspectConfig::default()).is_none());
    }

    fn prospect(key: &str, intent: f32) -> Prospect {
        Prospect {
            author: key.to_owned(),
            source: "reddit".to_owned(),
            intent,
            topics: vec![],
            evidence: vec![],
            last_seen: Utc::now(),
            reach: None,
        }
    }

    #[test]
    fn topic_ranking_prefers_relevance_and_drops_the_irrelevant() {
        let ranked = rank(
            vec![
                (prospect("eager-but-off-topic", 0.99), vec!["We need a new espresso machine".to_owned()]),
                (prospect("invoices", 0.6), vec!["Any invoicing software that syncs invoices to the CRM?".to_owned()]),
                (prospect("crm", 0.9), vec!["Comparing CRM tools for our sales team".to_owned()]),
            ],
            Some("invoicing"),
        );
        assert_eq!(ranked.iter().map(|r| r.prospect.author.as_str()).collect::<Vec<_>>(), vec!["invoices"]);
        let by_intent = rank(vec![(prospect("low", 0.5), vec![]), (prospect("high", 0.9), vec![])], None);
        assert_eq!(by_intent[0].prospect.author, "high");
    }

    #[test]
    fn meaning_lifts_a_post_that_says_it_in_other_words() {
        let candidates = vec![
            Ranked { prospect: prospect("shares-a-word", 0.7), relevance: 4.0, similarity: None, score: 0.0 },
            Ranked { prospect: prospect("same-meaning", 0.7), relevance: 2.0, similarity: None, score: 0.0 },
        ];
        let reranked = rerank_by_meaning(candidates, &[0.1, 0.9]);
        let order: Vec<&str> = reranked.iter().map(|r| r.prospect.author.as_str()).collect();
        assert_eq!(order, ["same-meaning", "shares-a-word"]);
        assert_eq!(reranked[0].similarity, Some(0.9));
        assert!((reranked[0].score - (0.45 * 0.5 + 0.35 * 0.9 + 0.2 * 0.7)).abs() < 1e-6);
    }

    #[test]
    fn bm25_rewards_rare_terms_and_short_documents() {
        let docs: Vec<Vec<String>> = ["crm crm pricing", "crm", "pricing of crm tools for a large sales team today"]
            .iter()
            .map(|d| text::terms(d))
            .collect();
        let scores = bm25(&docs, &text::terms("pricing"));
        assert!(scores[0] > scores[2], "{scores:?}");
        assert_eq!(scores[1], 0.0);
    }

    #[test]
    fn lookalikes_resemble_the_customers() {
        let ranked = lookalikes(
            vec![
                (prospect("gardener", 0.9), vec!["My tomatoes and roses need more sun".to_owned()]),
                (prospect("ops", 0.5), vec!["Our support inbox needs shared tickets and SLA reports".to_owned()]),
            ],
            &["We run support tickets and SLA reports from the shared inbox".to_owned()],
        );
        assert_eq!(ranked[0].prospect.author, "ops");
        assert!(ranked.iter().all(|r| r.prospect.author != "gardener"));
    }
}
