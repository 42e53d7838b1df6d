//! stackexchange: not built yet.

use crate::Kind;
use crate::contract::{Connector, Settings};

pub const KIND: Kind = Kind {
    name: "stackexchange",
    folder: "stackexchange",
    description: "stackexchange (not built yet)",
    example: "[[sources]]\nid = \"stackexchange\"\nkind = \"stackexchange\"\n",
    build,
};

fn build(_settings: &Settings) -> Result<Box<dyn Connector>, String> {
    Err("the stackexchange connector is not built yet".to_owned())
}
