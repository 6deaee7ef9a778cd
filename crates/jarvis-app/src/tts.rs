//! Spoken replies, offline: a Piper voice (ONNX) when `piper` is installed
//! and a voice is found, which sounds natural; else espeak-ng, the floor.
//! Text goes to the engine on stdin or as one argument, never via a shell.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};

/// Environment variable naming a Piper voice (`.onnx`, with its `.onnx.json`).
pub const PIPER_VOICE_ENV: &str = "JARVIS_PIPER_VOICE";

#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Engine {
    Piper { voice: PathBuf },
    Espeak,
}

/// Piper when it is on the PATH and a voice exists, else espeak-ng.
pub(crate) fn choose(piper_installed: bool, voice: Option<PathBuf>) -> Engine {
    match voice {
        Some(voice) if piper_installed && voice.is_file() => Engine::Piper { voice },
        _ => Engine::Espeak,
    }
}

fn on_path(program: &str) -> bool {
    std::env::var_os("PATH")
        .is_some_and(|paths| std::env::split_paths(&paths).any(|dir| dir.join(program).is_file()))
}

/// `$JARVIS_PIPER_VOICE`, else the first `.onnx` in the models folder.
fn find_voice(models_dir: &Path) -> Option<PathBuf> {
    if let Some(voice) = std::env::var_os(PIPER_VOICE_ENV).filter(|v| !v.is_empty()) {
        return Some(PathBuf::from(voice));
    }
    let mut voices: Vec<PathBuf> = std::fs::read_dir(models_dir)
        .ok()?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|e| e == "onnx"))
        .collect();
    voices.sort();
    voices.into_iter().next()
}

/// A reply being read aloud: one process, or Piper piped into aplay.
pub(crate) struct Speech(Vec<Child>);

impl Speech {
    pub(crate) fn start(text: &str, models_dir: &Path) -> std::io::Result<Self> {
        match choose(on_path("piper") && on_path("aplay"), find_voice(models_dir)) {
            Engine::Piper { voice } => {
                let mut piper = Command::new("piper")
                    .arg("--model")
                    .arg(&voice)
                    .arg("--output-raw")
                    .stdin(Stdio::piped())
                    .stdout(Stdio::piped())
                    .stderr(Stdio::null())
                    .spawn()?;
                let audio = piper.stdout.take().expect("piped");
                // Piper voices speak 16-bit mono; medium ones at 22050 Hz.
                let player = Command::new("aplay")
                    .args(["-q", "-r", "22050", "-f", "S16_LE", "-t", "raw", "-"])
                    .stdin(audio)
                    .stdout(Stdio::null())
                    .stderr(Stdio::null())
                    .spawn()?;
                if let Some(mut input) = piper.stdin.take() {
                    input.write_all(text.as_bytes())?;
                }
                Ok(Self(vec![piper, player]))
            }
            Engine::Espeak => Ok(Self(vec![
                Command::new("espeak-ng")
                    .args(["-s", "170", "--"])
                    .arg(text)
                    .stdin(Stdio::null())
                    .stdout(Stdio::null())
                    .stderr(Stdio::null())
                    .spawn()?,
            ])),
        }
    }

    /// True once every process has ended.
    pub(crate) fn finished(&mut self) -> bool {
        self.0.iter_mut().all(|c| !matches!(c.try_wait(), Ok(None)))
    }

    /// Stops reading at once (the next key press interrupts a reply).
    pub(crate) fn stop(&mut self) {
        for child in &mut self.0 {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn piper_is_used_only_when_installed_with_a_voice() {
        let dir = tempfile::tempdir().unwrap();
        let voice = dir.path().join("en_US-joe-medium.onnx");
        std::fs::write(&voice, b"onnx").unwrap();
        assert_eq!(
            choose(true, Some(voice.clone())),
            Engine::Piper {
                voice: voice.clone()
            }
        );
        assert_eq!(choose(false, Some(voice)), Engine::Espeak);
        assert_eq!(choose(true, None), Engine::Espeak);
        assert_eq!(
            choose(true, Some(dir.path().join("missing.onnx"))),
            Engine::Espeak
        );
        assert_eq!(
            find_voice(dir.path()).unwrap().file_name().unwrap(),
            "en_US-joe-medium.onnx"
        );
    }
}
