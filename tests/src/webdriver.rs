//! A small WebDriver client (W3C WebDriver, JSON over HTTP/1.1 on a std `TcpStream`) driving
//! headless Chromium through chromedriver: what the browser test of the legal-review page needs,
//! and no more. Chromium and chromedriver are the Debian packages `chromium` and
//! `chromium-driver` (`.ci/run` installs them); their paths can be overridden with `CHROMIUM`
//! and `CHROMEDRIVER`.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::{Value, json};

/// The key WebDriver's "element send keys" reads as Enter.
pub const ENTER: &str = "\u{E007}";

/// Chromium's flags for a closed network and a throwaway profile (the profile is added apart).
const CHROMIUM_FLAGS: &[&str] = &[
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-dev-shm-usage",
];

/// What to do when the browser is missing: said in every failure to find it.
pub const INSTALL_ADVICE: &str =
    "run `bash .ci/run` (which installs them) or `apt-get install chromium chromium-driver`";

fn find_binary(env: &str, candidates: &[&str]) -> Result<PathBuf, String> {
    if let Some(p) = std::env::var_os(env) {
        let p = PathBuf::from(p);
        return if p.is_file() { Ok(p) } else { Err(format!("{env}={} is not a file: {INSTALL_ADVICE}", p.display())) };
    }
    for c in candidates {
        let p = PathBuf::from(c);
        if p.is_file() {
            return Ok(p);
        }
    }
    let path = std::env::var_os("PATH").unwrap_or_default();
    for dir in std::env::split_paths(&path) {
        for c in candidates {
            if let Some(name) = PathBuf::from(c).file_name() {
                let p = dir.join(name);
                if p.is_file() {
                    return Ok(p);
                }
            }
        }
    }
    Err(format!("{} is not installed: {INSTALL_ADVICE}", candidates.first().copied().unwrap_or(env)))
}

/// A running chromedriver on an ephemeral port of 127.0.0.1, killed on drop.
pub struct Chromedriver {
    child: Child,
    port: u16,
    chromium: PathBuf,
    profile: tempfile::TempDir,
}

impl Chromedriver {
    /// Starts chromedriver and waits until it says it is ready. Fails (with the advice to install
    /// them) when Chromium or chromedriver is missing.
    pub fn start() -> Result<Chromedriver, String> {
        let chromium = find_binary("CHROMIUM", &["/usr/bin/chromium", "/usr/bin/chromium-browser"])?;
        let driver = find_binary("CHROMEDRIVER", &["/usr/bin/chromedriver"])?;
        let port = {
            let l = TcpListener::bind("127.0.0.1:0").map_err(|e| format!("a free port: {e}"))?;
            l.local_addr().map_err(|e| format!("a free port: {e}"))?.port()
        };
        let child = Command::new(&driver)
            .arg(format!("--port={port}"))
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .map_err(|e| format!("cannot start {}: {e} ({INSTALL_ADVICE})", driver.display()))?;
        let profile = tempfile::tempdir().map_err(|e| format!("a profile directory: {e}"))?;
        let mut d = Chromedriver { child, port, chromium, profile };
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            if let Ok((200, v)) = http(d.port, "GET", "/status", None)
                && v["value"]["ready"] == true
            {
                return Ok(d);
            }
            if let Ok(Some(status)) = d.child.try_wait() {
                return Err(format!("chromedriver exited at start ({status})"));
            }
            if Instant::now() > deadline {
                return Err("chromedriver did not become ready within 30 s".into());
            }
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    /// A new session: headless Chromium with a fresh profile, at `width`×`height` pixels.
    pub fn session(&self, width: u32, height: u32) -> Result<Session, String> {
        let mut args: Vec<String> = CHROMIUM_FLAGS.iter().map(|s| (*s).to_owned()).collect();
        args.push(format!("--user-data-dir={}", self.profile.path().display()));
        args.push(format!("--window-size={width},{height}"));
        let caps = json!({
            "capabilities": {
                "alwaysMatch": {
                    "browserName": "chrome",
                    "goog:chromeOptions": { "binary": self.chromium, "args": args }
                }
            }
        });
        let (status, v) = http(self.port, "POST", "/session", Some(&caps))?;
        let id = v["value"]["sessionId"].as_str().map(str::to_owned);
        match id {
            Some(id) if status == 200 => Ok(Session { port: self.port, id }),
            _ => Err(format!("chromedriver refused a session (HTTP {status}): {v}")),
        }
    }
}

impl Drop for Chromedriver {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// One browser session; ended (and Chromium closed) on drop.
pub struct Session {
    port: u16,
    id: String,
}

/// An element of the page, as WebDriver names it.
#[derive(Clone, Debug)]
pub struct Element(String);

const ELEMENT_KEY: &str = "element-6066-11e4-a52e-4f735466cecf";

impl Session {
    /// A WebDriver command of this session: its `value`, or the error WebDriver gave.
    pub fn command(&self, method: &str, path: &str, body: Option<&Value>) -> Result<Value, String> {
        let (status, v) = http(self.port, method, &format!("/session/{}{path}", self.id), body)?;
        if status == 200 {
            Ok(v["value"].clone())
        } else {
            Err(format!(
                "{method} {path}: HTTP {status}: {} {}",
                v["value"]["error"].as_str().unwrap_or(""),
                v["value"]["message"].as_str().unwrap_or("")
            ))
        }
    }

    /// Opens `url`.
    pub fn goto(&self, url: &str) -> Result<(), String> {
        self.command("POST", "/url", Some(&json!({ "url": url }))).map(drop)
    }

    /// The elements matching a CSS selector (none is not an error).
    pub fn find_all(&self, css: &str) -> Result<Vec<Element>, String> {
        let v = self.command("POST", "/elements", Some(&json!({ "using": "css selector", "value": css })))?;
        Ok(v.as_array()
            .map(|a| a.iter().filter_map(|e| e[ELEMENT_KEY].as_str()).map(|s| Element(s.to_owned())).collect())
            .unwrap_or_default())
    }

    /// The first element matching a CSS selector.
    pub fn find(&self, css: &str) -> Result<Element, String> {
        self.find_all(css)?.into_iter().next().ok_or_else(|| format!("no element matches {css}"))
    }

    /// Waits up to `timeout` for `check` to give `Some`; the last error otherwise.
    pub fn wait_for<T>(
        &self,
        what: &str,
        timeout: Duration,
        mut check: impl FnMut(&Session) -> Result<Option<T>, String>,
    ) -> Result<T, String> {
        let deadline = Instant::now() + timeout;
        loop {
            let last = match check(self) {
                Ok(Some(t)) => return Ok(t),
                Ok(None) => String::new(),
                Err(e) => e,
            };
            if Instant::now() > deadline {
                return Err(format!("waited {timeout:?} for {what}{}", if last.is_empty() { "" } else { ": " }) + &last);
            }
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    /// An element's rendered text.
    pub fn text(&self, e: &Element) -> Result<String, String> {
        let v = self.command("GET", &format!("/element/{}/text", e.0), None)?;
        Ok(v.as_str().unwrap_or_default().to_owned())
    }

    /// An element's attribute (`None` when it has none).
    pub fn attribute(&self, e: &Element, name: &str) -> Result<Option<String>, String> {
        let v = self.command("GET", &format!("/element/{}/attribute/{name}", e.0), None)?;
        Ok(v.as_str().map(str::to_owned))
    }

    /// An element's DOM property as a string (an input's current `value`), `None` when it is not
    /// a string.
    pub fn property(&self, e: &Element, name: &str) -> Result<Option<String>, String> {
        let v = self.command("GET", &format!("/element/{}/property/{name}", e.0), None)?;
        Ok(v.as_str().map(str::to_owned))
    }

    /// Whether an element is displayed.
    pub fn displayed(&self, e: &Element) -> Result<bool, String> {
        let v = self.command("GET", &format!("/element/{}/displayed", e.0), None)?;
        Ok(v.as_bool().unwrap_or(false))
    }

    /// Clicks an element.
    pub fn click(&self, e: &Element) -> Result<(), String> {
        self.command("POST", &format!("/element/{}/click", e.0), Some(&json!({}))).map(drop)
    }

    /// Empties an input.
    pub fn clear(&self, e: &Element) -> Result<(), String> {
        self.command("POST", &format!("/element/{}/clear", e.0), Some(&json!({}))).map(drop)
    }

    /// Types `text` into an element, as a user would (`ENTER` presses Enter).
    pub fn send_keys(&self, e: &Element, text: &str) -> Result<(), String> {
        self.command("POST", &format!("/element/{}/value", e.0), Some(&json!({ "text": text }))).map(drop)
    }

    /// The element that has the keyboard focus.
    pub fn active(&self) -> Result<Element, String> {
        let v = self.command("GET", "/element/active", None)?;
        v[ELEMENT_KEY].as_str().map(|s| Element(s.to_owned())).ok_or_else(|| format!("no active element: {v}"))
    }

    /// Runs a script in the page (`arguments` are `args`) and returns its value.
    pub fn execute(&self, script: &str, args: &[Value]) -> Result<Value, String> {
        self.command("POST", "/execute/sync", Some(&json!({ "script": script, "args": args })))
    }

    /// A PNG of the viewport.
    pub fn screenshot(&self) -> Result<Vec<u8>, String> {
        let v = self.command("GET", "/screenshot", None)?;
        base64_decode(v.as_str().ok_or("the screenshot is not a string")?)
    }

    /// Runs a Chrome DevTools Protocol command (chromedriver's `goog/cdp/execute`), e.g. to
    /// emulate print media.
    pub fn cdp(&self, cmd: &str, params: Value) -> Result<Value, String> {
        self.command("POST", "/goog/cdp/execute", Some(&json!({ "cmd": cmd, "params": params })))
    }
}

impl Element {
    /// Wraps an element reference as a script argument.
    pub fn as_arg(&self) -> Value {
        json!({ ELEMENT_KEY: self.0 })
    }
}

impl Drop for Session {
    fn drop(&mut self) {
        let _ = http(self.port, "DELETE", &format!("/session/{}", self.id), None);
    }
}

/// One HTTP/1.1 request to chromedriver on 127.0.0.1:`port`: (status, JSON body).
fn http(port: u16, method: &str, path: &str, body: Option<&Value>) -> Result<(u16, Value), String> {
    let err = |e: std::io::Error| format!("{method} {path}: {e}");
    let mut stream = TcpStream::connect(("127.0.0.1", port)).map_err(err)?;
    stream.set_read_timeout(Some(Duration::from_secs(120))).map_err(err)?;
    let payload = body.map(Value::to_string).unwrap_or_default();
    let mut request = format!("{method} {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nConnection: close\r\n");
    if body.is_some() {
        request.push_str("Content-Type: application/json; charset=utf-8\r\n");
    }
    request.push_str(&format!("Content-Length: {}\r\n\r\n", payload.len()));
    request.push_str(&payload);
    stream.write_all(request.as_bytes()).map_err(err)?;

    let mut reader = BufReader::new(stream);
    let mut line = String::new();
    reader.read_line(&mut line).map_err(err)?;
    let status: u16 = line
        .split_whitespace()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .ok_or_else(|| format!("{method} {path}: not an HTTP answer: {line:?}"))?;
    let mut length = None;
    let mut chunked = false;
    loop {
        line.clear();
        reader.read_line(&mut line).map_err(err)?;
        let l = line.trim_end();
        if l.is_empty() {
            break;
        }
        if let Some((name, value)) = l.split_once(':') {
            let value = value.trim();
            if name.eq_ignore_ascii_case("content-length") {
                length = value.parse::<usize>().ok();
            } else if name.eq_ignore_ascii_case("transfer-encoding") && value.eq_ignore_ascii_case("chunked") {
                chunked = true;
            }
        }
    }
    let mut bytes = Vec::new();
    if chunked {
        loop {
            line.clear();
            reader.read_line(&mut line).map_err(err)?;
            let size = usize::from_str_radix(line.trim().split(';').next().unwrap_or(""), 16)
                .map_err(|_| format!("{method} {path}: a bad chunk size {line:?}"))?;
            if size == 0 {
                break;
            }
            let mut chunk = vec![0; size + 2];
            reader.read_exact(&mut chunk).map_err(err)?;
            bytes.extend_from_slice(&chunk[..size]);
        }
    } else if let Some(n) = length {
        bytes.resize(n, 0);
        reader.read_exact(&mut bytes).map_err(err)?;
    } else {
        reader.read_to_end(&mut bytes).map_err(err)?;
    }
    if bytes.is_empty() {
        return Ok((status, Value::Null));
    }
    let v = serde_json::from_slice(&bytes)
        .map_err(|e| format!("{method} {path}: the answer is not JSON ({e}): {}", String::from_utf8_lossy(&bytes)))?;
    Ok((status, v))
}

/// Standard base64 (with padding, as WebDriver sends screenshots).
fn base64_decode(text: &str) -> Result<Vec<u8>, String> {
    fn value(c: u8) -> Option<u32> {
        match c {
            b'A'..=b'Z' => Some(u32::from(c - b'A')),
            b'a'..=b'z' => Some(u32::from(c - b'a') + 26),
            b'0'..=b'9' => Some(u32::from(c - b'0') + 52),
            b'+' => Some(62),
            b'/' => Some(63),
            _ => None,
        }
    }
    let digits: Vec<u8> = text.bytes().filter(|c| !c.is_ascii_whitespace() && *c != b'=').collect();
    let mut out = Vec::with_capacity(digits.len() * 3 / 4);
    for chunk in digits.chunks(4) {
        let mut acc = 0u32;
        for (i, c) in chunk.iter().enumerate() {
            let v = value(*c).ok_or_else(|| format!("not base64: {:?}", char::from(*c)))?;
            acc |= v << (18 - 6 * i);
        }
        let bytes = acc.to_be_bytes();
        let n = match chunk.len() {
            4 => 3,
            3 => 2,
            2 => 1,
            _ => return Err("truncated base64".into()),
        };
        out.extend_from_slice(&bytes[1..=n]);
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::base64_decode;

    #[test]
    fn base64_decodes_with_and_without_padding() {
        assert_eq!(base64_decode("TWFu").unwrap(), b"Man");
        assert_eq!(base64_decode("TWE=").unwrap(), b"Ma");
        assert_eq!(base64_decode("TQ==").unwrap(), b"M");
        assert_eq!(base64_decode("iVBORw0KGgo=").unwrap(), b"\x89PNG\r\n\x1a\n");
        assert!(base64_decode("T").is_err());
    }
}
