//! [`GetFuture`]: what [`TokenStore::get`](super::TokenStore::get) returns.

use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};

use super::{StoreError, TokenRecord};

/// The output of [`TokenStore::get`](super::TokenStore::get).
pub type GetResult = Result<Option<TokenRecord>, StoreError>;

/// The future [`TokenStore::get`](super::TokenStore::get) returns: complete at once when the
/// store holds its records in memory (no allocation, no waiting), boxed otherwise.
///
/// Await it like any future. An implementation of
/// [`TokenStore`](super::TokenStore) builds one with [`ready`](Self::ready) or
/// [`new`](Self::new):
///
/// ```
/// use meta_messaging::token::{GetFuture, TokenKey};
///
/// # #[derive(Debug)] struct Vault;
/// # impl Vault { async fn fetch(&self, _: &TokenKey) -> meta_messaging::token::GetResult { Ok(None) } }
/// # impl Vault {
/// fn get<'a>(&'a self, key: &'a TokenKey) -> GetFuture<'a> {
///     GetFuture::new(async move { self.fetch(key).await })
/// }
/// # }
/// ```
#[must_use = "futures do nothing unless awaited"]
pub struct GetFuture<'a>(State<'a>);

enum State<'a> {
    Ready(Option<GetResult>),
    Pending(Pin<Box<dyn Future<Output = GetResult> + Send + 'a>>),
}

impl<'a> GetFuture<'a> {
    /// A result known at once.
    #[inline]
    pub fn ready(result: GetResult) -> Self {
        Self(State::Ready(Some(result)))
    }

    /// A result that needs waiting (boxed).
    pub fn new(future: impl Future<Output = GetResult> + Send + 'a) -> Self {
        Self(State::Pending(Box::pin(future)))
    }
}

impl Future for GetFuture<'_> {
    type Output = GetResult;

    /// # Panics
    ///
    /// When polled again after it completed (as [`std::future::Ready`] does).
    #[inline]
    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<GetResult> {
        match &mut self.get_mut().0 {
            State::Ready(result) => Poll::Ready(result.take().expect("GetFuture polled after completion")),
            State::Pending(future) => future.as_mut().poll(cx),
        }
    }
}

impl fmt::Debug for GetFuture<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let state = match &self.0 {
            State::Ready(Some(_)) => "ready",
            State::Ready(None) => "done",
            State::Pending(_) => "pending",
        };
        f.debug_tuple("GetFuture").field(&state).finish()
    }
}

#[cfg(test)]
mod tests {
    use std::future::Future;
    use std::pin::pin;
    use std::task::{Context, Poll, Waker};

    use super::*;

    #[test]
    fn ready_and_boxed_futures_yield_their_result_and_never_show_it() {
        let mut cx = Context::from_waker(Waker::noop());
        let mut ready = pin!(GetFuture::ready(Ok(None)));
        assert_eq!(format!("{ready:?}"), "GetFuture(\"ready\")");
        assert!(matches!(ready.as_mut().poll(&mut cx), Poll::Ready(Ok(None))));
        assert_eq!(format!("{ready:?}"), "GetFuture(\"done\")");

        let mut boxed = pin!(GetFuture::new(async { Err(StoreError::decrypt()) }));
        assert_eq!(format!("{boxed:?}"), "GetFuture(\"pending\")");
        match boxed.as_mut().poll(&mut cx) {
            Poll::Ready(Err(error)) => assert_eq!(error.kind(), crate::store::StoreErrorKind::Decrypt),
            other => panic!("expected the boxed error, got {other:?}"),
        }
    }
}
