//! A loopback HTTP server that streams OpenAI-style chat completion chunks, as real servers do,
//! in whatever pieces the test asks for. It records every request body it receives.
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used)]

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::{Arc, Mutex};
use std::thread;

/// What one request is answered with.
#[derive(Clone, Debug)]
pub enum Reply {
    /// 200 with an SSE body, written in these pieces (flushed one by one).
    Stream(Vec<Vec<u8>>),
    /// Any status with a body.
    Status(u16, String),
    /// 200, these pieces, then the connection held open with nothing more until the client leaves.
    Stall(Vec<Vec<u8>>),
    /// Any status with these extra headers and a body.
    StatusHeaders(u16, Vec<(&'static str, String)>, String),
    /// 200, then these pieces one at a time, this long apart (a keepalive, a slow loris), then
    /// the connection closed. Bounded: the pieces are all it sends.
    Trickle(Vec<Vec<u8>>, std::time::Duration),
    /// 200, a first piece, then another piece this many times, then the connection held open
    /// like `Stall`: a long stream the test process never holds in memory.
    Repeat(Vec<u8>, Vec<u8>, usize),
    /// No answer at all: the request is read and the connection held until the client leaves.
    Silent,
    /// This status, then a body of a piece this many times, then the connection closed: an
    /// error page the test process never holds in memory.
    HugeStatus(u16, Vec<u8>, usize),
    /// Like `Stream`, once every server sharing the gate has a request (or a minute passed):
    /// proof that their clients were running at once.
    Gated(Arc<Gate>, Vec<Vec<u8>>),
}

/// A meeting point for several servers' requests.
#[derive(Debug)]
pub struct Gate {
    needed: usize,
    arrived: Mutex<usize>,
    all: std::sync::Condvar,
}

impl Gate {
    pub fn new(needed: usize) -> Arc<Self> {
        Arc::new(Self {
            needed,
            arrived: Mutex::new(0),
            all: std::sync::Condvar::new(),
        })
    }

    /// Counts one request and waits (a minute at most) for the rest.
    fn pass(&self) {
        let mut arrived = self.arrived.lock().unwrap();
        *arrived += 1;
        self.all.notify_all();
        let _ = self
            .all
            .wait_timeout_while(arrived, std::time::Duration::from_secs(60), |n| {
                *n < self.needed
            })
            .unwrap();
    }

    /// Whether every request arrived before any was answered.
    pub fn all_met(&self) -> bool {
        *self.arrived.lock().unwrap() >= self.needed
    }
}

/// A request's header lines: (lower-cased name, value).
pub type Headers = Vec<(String, String)>;

pub struct Server {
    pub port: u16,
    pub requests: Arc<Mutex<Vec<String>>>,
    /// The header lines of each request, lower-cased names.
    pub headers: Arc<Mutex<Vec<Headers>>>,
}

impl Server {
    /// Serves `replies` in order, one per connection, then stops accepting.
    pub fn start(replies: Vec<Reply>) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        let requests = Arc::new(Mutex::new(Vec::new()));
        let headers = Arc::new(Mutex::new(Vec::new()));
        let seen = requests.clone();
        let seen_headers = headers.clone();
        thread::spawn(move || {
            for reply in replies {
                let Ok((stream, _)) = listener.accept() else {
                    return;
                };
                let (head, body) = read_request(&stream);
                seen_headers.lock().unwrap().push(head);
                seen.lock().unwrap().push(body);
                let _ = respond(stream, &reply);
            }
        });
        Self {
            port,
            requests,
            headers,
        }
    }

    pub fn base_url(&self) -> String {
        format!("http://127.0.0.1:{}/v1", self.port)
    }

    /// The value of header `name` (lower case) in request `index`.
    pub fn header(&self, index: usize, name: &str) -> Option<String> {
        self.headers.lock().unwrap()[index]
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.clone())
    }

    pub fn request_json(&self, index: usize) -> serde_json::Value {
        serde_json::from_str(&self.requests.lock().unwrap()[index]).unwrap()
    }
}

fn read_request(stream: &TcpStream) -> (Headers, String) {
    let mut reader = BufReader::new(stream);
    let mut length = 0;
    let mut headers = Vec::new();
    let mut first = true;
    loop {
        let mut line = String::new();
        if reader.read_line(&mut line).unwrap_or(0) == 0 {
            break;
        }
        if first {
            // The request line, kept as a pseudo-header: `POST /v1/messages`.
            first = false;
            let mut parts = line.split_whitespace();
            let target = format!(
                "{} {}",
                parts.next().unwrap_or(""),
                parts.next().unwrap_or("")
            );
            headers.push((":request".to_string(), target));
            continue;
        }
        if line == "\r\n" {
            break;
        }
        if let Some((name, value)) = line.split_once(':') {
            let name = name.trim().to_ascii_lowercase();
            let value = value.trim().to_string();
            if name == "content-length" {
                length = value.parse().unwrap_or(0);
            }
            headers.push((name, value));
        }
    }
    let mut body = vec![0; length];
    let _ = reader.read_exact(&mut body);
    (headers, String::from_utf8_lossy(&body).into_owned())
}

/// The head of a 200 event stream.
fn sse_head(stream: &mut TcpStream) -> std::io::Result<()> {
    write!(
        stream,
        "HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nConnection: close\r\n\r\n"
    )
}

fn respond(mut stream: TcpStream, reply: &Reply) -> std::io::Result<()> {
    match reply {
        Reply::Status(code, body) => {
            write!(stream, "HTTP/1.1 {code} Status\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}", body.len())?;
        }
        Reply::StatusHeaders(code, extra, body) => {
            write!(stream, "HTTP/1.1 {code} Status\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n", body.len())?;
            for (name, value) in extra {
                write!(stream, "{name}: {value}\r\n")?;
            }
            write!(stream, "\r\n{body}")?;
        }
        Reply::Trickle(pieces, every) => {
            sse_head(&mut stream)?;
            for piece in pieces {
                stream.write_all(piece)?;
                stream.flush()?;
                std::thread::sleep(*every);
            }
        }
        Reply::Stall(pieces) => {
            sse_head(&mut stream)?;
            for piece in pieces {
                stream.write_all(piece)?;
            }
            hold(&mut stream)?;
        }
        Reply::Repeat(first, piece, times) => {
            sse_head(&mut stream)?;
            stream.write_all(first)?;
            for _ in 0..*times {
                stream.write_all(piece)?;
            }
            hold(&mut stream)?;
        }
        Reply::Silent => hold(&mut stream)?,
        Reply::HugeStatus(code, piece, times) => {
            write!(
                stream,
                "HTTP/1.1 {code} Status\r\nContent-Type: application/json\r\nConnection: close\r\n\r\n"
            )?;
            for _ in 0..*times {
                stream.write_all(piece)?;
            }
        }
        Reply::Gated(gate, pieces) => {
            gate.pass();
            respond(stream, &Reply::Stream(pieces.clone()))?;
            return Ok(());
        }
        Reply::Stream(pieces) => {
            write!(stream, "HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nCache-Control: no-cache\r\nConnection: close\r\n\r\n")?;
            stream.flush()?;
            stream.set_nodelay(true)?;
            for piece in pieces {
                stream.write_all(piece)?;
                stream.flush()?;
            }
        }
    }
    stream.flush()
}

/// Flushes and blocks until the client closes its side.
fn hold(stream: &mut TcpStream) -> std::io::Result<()> {
    stream.flush()?;
    let mut sink = [0u8; 64];
    while matches!(stream.read(&mut sink), Ok(n) if n > 0) {}
    Ok(())
}

/// The SSE body a server sends for `answer`, one chunk per piece of `chunk_chars` characters,
/// then the finish reason, the usage chunk and `[DONE]`.
pub fn openai_sse(answer: &str, chunk_chars: usize, finish_reason: &str) -> Vec<u8> {
    let mut body = String::new();
    let chars: Vec<char> = answer.chars().collect();
    body.push_str(&event(&serde_json::json!({"id":"c1","object":"chat.completion.chunk","choices":[{"index":0,"delta":{"role":"assistant","content":""},"finish_reason":null}]})));
    for piece in chars.chunks(chunk_chars.max(1)) {
        let text: String = piece.iter().collect();
        body.push_str(&event(&serde_json::json!({"id":"c1","object":"chat.completion.chunk","choices":[{"index":0,"delta":{"content":text},"finish_reason":null}]})));
    }
    body.push_str(&event(&serde_json::json!({"id":"c1","object":"chat.completion.chunk","choices":[{"index":0,"delta":{},"finish_reason":finish_reason}]})));
    body.push_str(&event(&serde_json::json!({"id":"c1","object":"chat.completion.chunk","choices":[],"usage":{"prompt_tokens":1200,"completion_tokens":340,"total_tokens":1540}})));
    body.push_str("data: [DONE]\n\n");
    body.into_bytes()
}

/// The SSE body Anthropic's Messages API sends for `answer`, as its documentation shows the
/// sequence: message_start, content_block_start, ping, text deltas of `chunk_chars` characters,
/// content_block_stop, message_delta with the stop reason and usage, message_stop.
pub fn anthropic_sse(answer: &str, chunk_chars: usize, stop_reason: &str) -> Vec<u8> {
    let mut body = String::new();
    let mut ev = |name: &str, value: serde_json::Value| {
        body.push_str(&format!("event: {name}\ndata: {value}\n\n"));
    };
    ev(
        "message_start",
        serde_json::json!({"type":"message_start","message":{"id":"msg_1","type":"message","role":"assistant","content":[],"model":"claude-test-1","stop_reason":null,"stop_sequence":null,"usage":{"input_tokens":1250,"output_tokens":1}}}),
    );
    ev(
        "content_block_start",
        serde_json::json!({"type":"content_block_start","index":0,"content_block":{"type":"text","text":""}}),
    );
    ev("ping", serde_json::json!({"type":"ping"}));
    let chars: Vec<char> = answer.chars().collect();
    for piece in chars.chunks(chunk_chars.max(1)) {
        let text: String = piece.iter().collect();
        ev(
            "content_block_delta",
            serde_json::json!({"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":text}}),
        );
    }
    ev(
        "content_block_stop",
        serde_json::json!({"type":"content_block_stop","index":0}),
    );
    ev(
        "message_delta",
        serde_json::json!({"type":"message_delta","delta":{"stop_reason":stop_reason,"stop_sequence":null},"usage":{"output_tokens":415}}),
    );
    ev("message_stop", serde_json::json!({"type":"message_stop"}));
    body.into_bytes()
}

/// The start of an answer as a server streams it, with no finish and no `[DONE]`: what the client
/// has read when the server stalls or the connection is cut mid-answer.
pub fn openai_sse_partial(answer: &str, chunk_chars: usize) -> Vec<u8> {
    let whole = String::from_utf8(openai_sse(answer, chunk_chars, "stop")).unwrap();
    let cut = whole.find("\"finish_reason\":\"stop\"").unwrap();
    let end = whole[..cut].rfind("data: ").unwrap();
    whole.as_bytes()[..end].to_vec()
}

fn event(value: &serde_json::Value) -> String {
    format!("data: {value}\n\n")
}

/// Cuts `bytes` into pieces of `size` bytes (cutting UTF-8 characters and SSE lines anywhere).
pub fn split(bytes: &[u8], size: usize) -> Vec<Vec<u8>> {
    bytes.chunks(size.max(1)).map(<[u8]>::to_vec).collect()
}
