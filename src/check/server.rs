//! The PostgreSQL the agent's SQL is applied to: a throwaway server archbench starts from the
//! system's PostgreSQL (a private folder, a unix socket only, fsync off, stopped when archbench
//! exits whatever the way out), or a server the user names, where archbench creates and drops
//! its own scratch databases. Either way each check gets a fresh database owned by a fresh role
//! that is not a superuser: the server's own privileges keep the agent's SQL in its box.

use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, Command, Stdio};
use std::time::{Duration, Instant};
use tokio_postgres::{Client, Config, NoTls};

/// The superuser of a throwaway cluster (it exists only inside it).
const ADMIN: &str = "archbench";
/// How long a throwaway server may take to accept connections before the check gives up.
const READY_WITHIN: Duration = Duration::from_secs(15);

/// Where the check's server comes from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ServerSpec {
    /// Start one from the system's PostgreSQL.
    Throwaway,
    /// Use this one (`[check] url`, `--check-url`); its user must be able to create roles and
    /// databases.
    Url(String),
}

/// A server the checks can use, ready.
pub struct CheckServer {
    admin: Config,
    /// The server's version, as `SHOW server_version` gives it.
    pub version: String,
    /// Where the scratch roles connect: the throwaway's socket (trust), or the URL's host with
    /// a password made for each check.
    url_mode: bool,
    throwaway: Option<Throwaway>,
}

/// A check's own database, reached as its own unprivileged role.
pub struct Scratch {
    pub client: Client,
    pub cancel: tokio_postgres::CancelToken,
    pub name: String,
    /// The role's password, made for this check (a URL server's; the throwaway trusts its socket).
    password: Option<String>,
}

impl CheckServer {
    pub async fn start(spec: &ServerSpec) -> Result<CheckServer, String> {
        match spec {
            ServerSpec::Throwaway => Self::throwaway().await,
            ServerSpec::Url(url) => Self::named(url).await,
        }
    }

    async fn named(url: &str) -> Result<CheckServer, String> {
        let admin: Config = url.parse().map_err(|e| {
            format!("the check server's URL does not parse ({e}): write it as postgresql://user@host:port/dbname")
        })?;
        let client = connect(&admin).await.map_err(|e| {
            format!("cannot reach the check server named in [check] url or --check-url: {e}")
        })?;
        let version = version(&client).await?;
        Ok(CheckServer {
            admin,
            version,
            url_mode: true,
            throwaway: None,
        })
    }

    async fn throwaway() -> Result<CheckServer, String> {
        let bin = find_bindir().ok_or_else(|| {
            "no PostgreSQL server found to apply the SQL to: install it (scripts/setup.sh does: \
             apt-get install postgresql postgresql-contrib), name one with [check] url or \
             --check-url, or turn the check off with [check] enabled = false"
                .to_string()
        })?;
        let server = Throwaway::start(&bin).await?;
        let mut admin = Config::new();
        admin
            .host_path(&server.dir)
            .port(server.port)
            .user(ADMIN)
            .dbname("postgres")
            .application_name("archbench-check");
        let started = Instant::now();
        let client = loop {
            match connect(&admin).await {
                Ok(client) => break client,
                Err(e) => {
                    if let Some(why) = server.exited() {
                        return Err(format!("the check's PostgreSQL server stopped: {why}"));
                    }
                    if started.elapsed() > READY_WITHIN {
                        return Err(format!(
                            "the check's PostgreSQL server did not accept connections within {} s: {e}",
                            READY_WITHIN.as_secs()
                        ));
                    }
                    // The socket appears only once the server is ready: ask again shortly.
                    tokio::time::sleep(Duration::from_millis(15)).await;
                }
            }
        };
        let version = version(&client).await?;
        Ok(CheckServer {
            admin,
            version,
            url_mode: false,
            throwaway: Some(server),
        })
    }

    /// A connection string for the throwaway server's administrator, to hand to another
    /// archbench as `--check-url` (tests share one server this way); none for a named server,
    /// whose URL may hold a password.
    pub fn url(&self) -> Option<String> {
        self.throwaway.as_ref().map(|t| {
            format!(
                "host={} port={} user={ADMIN} dbname=postgres",
                t.dir.display(),
                t.port
            )
        })
    }

    /// The throwaway server's folder (its socket is there), if this is one.
    pub fn folder(&self) -> Option<&Path> {
        self.throwaway.as_ref().map(|t| t.dir.as_path())
    }

    /// A fresh database owned by a fresh role that is not a superuser, may not create roles or
    /// databases, and reaches nothing but this database; connected as that role.
    pub async fn scratch(&self, statement_timeout: Duration) -> Result<Scratch, String> {
        let admin = connect(&self.admin)
            .await
            .map_err(|e| format!("cannot reach the check server: {e}"))?;
        let name = format!("archbench_check_{}", uuid::Uuid::new_v4().simple());
        let password = self
            .url_mode
            .then(|| uuid::Uuid::new_v4().simple().to_string());
        let login = match &password {
            Some(p) => format!("LOGIN PASSWORD '{p}'"),
            None => "LOGIN".into(),
        };
        let setup = format!(
            "CREATE ROLE {name} {login} NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION \
             NOBYPASSRLS CONNECTION LIMIT 2;
             ALTER ROLE {name} SET statement_timeout = {ms};
             ALTER ROLE {name} SET lock_timeout = {ms};
             ALTER ROLE {name} SET idle_in_transaction_session_timeout = {idle};",
            ms = statement_timeout.as_millis(),
            idle = statement_timeout.as_millis() * 4,
        );
        admin
            .batch_execute(&setup)
            .await
            .map_err(|e| privilege_hint(&e, "create the check's role"))?;
        // CREATE DATABASE cannot run inside the implicit transaction of a multi-statement query.
        let created = admin
            .batch_execute(&format!(
                "CREATE DATABASE {name} OWNER {name} TEMPLATE template0 ENCODING 'UTF8'"
            ))
            .await;
        if let Err(e) = created {
            let _ = admin.batch_execute(&format!("DROP ROLE {name}")).await;
            return Err(privilege_hint(&e, "create the check's database"));
        }
        let _ = admin
            .batch_execute(&format!("REVOKE ALL ON DATABASE {name} FROM PUBLIC"))
            .await;
        let mut config = self.admin.clone();
        config
            .user(&name)
            .dbname(&name)
            .application_name("archbench-check");
        if let Some(p) = &password {
            config.password(p.as_str());
        }
        match connect(&config).await {
            Ok(client) => {
                let cancel = client.cancel_token();
                Ok(Scratch {
                    client,
                    cancel,
                    name,
                    password,
                })
            }
            Err(e) => {
                self.drop_scratch(&name).await;
                Err(format!(
                    "the check's role cannot log in to the check server ({e}): allow password \
                     logins for roles named archbench_check_* in its pg_hba.conf, or leave \
                     [check] url unset to use a throwaway server"
                ))
            }
        }
    }

    /// Drops a check's database (closing its connections) and its role.
    pub async fn drop_scratch(&self, name: &str) {
        let Ok(admin) = connect(&self.admin).await else {
            return;
        };
        let _ = admin
            .batch_execute(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
            .await;
        let _ = admin
            .batch_execute(&format!("DROP ROLE IF EXISTS {name}"))
            .await;
    }

    /// The scratch database's schema as `pg_dump --schema-only` writes it, dumped as the check's
    /// own role (so it holds what that role made, and nothing it may not read).
    pub async fn dump_schema(&self, scratch: &Scratch) -> Result<String, String> {
        let bin = find_bindir()
            .map(|dir| dir.join("pg_dump"))
            .filter(|p| p.exists())
            .ok_or(
                "pg_dump was not found: install PostgreSQL's client programs (postgresql-client)",
            )?;
        let host = match self.admin.get_hosts().first() {
            Some(tokio_postgres::config::Host::Tcp(host)) => host.clone(),
            Some(tokio_postgres::config::Host::Unix(dir)) => dir.display().to_string(),
            None => "localhost".into(),
        };
        let port = self.admin.get_ports().first().copied().unwrap_or(5432);
        let mut command = tokio::process::Command::new(bin);
        command
            .args([
                "--schema-only",
                "--no-owner",
                "--no-privileges",
                "--no-comments",
            ])
            .args(["--host", &host, "--port", &port.to_string()])
            .args(["--username", &scratch.name, "--dbname", &scratch.name])
            .env_remove("PGPASSFILE")
            .env_remove("PGSERVICE")
            .kill_on_drop(true);
        // The password goes by the environment, never on a command line others can read.
        match &scratch.password {
            Some(password) => command.env("PGPASSWORD", password),
            None => command.env_remove("PGPASSWORD"),
        };
        let out = tokio::time::timeout(Duration::from_secs(30), command.output())
            .await
            .map_err(|_| "pg_dump took over 30 s".to_string())?
            .map_err(|e| format!("cannot run pg_dump: {e}"))?;
        if !out.status.success() {
            return Err(format!(
                "pg_dump failed: {}",
                String::from_utf8_lossy(&out.stderr).trim()
            ));
        }
        String::from_utf8(out.stdout).map_err(|_| "pg_dump wrote text that is not UTF-8".into())
    }

    /// Runs a statement as the server's administrator (tests read the server's state with it).
    pub async fn admin_query(&self, sql: &str) -> Result<Vec<Vec<Option<String>>>, String> {
        let admin = connect(&self.admin).await.map_err(|e| e.to_string())?;
        let messages = admin
            .simple_query(sql)
            .await
            .map_err(|e| crate::check::apply::db_message(&e))?;
        Ok(messages
            .into_iter()
            .filter_map(|m| match m {
                tokio_postgres::SimpleQueryMessage::Row(row) => Some(
                    (0..row.len())
                        .map(|i| row.get(i).map(str::to_string))
                        .collect(),
                ),
                _ => None,
            })
            .collect())
    }
}

fn privilege_hint(e: &tokio_postgres::Error, what: &str) -> String {
    format!(
        "cannot {what} on the check server ({}): its user needs CREATEROLE and CREATEDB",
        crate::check::apply::db_message(e)
    )
}

async fn connect(config: &Config) -> Result<Client, tokio_postgres::Error> {
    let (client, connection) = config.connect(NoTls).await?;
    tokio::spawn(async move {
        let _ = connection.await;
    });
    Ok(client)
}

async fn version(client: &Client) -> Result<String, String> {
    let rows = client
        .simple_query("SHOW server_version")
        .await
        .map_err(|e| format!("the check server does not answer: {e}"))?;
    Ok(rows
        .iter()
        .find_map(|m| match m {
            tokio_postgres::SimpleQueryMessage::Row(row) => row.get(0).map(str::to_string),
            _ => None,
        })
        .map(|v| format!("PostgreSQL {v}"))
        .unwrap_or_else(|| "PostgreSQL (version unknown)".into()))
}

/// The newest `/usr/lib/postgresql/N/bin` (Debian's layout), else `pg_config --bindir`, else
/// the folder of an `initdb` on PATH.
fn find_bindir() -> Option<PathBuf> {
    if let Some(dir) = std::env::var_os("ARCHBENCH_PG_BINDIR") {
        return Some(PathBuf::from(dir));
    }
    let debian = std::fs::read_dir("/usr/lib/postgresql")
        .into_iter()
        .flatten()
        .flatten()
        .filter_map(|e| {
            let version: u32 = e.file_name().to_str()?.parse().ok()?;
            let bin = e.path().join("bin");
            bin.join("postgres").exists().then_some((version, bin))
        })
        .max_by_key(|(v, _)| *v)
        .map(|(_, bin)| bin);
    debian
        .or_else(|| {
            let out = Command::new("pg_config").arg("--bindir").output().ok()?;
            let dir = PathBuf::from(String::from_utf8_lossy(&out.stdout).trim());
            dir.join("postgres").exists().then_some(dir)
        })
        .or_else(|| {
            std::env::var_os("PATH")
                .and_then(|path| std::env::split_paths(&path).find(|d| d.join("initdb").exists()))
        })
}

/// A PostgreSQL cluster in a private folder, run by a watchdog shell that stops it and removes
/// the folder when archbench's end of a pipe closes: on a normal exit, a panic, a signal or
/// SIGKILL alike, because the kernel closes the pipe whatever the way out.
struct Throwaway {
    dir: PathBuf,
    port: u16,
    /// The postmaster's process id.
    pid: i32,
    watchdog: Child,
    lifeline: Option<ChildStdin>,
}

impl Throwaway {
    async fn start(bin: &Path) -> Result<Throwaway, String> {
        let account = Account::unprivileged()?;
        let dir = account.temp_dir().join(format!(
            "archbench-pg-{}-{}",
            std::process::id(),
            uuid::Uuid::new_v4().simple()
        ));
        make_private_dir(&dir, &account).map_err(|e| {
            format!(
                "cannot make the check server's folder {}: {e}",
                dir.display()
            )
        })?;
        let mut initdb = tokio::process::Command::new(bin.join("initdb"));
        initdb
            .arg("-D")
            .arg(dir.join("data"))
            .args([
                "-U",
                ADMIN,
                "--auth=trust",
                "--no-sync",
                "--no-instructions",
            ])
            .args(["-E", "UTF8", "--locale=C"])
            .env("LC_ALL", "C")
            .stdin(Stdio::null())
            .kill_on_drop(true);
        account.apply_async(&mut initdb);
        let out = initdb
            .output()
            .await
            .map_err(|e| format!("cannot run {}: {e}", bin.join("initdb").display()))?;
        if !out.status.success() {
            let _ = std::fs::remove_dir_all(&dir);
            return Err(format!(
                "initdb failed for the check server: {}",
                String::from_utf8_lossy(&out.stderr).trim()
            ));
        }
        // The port only names the socket file in the private folder: nothing listens on TCP.
        let port = 40000 + (std::process::id() % 20000) as u16;
        let script = r#"
            "$0" -D "$1/data" -k "$1" -p "$2" -c listen_addresses= -c fsync=off \
                 -c synchronous_commit=off -c full_page_writes=off -c max_connections=40 \
                 -c unix_socket_permissions=0700 -c shared_buffers=32MB \
                 -c max_wal_size=1GB -c logging_collector=off \
                 </dev/null >>"$1/server.log" 2>&1 &
            pid=$!
            echo "$pid"
            read -r _ || true
            kill -INT "$pid" 2>/dev/null
            wait "$pid"
            rm -rf "$1"
        "#;
        let mut command = Command::new("/bin/sh");
        command
            .arg("-c")
            .arg(script)
            .arg(bin.join("postgres"))
            .arg(&dir)
            .arg(port.to_string())
            .env("LC_ALL", "C")
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::null());
        // Its own process group: a Ctrl-C at the terminal reaches archbench, which then closes
        // the pipe; the server is not killed half-way by the same signal.
        std::os::unix::process::CommandExt::process_group(&mut command, 0);
        account.apply(&mut command);
        let mut watchdog = command
            .spawn()
            .map_err(|e| format!("cannot start the check server: {e}"))?;
        let lifeline = watchdog.stdin.take();
        // The script's first line is the server's process id, printed as soon as it is started.
        let mut first = String::new();
        if let Some(out) = watchdog.stdout.take() {
            let _ = std::io::BufRead::read_line(&mut std::io::BufReader::new(out), &mut first);
        }
        let pid = first.trim().parse().unwrap_or(0);
        Ok(Throwaway {
            dir,
            port,
            pid,
            watchdog,
            lifeline,
        })
    }

    /// Why the server is gone, if it is: the last lines of its log.
    fn exited(&self) -> Option<String> {
        // SAFETY: kill with signal 0 only asks whether the process exists.
        let alive = self.pid > 0 && unsafe { libc::kill(self.pid, 0) } == 0;
        if alive {
            return None;
        }
        let log = std::fs::read_to_string(self.dir.join("server.log")).unwrap_or_default();
        let tail: Vec<&str> = log.lines().rev().take(3).collect();
        Some(tail.into_iter().rev().collect::<Vec<_>>().join(" / "))
    }
}

impl Drop for Throwaway {
    fn drop(&mut self) {
        // Closing the pipe is the signal; waiting makes the server gone when archbench is.
        drop(self.lifeline.take());
        let _ = self.watchdog.wait();
    }
}

/// The account the server runs as: ours, or, when archbench runs as root (PostgreSQL refuses
/// to), the system's `postgres` account (else `nobody`).
struct Account {
    ids: Option<(u32, u32)>,
}

impl Account {
    fn unprivileged() -> Result<Account, String> {
        // SAFETY: geteuid has no preconditions.
        if unsafe { libc::geteuid() } != 0 {
            return Ok(Account { ids: None });
        }
        for name in ["postgres", "nobody"] {
            if let Some(ids) = user_ids(name) {
                return Ok(Account { ids: Some(ids) });
            }
        }
        Err(
            "archbench runs as root and PostgreSQL refuses to: create a `postgres` account \
             (apt-get install postgresql does) or run archbench as another user"
                .into(),
        )
    }

    /// Where the server's private folder goes: the temporary folder, unless the server's account
    /// could not remove its folder from it when archbench is gone (root's own `TMPDIR` is often
    /// private), then `/tmp`, which any account may create in and remove its own from.
    fn temp_dir(&self) -> PathBuf {
        use std::os::unix::fs::PermissionsExt;
        let dir = std::env::temp_dir();
        let shared = std::fs::metadata(&dir).is_ok_and(|m| m.permissions().mode() & 0o003 == 0o003);
        if self.ids.is_some() && !shared {
            PathBuf::from("/tmp")
        } else {
            dir
        }
    }

    fn apply(&self, command: &mut Command) {
        if let Some((uid, gid)) = self.ids {
            std::os::unix::process::CommandExt::uid(command, uid);
            std::os::unix::process::CommandExt::gid(command, gid);
        }
    }

    fn apply_async(&self, command: &mut tokio::process::Command) {
        if let Some((uid, gid)) = self.ids {
            command.uid(uid).gid(gid);
        }
    }
}

fn user_ids(name: &str) -> Option<(u32, u32)> {
    let c_name = std::ffi::CString::new(name).ok()?;
    // SAFETY: getpwnam reads a valid C string; the record it returns is read at once, before
    // any other call could reuse its static storage.
    unsafe {
        let entry = libc::getpwnam(c_name.as_ptr());
        if entry.is_null() {
            None
        } else {
            Some(((*entry).pw_uid, (*entry).pw_gid))
        }
    }
}

fn make_private_dir(dir: &Path, account: &Account) -> std::io::Result<()> {
    use std::os::unix::fs::PermissionsExt;
    std::fs::create_dir(dir)?;
    std::fs::set_permissions(dir, std::fs::Permissions::from_mode(0o700))?;
    if let Some((uid, gid)) = account.ids {
        std::os::unix::fs::chown(dir, Some(uid), Some(gid))?;
    }
    Ok(())
}
