//! Prospects: the latest aggregate per non-customer author, kept so that lists stay fast.
//! The pipeline computes them; this module only remembers them.

use hark_core::{MentionId, Prospect};
use sqlx::Row;

use crate::matches::AuthorRef;
use crate::{Result, Store, StoreError, query_error, timestamp};

impl Store {
    /// Replaces what is stored for `authors` with `prospects` (authors missing from
    /// `prospects` stop being prospects, e.g. because they turned out to be customers).
    /// With `everyone`, every stored prospect is replaced. One transaction.
    pub async fn replace_prospects(&self, authors: &[AuthorRef], prospects: &[Prospect], everyone: bool) -> Result<()> {
        let mut tx = self.begin_write("starting to write prospects").await?;
        if everyone {
            sqlx::query("DELETE FROM prospects").execute(&mut *tx).await.map_err(query_error("clearing prospects"))?;
        }
        for author in authors {
            sqlx::query("DELETE FROM prospects WHERE source_kind = $1 AND handle = $2")
                .bind(&author.source_kind)
                .bind(&author.key)
                .execute(&mut *tx)
                .await
                .map_err(query_error("removing a prospect"))?;
        }
        for prospect in prospects {
            sqlx::query(
                "INSERT INTO prospects (source_kind, handle, intent, topics, evidence, last_seen, reach)
                 VALUES ($1, $2, $3, $4, $5, $6, $7)
                 ON CONFLICT (source_kind, handle) DO UPDATE SET intent = excluded.intent, topics = excluded.topics,
                    evidence = excluded.evidence, last_seen = excluded.last_seen, reach = excluded.reach",
            )
            .bind(&prospect.source)
            .bind(&prospect.author)
            .bind(f64::from(prospect.intent))
            .bind(serde_json::to_string(&prospect.topics).expect("string lists serialise"))
            .bind(serde_json::to_string(&prospect.evidence).expect("id lists serialise"))
            .bind(timestamp::encode(prospect.last_seen))
            .bind(prospect.reach)
            .execute(&mut *tx)
            .await
            .map_err(query_error("writing a prospect"))?;
        }
        tx.commit().await.map_err(query_error("committing prospects"))?;
        Ok(())
    }

    /// Every stored prospect, highest intent first.
    pub async fn prospects(&self) -> Result<Vec<Prospect>> {
        let rows = sqlx::query("SELECT * FROM prospects ORDER BY intent DESC, last_seen DESC, source_kind, handle")
            .fetch_all(&self.pool)
            .await
            .map_err(query_error("listing prospects"))?;
        rows.iter()
            .map(|row| {
                let corrupt =
                    |err: serde_json::Error| StoreError::Corrupt { what: "prospect", detail: err.to_string() };
                let topics: Vec<String> = serde_json::from_str(&row.get::<String, _>("topics")).map_err(corrupt)?;
                let evidence: Vec<MentionId> =
                    serde_json::from_str(&row.get::<String, _>("evidence")).map_err(corrupt)?;
                Ok(Prospect {
                    author: row.get("handle"),
                    source: row.get("source_kind"),
                    intent: row.get::<f64, _>("intent") as f32,
                    topics,
                    evidence,
                    last_seen: timestamp::decode(&row.get::<String, _>("last_seen"))?,
                    reach: row.get("reach"),
                })
            })
            .collect()
    }
}
