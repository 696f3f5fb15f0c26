//! Connections: which are open, which hold a request, and which to close when the process runs
//! out of file descriptors.
//!
//! Slow clients are bounded three ways (attack-sandbox F05): hyper's header timer closes a
//! connection that does not send a request head in time (a new one, or a kept-alive one that
//! went idle), the body read has its own timeout (`server.rs`), and when `accept` fails for
//! want of descriptors the oldest connection that is not being worked on is closed to make
//! room, so that a few hundred half-open sockets cannot lock every other client out.
//!
//! [`Stats::api_in_flight`](crate::Stats::api_in_flight) counts a request from its first byte:
//! the stream wrapper marks the connection busy when bytes arrive, and the request's end (its
//! answer, or the connection's end) marks it idle again.

use std::collections::HashMap;
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::task::{Context, Poll};

use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::task::AbortHandle;

/// All open connections and the in-flight counter.
#[derive(Debug, Default)]
pub(crate) struct Tracker {
    in_flight: AtomicU64,
    next_id: AtomicU64,
    conns: Mutex<HashMap<u64, Entry>>,
}

#[derive(Debug)]
struct Entry {
    state: Arc<ConnState>,
    abort: Option<AbortHandle>,
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}

impl Tracker {
    /// Requests between their first byte and their answer.
    pub(crate) fn in_flight(&self) -> u64 {
        self.in_flight.load(Ordering::SeqCst)
    }

    /// Open connections.
    pub(crate) fn open_connections(&self) -> usize {
        lock(&self.conns).len()
    }

    /// Registers a new connection.
    pub(crate) fn open(self: &Arc<Self>) -> Arc<ConnState> {
        let id = self.next_id.fetch_add(1, Ordering::SeqCst);
        let state = Arc::new(ConnState {
            id,
            tracker: self.clone(),
            active: AtomicBool::new(false),
            processing: AtomicBool::new(false),
        });
        lock(&self.conns).insert(
            id,
            Entry {
                state: state.clone(),
                abort: None,
            },
        );
        state
    }

    /// Gives the connection's task handle, so that it can be closed to make room.
    pub(crate) fn set_abort(&self, conn: &ConnState, abort: AbortHandle) {
        if let Some(e) = lock(&self.conns).get_mut(&conn.id) {
            e.abort = Some(abort);
        }
    }

    /// The connection's task ended (or was aborted).
    fn close(&self, id: u64) {
        lock(&self.conns).remove(&id);
    }

    /// Closes the oldest connection that is not working on a request (it is idle, or still
    /// sending a request's head or body). False when there is none.
    pub(crate) fn evict_oldest_waiting(&self) -> bool {
        let mut conns = lock(&self.conns);
        let victim = conns
            .iter()
            .filter(|(_, e)| e.abort.is_some() && !e.state.processing.load(Ordering::SeqCst))
            .map(|(id, _)| *id)
            .min();
        let Some(id) = victim else {
            return false;
        };
        if let Some(e) = conns.remove(&id)
            && let Some(a) = e.abort
        {
            a.abort();
        }
        true
    }
}

/// One connection's state.
#[derive(Debug)]
pub(crate) struct ConnState {
    id: u64,
    tracker: Arc<Tracker>,
    /// A request is in flight (counted in [`Tracker::in_flight`]).
    active: AtomicBool,
    /// Its request was read and is being worked on: not to be closed to make room.
    processing: AtomicBool,
}

impl ConnState {
    /// A request started (its first byte arrived, or its handler began): counted once.
    pub(crate) fn begin(&self) {
        if !self.active.swap(true, Ordering::SeqCst) {
            self.tracker.in_flight.fetch_add(1, Ordering::SeqCst);
        }
    }

    /// The request ended (answered, dropped, or found not to be an API request).
    pub(crate) fn end(&self) {
        self.processing.store(false, Ordering::SeqCst);
        if self.active.swap(false, Ordering::SeqCst) {
            self.tracker.in_flight.fetch_sub(1, Ordering::SeqCst);
        }
    }

    /// The request was read in full and is being worked on.
    pub(crate) fn processing(&self) {
        self.processing.store(true, Ordering::SeqCst);
    }

    /// Counts a request until the guard drops (at its answer, or when hyper drops the request
    /// of a closed connection).
    pub(crate) fn request(self: &Arc<Self>) -> RequestGuard {
        self.begin();
        RequestGuard(self.clone())
    }

    /// Removes the connection from the tracker when the guard drops (its task ended or was
    /// aborted).
    pub(crate) fn task_guard(self: &Arc<Self>) -> TaskGuard {
        TaskGuard(self.clone())
    }
}

/// See [`ConnState::request`].
#[derive(Debug)]
pub(crate) struct RequestGuard(Arc<ConnState>);

impl Drop for RequestGuard {
    fn drop(&mut self) {
        self.0.end();
    }
}

/// See [`ConnState::task_guard`].
#[derive(Debug)]
pub(crate) struct TaskGuard(Arc<ConnState>);

impl Drop for TaskGuard {
    fn drop(&mut self) {
        self.0.end();
        self.0.tracker.close(self.0.id);
    }
}

/// A stream that marks its connection's request as started when bytes arrive.
#[derive(Debug)]
pub(crate) struct Counted<S> {
    inner: S,
    state: Arc<ConnState>,
}

impl<S> Counted<S> {
    pub(crate) fn new(inner: S, state: Arc<ConnState>) -> Self {
        Counted { inner, state }
    }
}

impl<S: AsyncRead + Unpin> AsyncRead for Counted<S> {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<std::io::Result<()>> {
        let before = buf.filled().len();
        let r = Pin::new(&mut self.inner).poll_read(cx, buf);
        if matches!(r, Poll::Ready(Ok(()))) && buf.filled().len() > before {
            self.state.begin();
        }
        r
    }
}

impl<S: AsyncWrite + Unpin> AsyncWrite for Counted<S> {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<std::io::Result<usize>> {
        Pin::new(&mut self.inner).poll_write(cx, buf)
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.inner).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.inner).poll_shutdown(cx)
    }

    fn poll_write_vectored(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[std::io::IoSlice<'_>],
    ) -> Poll<std::io::Result<usize>> {
        Pin::new(&mut self.inner).poll_write_vectored(cx, bufs)
    }

    fn is_write_vectored(&self) -> bool {
        self.inner.is_write_vectored()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn counts_once_per_request_and_evicts_the_oldest_idle() {
        let t = Arc::new(Tracker::default());
        let a = t.open();
        let b = t.open();
        let ta = tokio::spawn(std::future::pending::<()>());
        let tb = tokio::spawn(std::future::pending::<()>());
        t.set_abort(&a, ta.abort_handle());
        t.set_abort(&b, tb.abort_handle());
        a.begin();
        a.begin();
        assert_eq!(t.in_flight(), 1);
        {
            let _g = b.request();
            assert_eq!(t.in_flight(), 2);
            b.processing();
            // a is older but b is working: a goes
            assert!(t.evict_oldest_waiting());
            assert!(ta.await.is_err_and(|e| e.is_cancelled()));
            assert_eq!(t.open_connections(), 1);
            // b is busy: nothing to evict
            assert!(!t.evict_oldest_waiting());
        }
        assert_eq!(
            t.in_flight(),
            1,
            "a's request still counts until its task ends"
        );
        drop(a.task_guard());
        assert_eq!(t.in_flight(), 0);
        assert!(t.evict_oldest_waiting(), "b is idle again");
        assert!(tb.await.is_err_and(|e| e.is_cancelled()));
    }
}
