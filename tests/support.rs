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

/// A scratch directory with its own config and data dir, and, when the suite runs on
/// PostgreSQL (`HARK_E2E_STORE=postgres`, see [`postgres_mode`]), a database of its own.
pub struct Workspace {
    pub dir: tempfile::TempDir,
    /// The workspace's PostgreSQL database (`HARK_STORE_URL` of every command), if any.
    pub store_url: Option<String>,
}

/// Whether this run of the suite puts every workspace's store on PostgreSQL: set
/// `HARK_E2E_STORE=postgres` with `HARK_TEST_POSTGRES_URL` naming a server whose user may
/// create databases (`scripts/with-postgres.sh` starts one; `make test` runs the suite once on
/// SQLite and once on PostgreSQL).
pub fn postgres_mode() -> bool {
    match std::env::var("HARK_E2E_STORE").as_deref() {
        Ok("postgres") => true,
        Ok("sqlite") | Ok("") | Err(_) => false,
        Ok(other) => panic!("HARK_E2E_STORE={other}: use sqlite or postgres"),
    }
}

/// A new, empty database on the test server, for one workspace.
fn create_postgres_database() -> String {
    static NEXT: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
    let admin = std::env::var("HARK_TEST_POSTGRES_URL")
        .expect("HARK_E2E_STORE=postgres needs HARK_TEST_POSTGRES_URL (scripts/with-postgres.sh sets it)");
    let name = format!("hark_e2e_{}_{}", std::process::id(), NEXT.fetch_add(1, std::sync::atomic::Ordering::SeqCst));
    let created = Command::new("psql")
        .args([admin.as_str(), "-q", "-v", "ON_ERROR_STOP=1", "-c", &format!("CREATE DATABASE {name}")])
        .output()
        .expect("running psql (Debian's postgresql-client)");
    assert!(created.status.success(), "creating {name}: {}", String::from_utf8_lossy(&created.stderr));
    let (base, _) = admin.rsplit_once('/').expect("HARK_TEST_POSTGRES_URL ends in /DATABASE");
    format!("{base}/{name}")
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
        let store_url = postgres_mode().then(create_postgres_database);
        Self { dir: tempfile::tempdir().expect("creating a scratch directory"), store_url }
    }

    /// A workspace whose store is always the data directory's SQLite file (`hark demo` runs on
    /// one of its own, whichever store the suite uses).
    pub fn embedded() -> Self {
        Self { dir: tempfile::tempdir().expect("creating a scratch directory"), store_url: None }
    }

    /// The workspace's store (the data directory's SQLite file, or its PostgreSQL database),
    /// as the hark commands see it.
    pub async fn store(&self) -> hark_store::Store {
        hark_store::Store::open_for(&self.path("hark-data"), self.store_url.as_deref())
            .await
            .expect("the workspace's store opens")
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
            .env_remove(hark_store::STORE_URL_ENV)
            .args(args);
        if let Some(url) = &self.store_url {
            command.env(hark_store::STORE_URL_ENV, url);
        }
        command
    }

    pub fn run(&self, args: &[&str]) -> Run {
        Run::from(&self.command(args).output().expect("running hark"))
    }
}
