//! One DNS exchange with one server: the only place that talks DNS on the
//! wire. UDP first, TCP when the answer is truncated; an UPDATE is signed with
//! TSIG and its answer's signature checked (by hickory).

use std::net::SocketAddr;
use std::time::Duration;

use futures_util::StreamExt;
use hickory_net::NetError;
use hickory_net::client::Client;
use hickory_net::runtime::TokioRuntimeProvider;
use hickory_net::tcp::TcpClientStream;
use hickory_net::udp::UdpClientStream;
use hickory_net::xfer::{DnsHandle, DnsMultiplexer, DnsRequestSender};
use hickory_proto::op::{
    DEFAULT_MAX_PAYLOAD_LEN, DnsRequest, DnsRequestOptions, Edns, Message, Query, ResponseCode,
};
use hickory_proto::rr::{Name, RData, Record, RecordType, TSigner};

/// An answer, reduced to what csrkit reads.
#[derive(Debug, Clone)]
pub(crate) struct Answer {
    pub(crate) rcode: ResponseCode,
    /// The AA flag.
    pub(crate) authoritative: bool,
    pub(crate) answers: Vec<Record>,
    pub(crate) authorities: Vec<Record>,
}

impl Answer {
    fn from_message(m: &Message) -> Self {
        Answer {
            rcode: m.metadata.response_code,
            authoritative: m.metadata.authoritative,
            answers: m.answers.clone(),
            authorities: m.authorities.clone(),
        }
    }

    /// The SOA record in the answer or authority section, with its owner.
    pub(crate) fn soa_owner(&self) -> Option<Name> {
        self.answers
            .iter()
            .chain(self.authorities.iter())
            .find(|r| matches!(r.data, RData::SOA(_)))
            .map(|r| r.name.clone())
    }
}

/// Why no usable answer came: `.1` is true when an answer arrived but could
/// not be read or verified (e.g. a TSIG error the server sent unsigned),
/// false when none arrived.
#[derive(Debug, Clone)]
pub(crate) struct NetFailure(pub(crate) String, pub(crate) bool);

impl std::fmt::Display for NetFailure {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

/// Sends one query: `recursion` sets the RD bit (a resolver); without it the
/// server answers from its own data (an authoritative server).
pub(crate) async fn query(
    server: SocketAddr,
    name: &Name,
    rtype: RecordType,
    recursion: bool,
    timeout: Duration,
) -> Result<Answer, NetFailure> {
    let mut message = Message::query();
    message.add_query(Query::query(name.clone(), rtype));
    message.metadata.recursion_desired = recursion;
    message
        .edns
        .get_or_insert_with(Edns::new)
        .set_max_payload(DEFAULT_MAX_PAYLOAD_LEN)
        .set_version(0);
    exchange(server, message, None, timeout).await
}

/// Sends `message` (a query or an UPDATE) and returns the answer; signs it
/// with `signer` when given.
pub(crate) async fn exchange(
    server: SocketAddr,
    message: Message,
    signer: Option<TSigner>,
    timeout: Duration,
) -> Result<Answer, NetFailure> {
    let mut options = DnsRequestOptions::default();
    options.recursion_desired = message.metadata.recursion_desired;
    options.use_edns = true;
    let provider = TokioRuntimeProvider::default();
    let udp = UdpClientStream::builder(server, provider.clone())
        .with_timeout(Some(timeout))
        .with_signer(signer.clone())
        .build();
    let first = send_with(udp, message.clone(), options, timeout, server).await?;
    if !first.1 {
        return Ok(first.0);
    }
    // Truncated: ask again over TCP.
    let (connect, handle) = TcpClientStream::new(server, None, Some(timeout), provider);
    let stream = match tokio::time::timeout(timeout, connect).await {
        Ok(Ok(s)) => s,
        Ok(Err(e)) => return Err(NetFailure(format!("TCP to {server}: {e}"), false)),
        Err(_) => return Err(NetFailure(format!("TCP to {server}: timed out"), false)),
    };
    let mut mux = DnsMultiplexer::new(stream, handle).with_timeout(timeout);
    if let Some(s) = signer {
        mux = mux.with_signer(s);
    }
    send_with(mux, message, options, timeout, server)
        .await
        .map(|(a, _)| a)
}

async fn send_with<S: DnsRequestSender>(
    sender: S,
    message: Message,
    options: DnsRequestOptions,
    timeout: Duration,
    server: SocketAddr,
) -> Result<(Answer, bool), NetFailure> {
    let (client, bg) = Client::<TokioRuntimeProvider>::from_sender(sender);
    let bg = tokio::spawn(bg);
    let mut stream = client.send(DnsRequest::new(message, options));
    let got = tokio::time::timeout(timeout, stream.next()).await;
    drop(stream);
    drop(client);
    bg.abort();
    match got {
        Err(_) => Err(NetFailure(
            format!("no answer from {server} within {timeout:?}"),
            false,
        )),
        Ok(None) => Err(NetFailure(format!("no answer from {server}"), false)),
        Ok(Some(Err(e))) => {
            let answered = matches!(e, NetError::Proto(_) | NetError::Dns(_));
            Err(NetFailure(format!("{server}: {e}"), answered))
        }
        Ok(Some(Ok(resp))) => {
            let truncated = resp.metadata.truncation;
            Ok((Answer::from_message(&resp), truncated))
        }
    }
}

/// The text of a record's data as csrkit compares it: TXT strings joined
/// (RFC 7208 §3.3 style, no separator), a CNAME target without the final
/// dot and in lower case; `None` for other types.
pub(crate) fn record_text(r: &Record) -> Option<(RecordType, String)> {
    match &r.data {
        RData::TXT(txt) => {
            let mut joined = Vec::new();
            for s in txt.txt_data.iter() {
                joined.extend_from_slice(s);
            }
            Some((
                RecordType::TXT,
                String::from_utf8_lossy(&joined).into_owned(),
            ))
        }
        RData::CNAME(c) => Some((RecordType::CNAME, name_text(&c.0))),
        _ => None,
    }
}

/// An RCODE's mnemonic as dig prints it (`SERVFAIL`, `REFUSED`, ...).
pub(crate) fn rcode_text(code: ResponseCode) -> String {
    match code {
        ResponseCode::NoError => "NOERROR".into(),
        ResponseCode::FormErr => "FORMERR".into(),
        ResponseCode::ServFail => "SERVFAIL".into(),
        ResponseCode::NXDomain => "NXDOMAIN".into(),
        ResponseCode::NotImp => "NOTIMP".into(),
        ResponseCode::Refused => "REFUSED".into(),
        ResponseCode::YXDomain => "YXDOMAIN".into(),
        ResponseCode::YXRRSet => "YXRRSET".into(),
        ResponseCode::NXRRSet => "NXRRSET".into(),
        ResponseCode::NotAuth => "NOTAUTH".into(),
        ResponseCode::NotZone => "NOTZONE".into(),
        other => format!("{other:?}").to_ascii_uppercase(),
    }
}

/// A name as csrkit writes it: lower case, no final dot.
pub(crate) fn name_text(n: &Name) -> String {
    let s = n.to_ascii().to_ascii_lowercase();
    s.strip_suffix('.').unwrap_or(&s).to_string()
}

/// A name from csrkit's text form (no final dot) as a fully qualified name.
pub(crate) fn fqdn(text: &str) -> Result<Name, String> {
    let mut n = Name::from_ascii(text).map_err(|e| format!("{text:?} is not a DNS name: {e}"))?;
    n.set_fqdn(true);
    Ok(n)
}
