//! bluesky: not built yet.

use crate::Kind;
use crate::contract::{Connector, Settings};

pub const KIND: Kind = Kind {
    name: "bluesky",
    folder: "bluesky",
    description: "bluesky (not built yet)",
    example: "[[sources]]\nid = \"bluesky\"\nkind = \"bluesky\"\n",
    build,
};

fn build(_settings: &Settings) -> Result<Box<dyn Connector>, String> {
    Err("the bluesky connector is not built yet".to_owned())
}
