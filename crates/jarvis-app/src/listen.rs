//! Push-to-talk: capture from the microphone while a hotkey (or the tray,
//! or a button) is held, then speech-to-text on the machine, the intent,
//! what was done, and a spoken reply.
//!
//! The microphone and the whisper model live on one thread of their own:
//! cpal streams may not move between threads, and the model stays warm
//! there between commands. The device is opened at the first press and
//! kept armed (its pre-roll buffer filling, so the first syllable of the
//! next command is not clipped) for [`ARMED_FOR`] after the last use, then
//! closed, so an idle Jarvis spends no CPU on audio.

use std::collections::VecDeque;
use std::path::PathBuf;
use std::sync::mpsc::{self, RecvTimeoutError};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};
use jarvis_core::{Event, EventBus};
use jarvis_voice::capture::{DEFAULT_PRE_ROLL, Recorder};
use jarvis_voice::{Intent, IntentContext, SttOptions, WhisperTranscriber};
use serde::{Deserialize, Serialize};
use ts_rs::TS;

use crate::voice::{VoiceCommand, VoiceOutcome, VoiceStatus};
use crate::{App, AppError};

/// How long the microphone stays open after a command.
pub const ARMED_FOR: Duration = Duration::from_secs(30);
/// How often the level meter is sent while listening.
const LEVEL_EVERY: Duration = Duration::from_millis(100);
/// Voice commands kept for the history.
const HISTORY: usize = 50;

/// What started a capture.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "snake_case")]
#[ts(export)]
pub enum ListenTrigger {
    Hotkey,
    Tray,
    Ui,
    Api,
}

impl ListenTrigger {
    fn as_str(self) -> &'static str {
        match self {
            ListenTrigger::Hotkey => "hotkey",
            ListenTrigger::Tray => "tray",
            ListenTrigger::Ui => "ui",
            ListenTrigger::Api => "api",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "snake_case")]
#[ts(export)]
pub enum ListenState {
    Idle,
    Listening,
    Transcribing,
    Speaking,
}

impl ListenState {
    fn as_str(self) -> &'static str {
        match self {
            ListenState::Idle => "idle",
            ListenState::Listening => "listening",
            ListenState::Transcribing => "transcribing",
            ListenState::Speaking => "speaking",
        }
    }
}

/// `GET /api/v1/voice/status`.
#[derive(Debug, Clone, PartialEq, Serialize, TS)]
#[ts(export)]
pub struct ListenStatus {
    pub state: ListenState,
    pub trigger: Option<ListenTrigger>,
    /// The microphone in use (or last used).
    pub device: Option<String>,
    /// The whisper model file that will be used, and whether it is there.
    pub model: Option<String>,
    pub model_installed: bool,
    /// The global hotkey as registered, or why it could not be (desktop only).
    pub hotkey: Option<String>,
    pub hotkey_error: Option<String>,
    /// The last capture's failure (no microphone, no model…).
    pub error: Option<String>,
}

/// Milliseconds per stage of one voice command.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize, TS)]
#[ts(export)]
pub struct ListenTimings {
    /// Key down to key up.
    pub capture: f64,
    /// Device rate → 16 kHz mono.
    pub resample: f64,
    pub vad: f64,
    /// Loading the model (0 when warm).
    pub model_load: f64,
    pub transcribe: f64,
    pub intent: f64,
    /// Key up to the transcript: what a user waits for.
    pub key_up_to_text: f64,
    /// Carrying out the command.
    pub act: f64,
}

/// One voice command, as the Voice screen's history shows it.
#[derive(Debug, Clone, Serialize, TS)]
#[ts(export)]
pub struct VoiceRun {
    pub id: String,
    pub at: DateTime<Utc>,
    pub trigger: ListenTrigger,
    pub device: String,
    /// Length of the captured audio.
    pub audio_ms: f64,
    pub text: String,
    pub intent: Option<Intent>,
    /// Why nothing was heard or understood.
    pub error: Option<String>,
    pub outcome: Option<VoiceOutcome>,
    pub ms: ListenTimings,
    /// What was read aloud, if anything.
    pub spoken: Option<String>,
}

struct Heard {
    device: String,
    audio_ms: f64,
    text: String,
    intent: Option<Intent>,
    error: Option<String>,
    ms: ListenTimings,
}

enum Command {
    Start {
        device: Option<String>,
        reply: tokio::sync::oneshot::Sender<Result<String, String>>,
    },
    Stop {
        model: PathBuf,
        reply: tokio::sync::oneshot::Sender<Result<Heard, String>>,
    },
    /// Loads the model ahead of the first command.
    Warm { model: PathBuf },
}

/// The push-to-talk service: state, history and the audio thread.
pub struct Listener {
    commands: Mutex<mpsc::Sender<Command>>,
    status: Arc<Mutex<ListenStatus>>,
    history: Mutex<VecDeque<VoiceRun>>,
    speech: Arc<Mutex<Option<crate::tts::Speech>>>,
    bus: EventBus,
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|p| p.into_inner())
}

impl Listener {
    pub(crate) fn new(bus: EventBus) -> Self {
        let (tx, rx) = mpsc::channel();
        let status = Arc::new(Mutex::new(ListenStatus {
            state: ListenState::Idle,
            trigger: None,
            device: None,
            model: None,
            model_installed: false,
            hotkey: None,
            hotkey_error: None,
            error: None,
        }));
        let thread_bus = bus.clone();
        let spawned = std::thread::Builder::new()
            .name("voice-capture".into())
            .spawn(move || audio_thread(rx, thread_bus));
        if let Err(e) = spawned {
            tracing::error!(error = %e, "no voice thread: push-to-talk is unavailable");
        }
        Self {
            commands: Mutex::new(tx),
            status,
            history: Mutex::new(VecDeque::new()),
            speech: Arc::new(Mutex::new(None)),
            bus,
        }
    }

    fn send(&self, command: Command) -> Result<(), AppError> {
        lock(&self.commands)
            .send(command)
            .map_err(|_| AppError::NotSupported("the voice thread has stopped".into()))
    }

    fn set_state(&self, state: ListenState, trigger: Option<ListenTrigger>) {
        {
            let mut status = lock(&self.status);
            status.state = state;
            status.trigger = trigger;
        }
        self.bus.publish(Event::VoiceState {
            state: state.as_str().into(),
            trigger: trigger.map(|t| t.as_str().into()),
        });
    }

    /// Stops a reply being read aloud (the next press interrupts it).
    fn hush(&self) {
        if let Some(mut speech) = lock(&self.speech).take() {
            speech.stop();
        }
    }
}

impl App {
    fn model_path(&self, settings: &crate::VoiceSettings) -> Option<PathBuf> {
        self.speech_model_path(settings.model.as_deref())
    }

    /// Push-to-talk state, for the Voice screen and the tray.
    pub async fn listen_status(&self) -> Result<ListenStatus, AppError> {
        let settings = self.voice_settings().await?;
        let model = self.model_path(&settings);
        let mut status = lock(&self.listener.status).clone();
        status.model_installed = model.as_ref().is_some_and(|m| m.is_file());
        status.model = model.map(|m| m.display().to_string());
        Ok(status)
    }

    /// The desktop shell reports the hotkey it registered (or why not).
    pub fn set_hotkey_status(&self, hotkey: Option<String>, error: Option<String>) {
        let (state, trigger) = {
            let mut status = lock(&self.listener.status);
            status.hotkey = hotkey;
            status.hotkey_error = error;
            (status.state, status.trigger)
        };
        // Not VoiceSettingsChanged: the shell re-registers on that one.
        self.listener.set_state(state, trigger);
    }

    /// Loads the speech model in the background so the first command is fast.
    pub async fn warm_voice_model(&self) -> Result<(), AppError> {
        let settings = self.voice_settings().await?;
        if let Some(model) = self.model_path(&settings).filter(|m| m.is_file()) {
            self.listener.send(Command::Warm { model })?;
        }
        Ok(())
    }

    /// Starts listening (key down). Refused while already listening.
    pub async fn listen_start(&self, trigger: ListenTrigger) -> Result<ListenStatus, AppError> {
        let listener = &self.listener;
        if lock(&listener.status).state == ListenState::Listening {
            return Err(AppError::Invalid {
                field: "state",
                reason: "already listening".into(),
            });
        }
        listener.hush();
        let settings = self.voice_settings().await?;
        let (reply, answer) = tokio::sync::oneshot::channel();
        listener.send(Command::Start {
            device: settings.device.clone(),
            reply,
        })?;
        let opened = answer
            .await
            .unwrap_or_else(|_| Err("the voice thread has stopped".into()));
        // Load the model while the user speaks, if it is not warm yet.
        if opened.is_ok()
            && let Some(model) = self.model_path(&settings).filter(|m| m.is_file())
        {
            listener.send(Command::Warm { model })?;
        }
        match opened {
            Ok(device) => {
                {
                    let mut status = lock(&listener.status);
                    status.device = Some(device);
                    status.error = None;
                }
                listener.set_state(ListenState::Listening, Some(trigger));
                self.listen_status().await
            }
            Err(reason) => {
                lock(&listener.status).error = Some(reason.clone());
                listener.set_state(ListenState::Idle, None);
                Err(AppError::NotSupported(format!("cannot listen: {reason}")))
            }
        }
    }

    /// Stops listening (key up): transcribes, carries out the command (a
    /// trade waits for confirmation) and reads the reply aloud when asked.
    pub async fn listen_stop(&self) -> Result<VoiceRun, AppError> {
        let listener = &self.listener;
        let trigger = {
            let status = lock(&listener.status);
            if status.state != ListenState::Listening {
                return Err(AppError::Invalid {
                    field: "state",
                    reason: "not listening: start first".into(),
                });
            }
            status.trigger.unwrap_or(ListenTrigger::Ui)
        };
        let settings = self.voice_settings().await?;
        let Some(model) = self.model_path(&settings) else {
            listener.set_state(ListenState::Idle, None);
            return Err(AppError::NotSupported(
                "no speech model: install one in Settings → Voice".into(),
            ));
        };
        listener.set_state(ListenState::Transcribing, Some(trigger));
        let (reply, answer) = tokio::sync::oneshot::channel();
        listener.send(Command::Stop { model, reply })?;
        let heard = answer
            .await
            .unwrap_or_else(|_| Err("the voice thread has stopped".into()));
        let heard = match heard {
            Ok(h) => h,
            Err(reason) => {
                lock(&listener.status).error = Some(reason.clone());
                listener.set_state(ListenState::Idle, None);
                return Err(AppError::NotSupported(reason));
            }
        };
        let mut ms = heard.ms;
        let acting = Instant::now();
        let outcome = if heard.text.is_empty() {
            None
        } else {
            Some(
                match self
                    .voice_command(VoiceCommand {
                        text: heard.text.clone(),
                    })
                    .await
                {
                    Ok(outcome) => outcome,
                    Err(e) => VoiceOutcome::refused(e.to_string(), heard.intent.clone()),
                },
            )
        };
        ms.act = ms_of(acting.elapsed());
        let reply_text = match &outcome {
            Some(o) if o.status != VoiceStatus::ForChat => Some(o.message.clone()),
            Some(_) => None, // chat answers are read by the chat screen
            None => heard.error.clone(),
        };
        let spoken = match reply_text {
            Some(text) if settings.speak_replies => self.speak(&text).then_some(text),
            _ => None,
        };
        let run = VoiceRun {
            id: uuid::Uuid::new_v4().to_string(),
            at: Utc::now(),
            trigger,
            device: heard.device,
            audio_ms: heard.audio_ms,
            text: heard.text,
            intent: heard.intent,
            error: heard.error,
            outcome,
            ms,
            spoken: spoken.clone(),
        };
        {
            let mut history = lock(&listener.history);
            if history.len() == HISTORY {
                history.pop_back();
            }
            history.push_front(run.clone());
        }
        if spoken.is_none() {
            listener.set_state(ListenState::Idle, None);
        }
        self.bus.publish(Event::VoiceFinished {
            run_id: run.id.clone(),
        });
        Ok(run)
    }

    /// Press once to start, again to stop.
    pub async fn listen_toggle(&self, trigger: ListenTrigger) -> Result<ListenStatus, AppError> {
        if lock(&self.listener.status).state == ListenState::Listening {
            self.listen_stop().await?;
            self.listen_status().await
        } else {
            self.listen_start(trigger).await
        }
    }

    /// Voice commands heard, newest first.
    pub fn voice_history(&self) -> Vec<VoiceRun> {
        lock(&self.listener.history).iter().cloned().collect()
    }

    /// Reads `text` aloud (Piper where installed, else espeak-ng); false
    /// when neither can start. The state is `speaking` until it ends or the
    /// next press hushes it.
    fn speak(&self, text: &str) -> bool {
        let speech = match crate::tts::Speech::start(text, &self.models_dir()) {
            Ok(s) => s,
            Err(e) => {
                tracing::debug!(error = %e, "no text-to-speech engine: replies are not spoken");
                return false;
            }
        };
        *lock(&self.listener.speech) = Some(speech);
        self.listener.set_state(ListenState::Speaking, None);
        let speech = self.listener.speech.clone();
        let status = self.listener.status.clone();
        let bus = self.bus.clone();
        std::thread::spawn(move || {
            loop {
                std::thread::sleep(Duration::from_millis(100));
                let mut guard = lock(&speech);
                let finished = match guard.as_mut() {
                    Some(speech) => speech.finished(),
                    None => true, // hushed by the next press
                };
                if finished {
                    guard.take();
                    drop(guard);
                    let mut s = lock(&status);
                    if s.state == ListenState::Speaking {
                        s.state = ListenState::Idle;
                        s.trigger = None;
                        drop(s);
                        bus.publish(Event::VoiceState {
                            state: "idle".into(),
                            trigger: None,
                        });
                    }
                    return;
                }
            }
        });
        true
    }
}

/// The audio thread: owns the recorder and the model.
fn audio_thread(commands: mpsc::Receiver<Command>, bus: EventBus) {
    let mut recorder: Option<(Option<String>, Recorder)> = None;
    let mut recording_since: Option<Instant> = None;
    let mut last_used = Instant::now();
    let mut model: Option<(PathBuf, WhisperTranscriber)> = None;
    let options = SttOptions::default();
    loop {
        let wait = if recording_since.is_some() {
            LEVEL_EVERY
        } else if recorder.is_some() {
            ARMED_FOR.saturating_sub(last_used.elapsed())
        } else {
            Duration::from_secs(3600)
        };
        match commands.recv_timeout(wait) {
            Ok(Command::Start { device, reply }) => {
                let reopen = !matches!(&recorder, Some((d, _)) if *d == device);
                if reopen {
                    recorder = None; // close the old device first
                    match Recorder::open(device.as_deref(), DEFAULT_PRE_ROLL) {
                        Ok(r) => recorder = Some((device, r)),
                        Err(e) => {
                            let _ = reply.send(Err(e.to_string()));
                            continue;
                        }
                    }
                }
                if let Some((_, r)) = &recorder {
                    r.start();
                    recording_since = Some(Instant::now());
                    let _ = reply.send(Ok(r.device_name().to_owned()));
                }
            }
            Ok(Command::Stop { model: path, reply }) => {
                let Some(started) = recording_since.take() else {
                    let _ = reply.send(Err("not listening".into()));
                    continue;
                };
                last_used = Instant::now();
                let Some((_, r)) = &recorder else {
                    let _ = reply.send(Err("the microphone closed".into()));
                    continue;
                };
                let heard = hear(r, started, &path, &mut model, &options);
                if heard.is_err() {
                    // The device may be gone (unplugged): reopen on the next press.
                    recorder = None;
                }
                let _ = reply.send(heard);
            }
            Ok(Command::Warm { model: path }) => {
                if model.as_ref().is_none_or(|(p, _)| *p != path) {
                    match WhisperTranscriber::load_with(&path, options.clone()) {
                        Ok(t) => model = Some((path, t)),
                        Err(e) => tracing::warn!(error = %e, "speech model not loaded"),
                    }
                }
            }
            Err(RecvTimeoutError::Timeout) => {
                if recording_since.is_some() {
                    if let Some((_, r)) = &recorder {
                        bus.publish(Event::VoiceLevel { level: r.level() });
                    }
                } else if recorder.is_some() && last_used.elapsed() >= ARMED_FOR {
                    recorder = None; // idle: close the microphone
                }
            }
            Err(RecvTimeoutError::Disconnected) => return,
        }
    }
}

/// Key up: the take, resampled, trimmed, transcribed and parsed.
fn hear(
    recorder: &Recorder,
    started: Instant,
    path: &std::path::Path,
    model: &mut Option<(PathBuf, WhisperTranscriber)>,
    options: &SttOptions,
) -> Result<Heard, String> {
    let key_up = Instant::now();
    let capture_ms = ms_of(key_up - started);
    let audio = recorder.stop().map_err(|e| e.to_string())?;
    let audio_ms = audio.duration_ms();
    let resample_started = Instant::now();
    let samples = jarvis_voice::resample_to_16k(&audio.samples, audio.sample_rate)
        .map_err(|e| e.to_string())?;
    let resample = ms_of(resample_started.elapsed());
    let mut model_load = 0.0;
    if model.as_ref().is_none_or(|(p, _)| p != path) {
        if !path.is_file() {
            return Err(format!(
                "no speech model at {}: install one in Settings → Voice",
                path.display()
            ));
        }
        let loading = Instant::now();
        let t = WhisperTranscriber::load_with(path, options.clone()).map_err(|e| e.to_string())?;
        model_load = ms_of(loading.elapsed());
        *model = Some((path.to_owned(), t));
    }
    let (_, transcriber) = model.as_ref().expect("loaded above");
    let device = recorder.device_name().to_owned();
    match jarvis_voice::transcribe_audio(
        &samples,
        transcriber,
        options,
        &IntentContext::default(),
        "the microphone",
    ) {
        Ok(report) => Ok(Heard {
            device,
            audio_ms,
            text: report.text,
            intent: report.intent,
            error: report.error,
            ms: ListenTimings {
                capture: capture_ms,
                resample,
                vad: report.ms.vad,
                model_load,
                transcribe: report.ms.transcribe,
                intent: report.ms.intent,
                key_up_to_text: ms_of(key_up.elapsed()),
                act: 0.0,
            },
        }),
        Err(jarvis_voice::VoiceError::NoSpeech { .. }) => Ok(Heard {
            device,
            audio_ms,
            text: String::new(),
            intent: None,
            error: Some(
                "nothing was heard: hold the key while you speak, close to the microphone".into(),
            ),
            ms: ListenTimings {
                capture: capture_ms,
                resample,
                model_load,
                key_up_to_text: ms_of(key_up.elapsed()),
                ..ListenTimings::default()
            },
        }),
        Err(e) => Err(e.to_string()),
    }
}

fn ms_of(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}
