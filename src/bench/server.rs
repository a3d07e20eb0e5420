//! The benchmark's model: a loopback server that streams a corpus as OpenAI-style server-sent
//! events, at unlimited rate or paced by a token bucket. It answers `requests` connections, then
//! stops.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpListener;
use std::time::{Duration, Instant};

/// Starts the server; returns its base URL.
pub fn start(tokens: Vec<String>, rate: Option<f64>, requests: usize) -> std::io::Result<String> {
    let listener = TcpListener::bind("127.0.0.1:0")?;
    let url = format!("http://{}/v1", listener.local_addr()?);
    let body: Vec<Vec<u8>> = tokens
        .iter()
        .map(|t| format!("data: {}\n\n", serde_json::json!({"choices": [{"index": 0, "delta": {"content": t}, "finish_reason": null}]})).into_bytes())
        .collect();
    std::thread::Builder::new()
        .name("bench-server".into())
        .spawn(move || {
            for _ in 0..requests {
                let Ok((stream, _)) = listener.accept() else {
                    return;
                };
                let _ = serve(stream, &body, rate);
            }
        })?;
    Ok(url)
}

fn serve(stream: std::net::TcpStream, body: &[Vec<u8>], rate: Option<f64>) -> std::io::Result<()> {
    let mut reader = BufReader::new(stream.try_clone()?);
    let mut length = 0usize;
    loop {
        let mut line = String::new();
        if reader.read_line(&mut line)? == 0 || line == "\r\n" {
            break;
        }
        if let Some(v) = line.to_ascii_lowercase().strip_prefix("content-length:") {
            length = v.trim().parse().unwrap_or(0);
        }
    }
    let mut request = vec![0; length];
    reader.read_exact(&mut request)?;
    let mut out = std::io::BufWriter::with_capacity(64 * 1024, stream);
    out.write_all(
        b"HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nConnection: close\r\n\r\n",
    )?;
    let started = Instant::now();
    for (i, event) in body.iter().enumerate() {
        if let Some(rate) = rate {
            // Token bucket: token i is due at i / rate seconds.
            let due = started + Duration::from_secs_f64(i as f64 / rate);
            let now = Instant::now();
            if due > now {
                out.flush()?;
                std::thread::sleep(due - now);
            }
        }
        out.write_all(event)?;
    }
    out.write_all(b"data: {\"choices\":[{\"index\":0,\"delta\":{},\"finish_reason\":\"stop\"}]}\n\ndata: [DONE]\n\n")?;
    out.flush()
}
