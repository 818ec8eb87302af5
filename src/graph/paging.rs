//! Cursor pagination over Graph `paging` objects.
//!
//! List edges answer `{"data": [...], "paging": {"cursors": {"before", "after"}, "next",
//! "previous"}}`. The last page has no `next`. [`GraphRequest::pages`] and
//! [`GraphRequest::items`] follow the pages lazily as a stream: with cursors the same request is
//! repeated with `after`; without them the `next` link is followed, but only on the Graph host
//! itself and with any `access_token` in it removed (the bearer header carries the token).

use std::pin::Pin;

use futures_util::stream::{self, Stream, TryStreamExt};
use serde::Deserialize;
use serde::de::DeserializeOwned;
use url::Url;

use super::request::{GraphRequest, Target};
use super::{Error, Result};

/// One page of a list edge.
#[derive(Clone, Debug, Deserialize, PartialEq)]
#[non_exhaustive]
pub struct Page<T> {
    /// The items of this page.
    #[serde(default = "Vec::new")]
    pub data: Vec<T>,
    /// Links and cursors to the neighbouring pages.
    #[serde(default)]
    pub paging: Option<Paging>,
    /// The `summary` object some edges add (`summary=total_count`).
    #[serde(default)]
    pub summary: Option<serde_json::Value>,
}

impl<T> Page<T> {
    /// Whether a next page exists.
    pub fn has_next(&self) -> bool {
        self.paging.as_ref().is_some_and(|p| p.next.is_some())
    }
}

/// The `paging` object of a [`Page`].
#[derive(Clone, Debug, Default, Deserialize, PartialEq, Eq)]
#[serde(default)]
#[non_exhaustive]
pub struct Paging {
    /// Opaque cursors.
    pub cursors: Option<Cursors>,
    /// The full URL of the next page; absent on the last page.
    pub next: Option<String>,
    /// The full URL of the previous page.
    pub previous: Option<String>,
}

/// `before` and `after` cursors.
#[derive(Clone, Debug, Default, Deserialize, PartialEq, Eq)]
#[serde(default)]
#[non_exhaustive]
pub struct Cursors {
    /// Cursor of the first item of the page.
    pub before: Option<String>,
    /// Cursor of the last item of the page.
    pub after: Option<String>,
}

/// A boxed stream, as returned by [`GraphRequest::pages`] and [`GraphRequest::items`].
pub type BoxStream<T> = Pin<Box<dyn Stream<Item = Result<T>> + Send>>;

impl<T> GraphRequest<Page<T>>
where
    T: DeserializeOwned + Send + 'static,
{
    /// Streams every page, starting with this request's, until a page has no `next` link or a
    /// request fails (the error is the stream's last item).
    ///
    /// ```no_run
    /// # async fn run(client: meta_messaging::Client) -> Result<(), meta_messaging::Error> {
    /// use futures_util::TryStreamExt;
    /// use meta_messaging::graph::Page;
    ///
    /// let mut pages = client.get::<Page<serde_json::Value>>("/1234/message_templates").pages();
    /// while let Some(page) = pages.try_next().await? {
    ///     println!("{} templates", page.data.len());
    /// }
    /// # Ok(()) }
    /// ```
    pub fn pages(self) -> BoxStream<Page<T>> {
        // The state is the next request, or the error found while deriving it: that error is
        // yielded after the page it came from, not instead of it.
        Box::pin(stream::try_unfold(Some(Ok(self)), |state| async move {
            let request = match state {
                None => return Ok(None),
                Some(Err(error)) => return Err(error),
                Some(Ok(request)) => request,
            };
            let template = request.clone();
            let page = request.send().await?;
            let next = template.next_page(&page).transpose();
            Ok(Some((page, next)))
        }))
    }

    /// Streams the items of every page, in order.
    pub fn items(self) -> BoxStream<T> {
        Box::pin(self.pages().map_ok(|page| stream::iter(page.data.into_iter().map(Ok))).try_flatten())
    }

    /// The request for the page after `page`, if there is one.
    fn next_page(mut self, page: &Page<T>) -> Result<Option<Self>> {
        let Some(paging) = &page.paging else {
            return Ok(None);
        };
        let Some(next) = &paging.next else {
            return Ok(None);
        };
        let spec = self.spec_mut();
        if let Some(after) = paging.cursors.as_ref().and_then(|c| c.after.as_deref()) {
            if matches!(spec.target, Target::Graph { .. }) {
                spec.query.retain(|(k, _)| k != "after" && k != "before");
                spec.query.push(("after".into(), after.to_owned()));
                return Ok(Some(self));
            }
        }
        let url = Url::parse(next).map_err(|_| Error::config("the next page link is not a valid url"))?;
        if !self.client().is_graph_url(&url) {
            return Err(Error::config("the next page link points outside the graph api host"));
        }
        let spec = self.spec_mut();
        spec.target = Target::Absolute(strip_credentials(url));
        spec.query.clear();
        spec.secret_query.clear();
        Ok(Some(self))
    }
}

/// Removes `access_token` and `appsecret_proof` from a link Meta returned.
fn strip_credentials(mut url: Url) -> Url {
    let kept: Vec<(String, String)> = url
        .query_pairs()
        .filter(|(k, _)| k != "access_token" && k != "appsecret_proof")
        .map(|(k, v)| (k.into_owned(), v.into_owned()))
        .collect();
    if kept.is_empty() {
        url.set_query(None);
    } else {
        url.query_pairs_mut().clear().extend_pairs(kept);
    }
    url
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn strips_tokens_from_links() {
        let url = Url::parse("https://graph.facebook.com/v25.0/1/x?access_token=EAAsecret&limit=2&after=QVF&appsecret_proof=ab")
            .unwrap();
        assert_eq!(strip_credentials(url).as_str(), "https://graph.facebook.com/v25.0/1/x?limit=2&after=QVF");
        let bare = Url::parse("https://graph.facebook.com/v25.0/1/x?access_token=t").unwrap();
        assert_eq!(strip_credentials(bare).as_str(), "https://graph.facebook.com/v25.0/1/x");
    }

    #[test]
    fn pages_deserialize_with_missing_parts() {
        let page: Page<u32> = serde_json::from_str(r#"{"data":[1,2]}"#).unwrap();
        assert_eq!(page.data, [1, 2]);
        assert!(!page.has_next());
        let page: Page<u32> =
            serde_json::from_str(r#"{"data":[],"paging":{"cursors":{"after":"A"},"next":"n"}}"#).unwrap();
        assert!(page.has_next());
    }
}
