//! Input rules for providers; every error names its field.

use super::ProviderError;

pub(super) fn invalid(field: &'static str, reason: impl Into<String>) -> ProviderError {
    ProviderError::Invalid {
        field,
        reason: reason.into(),
    }
}

pub(super) fn name(value: &str) -> Result<String, ProviderError> {
    let value = value.trim();
    if value.is_empty() {
        return Err(invalid("name", "is required"));
    }
    if value.chars().count() > 64 {
        return Err(invalid("name", "must be at most 64 characters"));
    }
    if value.chars().any(char::is_control) {
        return Err(invalid("name", "must not contain control characters"));
    }
    Ok(value.to_owned())
}

/// Where the provider is: a GGUF file's absolute path for the built-in
/// model, an http(s) URL for everything else.
pub(super) fn location(kind: super::ProviderKind, value: &str) -> Result<String, ProviderError> {
    match kind {
        super::ProviderKind::Local => model_file(value),
        _ => base_url(value),
    }
}

/// An absolute path to a readable GGUF file (checked by its magic bytes).
pub(super) fn model_file(value: &str) -> Result<String, ProviderError> {
    use std::io::Read;
    let value = value.trim();
    let path = std::path::Path::new(value);
    if value.is_empty() {
        return Err(invalid(
            "base_url",
            "is required: the path of a .gguf model file",
        ));
    }
    if !path.is_absolute() {
        return Err(invalid(
            "base_url",
            "must be an absolute path to a .gguf file",
        ));
    }
    let mut magic = [0u8; 4];
    std::fs::File::open(path)
        .and_then(|mut f| f.read_exact(&mut magic))
        .map_err(|e| invalid("base_url", format!("cannot read {value}: {e}")))?;
    if &magic != b"GGUF" {
        return Err(invalid(
            "base_url",
            format!("{value} is not a GGUF model file"),
        ));
    }
    Ok(value.to_owned())
}

/// An absolute http(s) URL with a host, no credentials, query or fragment.
/// Returned without a trailing slash so paths can be appended.
pub(super) fn base_url(value: &str) -> Result<String, ProviderError> {
    let value = value.trim();
    if value.is_empty() {
        return Err(invalid("base_url", "is required"));
    }
    if value.len() > 2048 {
        return Err(invalid("base_url", "must be at most 2048 characters"));
    }
    let url = url::Url::parse(value).map_err(|e| {
        invalid(
            "base_url",
            format!("is not a valid URL ({e}); expected something like https://api.openai.com/v1"),
        )
    })?;
    if !matches!(url.scheme(), "http" | "https") {
        return Err(invalid("base_url", "must start with http:// or https://"));
    }
    if url.host_str().is_none_or(str::is_empty) {
        return Err(invalid("base_url", "must name a host"));
    }
    if !url.username().is_empty() || url.password().is_some() {
        return Err(invalid(
            "base_url",
            "must not contain a user name or password; put the key in API key",
        ));
    }
    if url.query().is_some() || url.fragment().is_some() {
        return Err(invalid(
            "base_url",
            "must not contain a query (?…) or fragment (#…)",
        ));
    }
    Ok(url.as_str().trim_end_matches('/').to_owned())
}

pub(super) fn model(value: &str) -> Result<String, ProviderError> {
    let value = value.trim();
    if value.is_empty() {
        return Err(invalid("model", "is required"));
    }
    if value.len() > 200 {
        return Err(invalid("model", "must be at most 200 characters"));
    }
    if value.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return Err(invalid(
            "model",
            "must not contain spaces or control characters",
        ));
    }
    Ok(value.to_owned())
}

/// The embedding model: `None` when blank (recall by meaning off). Only
/// OpenAI-compatible providers are asked for embeddings.
pub(super) fn embedding_model(
    kind: super::ProviderKind,
    value: Option<&str>,
) -> Result<Option<String>, ProviderError> {
    let Some(value) = value.map(str::trim).filter(|v| !v.is_empty()) else {
        return Ok(None);
    };
    if kind != super::ProviderKind::Openai {
        return Err(invalid(
            "embedding_model",
            format!(
                "is only offered for OpenAI-compatible providers, not {}",
                kind.label()
            ),
        ));
    }
    model(value).map(Some).map_err(|e| match e {
        ProviderError::Invalid { reason, .. } => invalid("embedding_model", reason),
        other => other,
    })
}

/// `None` for an absent or blank key. The reasons never echo the key.
pub(super) fn api_key(value: Option<&str>) -> Result<Option<String>, ProviderError> {
    let Some(value) = value.map(str::trim).filter(|v| !v.is_empty()) else {
        return Ok(None);
    };
    if value.len() > 4096 {
        return Err(invalid("api_key", "must be at most 4096 characters"));
    }
    if value.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return Err(invalid(
            "api_key",
            "must not contain spaces or line breaks (check what was pasted)",
        ));
    }
    Ok(Some(value.to_owned()))
}

/// The last four characters of a long key, for display as `••••abcd`.
/// Short keys get no hint: four characters would reveal too much of them.
pub(super) fn key_hint(key: &str) -> Option<String> {
    let chars: Vec<char> = key.chars().collect();
    (chars.len() >= 16).then(|| chars[chars.len() - 4..].iter().collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn field_of(e: ProviderError) -> &'static str {
        match e {
            ProviderError::Invalid { field, .. } => field,
            other => panic!("expected a field error, got {other}"),
        }
    }

    #[test]
    fn base_urls_are_normalised_or_refused_with_the_field() {
        assert_eq!(
            base_url(" https://api.openai.com/v1/ ").unwrap(),
            "https://api.openai.com/v1"
        );
        assert_eq!(
            base_url("http://127.0.0.1:11434/v1").unwrap(),
            "http://127.0.0.1:11434/v1"
        );
        for bad in [
            "",
            "not a url",
            "ftp://example.com",
            "https://user:pw@example.com",
            "https://example.com/v1?key=1",
            "https://example.com/#x",
            "file:///etc/passwd",
        ] {
            assert_eq!(field_of(base_url(bad).unwrap_err()), "base_url", "{bad}");
        }
    }

    #[test]
    fn names_and_models_are_trimmed_and_bounded() {
        assert_eq!(name("  Local Ollama ").unwrap(), "Local Ollama");
        assert_eq!(field_of(name("   ").unwrap_err()), "name");
        assert_eq!(field_of(name(&"x".repeat(65)).unwrap_err()), "name");
        assert_eq!(model("llama3.2:1b").unwrap(), "llama3.2:1b");
        assert_eq!(field_of(model("gpt 4").unwrap_err()), "model");
    }

    #[test]
    fn keys_are_optional_but_clean() {
        assert_eq!(api_key(None).unwrap(), None);
        assert_eq!(api_key(Some("  ")).unwrap(), None);
        assert_eq!(api_key(Some(" sk-1 ")).unwrap().as_deref(), Some("sk-1"));
        let err = api_key(Some("sk-abc def-secret")).unwrap_err();
        assert!(!err.to_string().contains("secret"), "{err}");
        assert_eq!(field_of(err), "api_key");
    }

    #[test]
    fn only_long_keys_get_a_hint() {
        assert_eq!(key_hint("sk-0123456789abcdef").as_deref(), Some("cdef"));
        assert_eq!(key_hint("short-key"), None);
    }
}
