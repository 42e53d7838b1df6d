//! hark-index: tantivy indexes of mentions and customers under the data dir. Derived data:
//! always rebuildable from the store, never the source of truth.
