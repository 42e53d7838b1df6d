//! What every command gets: the application (configuration, data) and the flags that shape
//! the output.

use hark_app::{App, AppOptions};

use crate::cli::GlobalArgs;
use crate::output::Bar;

#[derive(Debug)]
pub struct Context {
    pub app: App,
    pub global: GlobalArgs,
}

impl Context {
    /// Reads and validates the configuration named by the flags; opens nothing yet.
    pub fn load(global: GlobalArgs) -> anyhow::Result<Self> {
        let app = App::load(options(&global))?;
        Ok(Self { app, global })
    }

    pub fn json(&self) -> bool {
        self.global.json
    }

    /// Whether progress bars may be drawn: not when quiet, not in JSON mode, and only on a
    /// terminal (indicatif hides itself otherwise).
    pub fn show_progress(&self) -> bool {
        !self.global.quiet && !self.global.json
    }

    /// A progress bar for an application call, hidden when not wanted.
    pub fn progress(&self) -> Bar {
        Bar::new(self.show_progress())
    }
}

/// Where the flags say the configuration and the data are.
pub fn options(global: &GlobalArgs) -> AppOptions {
    AppOptions {
        config_path: global.config_path(),
        config_explicit: global.config.is_some(),
        data_dir: global.data_dir.clone(),
    }
}
