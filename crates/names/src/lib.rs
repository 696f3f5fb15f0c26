/*!
DNS names as a certificate authority reads them.

A DV certificate names hosts, and a CA accepts a host name only in one form:
lower-case A-labels (Punycode for internationalised labels), letters, digits
and hyphens, no empty label, no trailing dot, at most 63 octets a label and
253 a name, and a wildcard only as the whole leftmost label. This crate holds
that one rule set, so the generator (`csrkit-csr`, which refuses a bad name
before any key is made) and the linter (`csrkit-validate`, which reports every
problem of a name found in a CSR) can never disagree.

Two entry points:

- [`DnsName::parse`] normalises what a person typed (UTS #46: Unicode labels
  mapped and converted to A-labels, upper case folded) and returns the name or
  the first problem, as an error that names the label at fault.
- [`problems`] reads a name exactly as it stands (as a linter must: a CSR
  carries bytes, not intentions) and returns every problem it has.

```
use csrkit_names::{DnsName, ProblemKind};

let name = DnsName::parse("Bücher.Example.COM")?;
assert_eq!(name.as_str(), "xn--bcher-kva.example.com");
assert_eq!(name.to_unicode(), "bücher.example.com");

let err = DnsName::parse("exa_mple.com").unwrap_err();
assert_eq!(err.label(), Some("exa_mple"));
assert!(matches!(err.kind(), ProblemKind::Underscore));
# Ok::<(), Box<dyn std::error::Error>>(())
```
*/
#![forbid(unsafe_code)]
#![deny(missing_docs)]
#![warn(unreachable_pub)]

use std::fmt;
use std::net::{IpAddr, Ipv4Addr};

mod idna2008_table;

/// The longest name in text form, without a trailing dot (RFC 1035 §3.1:
/// 255 octets on the wire).
pub const MAX_NAME_LEN: usize = 253;
/// The longest label (RFC 1035 §2.3.4).
pub const MAX_LABEL_LEN: usize = 63;

/// A host name in the form a CA accepts: lower-case A-labels, checked.
///
/// It may start with a wildcard label (`*.example.com`). Ordering and
/// equality are those of the text form.
#[derive(Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct DnsName {
    ascii: String,
}

impl DnsName {
    /// Normalises and checks a name given by a person.
    ///
    /// Unicode labels are mapped by UTS #46 (non-transitional, STD3 rules)
    /// and converted to A-labels; ASCII is lower-cased. The ideographic full
    /// stops that UTS #46 maps to `.` are accepted as separators. Nothing
    /// else is repaired: a trailing dot, a space or an underscore is an error
    /// rather than something silently dropped.
    pub fn parse(input: &str) -> Result<DnsName, NameError> {
        let ascii = to_ascii(input)?;
        if let Some(problem) = problems(&ascii).into_iter().next() {
            return Err(NameError {
                input: input.to_owned(),
                problem,
            });
        }
        Ok(DnsName { ascii })
    }

    /// The name in A-label form, e.g. `xn--bcher-kva.example.com`.
    pub fn as_str(&self) -> &str {
        &self.ascii
    }

    /// The name with its A-labels shown as Unicode, e.g. `bücher.example.com`.
    pub fn to_unicode(&self) -> String {
        to_unicode(&self.ascii)
    }

    /// Whether the leftmost label is the wildcard `*`.
    pub fn is_wildcard(&self) -> bool {
        self.ascii.starts_with("*.")
    }

    /// The name without its wildcard label (`*.example.com` → `example.com`);
    /// the name itself when it has none.
    pub fn base(&self) -> &str {
        self.ascii.strip_prefix("*.").unwrap_or(&self.ascii)
    }

    /// A name safe to use as a single path component for files about this
    /// name: the wildcard label becomes `_` (`*.example.com` →
    /// `_.example.com`), as lego and certbot store them.
    pub fn file_stem(&self) -> String {
        match self.ascii.strip_prefix("*.") {
            Some(rest) => format!("_.{rest}"),
            None => self.ascii.clone(),
        }
    }

    /// Whether this name matches `other` as a certificate name would: equal,
    /// or `self` is a wildcard whose base is `other`'s parent.
    pub fn covers(&self, other: &DnsName) -> bool {
        if self == other {
            return true;
        }
        match (self.is_wildcard(), other.ascii.split_once('.')) {
            (true, Some((first, parent))) => first != "*" && parent == self.base(),
            _ => false,
        }
    }
}

impl fmt::Display for DnsName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.ascii)
    }
}

impl fmt::Debug for DnsName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "DnsName({:?})", self.ascii)
    }
}

impl std::str::FromStr for DnsName {
    type Err = NameError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        DnsName::parse(s)
    }
}

impl AsRef<str> for DnsName {
    fn as_ref(&self) -> &str {
        &self.ascii
    }
}

/// One thing wrong with a name, with the label it concerns.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Problem {
    /// The label at fault, in the form it was checked; `None` when the
    /// problem concerns the whole name.
    pub label: Option<String>,
    /// What is wrong.
    pub kind: ProblemKind,
}

/// What can be wrong with a host name. Each variant's `Display` says what
/// and cites the rule.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum ProblemKind {
    /// The name is empty.
    Empty,
    /// The name ends with a dot (the root label).
    TrailingDot,
    /// The name starts with a dot.
    LeadingDot,
    /// The name is longer than 253 octets.
    NameTooLong {
        /// Its length in octets.
        len: usize,
    },
    /// Two dots in a row.
    EmptyLabel,
    /// A label longer than 63 octets.
    LabelTooLong {
        /// Its length in octets.
        len: usize,
    },
    /// An underscore, which host names may not hold.
    Underscore,
    /// A character outside letters, digits and hyphen.
    InvalidCharacter {
        /// The character.
        ch: char,
    },
    /// An upper-case letter (a CA compares names lower-cased; a CSR should
    /// carry them so).
    UpperCase,
    /// A label that starts with a hyphen.
    LeadingHyphen,
    /// A label that ends with a hyphen.
    TrailingHyphen,
    /// A label with hyphens in the third and fourth places that is not an
    /// `xn--` A-label (RFC 5891 §4.2.3.1: reserved).
    ReservedLabel,
    /// An `xn--` label that is not valid Punycode of a valid U-label.
    InvalidPunycode {
        /// What the IDNA decoder said.
        reason: String,
    },
    /// A Unicode label that UTS #46 refuses.
    InvalidUnicode {
        /// What the IDNA mapper said.
        reason: String,
    },
    /// A `*` that is not the whole leftmost label.
    WildcardNotLeftmost,
    /// A `*` inside a label, such as `f*o`.
    PartialWildcard,
    /// A wildcard with nothing under it (`*`).
    BareWildcard,
    /// An IP address where a host name belongs.
    IpAddress,
    /// A top-level label made of digits only (RFC 1123 §2.1, RFC 3696 §2).
    NumericTld,
}

impl fmt::Display for ProblemKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ProblemKind::Empty => f.write_str("the name is empty"),
            ProblemKind::TrailingDot => f.write_str(
                "the name ends with a dot; write it without the root label \
                 (BR 7.1.2.7.12)",
            ),
            ProblemKind::LeadingDot => f.write_str("the name starts with a dot"),
            ProblemKind::NameTooLong { len } => write!(
                f,
                "the name is {len} characters long; the limit is \
                 {MAX_NAME_LEN} (RFC 1035 §3.1)"
            ),
            ProblemKind::EmptyLabel => {
                f.write_str("the name has an empty label (two dots in a row)")
            }
            ProblemKind::LabelTooLong { len } => write!(
                f,
                "the label is {len} characters long; the limit is \
                 {MAX_LABEL_LEN} (RFC 1035 §2.3.4)"
            ),
            ProblemKind::Underscore => f.write_str(
                "the label contains '_', which host names may not hold \
                 (BR 7.1.2.7.12, RFC 1123 §2.1)",
            ),
            ProblemKind::InvalidCharacter { ch } => write!(
                f,
                "the label contains {ch:?}; only letters, digits and '-' \
                 are allowed (RFC 1034 §3.5)"
            ),
            ProblemKind::UpperCase => {
                f.write_str("the label has upper-case letters; write it in lower case")
            }
            ProblemKind::LeadingHyphen => f.write_str("the label starts with '-' (RFC 1034 §3.5)"),
            ProblemKind::TrailingHyphen => f.write_str("the label ends with '-' (RFC 1034 §3.5)"),
            ProblemKind::ReservedLabel => f.write_str(
                "the label has '--' in the third and fourth places but is not \
                 an 'xn--' A-label; such labels are reserved (RFC 5891 \
                 §4.2.3.1)",
            ),
            ProblemKind::InvalidPunycode { reason } => {
                write!(f, "the label is not a valid A-label: {reason} (RFC 5891)")
            }
            ProblemKind::InvalidUnicode { reason } => write!(
                f,
                "the label cannot be converted to an A-label: {reason} (UTS #46)"
            ),
            ProblemKind::WildcardNotLeftmost => f.write_str(
                "a wildcard may only be the whole leftmost label, as in \
                 '*.example.com' (BR 1.6.1)",
            ),
            ProblemKind::PartialWildcard => f.write_str(
                "the label mixes '*' with other characters; a wildcard must \
                 be the whole leftmost label (BR 1.6.1)",
            ),
            ProblemKind::BareWildcard => {
                f.write_str("a wildcard needs a domain under it, as in '*.example.com'")
            }
            ProblemKind::IpAddress => f.write_str(
                "this is an IP address, not a host name: a DNS name cannot hold \
                 one (BR 7.1.2.7.12)",
            ),
            ProblemKind::NumericTld => f.write_str(
                "the top-level label is all digits, which no TLD is \
                 (RFC 1123 §2.1)",
            ),
        }
    }
}

/// A name that cannot be used, with the input, the label at fault and why.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NameError {
    input: String,
    problem: Problem,
}

impl NameError {
    /// The name as it was given.
    pub fn input(&self) -> &str {
        &self.input
    }
    /// The label at fault, if the problem is in one label.
    pub fn label(&self) -> Option<&str> {
        self.problem.label.as_deref()
    }
    /// What is wrong.
    pub fn kind(&self) -> &ProblemKind {
        &self.problem.kind
    }
}

impl fmt::Display for NameError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.problem.label {
            Some(label) => write!(
                f,
                "invalid domain {:?}: label {:?}: {}",
                self.input, label, self.problem.kind
            ),
            None => write!(f, "invalid domain {:?}: {}", self.input, self.problem.kind),
        }
    }
}

impl std::error::Error for NameError {}

/// Every problem of `name`, read exactly as it stands: no mapping, no case
/// folding. An empty vector means a CA would accept the name's syntax.
///
/// Problems come in a stable order: whole-name problems first, then each
/// label from left to right. Checks of policy rather than syntax (public
/// suffixes, internal names) belong to the linter, not here.
pub fn problems(name: &str) -> Vec<Problem> {
    let mut out = Vec::new();
    let whole = |kind| Problem { label: None, kind };
    if name.is_empty() {
        out.push(whole(ProblemKind::Empty));
        return out;
    }
    if is_ip_address(name) {
        out.push(whole(ProblemKind::IpAddress));
        return out;
    }
    if name == "*" {
        out.push(whole(ProblemKind::BareWildcard));
        return out;
    }
    let body = match name.strip_suffix('.') {
        Some(body) => {
            out.push(whole(ProblemKind::TrailingDot));
            body
        }
        None => name,
    };
    if body.len() > MAX_NAME_LEN {
        out.push(whole(ProblemKind::NameTooLong { len: body.len() }));
    }
    if body.starts_with('.') {
        out.push(whole(ProblemKind::LeadingDot));
    }
    let labels: Vec<&str> = body.split('.').collect();
    let mut reported_empty = false;
    for (i, label) in labels.iter().enumerate() {
        let at = |kind| Problem {
            label: Some((*label).to_owned()),
            kind,
        };
        if label.is_empty() {
            // A leading dot was already reported; report `a..b` once.
            let leading = i == 0 && body.starts_with('.');
            if !leading && !reported_empty {
                out.push(whole(ProblemKind::EmptyLabel));
                reported_empty = true;
            }
            continue;
        }
        if *label == "*" {
            if i != 0 {
                out.push(at(ProblemKind::WildcardNotLeftmost));
            } else if labels.len() == 1 {
                out.push(at(ProblemKind::BareWildcard));
            }
            continue;
        }
        if label.contains('*') {
            out.push(at(ProblemKind::PartialWildcard));
            continue;
        }
        out.extend(label_problems(label).into_iter().map(at));
    }
    if let [_, .., tld] = labels.as_slice()
        && !tld.is_empty()
        && tld.bytes().all(|b| b.is_ascii_digit())
    {
        out.push(Problem {
            label: Some((*tld).to_owned()),
            kind: ProblemKind::NumericTld,
        });
    }
    out
}

/// The problems of one label that is not a wildcard.
fn label_problems(label: &str) -> Vec<ProblemKind> {
    let mut out = Vec::new();
    if label.len() > MAX_LABEL_LEN {
        out.push(ProblemKind::LabelTooLong { len: label.len() });
    }
    if label.contains('_') {
        out.push(ProblemKind::Underscore);
    }
    if let Some(ch) = label
        .chars()
        .find(|c| !(c.is_ascii_alphanumeric() || *c == '-' || *c == '_'))
    {
        out.push(ProblemKind::InvalidCharacter { ch });
    }
    if label.bytes().any(|b| b.is_ascii_uppercase()) {
        out.push(ProblemKind::UpperCase);
    }
    if label.starts_with('-') {
        out.push(ProblemKind::LeadingHyphen);
    }
    if label.ends_with('-') {
        out.push(ProblemKind::TrailingHyphen);
    }
    if label.len() >= 4 && &label.as_bytes()[2..4] == b"--" {
        if label[..2].eq_ignore_ascii_case("xn") {
            if let Err(reason) = check_a_label(label) {
                out.push(ProblemKind::InvalidPunycode { reason });
            }
        } else {
            out.push(ProblemKind::ReservedLabel);
        }
    }
    out
}

/// Whether a code point lies in one of a table's `[start, end)` ranges.
fn in_table(table: &[(u32, u32)], c: char) -> bool {
    let cp = u32::from(c);
    table
        .binary_search_by(|&(a, b)| {
            if cp < a {
                std::cmp::Ordering::Greater
            } else if cp >= b {
                std::cmp::Ordering::Less
            } else {
                std::cmp::Ordering::Equal
            }
        })
        .is_ok()
}

/// Why a U-label is not valid under IDNA2008 (RFC 5891 §5.4, RFC 5892),
/// if it is not: a code point that is not PVALID (DISALLOWED or
/// UNASSIGNED), or a CONTEXTO code point whose rule (RFC 5892 appendix A)
/// fails. CONTEXTJ (ZWNJ, ZWJ) is left to UTS #46's CheckJoiners, which
/// the `idna` crate applies.
///
/// The decision (issue 13, L2): the `idna` crate implements UTS #46, which
/// lets through symbols such as U+2615 ☕ that IDNA2008 disallows, and
/// registries and CAs apply IDNA2008. So csrkit checks every U-label
/// against the derived property table of RFC 5892, embedded in
/// `idna2008_table.rs` (generated from the Python `idna` package's copy of
/// IANA's tables by `data/idna2008.py`), in both `generate` and
/// `validate`.
pub fn idna2008_problem(label: &str) -> Option<String> {
    use idna2008_table as t;
    let chars: Vec<char> = label.chars().collect();
    let in_script = |c: char, script: &[(u32, u32)]| in_table(script, c);
    for (i, &c) in chars.iter().enumerate() {
        if in_table(t::PVALID, c) || in_table(t::CONTEXTJ, c) {
            continue;
        }
        let ok = if in_table(t::CONTEXTO, c) {
            match c {
                '\u{00b7}' => i > 0 && chars[i - 1] == 'l' && chars.get(i + 1) == Some(&'l'),
                '\u{0375}' => chars.get(i + 1).is_some_and(|&n| in_script(n, t::GREEK)),
                '\u{05f3}' | '\u{05f4}' => i > 0 && in_script(chars[i - 1], t::HEBREW),
                '\u{30fb}' => chars.iter().any(|&x| {
                    x != '\u{30fb}'
                        && (in_script(x, t::HIRAGANA)
                            || in_script(x, t::KATAKANA)
                            || in_script(x, t::HAN))
                }),
                '\u{0660}'..='\u{0669}' => {
                    !chars.iter().any(|x| ('\u{06f0}'..='\u{06f9}').contains(x))
                }
                '\u{06f0}'..='\u{06f9}' => {
                    !chars.iter().any(|x| ('\u{0660}'..='\u{0669}').contains(x))
                }
                _ => false,
            }
        } else {
            return Some(format!(
                "U+{:04X} {c:?} is DISALLOWED by IDNA2008 (RFC 5892)",
                u32::from(c)
            ));
        };
        if !ok {
            return Some(format!(
                "U+{:04X} {c:?} is CONTEXTO and its context rule fails (RFC 5892 appendix A)",
                u32::from(c)
            ));
        }
    }
    None
}

/// Whether an `xn--` label is the A-label of a valid U-label: it decodes,
/// the result is valid under UTS #46 and under IDNA2008, and converting
/// back gives the same label.
fn check_a_label(label: &str) -> Result<(), String> {
    let lower = label.to_ascii_lowercase();
    let (unicode, result) = idna::domain_to_unicode(&lower);
    if result.is_err() {
        return Err("the Punycode does not decode to a valid Unicode label".into());
    }
    if unicode.is_ascii() {
        return Err(format!("it decodes to the plain ASCII label {unicode:?}"));
    }
    if let Some(why) = idna2008_problem(&unicode) {
        return Err(format!(
            "its U-label {unicode:?} is not valid IDNA2008: {why}"
        ));
    }
    match idna::domain_to_ascii_strict(&unicode) {
        Ok(back) if back == lower => Ok(()),
        Ok(back) => Err(format!("it is not in canonical form (expected {back:?})")),
        Err(_) => Err(format!("its Unicode form {unicode:?} is not a valid label")),
    }
}

/// Converts what a person typed to A-label form, label by label, so an error
/// can name the label.
fn to_ascii(input: &str) -> Result<String, NameError> {
    if input.is_ascii() {
        return Ok(input.to_ascii_lowercase());
    }
    // The separators UTS #46 maps to '.'.
    let dotted: String = input
        .chars()
        .map(|c| match c {
            '\u{3002}' | '\u{FF0E}' | '\u{FF61}' => '.',
            c => c,
        })
        .collect();
    let mut labels = Vec::new();
    for label in dotted.split('.') {
        if label.is_ascii() {
            labels.push(label.to_ascii_lowercase());
            continue;
        }
        match idna::domain_to_ascii_strict(label) {
            Ok(ascii) if !ascii.contains('.') => labels.push(ascii),
            Ok(_) => {
                return Err(NameError {
                    input: input.to_owned(),
                    problem: Problem {
                        label: Some(label.to_owned()),
                        kind: ProblemKind::InvalidUnicode {
                            reason: "it maps to more than one label".into(),
                        },
                    },
                });
            }
            Err(_) => {
                // The non-strict conversion has no length limit: a label
                // whose A-label is too long gets that reason.
                let kind = match idna::domain_to_ascii(label) {
                    Ok(a) if !a.contains('.') && a.len() > MAX_LABEL_LEN => {
                        ProblemKind::LabelTooLong { len: a.len() }
                    }
                    _ => ProblemKind::InvalidUnicode {
                        reason: unicode_reason(label),
                    },
                };
                return Err(NameError {
                    input: input.to_owned(),
                    problem: Problem {
                        label: Some(label.to_owned()),
                        kind,
                    },
                });
            }
        }
    }
    Ok(labels.join("."))
}

/// A human reason why UTS #46 refuses a Unicode label.
fn unicode_reason(label: &str) -> String {
    if let Some(c) = label.chars().find(|c| c.is_whitespace() || c.is_control()) {
        return format!("it contains the character {c:?}");
    }
    "it holds characters IDNA does not allow in host names (see UTS #46 \
     and RFC 5892)"
        .into()
}

/// The name with every A-label shown in Unicode; labels that do not decode
/// are left as they are.
pub fn to_unicode(ascii: &str) -> String {
    ascii
        .split('.')
        .map(|label| {
            if label.len() > 4 && label[..4].eq_ignore_ascii_case("xn--") {
                let (u, result) = idna::domain_to_unicode(label);
                if result.is_ok() {
                    return u;
                }
            }
            label.to_owned()
        })
        .collect::<Vec<_>>()
        .join(".")
}

/// Text from an untrusted source (a CSR's subject or names, a file name)
/// made safe to print to a terminal, a CI log or a GitHub workflow
/// command: C0 and C1 control characters (ESC, BEL, CR, LF, NUL, DEL,
/// U+0080–U+009F), the bidirectional controls (U+202A–U+202E,
/// U+2066–U+2069, U+200E, U+200F, U+061C) and the line and paragraph
/// separators (U+2028, U+2029) are written as Rust escapes (`\n`, `\t`,
/// `\u{1b}`, `\u{202e}`); everything else is left as it is. This is the one
/// escaping function of every human and GitHub output of csrkit; JSON and
/// SARIF keep the exact text (serde escapes control characters there).
///
/// ```
/// use csrkit_names::display_safe;
///
/// assert_eq!(display_safe("example.com"), "example.com");
/// assert_eq!(display_safe("a\n::error::x"), "a\\n::error::x");
/// assert_eq!(display_safe("ex\u{1b}]0;t\u{7}"), "ex\\u{1b}]0;t\\u{7}");
/// assert_eq!(display_safe("abc\u{202e}fed"), "abc\\u{202e}fed");
/// ```
pub fn display_safe(text: &str) -> std::borrow::Cow<'_, str> {
    fn unsafe_char(c: char) -> bool {
        c.is_control()
            || matches!(
                c,
                '\u{202a}'..='\u{202e}'
                    | '\u{2066}'..='\u{2069}'
                    | '\u{200e}'
                    | '\u{200f}'
                    | '\u{061c}'
                    | '\u{2028}'
                    | '\u{2029}'
            )
    }
    if !text.chars().any(unsafe_char) {
        return std::borrow::Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len() + 16);
    for c in text.chars() {
        match c {
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '\0' => out.push_str("\\0"),
            c if unsafe_char(c) => {
                use std::fmt::Write as _;
                let _ = write!(out, "\\u{{{:x}}}", u32::from(c));
            }
            c => out.push(c),
        }
    }
    std::borrow::Cow::Owned(out)
}

/// Whether the text is an IPv4 or IPv6 address (also bracketed IPv6, and
/// IPv4 with a trailing dot).
pub fn is_ip_address(text: &str) -> bool {
    let t = text.strip_suffix('.').unwrap_or(text);
    let t = t
        .strip_prefix('[')
        .and_then(|t| t.strip_suffix(']'))
        .unwrap_or(t);
    t.parse::<IpAddr>().is_ok() || t.parse::<Ipv4Addr>().is_ok()
}

/// The officially assigned ISO 3166-1 alpha-2 country codes (249, from the
/// ISO 3166 Maintenance Agency's list; user-assigned codes such as `XX`
/// and exceptional reservations such as `UK` are not among them).
const ISO_3166_ALPHA2: [&str; 249] = [
    "AD", "AE", "AF", "AG", "AI", "AL", "AM", "AO", "AQ", "AR", "AS", "AT", "AU", "AW", "AX", "AZ",
    "BA", "BB", "BD", "BE", "BF", "BG", "BH", "BI", "BJ", "BL", "BM", "BN", "BO", "BQ", "BR", "BS",
    "BT", "BV", "BW", "BY", "BZ", "CA", "CC", "CD", "CF", "CG", "CH", "CI", "CK", "CL", "CM", "CN",
    "CO", "CR", "CU", "CV", "CW", "CX", "CY", "CZ", "DE", "DJ", "DK", "DM", "DO", "DZ", "EC", "EE",
    "EG", "EH", "ER", "ES", "ET", "FI", "FJ", "FK", "FM", "FO", "FR", "GA", "GB", "GD", "GE", "GF",
    "GG", "GH", "GI", "GL", "GM", "GN", "GP", "GQ", "GR", "GS", "GT", "GU", "GW", "GY", "HK", "HM",
    "HN", "HR", "HT", "HU", "ID", "IE", "IL", "IM", "IN", "IO", "IQ", "IR", "IS", "IT", "JE", "JM",
    "JO", "JP", "KE", "KG", "KH", "KI", "KM", "KN", "KP", "KR", "KW", "KY", "KZ", "LA", "LB", "LC",
    "LI", "LK", "LR", "LS", "LT", "LU", "LV", "LY", "MA", "MC", "MD", "ME", "MF", "MG", "MH", "MK",
    "ML", "MM", "MN", "MO", "MP", "MQ", "MR", "MS", "MT", "MU", "MV", "MW", "MX", "MY", "MZ", "NA",
    "NC", "NE", "NF", "NG", "NI", "NL", "NO", "NP", "NR", "NU", "NZ", "OM", "PA", "PE", "PF", "PG",
    "PH", "PK", "PL", "PM", "PN", "PR", "PS", "PT", "PW", "PY", "QA", "RE", "RO", "RS", "RU", "RW",
    "SA", "SB", "SC", "SD", "SE", "SG", "SH", "SI", "SJ", "SK", "SL", "SM", "SN", "SO", "SR", "SS",
    "ST", "SV", "SX", "SY", "SZ", "TC", "TD", "TF", "TG", "TH", "TJ", "TK", "TL", "TM", "TN", "TO",
    "TR", "TT", "TV", "TW", "TZ", "UA", "UG", "UM", "US", "UY", "UZ", "VA", "VC", "VE", "VG", "VI",
    "VN", "VU", "WF", "WS", "YE", "YT", "ZA", "ZM", "ZW",
];

/// Whether `code` is an officially assigned ISO 3166-1 alpha-2 country
/// code, in upper case as X.520 countryName and the Baseline Requirements
/// write it (`CN`, `DE`; not `cn`, `CHN` or `XX`).
pub fn is_country_code(code: &str) -> bool {
    ISO_3166_ALPHA2.binary_search(&code).is_ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn kind(input: &str) -> ProblemKind {
        DnsName::parse(input).expect_err(input).problem.kind
    }

    #[test]
    fn accepts_and_normalises() {
        for (input, want) in [
            ("example.com", "example.com"),
            ("WWW.Example.COM", "www.example.com"),
            ("*.example.com", "*.example.com"),
            ("a-b.example.com", "a-b.example.com"),
            ("bücher.example.com", "xn--bcher-kva.example.com"),
            ("例え。テスト", "xn--r8jz45g.xn--zckzah"),
            ("xn--bcher-kva.example.com", "xn--bcher-kva.example.com"),
            ("localhost", "localhost"),
            ("1.example.com", "1.example.com"),
        ] {
            assert_eq!(DnsName::parse(input).expect(input).as_str(), want);
        }
    }

    #[test]
    fn refuses_with_the_label_at_fault() {
        let cases: &[(&str, Option<&str>, ProblemKind)] = &[
            ("exa_mple.com", Some("exa_mple"), ProblemKind::Underscore),
            ("-a.example.com", Some("-a"), ProblemKind::LeadingHyphen),
            ("a-.example.com", Some("a-"), ProblemKind::TrailingHyphen),
            ("a..example.com", None, ProblemKind::EmptyLabel),
            (
                "*.*.example.com",
                Some("*"),
                ProblemKind::WildcardNotLeftmost,
            ),
            (
                "foo.*.example.com",
                Some("*"),
                ProblemKind::WildcardNotLeftmost,
            ),
            ("f*o.example.com", Some("f*o"), ProblemKind::PartialWildcard),
            ("example.com.", None, ProblemKind::TrailingDot),
            (".example.com", None, ProblemKind::LeadingDot),
            ("192.0.2.1", None, ProblemKind::IpAddress),
            ("2001:db8::1", None, ProblemKind::IpAddress),
            ("", None, ProblemKind::Empty),
            ("*", None, ProblemKind::BareWildcard),
            (
                "ab--cd.example.com",
                Some("ab--cd"),
                ProblemKind::ReservedLabel,
            ),
            (
                "a b.example.com",
                Some("a b"),
                ProblemKind::InvalidCharacter { ch: ' ' },
            ),
            ("example.123", Some("123"), ProblemKind::NumericTld),
        ];
        for (input, label, want) in cases {
            let err = DnsName::parse(input).expect_err(input);
            assert_eq!(err.label(), *label, "{input}");
            assert_eq!(err.kind(), want, "{input}");
            assert!(err.to_string().contains(&format!("{input:?}")), "{err}");
        }
    }

    #[test]
    fn idna2008() {
        // UTS #46 lets these through; IDNA2008 does not (issue 13, L2).
        for bad in ["☕.com", "💩.la", "ـ.com", "·.com", "・.jp"] {
            let e = DnsName::parse(bad).expect_err(bad);
            assert!(e.to_string().contains("IDNA2008"), "{bad}: {e}");
        }
        for ok in [
            "bücher.example",
            "l·l.cat",
            "例え.テスト",
            "ああ・あ.jp",
            "münchen.de",
        ] {
            assert!(DnsName::parse(ok).is_ok(), "{ok}");
        }
        // An A-label over 63 octets says so, not "characters IDNA does not allow".
        let long = DnsName::parse("汵駛鎩庱絚魍読鸗顙噣鮄侯訏漲钀毾暋許錾.com").expect_err("64");
        assert!(
            matches!(long.kind(), ProblemKind::LabelTooLong { .. }),
            "{long}"
        );
    }

    #[test]
    fn country_codes() {
        assert!(ISO_3166_ALPHA2.windows(2).all(|w| w[0] < w[1]), "sorted");
        for ok in ["CN", "DE", "US", "GB", "AX", "ZW"] {
            assert!(is_country_code(ok), "{ok}");
        }
        for bad in ["cn", "CHN", "XX", "UK", "C", ""] {
            assert!(!is_country_code(bad), "{bad}");
        }
    }

    #[test]
    fn lengths() {
        let long_label = format!("{}.com", "a".repeat(64));
        assert_eq!(kind(&long_label), ProblemKind::LabelTooLong { len: 64 });
        let ok_label = format!("{}.com", "a".repeat(63));
        assert!(DnsName::parse(&ok_label).is_ok());
        // 254 characters: four labels of 62 plus dots and "com" (4*63+... )
        let name254 = format!(
            "{}.{}.{}.{}.com",
            "a".repeat(61),
            "b".repeat(61),
            "c".repeat(62),
            "d".repeat(63)
        );
        assert_eq!(name254.len(), 254);
        assert_eq!(kind(&name254), ProblemKind::NameTooLong { len: 254 });
        let name253 = &name254[1..];
        assert!(DnsName::parse(name253).is_ok());
    }

    #[test]
    fn punycode() {
        assert!(matches!(
            kind("xn--zz.example.com"),
            ProblemKind::InvalidPunycode { .. }
        ));
        // Decodes to ASCII: not a valid A-label.
        assert!(matches!(
            kind("xn--abc-.example.com"),
            ProblemKind::TrailingHyphen | ProblemKind::InvalidPunycode { .. }
        ));
    }

    #[test]
    fn unicode_round_trip_and_coverage() {
        let n = DnsName::parse("*.Bücher.example").unwrap();
        assert_eq!(n.to_unicode(), "*.bücher.example");
        assert_eq!(n.file_stem(), "_.xn--bcher-kva.example");
        let host = DnsName::parse("www.bücher.example").unwrap();
        let deep = DnsName::parse("a.www.bücher.example").unwrap();
        assert!(n.covers(&host));
        assert!(!n.covers(&deep));
        assert!(!n.covers(&DnsName::parse("bücher.example").unwrap()));
    }

    #[test]
    fn problems_reports_everything_in_order() {
        let p = problems("Exa_mple-.com.");
        let kinds: Vec<_> = p.into_iter().map(|p| p.kind).collect();
        assert_eq!(
            kinds,
            vec![
                ProblemKind::TrailingDot,
                ProblemKind::Underscore,
                ProblemKind::UpperCase,
                ProblemKind::TrailingHyphen
            ]
        );
    }

    proptest::proptest! {
        #[test]
        fn never_panics(s in "\\PC{0,80}") {
            let _ = DnsName::parse(&s);
            let _ = problems(&s);
        }

        #[test]
        fn accepted_names_are_clean_and_idempotent(s in "[a-zA-Z0-9.*_-]{1,70}") {
            if let Ok(name) = DnsName::parse(&s) {
                proptest::prop_assert!(problems(name.as_str()).is_empty());
                let again = DnsName::parse(name.as_str()).unwrap();
                proptest::prop_assert_eq!(again, name);
            }
        }

        #[test]
        fn ldh_names_are_accepted(labels in proptest::collection::vec("[a-z][a-z0-9]{0,20}", 2..5)) {
            let name = labels.join(".");
            proptest::prop_assert!(DnsName::parse(&name).is_ok(), "{}", name);
        }
    }
}
