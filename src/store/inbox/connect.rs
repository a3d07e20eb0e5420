//! Connections to the team store: over TLS whenever the store is reached over the network (the
//! server's certificate verified against the web's roots and `[store] ca_file`, never skipped),
//! plainly over a unix socket, where TLS does not exist. Each connection is driven on a task of
//! its own, which hands on the notifications it receives.

use std::path::PathBuf;
use std::sync::{Arc, OnceLock};
use tokio::io::{AsyncRead, AsyncWrite};
use tokio::sync::mpsc::{unbounded_channel, UnboundedReceiver, UnboundedSender};
use tokio_postgres::config::{Host, SslMode};
use tokio_postgres::{AsyncMessage, Client, Config, Connection, NoTls};

/// A private certificate authority the store's certificate is signed by, once configured.
static CA_FILE: OnceLock<Option<PathBuf>> = OnceLock::new();

/// Trusts `ca_file` too (a team's own authority), for this process's connections.
pub(super) fn trust(ca_file: Option<PathBuf>) {
    let _ = CA_FILE.set(ca_file);
}

/// Whether the connection crosses a network (any host given by name or address).
pub(super) fn over_network(config: &Config) -> bool {
    config.get_hosts().iter().any(|h| matches!(h, Host::Tcp(_)))
}

/// The TLS client: the web's roots and the configured authority; certificates always checked.
fn tls() -> Result<tokio_postgres_rustls::MakeRustlsConnect, String> {
    let mut roots = rustls::RootCertStore::empty();
    roots.extend(webpki_roots::TLS_SERVER_ROOTS.iter().cloned());
    if let Some(Some(path)) = CA_FILE.get() {
        use rustls::pki_types::pem::PemObject;
        let certs = rustls::pki_types::CertificateDer::pem_file_iter(path)
            .map_err(|e| format!("cannot read [store] ca_file {}: {e}", path.display()))?;
        for cert in certs {
            let cert = cert.map_err(|e| format!("[store] ca_file {}: {e}", path.display()))?;
            roots
                .add(cert)
                .map_err(|e| format!("[store] ca_file {}: {e}", path.display()))?;
        }
    }
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let config = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| e.to_string())?
        .with_root_certificates(roots)
        .with_no_client_auth();
    Ok(tokio_postgres_rustls::MakeRustlsConnect::new(config))
}

/// Drives `connection` until it ends, handing on each notification (nobody listening is fine).
fn drive<S, T>(mut connection: Connection<S, T>, heard: UnboundedSender<()>)
where
    S: AsyncRead + AsyncWrite + Unpin + Send + 'static,
    T: AsyncRead + AsyncWrite + Unpin + Send + 'static,
{
    tokio::spawn(async move {
        use futures_util::StreamExt;
        let mut messages = futures_util::stream::poll_fn(move |cx| connection.poll_message(cx));
        while let Some(Ok(message)) = messages.next().await {
            if let AsyncMessage::Notification(_) = message {
                let _ = heard.send(());
            }
        }
    });
}

/// A connection to the store, and the notifications it receives (the channel closes when the
/// connection ends).
pub(super) async fn connect(config: &Config) -> Result<(Client, UnboundedReceiver<()>), String> {
    let failed = |e: tokio_postgres::Error| {
        // Not answering, or answering that it is starting or stopping: out of reach for now.
        // A refusal (a wrong password, no such database, a certificate that does not verify)
        // is not waited out.
        let said = e.to_string();
        let passing = e
            .code()
            .is_none_or(|c| c.code().starts_with("57") || c.code().starts_with("08"))
            && !said.contains("TLS");
        match passing {
            true => format!(
                "{}: {}",
                super::queue::UNREACHABLE,
                super::postgres::sql_error(e)
            ),
            false => format!(
                "the team store refused the connection: {}",
                super::postgres::sql_error(e)
            ),
        }
    };
    let (tx, rx) = unbounded_channel();
    let client = if over_network(config) && config.get_ssl_mode() != SslMode::Disable {
        let (client, connection) = config.connect(tls()?).await.map_err(failed)?;
        drive(connection, tx);
        client
    } else {
        let (client, connection) = config.connect(NoTls).await.map_err(failed)?;
        drive(connection, tx);
        client
    };
    Ok((client, rx))
}
