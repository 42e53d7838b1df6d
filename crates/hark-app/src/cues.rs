//! The phrases behind a mention's flags, for the person looking at it. Stored cues are
//! returned as they are; a mention scored without cues (the pipeline never computes them)
//! gets them from the model the first time someone asks (the model is loaded once per
//! process, on first use), and they are kept with its signals, so computing cues never slows
//! the ingest path and is paid once per post.

use hark_pipeline::classify::text_for;

use crate::App;
use crate::access::Caller;
use crate::error::{AppError, AppResult, Context};

/// The cues of queue item `id`'s mention.
pub async fn cues(app: &App, caller: &Caller, id: i64) -> AppResult<Vec<String>> {
    let detail = crate::queue::show(app, caller, id).await?;
    let Some(signals) = detail.item.mention.signals else {
        return Ok(Vec::new());
    };
    if !signals.cues.is_empty() {
        return Ok(signals.cues);
    }
    let store = app.store().await.internal("opening the store")?;
    let mention_id = hark_core::MentionId::from_raw(detail.item.mention.id.clone());
    let mention = store
        .mention(&mention_id)
        .await
        .internal("reading a mention")?
        .ok_or_else(|| AppError::not_found("mention", &detail.item.mention.id))?;
    let worker = app.classifier().await?;
    let scored = worker.classify(vec![text_for(&mention)]).await.internal("finding the cues")?;
    let cues = scored.into_iter().next().map(|signals| signals.cues).unwrap_or_default();
    if !cues.is_empty() {
        // Kept, so the next look costs nothing; a failure only means computing them again.
        if let Err(err) = store.save_cues(&mention_id, &cues).await {
            tracing::warn!(error = %err, mention = %mention_id.as_str(), "keeping the cues");
        }
    }
    Ok(cues)
}
