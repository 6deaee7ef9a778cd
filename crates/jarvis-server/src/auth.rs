//! The credential check: the owner token, or an API key made with it.
//! Browsers cannot set headers on a WebSocket, so the event socket may
//! carry the token as a `bearer.<token>` sub-protocol instead.

use axum::extract::{Request, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use jarvis_core::{ErrorKind, Problem};
use secrecy::ExposeSecret;
use subtle::ConstantTimeEq;

use crate::ServerState;
use crate::error::ApiError;

pub(crate) const PROTOCOL: &str = "jarvis.v1";

/// Who made a request that passed the check.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Principal {
    Owner,
    /// An API key, by id.
    ApiKey(String),
}

impl Principal {
    /// Managing API keys takes the owner token: a key cannot mint keys.
    pub(crate) fn require_owner(&self) -> Result<(), ApiError> {
        match self {
            Principal::Owner => Ok(()),
            Principal::ApiKey(_) => Err(ApiError(Problem::new(
                ErrorKind::Forbidden,
                "forbidden",
                "API keys are managed with the owner token, not with an API key",
            ))),
        }
    }
}
const BEARER_PROTOCOL_PREFIX: &str = "bearer.";

fn presented_tokens(headers: &HeaderMap) -> impl Iterator<Item = &str> {
    let bearer = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .map(str::trim);
    let protocols = headers
        .get_all(header::SEC_WEBSOCKET_PROTOCOL)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .filter_map(|p| p.trim().strip_prefix(BEARER_PROTOCOL_PREFIX));
    bearer.into_iter().chain(protocols)
}

pub(crate) async fn require_token(
    State(state): State<ServerState>,
    request: Request,
    next: Next,
) -> Response {
    let expected = state.token.expose_secret().as_bytes();
    let presented: Vec<String> = presented_tokens(request.headers())
        .map(str::to_owned)
        .collect();
    let mut principal = presented
        .iter()
        .any(|t| bool::from(t.as_bytes().ct_eq(expected)))
        .then_some(Principal::Owner);
    if principal.is_none() {
        for token in &presented {
            if let Some(id) = state.app.check_api_key(token).await {
                principal = Some(Principal::ApiKey(id));
                break;
            }
        }
    }
    if let Some(principal) = principal {
        let mut request = request;
        request.extensions_mut().insert(principal);
        return next.run(request).await;
    }
    let mut response = ApiError(Problem::new(
        ErrorKind::Unauthorized,
        "unauthorized",
        "a valid owner access token or API key is required: send `Authorization: Bearer <token>` (`jarvisd token` prints the owner token)",
    ))
    .into_response();
    response
        .headers_mut()
        .insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
    debug_assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_come_from_the_header_or_the_sub_protocol() {
        let mut headers = HeaderMap::new();
        headers.insert(header::AUTHORIZATION, "Bearer abc".parse().unwrap());
        headers.insert(
            header::SEC_WEBSOCKET_PROTOCOL,
            "jarvis.v1, bearer.def".parse().unwrap(),
        );
        assert_eq!(
            presented_tokens(&headers).collect::<Vec<_>>(),
            ["abc", "def"]
        );
    }
}
