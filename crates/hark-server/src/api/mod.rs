//! `/api/v1` handlers, one module per resource.
#![allow(unused_qualifications, reason = "utoipa's path macro expands `params(...)` with full paths")]

pub mod admin;
pub mod customers;
pub mod exports;
pub mod mentions;
pub mod queues;
pub mod sources;
pub mod stats;
