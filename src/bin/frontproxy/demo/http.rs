//! The small, bounded HTTP/1.1 of the demo, shared by the server and the client: a head reader
//! (both sides), a strict request parser and a JSON response writer (server side), with the
//! limits of a head (size, header lines) and the timeout of every socket.

use std::io::{self, Read, Write};
use std::time::Duration;

use serde_json::Value;

/// Most bytes of a request (or response) line plus headers.
const MAX_HEAD_BYTES: usize = 16 * 1024;
/// Most header lines in one request.
const MAX_HEADER_LINES: usize = 64;
/// Read/write timeout of every socket.
pub(super) const IO_TIMEOUT: Duration = Duration::from_secs(5);

/// A request as the demo endpoint reads it: the request line and the header lines.
pub(super) struct HttpRequest {
    pub(super) target: String,
    pub(super) headers: Vec<(Vec<u8>, Vec<u8>)>,
    pub(super) close: bool,
}

/// A request the endpoint refuses before authentication (what Go's HTTP server answers).
#[derive(Debug)]
pub(super) struct HttpError {
    pub(super) status: u16,
    pub(super) message: String,
}

fn http_error(status: u16, message: impl Into<String>) -> HttpError {
    HttpError {
        status,
        message: message.into(),
    }
}

/// Reads up to the end of the next head (`\r\n\r\n`), keeping what follows in `buffer`.
/// `Ok(None)` when the peer closed the connection between requests.
pub(super) fn read_head<S: Read>(
    stream: &mut S,
    buffer: &mut Vec<u8>,
) -> Result<Option<Vec<u8>>, HttpError> {
    let mut chunk = [0u8; 4096];
    loop {
        if let Some(end) = find_head_end(buffer) {
            let rest = buffer.split_off(end);
            let head = std::mem::replace(buffer, rest);
            return Ok(Some(head));
        }
        if buffer.len() > MAX_HEAD_BYTES {
            return Err(http_error(
                431,
                format!("the request head exceeds {MAX_HEAD_BYTES} bytes"),
            ));
        }
        match stream.read(&mut chunk) {
            Ok(0) => {
                return if buffer.is_empty() {
                    Ok(None)
                } else {
                    Err(http_error(
                        400,
                        "the connection ended inside a request head",
                    ))
                }
            }
            Ok(n) => buffer.extend_from_slice(&chunk[..n]),
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            // Between requests, a peer that went away or stayed idle past the timeout just ends
            // the connection (as Go closes idle keep-alive connections).
            Err(e)
                if buffer.is_empty()
                    && matches!(
                        e.kind(),
                        io::ErrorKind::UnexpectedEof
                            | io::ErrorKind::WouldBlock
                            | io::ErrorKind::TimedOut
                    ) =>
            {
                return Ok(None)
            }
            Err(e) => return Err(http_error(408, format!("reading the request: {e}"))),
        }
    }
}

fn find_head_end(buffer: &[u8]) -> Option<usize> {
    buffer
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .map(|p| p + 4)
}

fn is_tchar(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&b)
}

/// Parses a request head strictly, refusing what Go's HTTP server refuses (status 400), and
/// refusing request bodies (the endpoint has no use for them).
pub(super) fn parse_request(head: &[u8]) -> Result<HttpRequest, HttpError> {
    let head = &head[..head.len() - 4];
    let mut lines = head
        .split(|&b| b == b'\n')
        .map(|l| l.strip_suffix(b"\r").unwrap_or(l));
    let request_line = lines.next().unwrap_or_default();
    if request_line.contains(&b'\r') {
        return Err(http_error(400, "a bare CR in the request line"));
    }
    let parts: Vec<&[u8]> = request_line.split(|&b| b == b' ').collect();
    let [method, target, version] = parts.as_slice() else {
        return Err(http_error(
            400,
            "the request line is not METHOD SP TARGET SP VERSION",
        ));
    };
    if method.is_empty() || !method.iter().all(|&b| is_tchar(b)) {
        return Err(http_error(400, "invalid method"));
    }
    if target.is_empty() || target.iter().any(|&b| b <= b' ' || b == 0x7f) {
        return Err(http_error(400, "invalid request target"));
    }
    let http10 = match *version {
        b"HTTP/1.1" => false,
        b"HTTP/1.0" => true,
        _ => return Err(http_error(505, "only HTTP/1.1 and HTTP/1.0 are served")),
    };
    let mut headers = Vec::new();
    for line in lines {
        if headers.len() == MAX_HEADER_LINES {
            return Err(http_error(
                431,
                format!("more than {MAX_HEADER_LINES} header lines"),
            ));
        }
        if line.first().is_some_and(|&b| b == b' ' || b == b'\t') {
            return Err(http_error(400, "obsolete line folding is not accepted"));
        }
        let Some(colon) = line.iter().position(|&b| b == b':') else {
            return Err(http_error(400, "a header line without a colon"));
        };
        let (name, value) = (&line[..colon], &line[colon + 1..]);
        if name.is_empty() || !name.iter().all(|&b| is_tchar(b)) {
            return Err(http_error(400, "invalid header name"));
        }
        if value.iter().any(|&b| (b < b' ' && b != b'\t') || b == 0x7f) {
            return Err(http_error(400, "a control character in a header value"));
        }
        let start = value
            .iter()
            .position(|&b| b != b' ' && b != b'\t')
            .unwrap_or(value.len());
        let end = value
            .iter()
            .rposition(|&b| b != b' ' && b != b'\t')
            .map_or(start, |e| e + 1);
        headers.push((name.to_vec(), value[start..end].to_vec()));
    }
    let has = |n: &[u8]| {
        headers
            .iter()
            .any(|(h, _): &(Vec<u8>, Vec<u8>)| h.eq_ignore_ascii_case(n))
    };
    if !http10 && !has(b"host") {
        return Err(http_error(400, "missing required Host header"));
    }
    let body_length_nonzero = headers
        .iter()
        .any(|(n, v)| n.eq_ignore_ascii_case(b"content-length") && v.as_slice() != b"0");
    if body_length_nonzero || has(b"transfer-encoding") {
        return Err(http_error(413, "this endpoint takes no request body"));
    }
    let connection_close = headers.iter().any(|(n, v)| {
        n.eq_ignore_ascii_case(b"connection")
            && v.split(|&b| b == b',')
                .any(|t| t.trim_ascii().eq_ignore_ascii_case(b"close"))
    });
    Ok(HttpRequest {
        target: String::from_utf8_lossy(target).into_owned(),
        headers,
        close: http10 || connection_close,
    })
}

pub(super) fn write_response<W: Write>(
    out: &mut W,
    status: u16,
    body: &Value,
    close: bool,
) -> io::Result<()> {
    let reason = match status {
        200 => "OK",
        400 => "Bad Request",
        401 => "Unauthorized",
        408 => "Request Timeout",
        413 => "Content Too Large",
        431 => "Request Header Fields Too Large",
        505 => "HTTP Version Not Supported",
        _ => "Error",
    };
    let body = serde_json::to_vec(body).map_err(io::Error::other)?;
    let mut head = format!(
        "HTTP/1.1 {status} {reason}\r\nContent-Type: application/json\r\nContent-Length: {}\r\n",
        body.len()
    );
    if close {
        head.push_str("Connection: close\r\n");
    }
    head.push_str("\r\n");
    out.write_all(head.as_bytes())?;
    out.write_all(&body)?;
    out.flush()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> Result<HttpRequest, u16> {
        parse_request(text.as_bytes()).map_err(|e| e.status)
    }

    #[test]
    fn request_parsing_refuses_what_go_refuses() {
        let ok = "GET /x HTTP/1.1\r\nHost: a\r\nX-Remote-User:  alice \t\r\n\r\n";
        let r = parse(ok).expect("a valid request");
        assert_eq!(r.target, "/x");
        assert_eq!(r.headers[1], (b"X-Remote-User".to_vec(), b"alice".to_vec()));
        assert!(!r.close);
        let many = format!(
            "GET / HTTP/1.1\r\nHost: a\r\n{}\r\n",
            "A: b\r\n".repeat(MAX_HEADER_LINES)
        );
        let cases: &[(&str, &str, u16)] = &[
            (
                "obsolete line folding",
                "GET / HTTP/1.1\r\nHost: a\r\nX-Remote-User: a\r\n b\r\n\r\n",
                400,
            ),
            (
                "space before the colon",
                "GET / HTTP/1.1\r\nHost: a\r\nX-Remote-User : a\r\n\r\n",
                400,
            ),
            (
                "no colon",
                "GET / HTTP/1.1\r\nHost: a\r\nX-Remote-User\r\n\r\n",
                400,
            ),
            (
                "control character in a value",
                "GET / HTTP/1.1\r\nHost: a\r\nX: a\x01b\r\n\r\n",
                400,
            ),
            ("missing Host", "GET / HTTP/1.1\r\nX: a\r\n\r\n", 400),
            (
                "malformed request line",
                "GET  / HTTP/1.1\r\nHost: a\r\n\r\n",
                400,
            ),
            ("unknown version", "GET / HTTP/2.0\r\nHost: a\r\n\r\n", 505),
            (
                "a body",
                "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\n\r\n",
                413,
            ),
            (
                "chunked body",
                "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n",
                413,
            ),
            ("too many header lines", many.as_str(), 431),
        ];
        for (name, text, status) in cases {
            assert_eq!(parse(text).err(), Some(*status), "{name}");
        }
        assert!(
            parse("GET / HTTP/1.1\r\nHost: a\r\nConnection: keep-alive, close\r\n\r\n")
                .unwrap()
                .close
        );
        assert!(parse("GET / HTTP/1.0\r\n\r\n").unwrap().close);
    }

    #[test]
    fn heads_are_read_one_at_a_time_and_bounded() {
        let two = b"GET /1 HTTP/1.1\r\nHost: a\r\n\r\nGET /2 HTTP/1.1\r\nHost: a\r\n\r\n".to_vec();
        let mut input = io::Cursor::new(two);
        let mut buffer = Vec::new();
        let first = read_head(&mut input, &mut buffer).unwrap().unwrap();
        assert_eq!(parse_request(&first).ok().unwrap().target, "/1");
        let second = read_head(&mut input, &mut buffer).unwrap().unwrap();
        assert_eq!(parse_request(&second).ok().unwrap().target, "/2");
        assert!(
            read_head(&mut input, &mut buffer).unwrap().is_none(),
            "clean end"
        );

        let mut cut = io::Cursor::new(b"GET / HTTP/1.1\r\nHo".to_vec());
        assert_eq!(
            read_head(&mut cut, &mut Vec::new()).err().map(|e| e.status),
            Some(400)
        );
        let huge = format!("GET / HTTP/1.1\r\nX: {}", "a".repeat(MAX_HEAD_BYTES + 10));
        let mut huge = io::Cursor::new(huge.into_bytes());
        assert_eq!(
            read_head(&mut huge, &mut Vec::new())
                .err()
                .map(|e| e.status),
            Some(431)
        );
    }
}
