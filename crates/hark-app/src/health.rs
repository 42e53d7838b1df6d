//! Whether this hark can serve: the store opens and answers.

use serde::Serialize;

use crate::App;
use crate::error::{AppResult, Context};

#[derive(Debug, Clone, Serialize)]
pub struct Readiness {
    pub status: &'static str,
    pub mentions: i64,
}

/// `Ok` when the store answers a query.
pub async fn ready(app: &App) -> AppResult<Readiness> {
    let store = app.store().await.internal("opening the store")?;
    let mentions = store.count_mentions().await.internal("querying the store")?;
    Ok(Readiness { status: "ok", mentions })
}
