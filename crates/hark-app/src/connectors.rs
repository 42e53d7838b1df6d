//! The source kinds hark can read, straight from the connector registry.

use serde::Serialize;
use utoipa::ToSchema;

use crate::error::{AppError, AppResult, ErrorKind};

#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct ConnectorInfo {
    /// The `kind` written in `hark.toml`.
    pub name: &'static str,
    /// What it collects.
    pub description: &'static str,
    /// An example `[[sources]]` entry.
    pub example: &'static str,
}

fn info(kind: &hark_connectors::Kind) -> ConnectorInfo {
    ConnectorInfo { name: kind.name, description: kind.description, example: kind.example }
}

/// Every source kind with a connector, in registry order.
pub fn list() -> Vec<ConnectorInfo> {
    hark_connectors::registry().iter().map(info).collect()
}

/// One kind by name.
pub fn show(name: &str) -> AppResult<ConnectorInfo> {
    hark_connectors::find(name).map(info).ok_or_else(|| {
        let known: Vec<&str> = hark_connectors::registry().iter().map(|kind| kind.name).collect();
        AppError::new(
            ErrorKind::NotFound,
            "not_found",
            format!("no connector {name:?}; available: {}", known.join(", ")),
        )
    })
}
