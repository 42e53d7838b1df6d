//! rss: not built yet.

use crate::Kind;
use crate::contract::{Connector, Settings};

pub const KIND: Kind = Kind {
    name: "rss",
    folder: "rss",
    description: "rss (not built yet)",
    example: "[[sources]]\nid = \"rss\"\nkind = \"rss\"\n",
    build,
};

fn build(_settings: &Settings) -> Result<Box<dyn Connector>, String> {
    Err("the rss connector is not built yet".to_owned())
}
