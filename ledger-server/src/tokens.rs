//! Bearer tokens and their roles, read from a tokens file that holds only their hashes.
//!
//! One token a line: `NAME ROLE SHA256-HEX`. The name is recorded as the actor of the events its
//! holder appends; the role says what it may do. Blank lines and lines starting with `#` are
//! skipped. The token itself (`ldg_` and 43 base64url characters, 256 random bits) is shown once,
//! when it is made, and never stored.

use std::collections::HashMap;
use std::fmt;
use std::path::Path;

use sha2::{Digest, Sha256};

/// What a token may do.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Role {
    /// Read and write.
    Operator,
    /// Read only.
    Reader,
}

impl Role {
    /// The role's name in the tokens file.
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Operator => "operator",
            Role::Reader => "reader",
        }
    }

    /// The role named `name`.
    pub fn parse(name: &str) -> Option<Role> {
        match name {
            "operator" => Some(Role::Operator),
            "reader" => Some(Role::Reader),
            _ => None,
        }
    }
}

/// The holder of a token.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Holder {
    /// The name recorded as the actor of what it appends.
    pub name: String,
    /// What it may do.
    pub role: Role,
}

/// A tokens file, read.
#[derive(Debug, Clone, Default)]
pub struct Tokens {
    by_hash: HashMap<[u8; 32], Holder>,
}

/// Why a tokens file was refused.
#[derive(Debug, thiserror::Error)]
pub enum TokensError {
    /// It could not be read.
    #[error("cannot read {path}: {source}")]
    Io {
        /// The file.
        path: String,
        /// Why.
        source: std::io::Error,
    },
    /// A line is not `NAME ROLE SHA256-HEX`.
    #[error("{path}, line {line}: {reason}")]
    Line {
        /// The file.
        path: String,
        /// The line (1-based).
        line: usize,
        /// What is wrong.
        reason: String,
    },
}

impl Tokens {
    /// Reads a tokens file.
    pub fn read(path: &Path) -> Result<Tokens, TokensError> {
        let name = path.display().to_string();
        let text = std::fs::read_to_string(path).map_err(|source| TokensError::Io { path: name.clone(), source })?;
        Tokens::parse(&text).map_err(|(line, reason)| TokensError::Line { path: name, line, reason })
    }

    /// Reads the text of a tokens file; a refused line is given as (line, reason).
    pub fn parse(text: &str) -> Result<Tokens, (usize, String)> {
        let mut tokens = Tokens::default();
        for (i, line) in text.lines().enumerate() {
            let line_no = i + 1;
            let line = line.trim();
            if line.is_empty() || line.starts_with('#') {
                continue;
            }
            let fields: Vec<&str> = line.split_whitespace().collect();
            let [name, role, hash] = fields[..] else {
                return Err((line_no, format!("expected `NAME ROLE SHA256-HEX`, found {} fields", fields.len())));
            };
            let role = Role::parse(role)
                .ok_or_else(|| (line_no, format!("the role `{role}` is not `operator` or `reader`")))?;
            let hash = parse_hex32(hash).ok_or_else(|| {
                (line_no, "the hash must be 64 hex digits: the SHA-256 of the token (`ledger token` prints it)".into())
            })?;
            let holder = Holder { name: name.to_owned(), role };
            if tokens.by_hash.insert(hash, holder).is_some() {
                return Err((line_no, "this token's hash is on an earlier line too".into()));
            }
        }
        Ok(tokens)
    }

    /// The holder of `token`, if the file names it.
    pub fn holder(&self, token: &str) -> Option<&Holder> {
        self.by_hash.get(&digest(token))
    }

    /// How many tokens the file names.
    pub fn len(&self) -> usize {
        self.by_hash.len()
    }

    /// Whether the file names none.
    pub fn is_empty(&self) -> bool {
        self.by_hash.is_empty()
    }
}

fn digest(token: &str) -> [u8; 32] {
    Sha256::digest(token.as_bytes()).into()
}

fn parse_hex32(s: &str) -> Option<[u8; 32]> {
    if s.len() != 64 {
        return None;
    }
    let mut out = [0u8; 32];
    for (i, b) in out.iter_mut().enumerate() {
        *b = u8::from_str_radix(s.get(2 * i..2 * i + 2)?, 16).ok()?;
    }
    Some(out)
}

/// A new token, and the line of the tokens file that admits it.
#[derive(Debug, Clone)]
pub struct NewToken {
    /// The token, to give its holder (shown once).
    pub token: String,
    /// `NAME ROLE SHA256-HEX`, for the tokens file.
    pub line: String,
}

/// Why a token could not be made.
#[derive(Debug, thiserror::Error)]
pub enum NewTokenError {
    /// The name would not read back as one field of a tokens line, or is not an actor's name.
    #[error("the token's name must be 1 to 256 printable characters without spaces")]
    Name,
    /// The operating system gave no randomness.
    #[error("no randomness from the operating system: {0}")]
    Random(String),
}

/// Makes a token for `name` with `role`.
pub fn generate(name: &str, role: Role) -> Result<NewToken, NewTokenError> {
    if name.is_empty() || name.len() > 256 || name.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return Err(NewTokenError::Name);
    }
    let mut bytes = [0u8; 32];
    getrandom::fill(&mut bytes).map_err(|e| NewTokenError::Random(e.to_string()))?;
    let token = format!("ldg_{}", base64url(&bytes));
    let hash: String = digest(&token).iter().map(|b| format!("{b:02x}")).collect();
    Ok(NewToken { line: format!("{name} {} {hash}", role.as_str()), token })
}

fn base64url(bytes: &[u8]) -> String {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    let mut out = String::new();
    for chunk in bytes.chunks(3) {
        let n = chunk.iter().enumerate().fold(0u32, |n, (i, b)| n | (u32::from(*b) << (16 - 8 * i)));
        for i in 0..=chunk.len() {
            out.push(ALPHABET[(n >> (18 - 6 * i) & 63) as usize] as char);
        }
    }
    out
}

impl fmt::Display for Role {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_generated_token_is_admitted_by_its_line_and_no_other_token_is() {
        let made = generate("alice@example.org", Role::Operator).unwrap();
        assert!(made.token.starts_with("ldg_") && made.token.len() == 4 + 43, "{}", made.token);
        let tokens = Tokens::parse(&format!("# the team\n\n{}\n", made.line)).unwrap();
        assert_eq!(
            tokens.holder(&made.token),
            Some(&Holder { name: "alice@example.org".into(), role: Role::Operator })
        );
        assert_eq!(tokens.holder("ldg_guess"), None);
        assert!(!made.line.contains(&made.token), "the line holds the hash, not the token");
    }

    #[test]
    fn a_bad_tokens_line_is_named() {
        assert_eq!(Tokens::parse("alice admin 00").unwrap_err().0, 1);
        let e = Tokens::parse("\nalice reader abc").unwrap_err();
        assert_eq!(e.0, 2);
        assert!(e.1.contains("64 hex digits"), "{}", e.1);
        let line = generate("bob", Role::Reader).unwrap().line;
        assert!(Tokens::parse(&format!("{line}\n{line}")).unwrap_err().1.contains("earlier line"));
        assert!(matches!(generate("two words", Role::Reader), Err(NewTokenError::Name)));
    }

    #[test]
    fn base64url_of_known_bytes() {
        assert_eq!(base64url(b"foobar"), "Zm9vYmFy");
        assert_eq!(base64url(b"fo"), "Zm8");
        assert_eq!(base64url(&[0xfb, 0xff]), "-_8");
    }
}
