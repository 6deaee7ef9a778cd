//! Voice settings: the push-to-talk hotkey and its mode, the microphone,
//! the speech model and spoken replies. Stored as one validated JSON
//! document in the `settings` table.

use std::path::PathBuf;

use chrono::Utc;
use jarvis_core::Event;
use rusqlite::OptionalExtension;
use serde::{Deserialize, Serialize};
use ts_rs::TS;

use crate::{App, AppError};

const KEY: &str = "voice";
pub const DEFAULT_HOTKEY: &str = "Ctrl+Alt+Space";

/// Hold the key while speaking, or press once to start and again to stop.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "snake_case")]
#[ts(export)]
pub enum HotkeyMode {
    Hold,
    Toggle,
}

/// `GET/PUT /api/v1/voice/settings`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(deny_unknown_fields)]
#[ts(export)]
pub struct VoiceSettings {
    /// e.g. "Ctrl+Alt+Space": modifiers (Ctrl, Alt, Shift, Super) and one key.
    pub hotkey: String,
    pub mode: HotkeyMode,
    /// An input device name from `GET /api/v1/voice/devices`; `null` for
    /// the system default.
    pub device: Option<String>,
    /// A whisper model file (`.bin`); `null` for the installed default.
    pub model: Option<String>,
    /// Read replies to voice commands aloud (espeak-ng).
    pub speak_replies: bool,
}

impl Default for VoiceSettings {
    fn default() -> Self {
        Self {
            hotkey: DEFAULT_HOTKEY.into(),
            mode: HotkeyMode::Hold,
            device: None,
            model: None,
            speak_replies: true,
        }
    }
}

const MODIFIERS: &[&str] = &[
    "ctrl",
    "control",
    "alt",
    "option",
    "shift",
    "super",
    "cmd",
    "command",
    "cmdorctrl",
];

/// A key the global-shortcut layer understands: a letter, a digit, F1–F24
/// or a named key.
fn is_key(key: &str) -> bool {
    const NAMED: &[&str] = &[
        "space",
        "enter",
        "tab",
        "backspace",
        "escape",
        "esc",
        "insert",
        "delete",
        "home",
        "end",
        "pageup",
        "pagedown",
        "up",
        "down",
        "left",
        "right",
        "arrowup",
        "arrowdown",
        "arrowleft",
        "arrowright",
        "minus",
        "equal",
        "comma",
        "period",
        "slash",
        "backslash",
        "semicolon",
        "quote",
        "backquote",
        "bracketleft",
        "bracketright",
    ];
    let lower = key.to_ascii_lowercase();
    (key.len() == 1 && key.chars().all(|c| c.is_ascii_alphanumeric()))
        || NAMED.contains(&lower.as_str())
        || lower
            .strip_prefix('f')
            .and_then(|n| n.parse::<u8>().ok())
            .is_some_and(|n| (1..=24).contains(&n))
}

impl VoiceSettings {
    /// Checks every field; the hotkey needs at least one modifier, so it
    /// cannot swallow a key people type.
    pub fn validate(mut self) -> Result<Self, AppError> {
        let parts: Vec<&str> = self.hotkey.split('+').map(str::trim).collect();
        let Some((key, modifiers)) = parts.split_last() else {
            return Err(AppError::invalid("hotkey", "is empty"));
        };
        if modifiers.is_empty() {
            return Err(AppError::invalid(
                "hotkey",
                "needs at least one modifier (Ctrl, Alt, Shift or Super), e.g. Ctrl+Alt+Space",
            ));
        }
        if let Some(m) = modifiers
            .iter()
            .find(|m| !MODIFIERS.contains(&m.to_ascii_lowercase().as_str()))
        {
            return Err(AppError::invalid(
                "hotkey",
                format!("{m:?} is not a modifier: use Ctrl, Alt, Shift or Super"),
            ));
        }
        if !is_key(key) {
            return Err(AppError::invalid(
                "hotkey",
                format!("{key:?} is not a key: use a letter, a digit, F1–F24 or Space"),
            ));
        }
        self.hotkey = parts.join("+");
        self.device = self
            .device
            .map(|d| d.trim().to_owned())
            .filter(|d| !d.is_empty());
        self.model = self
            .model
            .map(|m| m.trim().to_owned())
            .filter(|m| !m.is_empty());
        if let Some(model) = &self.model {
            let path = PathBuf::from(model);
            if !path.is_absolute() {
                return Err(AppError::invalid(
                    "model",
                    "must be an absolute path to a whisper .bin model",
                ));
            }
            if !path.is_file() {
                return Err(AppError::invalid(
                    "model",
                    format!("{model} does not exist"),
                ));
            }
        }
        Ok(self)
    }
}

impl App {
    pub async fn voice_settings(&self) -> Result<VoiceSettings, AppError> {
        let stored: Option<String> = self
            .db
            .call(|conn| -> Result<_, AppError> {
                Ok(conn
                    .query_row("SELECT value FROM settings WHERE key = ?1", [KEY], |r| {
                        r.get(0)
                    })
                    .optional()
                    .map_err(jarvis_store::DbError::from)?)
            })
            .await?;
        // A stored value that no longer parses falls back to the defaults.
        Ok(stored
            .and_then(|json| serde_json::from_str(&json).ok())
            .unwrap_or_default())
    }

    pub async fn set_voice_settings(
        &self,
        settings: VoiceSettings,
    ) -> Result<VoiceSettings, AppError> {
        let settings = settings.validate()?;
        if let Some(device) = &settings.device {
            let devices = self.voice_devices().await?;
            if !devices.iter().any(|d| d == device) {
                return Err(AppError::invalid(
                    "device",
                    format!(
                        "no microphone named {device:?}; found: {}",
                        devices.join(", ")
                    ),
                ));
            }
        }
        let json = serde_json::to_string(&settings)
            .map_err(|e| AppError::invalid("settings", e.to_string()))?;
        self.db
            .call(move |conn| -> Result<(), AppError> {
                conn.execute(
                    "INSERT INTO settings (key, value, updated_at) VALUES (?1, ?2, ?3)
                     ON CONFLICT (key) DO UPDATE SET value = ?2, updated_at = ?3",
                    (KEY, &json, Utc::now().to_rfc3339()),
                )
                .map_err(jarvis_store::DbError::from)?;
                Ok(())
            })
            .await?;
        self.bus.publish(Event::VoiceSettingsChanged);
        Ok(settings)
    }

    /// Names of the input devices, default first when the system says.
    pub async fn voice_devices(&self) -> Result<Vec<String>, AppError> {
        crate::blocking(|| {
            jarvis_voice::capture::input_device_names()
                .map_err(|e| AppError::NotSupported(e.to_string()))
        })
        .await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn with_hotkey(hotkey: &str) -> Result<VoiceSettings, AppError> {
        VoiceSettings {
            hotkey: hotkey.into(),
            ..VoiceSettings::default()
        }
        .validate()
    }

    #[test]
    fn hotkeys_need_a_modifier_and_a_real_key() {
        assert_eq!(
            with_hotkey(" Ctrl + Alt + Space ").unwrap().hotkey,
            "Ctrl+Alt+Space"
        );
        assert!(with_hotkey("Super+F12").is_ok());
        assert!(with_hotkey("Shift+K").is_ok());
        for bad in [
            "Space",
            "",
            "Ctrl+",
            "Ctrl+Hyper+K",
            "Ctrl+Alt+Spacebarz",
            "Ctrl+F25",
        ] {
            let err = with_hotkey(bad).unwrap_err().to_string();
            assert!(err.starts_with("hotkey:"), "{bad}: {err}");
        }
    }

    #[test]
    fn a_model_must_be_an_existing_absolute_file() {
        let s = VoiceSettings {
            model: Some("relative.bin".into()),
            ..VoiceSettings::default()
        };
        assert!(s.validate().unwrap_err().to_string().starts_with("model:"));
        let s = VoiceSettings {
            model: Some("/no/such/model.bin".into()),
            ..VoiceSettings::default()
        };
        assert!(s.validate().is_err());
    }
}
