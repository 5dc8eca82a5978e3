//! Private PostgreSQL and Redis servers for the fault tests. Each test starts its own, on free
//! loopback ports in a temp dir under /tmp, so it may stop, restart or kill them without
//! touching anyone else's; they are child processes killed on drop, so they go away even when
//! the test fails. As root, PostgreSQL runs as the `postgres` user (it refuses root), exactly
//! as tests/run runs its own.

use std::{
    os::unix::fs::PermissionsExt,
    path::{Path, PathBuf},
    process::Stdio,
    time::{Duration, Instant},
};

use tokio::{
    io::{AsyncReadExt, AsyncWriteExt},
    process::{Child, Command},
};

const PG_BIN: &str = "/usr/lib/postgresql/15/bin";
const REDIS_SERVER: &str = "redis-server";
/// How long a server may take to accept connections after it was started.
const STARTUP: Duration = Duration::from_secs(30);

/// Whether PostgreSQL and Redis can be started here. When they cannot, a bare `cargo test`
/// skips the fault tests (after saying so); under tests/run (`JANUA_TEST_REQUIRE_PEERS`),
/// which installs both, that is a failure.
pub fn available(test: &str) -> bool {
    let postgres = Path::new(PG_BIN).join("postgres").exists();
    let redis = std::env::var_os("PATH")
        .is_some_and(|path| std::env::split_paths(&path).any(|d| d.join(REDIS_SERVER).exists()));
    if postgres && redis {
        return true;
    }
    assert!(
        std::env::var("JANUA_TEST_REQUIRE_PEERS").is_err(),
        "{test}: PostgreSQL 15 and redis-server are required (tests/run installs them)"
    );
    eprintln!("skipped {test}: needs {PG_BIN}/postgres and redis-server");
    false
}

/// A free loopback port, chosen by the kernel.
fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// A temp dir the `postgres` user can enter (short path: PostgreSQL puts its socket there).
fn work_dir() -> tempfile::TempDir {
    let dir = tempfile::Builder::new()
        .prefix("janua-faults-")
        .tempdir_in("/tmp")
        .unwrap();
    std::fs::set_permissions(dir.path(), std::fs::Permissions::from_mode(0o755)).unwrap();
    dir
}

fn log_file(path: &Path) -> Stdio {
    Stdio::from(
        std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(path)
            .unwrap(),
    )
}

/// The uid and gid of the `postgres` user, when running as root.
fn postgres_owner() -> Option<(u32, u32)> {
    let metadata = std::fs::metadata("/proc/self").unwrap();
    if std::os::unix::fs::MetadataExt::uid(&metadata) != 0 {
        return None;
    }
    let passwd = std::fs::read_to_string("/etc/passwd").unwrap();
    let line = passwd
        .lines()
        .find(|line| line.starts_with("postgres:"))
        .expect("a postgres user (the postgresql package creates it)");
    let fields: Vec<&str> = line.split(':').collect();
    Some((fields[2].parse().unwrap(), fields[3].parse().unwrap()))
}

/// A private PostgreSQL 15 cluster.
pub struct Postgres {
    /// First, so it is killed before its directory is removed.
    server: Option<Child>,
    dir: tempfile::TempDir,
    port: u16,
    owner: Option<(u32, u32)>,
}

impl Postgres {
    pub async fn start() -> Self {
        let dir = work_dir();
        let owner = postgres_owner();
        if let Some((uid, gid)) = owner {
            std::os::unix::fs::chown(dir.path(), Some(uid), Some(gid)).unwrap();
        }
        let mut postgres = Self {
            dir,
            port: free_port(),
            owner,
            server: None,
        };
        // --no-sync and fsync=off: the cluster is thrown away.
        let initdb = postgres
            .command("initdb")
            .args(["-A", "trust", "-U", "postgres", "--no-locale", "-E", "UTF8"])
            .args(["--no-sync", "-D"])
            .arg(postgres.data())
            .output()
            .await
            .unwrap();
        assert!(initdb.status.success(), "initdb: {initdb:?}");
        postgres.start_again().await;
        postgres
    }

    pub fn url(&self) -> String {
        format!("postgres://postgres@127.0.0.1:{}/postgres", self.port)
    }

    /// Starts the server (again, on the same port and data) and waits until it answers.
    pub async fn start_again(&mut self) {
        let log = self.dir.path().join("server.log");
        let server = self
            .command("postgres")
            .arg("-D")
            .arg(self.data())
            .args(["-p", &self.port.to_string(), "-k"])
            .arg(self.dir.path())
            .args(["-c", "listen_addresses=127.0.0.1", "-c", "fsync=off"])
            .args(["-c", "max_connections=200"])
            .stdout(log_file(&log))
            .stderr(log_file(&log))
            .kill_on_drop(true)
            .spawn()
            .unwrap();
        self.server = Some(server);
        let deadline = Instant::now() + STARTUP;
        loop {
            if let Ok(db) = janua::store::connect(&self.url()).await {
                db.close().await.unwrap();
                return;
            }
            assert!(
                Instant::now() < deadline,
                "PostgreSQL did not start: {log:?}"
            );
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    /// A fast shutdown (`pg_ctl stop -m fast`: open sessions are cut, nothing is lost), waiting
    /// until the server is gone.
    pub async fn stop(&mut self) {
        let stop = self
            .command("pg_ctl")
            .args(["-m", "fast", "-w", "stop", "-D"])
            .arg(self.data())
            .output()
            .await
            .unwrap();
        assert!(stop.status.success(), "pg_ctl stop: {stop:?}");
        if let Some(mut server) = self.server.take() {
            server.wait().await.unwrap();
        }
    }

    fn data(&self) -> PathBuf {
        self.dir.path().join("data")
    }

    /// A PostgreSQL program, run as the cluster's owner from its directory.
    fn command(&self, program: &str) -> Command {
        let mut command = Command::new(Path::new(PG_BIN).join(program));
        command.current_dir(self.dir.path()).stdin(Stdio::null());
        if let Some((uid, gid)) = self.owner {
            command.uid(uid).gid(gid);
        }
        command
    }
}

impl Drop for Postgres {
    fn drop(&mut self) {
        // An immediate shutdown lets the postmaster take its backends and shared memory with
        // it; kill_on_drop is the fallback. pg_ctl does not need this test's runtime, so
        // waiting for it here cannot deadlock.
        if self.server.is_some() {
            let mut stop = std::process::Command::new(Path::new(PG_BIN).join("pg_ctl"));
            stop.args(["-m", "immediate", "-w", "stop", "-D"])
                .arg(self.data())
                .current_dir(self.dir.path())
                .stdout(Stdio::null())
                .stderr(Stdio::null());
            if let Some((uid, gid)) = self.owner {
                std::os::unix::process::CommandExt::uid(&mut stop, uid);
                std::os::unix::process::CommandExt::gid(&mut stop, gid);
            }
            let _ = stop.status();
        }
    }
}

/// A private Redis without persistence: killed and started again, it comes back empty, as a
/// crashed cache node does.
pub struct Redis {
    /// First, so it is killed before its directory is removed.
    server: Option<Child>,
    dir: tempfile::TempDir,
    port: u16,
}

impl Redis {
    pub async fn start() -> Self {
        let mut redis = Self {
            dir: work_dir(),
            port: free_port(),
            server: None,
        };
        redis.start_again().await;
        redis
    }

    pub fn url(&self) -> String {
        format!("redis://127.0.0.1:{}", self.port)
    }

    /// Starts the server (again, on the same port) and waits until it answers.
    pub async fn start_again(&mut self) {
        let log = self.dir.path().join("redis.log");
        let server = Command::new(REDIS_SERVER)
            .args(["--port", &self.port.to_string(), "--bind", "127.0.0.1"])
            .args(["--save", "", "--appendonly", "no", "--dir"])
            .arg(self.dir.path())
            .stdin(Stdio::null())
            .stdout(log_file(&log))
            .stderr(log_file(&log))
            .kill_on_drop(true)
            .spawn()
            .unwrap();
        self.server = Some(server);
        let deadline = Instant::now() + STARTUP;
        while self.command("PING").await.as_deref() != Some("+PONG") {
            assert!(Instant::now() < deadline, "Redis did not start: {log:?}");
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// SIGKILL: no shutdown, no goodbye to the clients, and (without persistence) no data.
    pub async fn kill(&mut self) {
        if let Some(mut server) = self.server.take() {
            server.kill().await.unwrap();
        }
    }

    /// `CONFIG SET name value`.
    pub async fn config_set(&self, name: &str, value: &str) {
        let command = format!("CONFIG SET {name} {value}");
        assert_eq!(self.command(&command).await.as_deref(), Some("+OK"));
    }

    /// Whether `key` (with its prefix) exists.
    pub async fn exists(&self, key: &str) -> bool {
        let command = format!("EXISTS {key}");
        self.command(&command).await.as_deref() == Some(":1")
    }

    /// Sends one inline command and returns the first line of the reply.
    async fn command(&self, command: &str) -> Option<String> {
        let mut stream = tokio::net::TcpStream::connect(("127.0.0.1", self.port))
            .await
            .ok()?;
        stream
            .write_all(format!("{command}\r\n").as_bytes())
            .await
            .ok()?;
        let mut reply = vec![0; 256];
        let read = stream.read(&mut reply).await.ok()?;
        let reply = String::from_utf8_lossy(&reply[..read]);
        reply.lines().next().map(str::to_owned)
    }
}
