//! The suite's PostgreSQL: one throwaway server per test binary, started on first use through
//! the code archbench itself uses, and gone when the binary exits (its lifeline closes).

use archbench::check::server::{CheckServer, ServerSpec};
use std::sync::OnceLock;

pub fn server() -> &'static CheckServer {
    static SERVER: OnceLock<CheckServer> = OnceLock::new();
    SERVER.get_or_init(|| {
        // Started on a thread of its own: the first caller may be inside a test's runtime.
        std::thread::spawn(|| {
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .unwrap();
            runtime.block_on(CheckServer::start(&ServerSpec::Throwaway))
        })
        .join()
        .unwrap()
        .expect("the suite's PostgreSQL (scripts/setup.sh installs it)")
    })
}

/// A connection string for a new, empty database on the suite's server: each test its own
/// team store.
pub async fn fresh_database() -> String {
    let admin_url = server().url().expect("a throwaway server has a URL");
    let (admin, connection) = tokio_postgres::connect(&admin_url, tokio_postgres::NoTls)
        .await
        .unwrap();
    tokio::spawn(connection);
    let name = format!("team_{}", uuid::Uuid::new_v4().simple());
    admin
        .batch_execute(&format!("CREATE DATABASE {name}"))
        .await
        .unwrap();
    admin_url.replace("dbname=postgres", &format!("dbname={name}"))
}
