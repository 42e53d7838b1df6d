//! web: not built yet.

use crate::Kind;
use crate::contract::{Connector, Settings};

pub const KIND: Kind = Kind {
    name: "web",
    folder: "web",
    description: "web (not built yet)",
    example: "[[sources]]\nid = \"web\"\nkind = \"web\"\n",
    build,
};

fn build(_settings: &Settings) -> Result<Box<dyn Connector>, String> {
    Err("the web connector is not built yet".to_owned())
}
