//! The owner token check. Browsers cannot set headers on a WebSocket, so the
//! event socket may carry the token as a `bearer.<token>` sub-protocol instead.

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
    let ok = presented_tokens(request.headers()).any(|t| bool::from(t.as_bytes().ct_eq(expected)));
    if ok {
        return next.run(request).await;
    }
    let mut response = ApiError(Problem::new(
        ErrorKind::Unauthorized,
        "unauthorized",
        "a valid owner access token is required: send `Authorization: Bearer <token>` (`jarvisd token` prints it)",
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
