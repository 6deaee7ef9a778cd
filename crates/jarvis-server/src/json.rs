//! A JSON body extractor whose every rejection names the field and the reason.

use axum::extract::{FromRequest, Request};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use jarvis_core::{ErrorKind, Problem};
use serde::de::DeserializeOwned;

use crate::error::ApiError;

/// Like `axum::Json`, but bad JSON, unknown or missing fields, wrong types and
/// oversize bodies become a 4xx `{code, message, field?}`, never a 500.
pub(crate) struct ValidJson<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned> FromRequest<S> for ValidJson<T> {
    type Rejection = Response;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        let is_json = req
            .headers()
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| {
                v.split(';')
                    .next()
                    .is_some_and(|m| m.trim().eq_ignore_ascii_case("application/json"))
            });
        if !is_json {
            return Err(ApiError::with_status(
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                "unsupported_media_type",
                "send the body as JSON with Content-Type: application/json",
            ));
        }
        let bytes = axum::body::Bytes::from_request(req, state)
            .await
            .map_err(|rejection| {
                if rejection.status() == StatusCode::PAYLOAD_TOO_LARGE {
                    ApiError(Problem::new(
                        ErrorKind::TooLarge,
                        "body_too_large",
                        "the body is larger than this endpoint accepts".to_string(),
                    ))
                    .into_response()
                } else {
                    ApiError::with_status(
                        StatusCode::BAD_REQUEST,
                        "unreadable_body",
                        rejection.body_text(),
                    )
                }
            })?;
        // serde would read a struct from an array too; every body here is an object.
        if bytes.iter().find(|b| !b.is_ascii_whitespace()) != Some(&b'{') {
            return Err(ApiError(Problem::new(
                ErrorKind::Malformed,
                "invalid_body",
                "the body must be a JSON object",
            ))
            .into_response());
        }
        parse(&bytes).map(ValidJson).map_err(|e| e.into_response())
    }
}

/// Parses `bytes`, turning serde's error into a field-naming problem.
pub(crate) fn parse<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, ApiError> {
    let mut deserializer = serde_json::Deserializer::from_slice(bytes);
    let result: Result<T, _> = serde_path_to_error::deserialize(&mut deserializer);
    if result.is_ok()
        && let Err(trailing) = deserializer.end()
    {
        return Err(ApiError(Problem::new(
            ErrorKind::Malformed,
            "invalid_json",
            format!("the body is not valid JSON: {trailing}"),
        )));
    }
    result.map_err(|error| {
        let path = error.path().to_string();
        let inner = error.into_inner();
        if !inner.is_data() {
            return ApiError(Problem::new(
                ErrorKind::Malformed,
                "invalid_json",
                format!("the body is not valid JSON: {inner}"),
            ));
        }
        let message = inner.to_string();
        let message = message
            .split(" at line ")
            .next()
            .unwrap_or(&message)
            .to_owned();
        let join = |name: &str| {
            if path == "." || path.is_empty() {
                name.to_owned()
            } else {
                format!("{path}.{name}")
            }
        };
        // serde_path_to_error's path already ends at an unknown field, but
        // stops at the parent of a missing one.
        let (code, field) = if backticked(&message, "unknown field `").is_some() {
            ("unknown_field", path.clone())
        } else if let Some(name) = backticked(&message, "missing field `") {
            ("missing_field", join(name))
        } else {
            ("invalid_field", path.clone())
        };
        let problem = Problem::new(ErrorKind::Invalid, code, message);
        ApiError(if field == "." || field.is_empty() {
            problem
        } else {
            problem.with_field(field)
        })
    })
}

fn backticked<'a>(message: &'a str, prefix: &str) -> Option<&'a str> {
    let rest = message.strip_prefix(prefix)?;
    rest.split('`').next()
}

#[cfg(test)]
mod tests {
    use serde::Deserialize;

    use super::*;

    #[derive(Debug, Deserialize)]
    #[serde(deny_unknown_fields)]
    #[allow(dead_code)]
    struct Body {
        name: String,
        count: u32,
    }

    #[derive(Debug, Deserialize)]
    #[allow(dead_code)]
    struct Outer {
        inner: Body,
    }

    fn problem(json: &str) -> Problem {
        parse::<Body>(json.as_bytes()).unwrap_err().0
    }

    #[test]
    fn each_kind_of_bad_body_names_its_field() {
        let p = problem(r#"{"name":"a","count":1,"extra":true}"#);
        assert_eq!(
            (p.code.as_str(), p.field.as_deref()),
            ("unknown_field", Some("extra"))
        );
        let p = parse::<Outer>(br#"{"inner":{"name":"a","count":1,"extra":true}}"#)
            .unwrap_err()
            .0;
        assert_eq!(p.field.as_deref(), Some("inner.extra"));
        let p = parse::<Outer>(br#"{"inner":{"name":"a"}}"#).unwrap_err().0;
        assert_eq!(p.field.as_deref(), Some("inner.count"));
        let p = problem(r#"{"name":"a"}"#);
        assert_eq!(
            (p.code.as_str(), p.field.as_deref()),
            ("missing_field", Some("count"))
        );
        let p = problem(r#"{"name":"a","count":"many"}"#);
        assert_eq!(
            (p.code.as_str(), p.field.as_deref()),
            ("invalid_field", Some("count"))
        );
        let p = problem(r#"{"name":"a","count":1"#);
        assert_eq!((p.code.as_str(), p.field), ("invalid_json", None));
        let p = problem(r#"{"name":"a","count":1} trailing"#);
        assert_eq!(p.code, "invalid_json");
        let p = problem("[]");
        assert_eq!(p.code, "invalid_field");
    }

    #[test]
    fn a_good_body_parses() {
        let body: Body = parse(br#"{"name":"a","count":3}"#).unwrap();
        assert_eq!(body.count, 3);
    }
}
