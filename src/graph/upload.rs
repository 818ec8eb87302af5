//! Meta's resumable upload API: a session for a file, its bytes sent (and resumed from an
//! offset), and the file handle it answers, which template header samples and profile pictures
//! take. Per Meta's [Resumable Upload API](https://developers.facebook.com/docs/graph-api/guides/upload).

use bytes::Bytes;
use reqwest::Method;
use serde::Deserialize;

use super::request::{Body, RequestSpec};
use super::serde_util::opt_integer_or_string;
use super::{Client, GraphRequest, Host, Result, ValidationError, Violation};

/// An open upload session.
#[derive(Clone, Debug, Default, PartialEq, Eq, Deserialize)]
#[serde(default)]
#[non_exhaustive]
pub struct UploadSession {
    /// Its id (`upload:…`, with its signature).
    pub id: String,
}

/// An uploaded file's handle.
#[derive(Clone, Debug, Default, PartialEq, Eq, Deserialize)]
#[serde(default)]
#[non_exhaustive]
pub struct FileHandle {
    /// The handle (`4::aW1hZ2U…`).
    pub h: String,
}

/// How far an upload got.
#[derive(Clone, Debug, Default, PartialEq, Eq, Deserialize)]
#[serde(default)]
#[non_exhaustive]
pub struct UploadStatus {
    /// The session.
    pub id: String,
    /// Bytes received: resume from here.
    #[serde(deserialize_with = "opt_integer_or_string")]
    pub file_offset: Option<i64>,
}

/// A request on an upload session: its id is a path with a `sig` query, sent as given.
fn session_spec(method: Method, session_id: &str) -> RequestSpec {
    let (path, query) = session_id.split_once('?').unwrap_or((session_id, ""));
    let mut spec = RequestSpec::new(method, Host::Facebook, path.to_owned());
    if !path.starts_with("upload:") || path.contains('/') {
        spec.fail(
            ValidationError::new("upload_session_id", Violation::Invalid("an upload:… session id".into()))
                .into(),
        );
    }
    for (key, value) in url::form_urlencoded::parse(query.as_bytes()) {
        spec.query.push((key.into_owned().into(), value.into_owned()));
    }
    spec.oauth_scheme = true;
    spec
}

impl Client {
    /// Opens an upload session for a file of `file_length` bytes (`POST /{app-id}/uploads`).
    pub fn start_upload(
        &self,
        app_id: impl Into<String>,
        file_name: impl Into<String>,
        file_length: u64,
        file_type: impl Into<String>,
    ) -> GraphRequest<UploadSession> {
        let mut spec = RequestSpec::node(Method::POST, &app_id.into(), Some("uploads"));
        spec.query.push(("file_name".into(), file_name.into()));
        spec.query.push(("file_length".into(), file_length.to_string()));
        spec.query.push(("file_type".into(), file_type.into()));
        if file_length == 0 {
            spec.fail(ValidationError::new("file_length", Violation::Missing).into());
        }
        GraphRequest::from_spec(self.clone(), spec)
    }

    /// Sends the file's bytes from `offset` (0, or where [`upload_status`](Self::upload_status)
    /// says the upload stopped); answers the file handle.
    pub fn upload_bytes(
        &self,
        session_id: &str,
        file: impl Into<Bytes>,
        offset: u64,
    ) -> GraphRequest<FileHandle> {
        let mut spec = session_spec(Method::POST, session_id);
        spec.body = Body::Upload { bytes: file.into(), offset };
        // Sending the same bytes from the same offset again is harmless.
        spec.idempotent = true;
        GraphRequest::from_spec(self.clone(), spec)
    }

    /// How many bytes of an upload Meta has.
    pub fn upload_status(&self, session_id: &str) -> GraphRequest<UploadStatus> {
        GraphRequest::from_spec(self.clone(), session_spec(Method::GET, session_id))
    }

    /// Uploads a whole file: opens a session and sends the bytes; answers the handle.
    ///
    /// # Errors
    ///
    /// Any error of the two calls.
    pub async fn upload_file(
        &self,
        app_id: impl Into<String>,
        file_name: impl Into<String>,
        file_type: impl Into<String>,
        file: impl Into<Bytes>,
    ) -> Result<FileHandle> {
        let file = file.into();
        let session = self.start_upload(app_id, file_name, file.len() as u64, file_type).await?;
        self.upload_bytes(&session.id, file, 0).await
    }
}
