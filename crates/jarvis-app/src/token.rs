//! The owner access token: made at first start, kept in the SecretStore.

use base64::Engine;
use rand::RngCore;
use secrecy::SecretString;

use crate::{App, AppError};

const OWNER_TOKEN: &str = "owner-token";

impl App {
    /// The owner token, created and stored on first use.
    pub async fn owner_token(&self) -> Result<SecretString, AppError> {
        let secrets = self.secrets.clone();
        crate::blocking(move || {
            if let Some(token) = secrets.get(OWNER_TOKEN)? {
                return Ok(token);
            }
            let mut bytes = [0u8; 32];
            rand::rng().fill_bytes(&mut bytes);
            // base64url: safe in headers and WebSocket sub-protocol names.
            let token =
                SecretString::from(base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes));
            secrets.set(OWNER_TOKEN, &token)?;
            tracing::info!("owner access token created");
            Ok(token)
        })
        .await
    }
}
