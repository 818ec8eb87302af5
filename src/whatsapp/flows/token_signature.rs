//! `flow_token_signature`: the HS256 JWT Meta adds to decrypted data-endpoint requests from data
//! API version `4.0` (Flow JSON `7.3` and later), signed with the app secret, whose `flow_token`
//! claim is the request's flow token.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde::Deserialize;

use super::endpoint::FlowError;
use crate::secret::HmacKeys;

/// The longest token accepted: a JWT of a flow token is a few hundred bytes.
const MAX_JWT_LEN: usize = 8 * 1024;

#[derive(Deserialize)]
struct Header {
    alg: String,
}

#[derive(Deserialize)]
struct Claims {
    flow_token: Option<String>,
    exp: Option<i64>,
}

/// Verifies a `flow_token_signature` JWT: the header names `HS256`, the signature is the
/// HMAC-SHA256 of `header.payload` under one of the app secrets (compared in constant
/// time), the `flow_token` claim equals the request's flow token, and an `exp` claim, when
/// present, is not in the past. No other algorithm is accepted (no `none`, no key confusion).
///
/// # Errors
///
/// [`FlowError::Signature`] for anything else.
pub(crate) fn verify_flow_token_signature(
    jwt: &str,
    secrets: &HmacKeys,
    flow_token: Option<&str>,
) -> Result<(), FlowError> {
    let refuse = |_| FlowError::Signature;
    if jwt.len() > MAX_JWT_LEN {
        return Err(FlowError::Signature);
    }
    let mut parts = jwt.trim().split('.');
    let (Some(header), Some(payload), Some(signature), None) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return Err(FlowError::Signature);
    };
    let decoded_header: Header =
        serde_json::from_slice(&URL_SAFE_NO_PAD.decode(header).map_err(|_| FlowError::Signature)?)
            .map_err(refuse)?;
    if decoded_header.alg != "HS256" {
        return Err(FlowError::Signature);
    }
    let tag: [u8; 32] = URL_SAFE_NO_PAD
        .decode(signature)
        .map_err(|_| FlowError::Signature)?
        .try_into()
        .map_err(|_| FlowError::Signature)?;
    let signed_len = header.len() + 1 + payload.len();
    if !secrets.matches(&jwt.trim().as_bytes()[..signed_len], &tag) {
        return Err(FlowError::Signature);
    }
    let claims: Claims =
        serde_json::from_slice(&URL_SAFE_NO_PAD.decode(payload).map_err(|_| FlowError::Signature)?)
            .map_err(refuse)?;
    if claims.flow_token.as_deref() != flow_token || flow_token.is_none() {
        return Err(FlowError::Signature);
    }
    if claims.exp.is_some_and(|exp| exp < crate::Timestamp::now().unix_seconds()) {
        return Err(FlowError::Signature);
    }
    Ok(())
}

/// Verifies a `flow_token_signature` JWT against one app secret and the request's flow token,
/// for code that decrypts requests itself (the endpoint does this on its own): as
/// [`FlowEndpoint::respond`](super::FlowEndpoint::respond) checks it.
///
/// # Errors
///
/// [`FlowError::Signature`] unless the token is an HS256 JWT under `app_secret` whose
/// `flow_token` claim is `flow_token` (and whose `exp`, if any, has not passed).
pub fn verify_flow_token(jwt: &str, app_secret: &str, flow_token: &str) -> Result<(), FlowError> {
    let mut keys = HmacKeys::default();
    keys.add(&crate::AppSecret::from(app_secret));
    verify_flow_token_signature(jwt, &keys, Some(flow_token))
}

/// Signs a `flow_token_signature` the way Meta does (HS256 under the app secret, claim
/// `flow_token`), for tests and demos that play Meta's side.
///
/// # Panics
///
/// Never: HMAC takes keys of any length.
pub fn sign_flow_token(app_secret: &str, flow_token: &str) -> String {
    use hmac::{Hmac, Mac};
    let header = URL_SAFE_NO_PAD.encode(br#"{"alg":"HS256","typ":"JWT"}"#);
    let payload = URL_SAFE_NO_PAD.encode(serde_json::json!({ "flow_token": flow_token }).to_string());
    let signing_input = format!("{header}.{payload}");
    let mut mac =
        Hmac::<sha2::Sha256>::new_from_slice(app_secret.as_bytes()).expect("HMAC takes any key length");
    mac.update(signing_input.as_bytes());
    format!("{signing_input}.{}", URL_SAFE_NO_PAD.encode(mac.finalize().into_bytes()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn verifier() -> HmacKeys {
        let mut keys = HmacKeys::default();
        keys.add(&crate::AppSecret::from("flow-app-secret"));
        keys
    }

    #[test]
    fn a_token_signed_with_the_app_secret_for_this_flow_token_passes() {
        let jwt = sign_flow_token("flow-app-secret", "token-42");
        assert_eq!(verify_flow_token_signature(&jwt, &verifier(), Some("token-42")), Ok(()));
    }

    #[test]
    fn wrong_secret_token_algorithm_or_shape_is_refused() {
        let refused = |jwt: &str, token: Option<&str>| {
            assert_eq!(
                verify_flow_token_signature(jwt, &verifier(), token),
                Err(FlowError::Signature),
                "{jwt}"
            );
        };
        refused(&sign_flow_token("another-secret", "token-42"), Some("token-42"));
        refused(&sign_flow_token("flow-app-secret", "token-42"), Some("token-43"));
        refused(&sign_flow_token("flow-app-secret", "token-42"), None);
        let jwt = sign_flow_token("flow-app-secret", "token-42");
        let (signing_input, _) = jwt.rsplit_once('.').unwrap();
        refused(&format!("{signing_input}."), Some("token-42"));
        refused(&format!("{jwt}.extra"), Some("token-42"));
        refused("not a jwt", Some("token-42"));
        refused("", Some("token-42"));
        // `alg: none` with the same payload and the real signature: still refused.
        let payload = signing_input.split('.').nth(1).unwrap();
        let none = URL_SAFE_NO_PAD.encode(br#"{"alg":"none"}"#);
        let signature = jwt.rsplit('.').next().unwrap();
        refused(&format!("{none}.{payload}.{signature}"), Some("token-42"));
        refused(&"a".repeat(MAX_JWT_LEN + 1), Some("token-42"));
    }
}
