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

/// The suite's server reached over TCP on 127.0.0.1 through a relay the test can take down and
/// bring back, as a store restarting or a network failing looks to a client: while down, every
/// connection is cut and each new one closed at once.
pub struct Relay {
    pub port: u16,
    down: std::sync::Arc<tokio::sync::watch::Sender<bool>>,
    task: tokio::task::JoinHandle<()>,
}

impl Relay {
    /// Starts relaying to the suite's server (inside a test's runtime).
    pub async fn start() -> Relay {
        Self::begin(None).await
    }

    /// Starts relaying as a PostgreSQL reached over TLS does: the client's SSLRequest answered
    /// yes, the handshake made with `cert` and `key` (PEM files), the rest relayed in the clear
    /// to the suite's server.
    pub async fn start_tls(cert: &std::path::Path, key: &std::path::Path) -> Relay {
        use tokio_rustls::rustls;
        use tokio_rustls::rustls::pki_types::pem::PemObject;
        let certs = rustls::pki_types::CertificateDer::pem_file_iter(cert)
            .unwrap()
            .collect::<Result<Vec<_>, _>>()
            .unwrap();
        let key = rustls::pki_types::PrivateKeyDer::from_pem_file(key).unwrap();
        let config = rustls::ServerConfig::builder_with_provider(std::sync::Arc::new(
            rustls::crypto::ring::default_provider(),
        ))
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_no_client_auth()
        .with_single_cert(certs, key)
        .unwrap();
        Self::begin(Some(tokio_rustls::TlsAcceptor::from(std::sync::Arc::new(
            config,
        ))))
        .await
    }

    async fn begin(tls: Option<tokio_rustls::TlsAcceptor>) -> Relay {
        let admin: tokio_postgres::Config = server().url().unwrap().parse().unwrap();
        let socket = match &admin.get_hosts()[0] {
            tokio_postgres::config::Host::Unix(dir) => {
                dir.join(format!(".s.PGSQL.{}", admin.get_ports()[0]))
            }
            other => panic!("the suite's server listens on a socket, not {other:?}"),
        };
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = listener.local_addr().unwrap().port();
        let (down, _) = tokio::sync::watch::channel(false);
        let down = std::sync::Arc::new(down);
        let relay_down = down.clone();
        let task = tokio::spawn(async move {
            while let Ok((mut client, _)) = listener.accept().await {
                if *relay_down.borrow() {
                    continue; // dropped: closed at once
                }
                let mut cut = relay_down.subscribe();
                let socket = socket.clone();
                let tls = tls.clone();
                tokio::spawn(async move {
                    let Ok(mut server) = tokio::net::UnixStream::connect(&socket).await else {
                        return;
                    };
                    let relayed = async {
                        match tls {
                            None => {
                                let _ =
                                    tokio::io::copy_bidirectional(&mut client, &mut server).await;
                            }
                            Some(tls) => {
                                use tokio::io::{AsyncReadExt, AsyncWriteExt};
                                // SSLRequest: length 8, code 80877103.
                                let mut request = [0u8; 8];
                                if client.read_exact(&mut request).await.is_err()
                                    || request != [0, 0, 0, 8, 4, 210, 22, 47]
                                {
                                    return;
                                }
                                if client.write_all(b"S").await.is_err() {
                                    return;
                                }
                                let Ok(mut secured) = tls.accept(client).await else {
                                    return;
                                };
                                let _ =
                                    tokio::io::copy_bidirectional(&mut secured, &mut server).await;
                            }
                        }
                    };
                    tokio::select! {
                        _ = relayed => {}
                        _ = cut.wait_for(|down| *down) => {}
                    }
                });
            }
        });
        Relay { port, down, task }
    }

    /// A team store URL for database `url`'s, reached through the relay (in the clear).
    pub fn url(&self, url: &str) -> String {
        let config: tokio_postgres::Config = url.parse().unwrap();
        format!(
            "host=127.0.0.1 port={} user={} dbname={} sslmode=disable",
            self.port,
            config.get_user().unwrap(),
            config.get_dbname().unwrap()
        )
    }

    /// The store goes away: every connection through the relay is cut, new ones are closed.
    pub fn stop(&self) {
        self.down.send_replace(true);
    }

    /// The store is back.
    pub fn restart(&self) {
        self.down.send_replace(false);
    }
}

impl Drop for Relay {
    fn drop(&mut self) {
        self.task.abort();
    }
}
