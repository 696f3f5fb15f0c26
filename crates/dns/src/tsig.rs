//! TSIG key files in the format `tsig-keygen` prints:
//!
//! ```text
//! key "csrkit" {
//!     algorithm hmac-sha256;
//!     secret "jbApSiLabvJ53CF1OG0cJiiLo0RI36q+kiFBFFsxtZk=";
//! };
//! ```
//!
//! The parser is strict: one `key` statement with one `algorithm` and one
//! `secret`, nothing else (comments `#`, `//` and `/* */` aside, as BIND
//! allows them). Its errors name the line and never quote the secret.

use std::fmt;
use std::path::{Path, PathBuf};

use base64::Engine;
use zeroize::Zeroizing;

use crate::error::{Error, Result};

/// A TSIG MAC algorithm csrkit can sign with (RFC 8945; hickory signs only
/// these).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum TsigAlgorithm {
    /// `hmac-sha256` (what `tsig-keygen` makes by default).
    HmacSha256,
    /// `hmac-sha384`.
    HmacSha384,
    /// `hmac-sha512`.
    HmacSha512,
}

impl TsigAlgorithm {
    /// The name as BIND writes it, e.g. `hmac-sha256`.
    pub fn as_str(self) -> &'static str {
        match self {
            TsigAlgorithm::HmacSha256 => "hmac-sha256",
            TsigAlgorithm::HmacSha384 => "hmac-sha384",
            TsigAlgorithm::HmacSha512 => "hmac-sha512",
        }
    }

    fn to_hickory(self) -> hickory_proto::rr::rdata::tsig::TsigAlgorithm {
        use hickory_proto::rr::rdata::tsig::TsigAlgorithm as H;
        match self {
            TsigAlgorithm::HmacSha256 => H::HmacSha256,
            TsigAlgorithm::HmacSha384 => H::HmacSha384,
            TsigAlgorithm::HmacSha512 => H::HmacSha512,
        }
    }
}

impl fmt::Display for TsigAlgorithm {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A TSIG key: its name, algorithm and secret. The secret is zeroed on drop
/// and never shown (`Debug` prints `** redacted **`).
#[derive(Clone)]
pub struct TsigKey {
    name: String,
    algorithm: TsigAlgorithm,
    secret: Zeroizing<Vec<u8>>,
}

impl fmt::Debug for TsigKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TsigKey")
            .field("name", &self.name)
            .field("algorithm", &self.algorithm)
            .field("secret", &"** redacted **")
            .finish()
    }
}

/// The fudge (allowed clock difference) csrkit signs with: 300 s, as BIND's
/// nsupdate and lego use.
pub const TSIG_FUDGE: u16 = 300;

impl TsigKey {
    /// Reads a key file (`--tsig-key-file`).
    ///
    /// # Errors
    /// [`Error::Io`] when it cannot be read; [`Error::TsigKey`] when it is
    /// not one `key` statement as `tsig-keygen` prints it.
    pub fn from_file(path: &Path) -> Result<TsigKey> {
        let bytes = Zeroizing::new(std::fs::read(path).map_err(|source| Error::Io {
            action: "read TSIG key file",
            path: path.to_path_buf(),
            source,
        })?);
        let text = std::str::from_utf8(&bytes).map_err(|_| Error::TsigKey {
            path: path.to_path_buf(),
            line: 0,
            reason: "is not UTF-8 text; expected the output of tsig-keygen".into(),
        })?;
        TsigKey::parse(text, path)
    }

    /// Parses the text of a key file; `path` is only used in errors.
    ///
    /// # Errors
    /// [`Error::TsigKey`], naming the line at fault.
    pub fn parse(text: &str, path: &Path) -> Result<TsigKey> {
        Parser {
            tokens: tokenize(text, path)?,
            pos: 0,
            path: path.to_path_buf(),
        }
        .key()
    }

    /// The key's name (the server's `key` statement must have the same).
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The algorithm.
    pub fn algorithm(&self) -> TsigAlgorithm {
        self.algorithm
    }

    /// A hickory signer for this key.
    pub(crate) fn signer(&self) -> Result<hickory_proto::rr::TSigner> {
        let name = hickory_proto::rr::Name::from_ascii(&self.name).map_err(|e| Error::Config {
            setting: "--tsig-key-file",
            reason: format!("key name {:?} is not a DNS name: {e}", self.name),
        })?;
        hickory_proto::rr::TSigner::new(
            self.secret.to_vec(),
            self.algorithm.to_hickory(),
            name,
            TSIG_FUDGE,
        )
        .map_err(|e| Error::Config {
            setting: "--tsig-key-file",
            reason: format!("cannot sign with this key: {e}"),
        })
    }
}

/// Tokens are zeroed on drop: one of them is the secret.
#[derive(Debug, Clone, PartialEq)]
enum Tok {
    Word(Zeroizing<String>),
    Quoted(Zeroizing<String>),
    Open,
    Close,
    Semi,
}

#[derive(Clone)]
struct Token {
    tok: Tok,
    line: usize,
}

fn tokenize(text: &str, path: &Path) -> Result<Vec<Token>> {
    let err = |line: usize, reason: &str| Error::TsigKey {
        path: path.to_path_buf(),
        line,
        reason: reason.to_string(),
    };
    let mut out = Vec::new();
    let chars: Zeroizing<Vec<char>> = Zeroizing::new(text.chars().collect());
    let mut i = 0;
    let mut line = 1;
    while i < chars.len() {
        let c = chars[i];
        match c {
            '\n' => {
                line += 1;
                i += 1;
            }
            c if c.is_whitespace() => i += 1,
            '#' => {
                while i < chars.len() && chars[i] != '\n' {
                    i += 1;
                }
            }
            '/' if chars.get(i + 1) == Some(&'/') => {
                while i < chars.len() && chars[i] != '\n' {
                    i += 1;
                }
            }
            '/' if chars.get(i + 1) == Some(&'*') => {
                let start = line;
                i += 2;
                loop {
                    if i + 1 >= chars.len() {
                        return Err(err(start, "a /* comment is never closed"));
                    }
                    if chars[i] == '*' && chars[i + 1] == '/' {
                        i += 2;
                        break;
                    }
                    if chars[i] == '\n' {
                        line += 1;
                    }
                    i += 1;
                }
            }
            '{' | '}' | ';' => {
                out.push(Token {
                    tok: match c {
                        '{' => Tok::Open,
                        '}' => Tok::Close,
                        _ => Tok::Semi,
                    },
                    line,
                });
                i += 1;
            }
            '"' => {
                let start = line;
                let mut s = Zeroizing::new(String::new());
                i += 1;
                loop {
                    match chars.get(i) {
                        None | Some('\n') => {
                            return Err(err(start, "a quoted string is not closed on its line"));
                        }
                        Some('"') => {
                            i += 1;
                            break;
                        }
                        Some(&c) => {
                            s.push(c);
                            i += 1;
                        }
                    }
                }
                out.push(Token {
                    tok: Tok::Quoted(s),
                    line: start,
                });
            }
            c if c.is_control() => {
                return Err(err(line, "contains a control character"));
            }
            _ => {
                let mut s = Zeroizing::new(String::new());
                while let Some(&c) = chars.get(i) {
                    if c.is_whitespace() || matches!(c, '{' | '}' | ';' | '"' | '#') {
                        break;
                    }
                    s.push(c);
                    i += 1;
                }
                out.push(Token {
                    tok: Tok::Word(s),
                    line,
                });
            }
        }
    }
    Ok(out)
}

struct Parser {
    tokens: Vec<Token>,
    pos: usize,
    path: PathBuf,
}

const HOW: &str = "expected the output of `tsig-keygen -a hmac-sha256 NAME`";

impl Parser {
    fn err(&self, line: usize, reason: impl Into<String>) -> Error {
        Error::TsigKey {
            path: self.path.clone(),
            line,
            reason: reason.into(),
        }
    }

    fn line(&self) -> usize {
        self.tokens
            .get(self.pos)
            .or(self.tokens.last())
            .map_or(0, |t| t.line)
    }

    fn next(&mut self, what: &str) -> Result<Token> {
        let line = self.line();
        let t = self.tokens.get(self.pos).cloned().ok_or_else(|| {
            self.err(line, format!("the file ends where {what} should be; {HOW}"))
        })?;
        self.pos += 1;
        Ok(t)
    }

    fn expect(&mut self, tok: Tok, what: &str) -> Result<()> {
        let t = self.next(what)?;
        if t.tok == tok {
            Ok(())
        } else {
            let line = t.line;
            Err(self.err(line, format!("expected {what}; {HOW}")))
        }
    }

    /// A statement other than the one `key`: named when it is a BIND
    /// keyword (never a secret: statements are outside the braces).
    fn not_a_key(&self, t: &Token, what: &str) -> Error {
        match &t.tok {
            Tok::Word(w)
                if w.as_str() != "key"
                    && w.len() <= 24
                    && w.chars().all(|c| c.is_ascii_lowercase() || c == '-') =>
            {
                self.err(
                    t.line,
                    format!(
                        "found a {:?} statement; the file must hold only the key statement \
                         ({HOW}, or `ddns-confgen -q`)",
                        w.as_str()
                    ),
                )
            }
            _ => self.err(t.line, format!("{what}; {HOW}")),
        }
    }

    fn key(mut self) -> Result<TsigKey> {
        if self.tokens.is_empty() {
            return Err(self.err(0, format!("holds no key statement; {HOW}")));
        }
        let first = self.next("`key`")?;
        match &first.tok {
            Tok::Word(w) if w.as_str() == "key" => {}
            _ => return Err(self.not_a_key(&first, "expected `key`")),
        }
        let name_tok = self.next("the key name")?;
        let line = name_tok.line;
        let name = match &name_tok.tok {
            Tok::Quoted(s) | Tok::Word(s) if !s.is_empty() => s.trim_end_matches('.').to_string(),
            _ => return Err(self.err(line, format!("expected the key name after `key`; {HOW}"))),
        };
        if hickory_proto::rr::Name::from_ascii(&name).is_err()
            || name.is_empty()
            || name
                .chars()
                .any(|c| !(c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.')))
        {
            return Err(self.err(
                line,
                format!("the key name {name:?} is not a DNS name (letters, digits, '-', '_', '.')"),
            ));
        }
        self.expect(Tok::Open, "`{` after the key name")?;
        let mut algorithm = None;
        let mut secret: Option<Zeroizing<Vec<u8>>> = None;
        loop {
            let t = self.next("`algorithm`, `secret` or `}`")?;
            let line = t.line;
            match &t.tok {
                Tok::Close => break,
                Tok::Word(w) if w.as_str() == "algorithm" => {
                    if algorithm.is_some() {
                        return Err(self.err(line, "a second `algorithm`; a key has one"));
                    }
                    let a = self.next("the algorithm name")?;
                    let line = a.line;
                    let a = match &a.tok {
                        Tok::Word(s) | Tok::Quoted(s) => s.to_ascii_lowercase(),
                        _ => {
                            return Err(
                                self.err(line, "expected the algorithm name after `algorithm`")
                            );
                        }
                    };
                    algorithm = Some(match a.trim_end_matches('.') {
                        "hmac-sha256" => TsigAlgorithm::HmacSha256,
                        "hmac-sha384" => TsigAlgorithm::HmacSha384,
                        "hmac-sha512" => TsigAlgorithm::HmacSha512,
                        other @ ("hmac-md5"
                        | "hmac-md5.sig-alg.reg.int"
                        | "hmac-sha1"
                        | "hmac-sha224") => {
                            return Err(self.err(
                                line,
                                format!(
                                    "algorithm {other} is not supported (csrkit signs with hmac-sha256, \
                                     hmac-sha384 or hmac-sha512); make a new key with \
                                     `tsig-keygen -a hmac-sha256 NAME` and add it to the server"
                                ),
                            ));
                        }
                        _ => {
                            return Err(self.err(
                                line,
                                "unknown algorithm; use hmac-sha256, hmac-sha384 or hmac-sha512",
                            ));
                        }
                    });
                    self.expect(Tok::Semi, "`;` after the algorithm")?;
                }
                Tok::Word(w) if w.as_str() == "secret" => {
                    if secret.is_some() {
                        return Err(self.err(line, "a second `secret`; a key has one"));
                    }
                    let s = self.next("the secret")?;
                    let line = s.line;
                    let text = match &s.tok {
                        Tok::Quoted(s) | Tok::Word(s) => s.clone(),
                        _ => {
                            return Err(self.err(line, "expected the quoted secret after `secret`"));
                        }
                    };
                    let bytes = base64::engine::general_purpose::STANDARD
                        .decode(text.as_bytes())
                        .map_err(|_| self.err(line, "the secret is not valid base64"))?;
                    if bytes.is_empty() {
                        return Err(self.err(line, "the secret is empty"));
                    }
                    secret = Some(Zeroizing::new(bytes));
                    self.expect(Tok::Semi, "`;` after the secret")?;
                }
                _ => {
                    return Err(self.err(
                        line,
                        "expected `algorithm`, `secret` or `}` inside the key statement",
                    ));
                }
            }
        }
        self.expect(Tok::Semi, "`;` after the key statement's `}`")?;
        if let Some(t) = self.tokens.get(self.pos).cloned() {
            return Err(self.not_a_key(
                &t,
                "more follows the key statement; the file must hold one key only",
            ));
        }
        let line = self.line();
        let algorithm =
            algorithm.ok_or_else(|| self.err(line, "the key has no `algorithm` line"))?;
        let secret = secret.ok_or_else(|| self.err(line, "the key has no `secret` line"))?;
        Ok(TsigKey {
            name,
            algorithm,
            secret,
        })
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        /// Whatever the file holds, parsing returns (no panic), and an error
        /// never quotes a secret-looking token that follows `secret`.
        #[test]
        fn never_panics(text in "(key|secret|algorithm|hmac-sha256|\"|\\{|\\}|;|#|/\\*|\\*/|//|\n| |[A-Za-z0-9+/=]{1,12}){0,40}") {
            let _ = TsigKey::parse(&text, Path::new("k"));
        }

        #[test]
        fn arbitrary_text_never_panics(text in any::<String>()) {
            let _ = TsigKey::parse(&text, Path::new("k"));
        }
    }

    #[test]
    fn debug_is_redacted() {
        let k = TsigKey::parse(
            "key \"k\" {\n\talgorithm hmac-sha256;\n\tsecret \"c2VjcmV0LXNlY3JldA==\";\n};\n",
            Path::new("k"),
        )
        .unwrap();
        assert_eq!(
            format!("{k:?}"),
            "TsigKey { name: \"k\", algorithm: HmacSha256, secret: \"** redacted **\" }"
        );
    }
}
