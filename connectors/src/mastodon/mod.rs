//! mastodon: not built yet.

use crate::Kind;
use crate::contract::{Connector, Settings};

pub const KIND: Kind = Kind {
    name: "mastodon",
    folder: "mastodon",
    description: "mastodon (not built yet)",
    example: "[[sources]]\nid = \"mastodon\"\nkind = \"mastodon\"\n",
    build,
};

fn build(_settings: &Settings) -> Result<Box<dyn Connector>, String> {
    Err("the mastodon connector is not built yet".to_owned())
}
