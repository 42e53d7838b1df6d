//! Running the real binary in a scratch directory.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::OnceLock;

/// The `hark` binary of this workspace, brought up to date once per test run: this crate
/// cannot depend on a binary, so `cargo test -p hark-e2e` alone would otherwise test a stale
/// one. The build is a no-op when `cargo test --workspace` already built it.
pub fn hark_bin() -> &'static Path {
    static BIN: OnceLock<PathBuf> = OnceLock::new();
    BIN.get_or_init(|| {
        let test_exe = std::env::current_exe().expect("the test binary knows its path");
        // target/<profile>/deps/e2e-<hash> → target/<profile>/hark
        let profile_dir =
            test_exe.parent().and_then(Path::parent).expect("test binaries live in target/<profile>/deps");
        let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".to_owned());
        let mut build = Command::new(cargo);
        build.args(["build", "--quiet", "--package", "hark-cli", "--bin", "hark"]);
        if profile_dir.file_name().is_some_and(|name| name == "release") {
            build.arg("--release");
        }
        let status = build.status().expect("running cargo build for the hark binary");
        assert!(status.success(), "building hark failed");
        profile_dir.join("hark")
    })
}

/// A scratch directory with its own config and data dir.
pub struct Workspace {
    pub dir: tempfile::TempDir,
}

/// What one run of `hark` did.
pub struct Run {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

impl Run {
    fn from(output: &Output) -> Self {
        Self {
            code: output.status.code().unwrap_or(-1),
            stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
        }
    }

    pub fn json(&self) -> serde_json::Value {
        serde_json::from_str(&self.stdout).unwrap_or_else(|err| panic!("stdout is not JSON ({err}):\n{}", self.stdout))
    }

    #[track_caller]
    pub fn assert_ok(&self) -> &Self {
        assert_eq!(self.code, 0, "hark failed:\nstdout: {}\nstderr: {}", self.stdout, self.stderr);
        self
    }
}

impl Workspace {
    pub fn new() -> Self {
        Self { dir: tempfile::tempdir().expect("creating a scratch directory") }
    }

    pub fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }

    pub fn write(&self, name: &str, contents: impl AsRef<[u8]>) -> PathBuf {
        let path = self.path(name);
        std::fs::write(&path, contents).expect("writing a test file");
        path
    }

    pub fn command(&self, args: &[&str]) -> Command {
        let mut command = Command::new(hark_bin());
        command
            .current_dir(self.dir.path())
            .env_remove("HARK_CONFIG")
            .env_remove("HARK_DATA_DIR")
            .env_remove("RUST_LOG")
            .args(args);
        command
    }

    pub fn run(&self, args: &[&str]) -> Run {
        Run::from(&self.command(args).output().expect("running hark"))
    }
}
