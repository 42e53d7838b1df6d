//! reddit: not built yet.

use crate::Kind;
use crate::contract::{Connector, Settings};

pub const KIND: Kind = Kind {
    name: "reddit",
    folder: "reddit",
    description: "reddit (not built yet)",
    example: "[[sources]]\nid = \"reddit\"\nkind = \"reddit\"\n",
    build,
};

fn build(_settings: &Settings) -> Result<Box<dyn Connector>, String> {
    Err("the reddit connector is not built yet".to_owned())
}
