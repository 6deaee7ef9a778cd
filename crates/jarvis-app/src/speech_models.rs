//! The speech model manager: which whisper models exist, which are
//! installed in the profile's `models/` folder, downloads (resumed after a
//! cut, checked against the published digests before use) and imports of
//! a `.bin` from disk. Nothing is sent anywhere: a download only reads.
//!
//! Every download is checked against a SHA-256 before it is installed:
//! the one Jarvis knows for tiny.en, else the one the server states for the
//! file (Hugging Face gives an LFS file's SHA-256 as its `X-Linked-Etag`).
//! A server that states none gets its file refused. (whisper.cpp's README
//! lists SHA-1s, but they no longer match the files it points to.)

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use jarvis_core::Event;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use tokio::io::AsyncWriteExt;
use ts_rs::TS;

use crate::{App, AppError};

/// Where whisper.cpp's own download script fetches its models.
pub const MODEL_SOURCE: &str = "https://huggingface.co/ggerganov/whisper.cpp/resolve/main";

/// A model whisper.cpp publishes.
struct Known {
    name: &'static str,
    /// About this many bytes (exact where the SHA-256 is known).
    size: u64,
    /// Checked here (tiny.en: the file the tests use); else the server's.
    sha256: Option<&'static str>,
}

const MIB: u64 = 1024 * 1024;

const CATALOGUE: &[Known] = &[
    Known {
        name: "tiny.en",
        size: 77_704_698,
        sha256: Some("d16050124c5e21c45f264653a08c69fed83ea0885975d3471d6a5614c3266035"),
    },
    Known {
        name: "tiny",
        size: 75 * MIB,
        sha256: None,
    },
    Known {
        name: "base.en",
        size: 142 * MIB,
        sha256: None,
    },
    Known {
        name: "base",
        size: 142 * MIB,
        sha256: None,
    },
    Known {
        name: "small.en",
        size: 466 * MIB,
        sha256: None,
    },
    Known {
        name: "small",
        size: 466 * MIB,
        sha256: None,
    },
];

fn file_of(name: &str) -> String {
    format!("ggml-{name}.bin")
}

/// `GET /api/v1/voice/models`: one row of the model manager.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
#[ts(export)]
pub struct SpeechModel {
    /// "tiny.en", "base.en"… or the file name of an imported model.
    pub name: String,
    pub file: String,
    #[ts(type = "number")]
    pub size_bytes: u64,
    pub installed: bool,
    pub path: String,
    /// The model push-to-talk uses now.
    pub active: bool,
    pub url: String,
    pub sha256: Option<String>,
}

/// `POST /api/v1/voice/models/download`.
#[derive(Debug, Clone, Deserialize, TS)]
#[serde(deny_unknown_fields)]
#[ts(export)]
pub struct ModelDownload {
    pub name: String,
    /// A mirror of whisper.cpp's model folder; the usual location when absent.
    #[serde(default)]
    #[ts(optional)]
    pub base_url: Option<String>,
}

/// `POST /api/v1/voice/models/import`.
#[derive(Debug, Clone, Deserialize, TS)]
#[serde(deny_unknown_fields)]
#[ts(export)]
pub struct ModelImport {
    pub path: String,
}

/// whisper.cpp model files start with the ggml magic, little-endian.
fn is_ggml(path: &Path) -> std::io::Result<bool> {
    use std::io::Read;
    let mut magic = [0u8; 4];
    std::fs::File::open(path)?.read_exact(&mut magic)?;
    Ok(u32::from_le_bytes(magic) == 0x6767_6d6c)
}

impl App {
    /// The profile's folder of speech (and chat) models.
    pub fn models_dir(&self) -> PathBuf {
        self.data_dir().join("models")
    }

    /// The model push-to-talk uses: the one chosen in the settings, else
    /// tiny.en in the profile's models folder, else the shared default
    /// (`$JARVIS_WHISPER_MODEL` or the user's data folder).
    pub(crate) fn speech_model_path(&self, chosen: Option<&str>) -> Option<PathBuf> {
        if let Some(chosen) = chosen {
            return Some(PathBuf::from(chosen));
        }
        let local = self
            .models_dir()
            .join(jarvis_voice::pipeline::DEFAULT_MODEL_FILE);
        if local.is_file() {
            return Some(local);
        }
        jarvis_voice::default_model_path()
    }

    pub async fn speech_models(&self) -> Result<Vec<SpeechModel>, AppError> {
        let settings = self.voice_settings().await?;
        let active = self.speech_model_path(settings.model.as_deref());
        let dir = self.models_dir();
        let mut models: Vec<SpeechModel> = CATALOGUE
            .iter()
            .map(|k| {
                let path = dir.join(file_of(k.name));
                SpeechModel {
                    name: k.name.into(),
                    file: file_of(k.name),
                    size_bytes: k.size,
                    installed: path.is_file(),
                    active: active.as_deref() == Some(path.as_path()),
                    path: path.display().to_string(),
                    url: format!("{MODEL_SOURCE}/{}", file_of(k.name)),
                    sha256: k.sha256.map(str::to_owned),
                }
            })
            .collect();
        // Imported files and a model in use from elsewhere are listed too.
        let mut extra: Vec<PathBuf> = std::fs::read_dir(&dir)
            .map(|entries| {
                entries
                    .filter_map(|e| e.ok().map(|e| e.path()))
                    .filter(|p| p.extension().is_some_and(|e| e == "bin"))
                    .collect()
            })
            .unwrap_or_default();
        extra.extend(active.clone().filter(|p| p.is_file()));
        for path in extra {
            let listed = models.iter().any(|m| Path::new(&m.path) == path);
            if listed {
                continue;
            }
            let file = path
                .file_name()
                .map(|f| f.to_string_lossy().into_owned())
                .unwrap_or_default();
            models.push(SpeechModel {
                name: file
                    .trim_start_matches("ggml-")
                    .trim_end_matches(".bin")
                    .to_owned(),
                size_bytes: std::fs::metadata(&path).map(|m| m.len()).unwrap_or(0),
                installed: true,
                active: active.as_deref() == Some(path.as_path()),
                url: String::new(),
                sha256: None,
                path: path.display().to_string(),
                file,
            });
        }
        Ok(models)
    }

    /// Starts downloading a model in the background; progress arrives as
    /// `voice_model_progress` events. A cut download resumes where it
    /// stopped; the file is checked before it is installed.
    pub async fn download_speech_model(
        &self,
        request: ModelDownload,
    ) -> Result<SpeechModel, AppError> {
        let known = CATALOGUE
            .iter()
            .find(|k| k.name == request.name)
            .ok_or_else(|| {
                AppError::invalid(
                    "name",
                    format!(
                        "unknown model {:?}; one of: {}",
                        request.name,
                        CATALOGUE
                            .iter()
                            .map(|k| k.name)
                            .collect::<Vec<_>>()
                            .join(", ")
                    ),
                )
            })?;
        let base = match request.base_url.as_deref().map(str::trim) {
            None | Some("") => MODEL_SOURCE.to_owned(),
            Some(url) => {
                let parsed = url::Url::parse(url).map_err(|e| {
                    AppError::invalid("base_url", format!("is not a valid URL ({e})"))
                })?;
                if !matches!(parsed.scheme(), "http" | "https") {
                    return Err(AppError::invalid(
                        "base_url",
                        "must start with http:// or https://",
                    ));
                }
                url.trim_end_matches('/').to_owned()
            }
        };
        {
            let mut running = self.downloads.lock().unwrap_or_else(|p| p.into_inner());
            if running.iter().any(|n| n == known.name) {
                return Err(AppError::invalid(
                    "name",
                    format!("{} is already downloading", known.name),
                ));
            }
            running.push(known.name.to_owned());
        }
        let dir = self.models_dir();
        std::fs::create_dir_all(&dir)
            .map_err(|e| AppError::NotSupported(format!("cannot create {}: {e}", dir.display())))?;
        let url = format!("{base}/{}", file_of(known.name));
        let target = dir.join(file_of(known.name));
        let bus = self.bus.clone();
        let name = known.name;
        let app_downloads = self.downloads.clone();
        tokio::spawn(async move {
            let result = fetch(&url, &target, name, &bus).await;
            let result = match result {
                Ok((path, stated)) => verify(&path, name, stated).await.and_then(|()| {
                    std::fs::rename(&path, &target)
                        .map_err(|e| format!("cannot install {}: {e}", target.display()))
                }),
                Err(e) => Err(e),
            };
            if let Err(e) = &result {
                tracing::warn!(model = name, error = %e, "speech model download failed");
            }
            let size = std::fs::metadata(&target).map(|m| m.len()).unwrap_or(0);
            bus.publish(Event::VoiceModelProgress {
                name: name.into(),
                received: size,
                total: size,
                done: true,
                error: result.err(),
            });
            app_downloads
                .lock()
                .unwrap_or_else(|p| p.into_inner())
                .retain(|n| n != name);
        });
        let models = self.speech_models().await?;
        Ok(models
            .into_iter()
            .find(|m| m.name == name)
            .expect("catalogue models are always listed"))
    }

    /// Copies a whisper `.bin` from disk into the models folder.
    pub async fn import_speech_model(&self, request: ModelImport) -> Result<SpeechModel, AppError> {
        let source = PathBuf::from(request.path.trim());
        if !source.is_absolute() {
            return Err(AppError::invalid(
                "path",
                "must be an absolute path to a whisper .bin file",
            ));
        }
        match is_ggml(&source) {
            Ok(true) => {}
            Ok(false) => {
                return Err(AppError::invalid(
                    "path",
                    format!("{} is not a whisper.cpp (ggml) model", source.display()),
                ));
            }
            Err(e) => {
                return Err(AppError::invalid(
                    "path",
                    format!("cannot read {}: {e}", source.display()),
                ));
            }
        }
        let file = source
            .file_name()
            .map(|f| f.to_string_lossy().into_owned())
            .filter(|f| f.ends_with(".bin"))
            .ok_or_else(|| AppError::invalid("path", "must name a .bin file"))?;
        let dir = self.models_dir();
        let target = dir.join(&file);
        let copy_target = target.clone();
        crate::blocking(move || {
            let copy = || -> std::io::Result<()> {
                std::fs::create_dir_all(&dir)?;
                // Copy beside, then rename: a half-copied model is never listed.
                let part = copy_target.with_extension("bin.part");
                std::fs::copy(&source, &part)?;
                std::fs::rename(&part, &copy_target)
            };
            copy().map_err(|e| AppError::invalid("path", format!("cannot copy it: {e}")))
        })
        .await?;
        self.bus.publish(Event::VoiceSettingsChanged);
        let models = self.speech_models().await?;
        Ok(models
            .into_iter()
            .find(|m| Path::new(&m.path) == target)
            .expect("an installed .bin is listed"))
    }
}

/// A SHA-256 the server states for the file: `X-Linked-Etag` (Hugging
/// Face, for LFS files) or `ETag`, when it is 64 hex digits.
fn stated_sha256(headers: &reqwest::header::HeaderMap) -> Option<String> {
    ["x-linked-etag", "etag"].iter().find_map(|name| {
        let value = headers.get(*name)?.to_str().ok()?;
        let value = value
            .trim_start_matches("W/")
            .trim_matches('"')
            .to_ascii_lowercase();
        (value.len() == 64 && value.chars().all(|c| c.is_ascii_hexdigit())).then_some(value)
    })
}

/// Fetches `url` into `<target>.part`, resuming from what is already
/// there; returns the part file's path and the SHA-256 the server stated.
async fn fetch(
    url: &str,
    target: &Path,
    name: &str,
    bus: &jarvis_core::EventBus,
) -> Result<(PathBuf, Option<String>), String> {
    let part = target.with_extension("bin.part");
    let have = tokio::fs::metadata(&part)
        .await
        .map(|m| m.len())
        .unwrap_or(0);
    let client = reqwest::Client::builder()
        .connect_timeout(Duration::from_secs(10))
        .read_timeout(Duration::from_secs(30))
        .build()
        .map_err(|e| e.to_string())?;
    let mut request = client.get(url);
    if have > 0 {
        request = request.header(reqwest::header::RANGE, format!("bytes={have}-"));
    }
    let mut response = request
        .send()
        .await
        .map_err(|e| format!("cannot reach {url}: {}", e.without_url()))?;
    let status = response.status();
    let resumed = status == reqwest::StatusCode::PARTIAL_CONTENT;
    if !status.is_success() {
        return Err(format!("{url} answered HTTP {status}"));
    }
    let stated = stated_sha256(response.headers());
    let mut file = tokio::fs::OpenOptions::new()
        .create(true)
        .write(true)
        .append(resumed)
        .truncate(!resumed)
        .open(&part)
        .await
        .map_err(|e| format!("cannot write {}: {e}", part.display()))?;
    let mut received = if resumed { have } else { 0 };
    let total = response.content_length().map_or(0, |n| n + received);
    let mut last_event = Instant::now();
    loop {
        let chunk = match response.chunk().await {
            Ok(chunk) => chunk,
            Err(e) => {
                // tokio writes in the background: finish what was received
                // before saying where a resume will start.
                let _ = file.flush().await;
                return Err(format!(
                    "the download was cut at {received} bytes ({}); try again to resume",
                    e.without_url()
                ));
            }
        };
        let Some(chunk) = chunk else { break };
        file.write_all(&chunk)
            .await
            .map_err(|e| format!("cannot write {}: {e}", part.display()))?;
        received += chunk.len() as u64;
        if last_event.elapsed() >= Duration::from_millis(200) {
            last_event = Instant::now();
            bus.publish(Event::VoiceModelProgress {
                name: name.into(),
                received,
                total,
                done: false,
                error: None,
            });
        }
    }
    file.flush().await.map_err(|e| e.to_string())?;
    if total > 0 && received != total {
        return Err(format!(
            "the download ended at {received} of {total} bytes; try again to resume"
        ));
    }
    Ok((part, stated))
}

/// Checks the downloaded file's SHA-256; a mismatch (or no SHA-256 to
/// check against) deletes it, so the next try starts clean.
async fn verify(path: &Path, name: &str, stated: Option<String>) -> Result<(), String> {
    let known = CATALOGUE
        .iter()
        .find(|k| k.name == name)
        .expect("known model");
    let Some(want) = known.sha256.map(str::to_owned).or(stated) else {
        let _ = std::fs::remove_file(path);
        return Err(format!(
            "the server gave no SHA-256 for the {name} model, so it cannot be checked; it was deleted (download it from the usual location, or import the file)"
        ));
    };
    let file = path.to_owned();
    let sha256 = tokio::task::spawn_blocking(move || -> std::io::Result<String> {
        use std::io::Read;
        let mut input = std::fs::File::open(&file)?;
        let mut hasher = Sha256::new();
        let mut buf = vec![0u8; 1 << 20];
        loop {
            let n = input.read(&mut buf)?;
            if n == 0 {
                break;
            }
            hasher.update(&buf[..n]);
        }
        Ok(hex(&hasher.finalize()))
    })
    .await
    .map_err(|e| e.to_string())?
    .map_err(|e| e.to_string())?;
    if sha256 != want {
        let _ = std::fs::remove_file(path);
        return Err(format!(
            "the downloaded {name} model does not match its checksum (SHA-256 {sha256}, expected {want}); it was deleted"
        ));
    }
    Ok(())
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}
