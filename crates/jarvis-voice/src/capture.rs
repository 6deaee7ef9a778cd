//! Microphone capture with cpal: a [`Recorder`] listens while armed, keeps
//! the last ~300 ms in a pre-roll buffer (so the first syllable said just
//! before the hotkey is not lost), and on [`Recorder::stop`] hands back what
//! was said as mono `f32`.

use std::collections::VecDeque;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use cpal::traits::{DeviceTrait, HostTrait, StreamTrait};
use cpal::{FromSample, SampleFormat, SizedSample};
use thiserror::Error;

use crate::audio::{MonoAudio, ResampleError, resample_to_16k};

/// Audio kept from before [`Recorder::start`].
pub const DEFAULT_PRE_ROLL: Duration = Duration::from_millis(300);

/// Why the microphone could not be used; messages say what to check.
#[derive(Debug, Error)]
pub enum CaptureError {
    #[error("no default microphone: is an input device connected and not muted?")]
    NoDefaultDevice,
    #[error("no microphone named \"{name}\"; available: {}", available.join(", "))]
    DeviceNotFound {
        name: String,
        available: Vec<String>,
    },
    #[error("cannot list microphones: {0}")]
    Devices(String),
    #[error("microphone \"{device}\" has no usable input format: {reason}")]
    Config { device: String, reason: String },
    #[error("microphone \"{device}\" uses {format} samples, which are not supported")]
    SampleFormat { device: String, format: String },
    #[error("cannot record from \"{device}\": {reason}")]
    Stream { device: String, reason: String },
    #[error(transparent)]
    Resample(#[from] ResampleError),
}

/// An open microphone. It listens from [`Recorder::open`] on (armed) but
/// keeps only the pre-roll until [`Recorder::start`].
pub struct Recorder {
    // Kept alive for as long as the recorder: dropping it closes the device.
    stream: cpal::Stream,
    shared: Arc<Mutex<Take>>,
    device: String,
    sample_rate: u32,
}

impl std::fmt::Debug for Recorder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Recorder")
            .field("device", &self.device)
            .field("sample_rate", &self.sample_rate)
            .finish_non_exhaustive()
    }
}

impl Recorder {
    /// Opens the default input device, or the one whose name is (or
    /// contains, ignoring case) `device`, and starts listening.
    pub fn open(device: Option<&str>, pre_roll: Duration) -> Result<Self, CaptureError> {
        let host = cpal::default_host();
        let device = match device {
            None => host
                .default_input_device()
                .ok_or(CaptureError::NoDefaultDevice)?,
            Some(wanted) => find_device(&host, wanted)?,
        };
        let name = device_name(&device);
        let supported = device
            .default_input_config()
            .map_err(|e| CaptureError::Config {
                device: name.clone(),
                reason: e.to_string(),
            })?;
        let sample_rate = supported.sample_rate();
        let channels = usize::from(supported.channels()).max(1);
        let format = supported.sample_format();
        // Keep the device's default buffer size: a fixed size stalled the
        // PulseAudio bridge in tests.
        let config: cpal::StreamConfig = supported.into();
        let pre_roll_samples = (u128::from(sample_rate) * pre_roll.as_millis() / 1000)
            .min(usize::MAX as u128) as usize;
        let shared = Arc::new(Mutex::new(Take::new(pre_roll_samples)));

        let stream = match format {
            SampleFormat::F32 => build::<f32>(&device, config, channels, &shared),
            SampleFormat::I16 => build::<i16>(&device, config, channels, &shared),
            SampleFormat::I32 => build::<i32>(&device, config, channels, &shared),
            SampleFormat::U16 => build::<u16>(&device, config, channels, &shared),
            SampleFormat::I8 => build::<i8>(&device, config, channels, &shared),
            SampleFormat::U8 => build::<u8>(&device, config, channels, &shared),
            SampleFormat::F64 => build::<f64>(&device, config, channels, &shared),
            other => {
                return Err(CaptureError::SampleFormat {
                    device: name,
                    format: other.to_string(),
                });
            }
        }
        .map_err(|e| CaptureError::Stream {
            device: name.clone(),
            reason: e.to_string(),
        })?;
        stream.play().map_err(|e| CaptureError::Stream {
            device: name.clone(),
            reason: e.to_string(),
        })?;
        Ok(Self {
            stream,
            shared,
            device: name,
            sample_rate,
        })
    }

    /// Opens the default microphone with [`DEFAULT_PRE_ROLL`].
    pub fn open_default() -> Result<Self, CaptureError> {
        Self::open(None, DEFAULT_PRE_ROLL)
    }

    pub fn device_name(&self) -> &str {
        &self.device
    }

    /// The device's own rate, that of [`Recorder::stop`]'s audio.
    pub fn sample_rate(&self) -> u32 {
        self.sample_rate
    }

    /// Starts keeping audio, beginning with the pre-roll.
    pub fn start(&self) {
        self.take().start();
    }

    /// Stops keeping audio and returns it (pre-roll included) at the
    /// device's rate; the recorder stays armed for the next command.
    pub fn stop(&self) -> Result<MonoAudio, CaptureError> {
        let (samples, error) = self.take().stop();
        if let Some(reason) = error.filter(|_| samples.is_empty()) {
            return Err(CaptureError::Stream {
                device: self.device.clone(),
                reason,
            });
        }
        Ok(MonoAudio {
            samples,
            sample_rate: self.sample_rate,
        })
    }

    /// [`Recorder::stop`], resampled to 16 kHz for whisper.
    pub fn stop_16k(&self) -> Result<Vec<f32>, CaptureError> {
        let audio = self.stop()?;
        Ok(resample_to_16k(&audio.samples, audio.sample_rate)?)
    }

    /// Pauses the device (no more audio, not even pre-roll).
    pub fn pause(&self) -> Result<(), CaptureError> {
        self.stream.pause().map_err(|e| CaptureError::Stream {
            device: self.device.clone(),
            reason: e.to_string(),
        })
    }

    /// The loudness of the newest audio, 0 (silence) to 1 (full scale), as
    /// a root mean square: what a level meter shows.
    pub fn level(&self) -> f32 {
        self.take().level
    }

    fn take(&self) -> std::sync::MutexGuard<'_, Take> {
        // The audio callback never panics while holding the lock, but a
        // poisoned buffer is still a buffer.
        self.shared.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

/// Names of the input devices, for a settings list or an error message.
pub fn input_device_names() -> Result<Vec<String>, CaptureError> {
    let devices = cpal::default_host()
        .input_devices()
        .map_err(|e| CaptureError::Devices(e.to_string()))?;
    Ok(devices.map(|d| device_name(&d)).collect())
}

fn find_device(host: &cpal::Host, wanted: &str) -> Result<cpal::Device, CaptureError> {
    let mut devices: Vec<cpal::Device> = host
        .input_devices()
        .map_err(|e| CaptureError::Devices(e.to_string()))?
        .collect();
    let lower = wanted.to_lowercase();
    let position = devices
        .iter()
        .position(|d| device_name(d) == wanted)
        .or_else(|| {
            devices
                .iter()
                .position(|d| device_name(d).to_lowercase().contains(&lower))
        });
    match position {
        Some(i) => Ok(devices.swap_remove(i)),
        None => Err(CaptureError::DeviceNotFound {
            name: wanted.to_string(),
            available: devices.iter().map(device_name).collect(),
        }),
    }
}

fn device_name(device: &cpal::Device) -> String {
    device.to_string()
}

fn build<T>(
    device: &cpal::Device,
    config: cpal::StreamConfig,
    channels: usize,
    shared: &Arc<Mutex<Take>>,
) -> Result<cpal::Stream, cpal::Error>
where
    T: SizedSample,
    f32: FromSample<T>,
{
    let data = Arc::clone(shared);
    let errors = Arc::clone(shared);
    let mut mono = Vec::new();
    device.build_input_stream(
        config,
        move |input: &[T], _: &cpal::InputCallbackInfo| {
            // Downmix outside the lock, so the lock is held only to copy.
            mono.clear();
            mono.extend(input.chunks_exact(channels).map(|frame| {
                frame.iter().map(|s| s.to_sample::<f32>()).sum::<f32>() / channels as f32
            }));
            data.lock()
                .unwrap_or_else(PoisonError::into_inner)
                .push(&mono);
        },
        move |error: cpal::Error| {
            errors.lock().unwrap_or_else(PoisonError::into_inner).error = Some(error.to_string());
        },
        None,
    )
}

/// What the audio callback fills: the pre-roll ring while armed, the take
/// while recording.
#[derive(Debug)]
struct Take {
    pre_roll: VecDeque<f32>,
    capacity: usize,
    recording: Option<Vec<f32>>,
    error: Option<String>,
    /// RMS of the newest callback's samples.
    level: f32,
}

impl Take {
    fn new(capacity: usize) -> Self {
        Self {
            pre_roll: VecDeque::with_capacity(capacity),
            capacity,
            recording: None,
            error: None,
            level: 0.0,
        }
    }

    fn push(&mut self, samples: &[f32]) {
        if !samples.is_empty() {
            let power = samples.iter().map(|s| s * s).sum::<f32>() / samples.len() as f32;
            self.level = power.sqrt().min(1.0);
        }
        if let Some(recording) = &mut self.recording {
            recording.extend_from_slice(samples);
            return;
        }
        // Only the newest `capacity` samples matter.
        let fresh = &samples[samples.len().saturating_sub(self.capacity)..];
        let overflow = (self.pre_roll.len() + fresh.len()).saturating_sub(self.capacity);
        self.pre_roll.drain(..overflow);
        self.pre_roll.extend(fresh);
    }

    fn start(&mut self) {
        if self.recording.is_none() {
            self.error = None;
            self.recording = Some(self.pre_roll.drain(..).collect());
        }
    }

    fn stop(&mut self) -> (Vec<f32>, Option<String>) {
        (self.recording.take().unwrap_or_default(), self.error.take())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ramp(from: usize, n: usize) -> Vec<f32> {
        (from..from + n).map(|i| i as f32).collect()
    }

    #[test]
    fn armed_keeps_only_the_newest_pre_roll() {
        let mut take = Take::new(4);
        take.push(&ramp(0, 3));
        take.push(&ramp(3, 3));
        assert_eq!(take.pre_roll, ramp(2, 4));
        take.push(&ramp(6, 10));
        assert_eq!(take.pre_roll, ramp(12, 4));
    }

    #[test]
    fn recording_starts_with_the_pre_roll_and_keeps_everything() {
        let mut take = Take::new(2);
        take.push(&ramp(0, 5));
        take.start();
        take.push(&ramp(5, 3));
        let (samples, error) = take.stop();
        assert_eq!(samples, ramp(3, 5));
        assert_eq!(error, None);
        // Armed again: the next take begins from a fresh pre-roll.
        take.push(&ramp(8, 1));
        take.start();
        assert_eq!(take.stop().0, ramp(8, 1));
    }

    #[test]
    fn the_level_is_the_rms_of_the_newest_samples() {
        let mut take = Take::new(8);
        take.push(&[0.5, -0.5, 0.5, -0.5]);
        assert!((take.level - 0.5).abs() < 1e-6);
        take.push(&[0.0; 4]);
        assert_eq!(take.level, 0.0);
    }

    #[test]
    fn stop_without_start_is_empty() {
        let mut take = Take::new(8);
        take.push(&ramp(0, 4));
        assert!(take.stop().0.is_empty());
    }

    #[test]
    fn zero_pre_roll_keeps_nothing_before_start() {
        let mut take = Take::new(0);
        take.push(&ramp(0, 4));
        take.start();
        take.push(&ramp(4, 1));
        assert_eq!(take.stop().0, ramp(4, 1));
    }

    #[test]
    fn stream_errors_are_reported_once() {
        let mut take = Take::new(2);
        take.start();
        take.error = Some("device unplugged".into());
        assert_eq!(take.stop(), (Vec::new(), Some("device unplugged".into())));
        assert_eq!(take.stop(), (Vec::new(), None));
    }
}
