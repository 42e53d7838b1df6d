//! Mentions and cursors: written together, one transaction per page.

use std::io::Read;

use chrono::{DateTime, Utc};
use flate2::Compression;
use flate2::read::DeflateDecoder;
use flate2::write::DeflateEncoder;
use hark_core::{Author, Engagement, Mention, MentionId, SourceKind};
use sqlx::Row;
use sqlx::any::AnyRow;

use crate::{Result, Store, StoreError, query_error, timestamp};

/// What saving a page did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SaveOutcome {
    /// Mentions stored for the first time, in page order.
    pub inserted: Vec<MentionId>,
    /// Mentions that were already stored (or repeated within the page) and left as they were.
    pub duplicates: usize,
    /// Of the duplicates: posts whose canonical URL was already stored from another source
    /// kind, linked to that mention instead of stored again.
    pub linked: usize,
}

fn compress(raw: &serde_json::Value) -> Vec<u8> {
    let mut encoder = DeflateEncoder::new(Vec::new(), Compression::fast());
    // Writing JSON into a Vec-backed encoder cannot fail.
    serde_json::to_writer(&mut encoder, raw).expect("serialising a JSON value into memory");
    encoder.finish().expect("finishing an in-memory deflate stream")
}

fn decompress(bytes: &[u8]) -> Result<serde_json::Value> {
    let mut json = Vec::new();
    DeflateDecoder::new(bytes)
        .read_to_end(&mut json)
        .map_err(|err| StoreError::Corrupt { what: "raw payload", detail: err.to_string() })?;
    serde_json::from_slice(&json).map_err(|err| StoreError::Corrupt { what: "raw payload", detail: err.to_string() })
}

impl Store {
    /// Stores a page of mentions and, in the same transaction, the source's new cursor.
    ///
    /// Mentions already stored (same source kind and external id) are left untouched and
    /// counted as duplicates. If anything fails, nothing of the page and not the cursor is
    /// written, so the next run fetches the page again.
    pub async fn save_page(&self, source_id: &str, mentions: &[Mention], cursor: Option<&str>) -> Result<SaveOutcome> {
        self.save_page_at(source_id, mentions, cursor, Utc::now()).await
    }

    /// [`Store::save_page`] with the cursor's timestamp given.
    pub async fn save_page_at(
        &self,
        source_id: &str,
        mentions: &[Mention],
        cursor: Option<&str>,
        now: DateTime<Utc>,
    ) -> Result<SaveOutcome> {
        let mut tx = self.begin_write("starting a page transaction").await?;
        let next_seq: i64 = sqlx::query_scalar("SELECT COALESCE(MAX(inserted_seq), 0) + 1 FROM mentions")
            .fetch_one(&mut *tx)
            .await
            .map_err(query_error("reading the insertion sequence"))?;
        let mut outcome = SaveOutcome::default();
        for mention in mentions {
            if let Some(url) = &mention.url {
                let first: Option<String> = sqlx::query_scalar(
                    "SELECT id FROM mentions WHERE url = $1 AND source_kind <> $2 ORDER BY inserted_seq LIMIT 1",
                )
                .bind(url)
                .bind(mention.source_kind.as_str())
                .fetch_optional(&mut *tx)
                .await
                .map_err(query_error("looking up a mention by URL"))?;
                if let Some(first) = first {
                    sqlx::query(
                        "INSERT INTO mention_links (id, mention_id, source_kind, source_id, external_id, seen_at)
                         VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT DO NOTHING",
                    )
                    .bind(mention.id.as_str())
                    .bind(&first)
                    .bind(mention.source_kind.as_str())
                    .bind(&mention.source_id)
                    .bind(&mention.external_id)
                    .bind(timestamp::encode(now))
                    .execute(&mut *tx)
                    .await
                    .map_err(query_error("linking a mention"))?;
                    outcome.duplicates += 1;
                    outcome.linked += 1;
                    continue;
                }
            }
            let raw = mention.raw.as_ref().map(compress);
            let signals = mention
                .signals
                .as_ref()
                .map(|signals| serde_json::to_string(signals).expect("signals always serialise"));
            let result = sqlx::query(
                "INSERT INTO mentions (id, source_kind, source_id, external_id, url, author_handle, author_name,
                    author_email, author_profile_url, author_reach, title, text, lang, published_at, fetched_at,
                    thread_id, parent_id, score, replies, raw_deflate, signals, inserted_seq)
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20, $21, $22)
                 ON CONFLICT DO NOTHING",
            )
            .bind(mention.id.as_str())
            .bind(mention.source_kind.as_str())
            .bind(&mention.source_id)
            .bind(&mention.external_id)
            .bind(&mention.url)
            .bind(&mention.author.handle)
            .bind(&mention.author.name)
            .bind(&mention.author.email)
            .bind(&mention.author.profile_url)
            .bind(mention.author.reach)
            .bind(&mention.title)
            .bind(&mention.text)
            .bind(&mention.lang)
            .bind(mention.published_at.map(timestamp::encode))
            .bind(timestamp::encode(mention.fetched_at))
            .bind(&mention.thread_id)
            .bind(&mention.parent_id)
            .bind(mention.engagement.score)
            .bind(mention.engagement.replies)
            .bind(raw)
            .bind(signals)
            .bind(next_seq + outcome.inserted.len() as i64)
            .execute(&mut *tx)
            .await
            .map_err(query_error("inserting a mention"))?;
            if result.rows_affected() == 1 {
                outcome.inserted.push(mention.id.clone());
            } else {
                outcome.duplicates += 1;
            }
        }
        if let Some(cursor) = cursor {
            sqlx::query(
                "INSERT INTO cursors (source_id, cursor, updated_at) VALUES ($1, $2, $3)
                 ON CONFLICT (source_id) DO UPDATE SET cursor = excluded.cursor, updated_at = excluded.updated_at",
            )
            .bind(source_id)
            .bind(cursor)
            .bind(timestamp::encode(now))
            .execute(&mut *tx)
            .await
            .map_err(query_error("saving a cursor"))?;
        }
        tx.commit().await.map_err(query_error("committing a page"))?;
        Ok(outcome)
    }

    /// Which of `ids` are already stored, or linked to a stored mention with the same URL.
    pub async fn stored_ids(&self, ids: &[MentionId]) -> Result<std::collections::HashSet<MentionId>> {
        let mut stored = std::collections::HashSet::new();
        for chunk in ids.chunks(500) {
            let placeholders = crate::dialect::placeholders(1, chunk.len());
            // Only numbered placeholders are spliced in; every value is bound.
            let sql = sqlx::AssertSqlSafe(format!(
                "SELECT id FROM mentions WHERE id IN ({placeholders})
                 UNION SELECT id FROM mention_links WHERE id IN ({placeholders})"
            ));
            let mut query = sqlx::query_scalar::<_, String>(sql);
            for id in chunk {
                query = query.bind(id.as_str());
            }
            let found = query.fetch_all(&self.pool).await.map_err(query_error("looking up stored mentions"))?;
            stored.extend(found.into_iter().map(MentionId::from_raw));
        }
        Ok(stored)
    }

    /// The cursor saved with the source's last page, if any.
    pub async fn cursor(&self, source_id: &str) -> Result<Option<String>> {
        sqlx::query_scalar("SELECT cursor FROM cursors WHERE source_id = $1")
            .bind(source_id)
            .fetch_optional(&self.pool)
            .await
            .map_err(query_error("reading a cursor"))
    }

    pub async fn mention(&self, id: &MentionId) -> Result<Option<Mention>> {
        let row = sqlx::query("SELECT * FROM mentions WHERE id = $1")
            .bind(id.as_str())
            .fetch_optional(&self.pool)
            .await
            .map_err(query_error("reading a mention"))?;
        row.as_ref().map(mention_from_row).transpose()
    }

    pub async fn count_mentions(&self) -> Result<i64> {
        sqlx::query_scalar("SELECT COUNT(*) FROM mentions")
            .fetch_one(&self.pool)
            .await
            .map_err(query_error("counting mentions"))
    }

    /// Mentions by source id, for status and coverage.
    pub async fn count_mentions_by_source(&self) -> Result<Vec<(String, i64)>> {
        sqlx::query_as("SELECT source_id, COUNT(*) FROM mentions GROUP BY source_id ORDER BY source_id")
            .fetch_all(&self.pool)
            .await
            .map_err(query_error("counting mentions by source"))
    }

    /// Mentions without signals, counted by language tag as stored (`None`: no tag), for
    /// status; callers decide which tags the classifier does not read.
    pub async fn count_unscored_by_lang(&self) -> Result<Vec<(Option<String>, i64)>> {
        sqlx::query_as("SELECT lang, COUNT(*) FROM mentions WHERE signals IS NULL GROUP BY lang ORDER BY lang")
            .fetch_all(&self.pool)
            .await
            .map_err(query_error("counting mentions without signals by language"))
    }

    /// Records that the match and route stages are done with these mentions.
    pub async fn mark_settled(&self, ids: &[MentionId], now: DateTime<Utc>) -> Result<()> {
        let now = timestamp::encode(now);
        for chunk in ids.chunks(500) {
            let placeholders = crate::dialect::placeholders(2, chunk.len());
            // Only numbered placeholders are spliced in; every value is bound.
            let sql = sqlx::AssertSqlSafe(format!(
                "UPDATE mentions SET settled_at = $1 WHERE settled_at IS NULL AND id IN ({placeholders})"
            ));
            let mut query = sqlx::query(sql).bind(&now);
            for id in chunk {
                query = query.bind(id.as_str());
            }
            query.execute(&self.pool).await.map_err(query_error("marking mentions settled"))?;
        }
        Ok(())
    }

    /// Up to `limit` mentions (without raw payloads) that were saved but never matched and
    /// routed (their process died in between), oldest first; with `fetched_before`, only those
    /// fetched before it (younger ones may be on their way through another process).
    pub async fn unsettled_mentions(&self, fetched_before: Option<DateTime<Utc>>, limit: i64) -> Result<Vec<Mention>> {
        let sql = sqlx::AssertSqlSafe(format!(
            "SELECT {} FROM mentions WHERE settled_at IS NULL AND ($1 IS NULL OR fetched_at < $1)
             ORDER BY inserted_seq LIMIT $2",
            crate::matches::MENTION_COLUMNS
        ));
        let rows = sqlx::query(sql)
            .bind(fetched_before.map(timestamp::encode))
            .bind(limit)
            .fetch_all(&self.pool)
            .await
            .map_err(query_error("reading unsettled mentions"))?;
        rows.iter().map(mention_from_row).collect()
    }

    /// These mentions without their raw payloads, in insertion order; unknown ids are left
    /// out.
    pub async fn mentions_by_ids(&self, ids: &[MentionId]) -> Result<Vec<Mention>> {
        let mut found: Vec<(i64, Mention)> = Vec::with_capacity(ids.len());
        for chunk in ids.chunks(500) {
            let placeholders = crate::dialect::placeholders(1, chunk.len());
            // Only numbered placeholders are spliced in; every value is bound.
            let sql = sqlx::AssertSqlSafe(format!(
                "SELECT {}, inserted_seq FROM mentions WHERE id IN ({placeholders})",
                crate::matches::MENTION_COLUMNS
            ));
            let mut query = sqlx::query(sql);
            for id in chunk {
                query = query.bind(id.as_str());
            }
            let rows = query.fetch_all(&self.pool).await.map_err(query_error("reading mentions"))?;
            for row in &rows {
                found.push((row.get("inserted_seq"), mention_from_row(row)?));
            }
        }
        found.sort_by_key(|(seq, _)| *seq);
        found.dedup_by_key(|(seq, _)| *seq);
        Ok(found.into_iter().map(|(_, mention)| mention).collect())
    }

    /// Keeps the cues computed for a scored mention (they are worked out when someone first
    /// looks, not while scoring). A mention without signals is left alone; returns whether one
    /// was updated.
    pub async fn save_cues(&self, id: &MentionId, cues: &[String]) -> Result<bool> {
        let cues =
            serde_json::to_string(cues).map_err(|err| StoreError::Corrupt { what: "cues", detail: err.to_string() })?;
        let signals = self.engine.json_set("signals", "cues", "$1");
        let done = sqlx::query(sqlx::AssertSqlSafe(format!(
            "UPDATE mentions SET signals = {signals} WHERE id = $2 AND signals IS NOT NULL"
        )))
        .bind(cues)
        .bind(id.as_str())
        .execute(&self.pool)
        .await
        .map_err(query_error("saving cues"))?;
        Ok(done.rows_affected() == 1)
    }

    /// The ids of every mention with signals, in insertion order.
    pub async fn mention_ids_with_signals(&self) -> Result<Vec<MentionId>> {
        let ids: Vec<String> =
            sqlx::query_scalar("SELECT id FROM mentions WHERE signals IS NOT NULL ORDER BY inserted_seq")
                .fetch_all(&self.pool)
                .await
                .map_err(query_error("listing mentions with signals"))?;
        Ok(ids.into_iter().map(MentionId::from_raw).collect())
    }

    /// External ids stored for a source, in insertion order (tests and audits).
    pub async fn external_ids(&self, source_id: &str) -> Result<Vec<String>> {
        sqlx::query_scalar("SELECT external_id FROM mentions WHERE source_id = $1 ORDER BY inserted_seq")
            .bind(source_id)
            .fetch_all(&self.pool)
            .await
            .map_err(query_error("listing external ids"))
    }
}

/// A stored mention with its place in insertion order (defined in hark-core, which the index
/// reads without depending on the store).
pub use hark_core::SequencedMention;

impl Store {
    /// Up to `limit` mentions stored after `after_seq`, in insertion order, without their raw
    /// payloads. Callers page through with the last `seq` they saw.
    pub async fn mentions_after(&self, after_seq: i64, limit: i64) -> Result<Vec<SequencedMention>> {
        let sql = format!("{SEQUENCED_SELECT} WHERE m.inserted_seq > $1 ORDER BY m.inserted_seq LIMIT $2");
        let rows = sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(after_seq)
            .bind(limit)
            .fetch_all(&self.pool)
            .await
            .map_err(query_error("reading mentions in insertion order"))?;
        rows.iter().map(sequenced_from_row).collect()
    }

    /// Up to `limit` mentions stored at or before `up_to_seq` whose customer link changed since
    /// they were indexed (queued by triggers on `matches`).
    pub async fn mentions_to_refresh(&self, up_to_seq: i64, limit: i64) -> Result<Vec<SequencedMention>> {
        let sql = format!(
            "{SEQUENCED_SELECT} JOIN index_refresh r ON r.mention_id = m.id
             WHERE m.inserted_seq <= $1 ORDER BY m.inserted_seq LIMIT $2"
        );
        let rows = sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(up_to_seq)
            .bind(limit)
            .fetch_all(&self.pool)
            .await
            .map_err(query_error("reading mentions to refresh in the index"))?;
        rows.iter().map(sequenced_from_row).collect()
    }

    /// Takes `ids` off the index refresh queue (they were just indexed with their current link).
    pub async fn clear_refresh(&self, ids: &[&MentionId]) -> Result<()> {
        for chunk in ids.chunks(500) {
            let placeholders = crate::dialect::placeholders(1, chunk.len());
            // Only numbered placeholders are spliced in; every value is bound.
            let sql = sqlx::AssertSqlSafe(format!("DELETE FROM index_refresh WHERE mention_id IN ({placeholders})"));
            let mut query = sqlx::query(sql);
            for id in chunk {
                query = query.bind(id.as_str());
            }
            query.execute(&self.pool).await.map_err(query_error("clearing the index refresh queue"))?;
        }
        Ok(())
    }

    /// The highest insertion sequence number stored (0 when there are no mentions).
    pub async fn max_inserted_seq(&self) -> Result<i64> {
        sqlx::query_scalar("SELECT COALESCE(MAX(inserted_seq), 0) FROM mentions")
            .fetch_one(&self.pool)
            .await
            .map_err(query_error("reading the insertion sequence"))
    }
}

/// A mention without its raw payload, with its insertion sequence and the customer its author
/// is linked to (the most confident automatic or confirmed match).
const SEQUENCED_SELECT: &str = "SELECT m.id, m.source_kind, m.source_id, m.external_id, m.url, m.author_handle,
    m.author_name, m.author_email, m.author_profile_url, m.author_reach, m.title, m.text, m.lang, m.published_at,
    m.fetched_at, m.thread_id, m.parent_id, m.score, m.replies, NULL AS raw_deflate, m.signals, m.inserted_seq,
    (SELECT x.customer_id FROM matches x WHERE x.mention_id = m.id AND x.state IN ('auto', 'confirmed')
     ORDER BY x.confidence DESC LIMIT 1) AS customer_id
    FROM mentions m";

fn sequenced_from_row(row: &AnyRow) -> Result<SequencedMention> {
    Ok(SequencedMention {
        seq: row.get("inserted_seq"),
        mention: mention_from_row(row)?,
        customer_id: row.get::<Option<String>, _>("customer_id").map(hark_core::CustomerId::from_raw),
    })
}

pub(crate) fn mention_from_row(row: &AnyRow) -> Result<Mention> {
    let kind: String = row.get("source_kind");
    let source_kind =
        SourceKind::parse(&kind).map_err(|err| StoreError::Corrupt { what: "mention", detail: err.to_string() })?;
    let raw: Option<Vec<u8>> = row.get("raw_deflate");
    let signals: Option<String> = row.get("signals");
    let signals = signals
        .map(|json| serde_json::from_str(&json))
        .transpose()
        .map_err(|err| StoreError::Corrupt { what: "signals", detail: err.to_string() })?;
    Ok(Mention {
        id: MentionId::from_raw(row.get::<String, _>("id")),
        source_kind,
        source_id: row.get("source_id"),
        external_id: row.get("external_id"),
        url: row.get("url"),
        author: Author {
            handle: row.get("author_handle"),
            name: row.get("author_name"),
            email: row.get("author_email"),
            profile_url: row.get("author_profile_url"),
            reach: row.get("author_reach"),
        },
        title: row.get("title"),
        text: row.get("text"),
        lang: row.get("lang"),
        published_at: timestamp::decode_opt(row.get::<Option<String>, _>("published_at").as_deref())?,
        fetched_at: timestamp::decode(&row.get::<String, _>("fetched_at"))?,
        thread_id: row.get("thread_id"),
        parent_id: row.get("parent_id"),
        engagement: Engagement { score: row.get("score"), replies: row.get("replies") },
        raw: raw.as_deref().map(decompress).transpose()?,
        signals,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn raw_payload_round_trips_through_deflate() {
        let raw = serde_json::json!({"data": {"title": "x".repeat(1000), "score": 3}});
        let packed = compress(&raw);
        assert!(packed.len() < 200, "{} bytes", packed.len());
        assert_eq!(decompress(&packed).unwrap(), raw);
        // A damaged blob is an error, not a panic.
        assert!(decompress(&packed[..packed.len() / 2]).is_err());
    }
}
