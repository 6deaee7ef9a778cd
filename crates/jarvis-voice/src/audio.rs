//! Audio in: a WAV file of any common layout becomes 16 kHz mono `f32`, the
//! only form whisper accepts.

use std::path::{Path, PathBuf};

use rubato::audioadapter_buffers::direct::InterleavedSlice;
use rubato::{Fft, FixedSync, Resampler};
use thiserror::Error;

/// The sample rate whisper was trained on.
pub const WHISPER_SAMPLE_RATE: u32 = 16_000;

/// Why a file could not be turned into audio; every message names the file.
#[derive(Debug, Error)]
pub enum AudioError {
    #[error("{}: cannot read: {source}", path.display())]
    Read {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("{}: not a WAV file ({reason})", path.display())]
    NotWav { path: PathBuf, reason: String },
    #[error("{}: unsupported WAV format: {reason}", path.display())]
    Unsupported { path: PathBuf, reason: String },
    #[error("{}: empty audio", path.display())]
    Empty { path: PathBuf },
    #[error("{}: {source}", path.display())]
    Resample {
        path: PathBuf,
        source: ResampleError,
    },
}

/// Sample-rate conversion failed (only for rates the resampler cannot plan).
#[derive(Debug, Error)]
#[error("cannot resample from {from} Hz to {to} Hz: {reason}")]
pub struct ResampleError {
    pub from: u32,
    pub to: u32,
    pub reason: String,
}

/// Mono samples at some rate, as read from a file or a device.
#[derive(Debug, Clone, PartialEq)]
pub struct MonoAudio {
    pub samples: Vec<f32>,
    pub sample_rate: u32,
}

impl MonoAudio {
    /// Length in milliseconds.
    pub fn duration_ms(&self) -> f64 {
        duration_ms(self.samples.len(), self.sample_rate)
    }
}

/// Milliseconds that `samples` last at `sample_rate`.
pub fn duration_ms(samples: usize, sample_rate: u32) -> f64 {
    if sample_rate == 0 {
        return 0.0;
    }
    samples as f64 * 1000.0 / f64::from(sample_rate)
}

/// Reads a WAV file (8/16/24/32-bit integer or 32-bit float, any channel
/// count) and resamples it to 16 kHz mono.
pub fn load_wav_16k(path: &Path) -> Result<Vec<f32>, AudioError> {
    let audio = read_wav_mono(path)?;
    resample_to_16k(&audio.samples, audio.sample_rate).map_err(|source| AudioError::Resample {
        path: path.to_path_buf(),
        source,
    })
}

/// Reads a WAV file and averages its channels to mono, at the file's own rate.
pub fn read_wav_mono(path: &Path) -> Result<MonoAudio, AudioError> {
    let reader = hound::WavReader::open(path).map_err(|e| wav_error(path, e))?;
    let spec = reader.spec();
    let channels = usize::from(spec.channels);
    if channels == 0 {
        return Err(AudioError::Unsupported {
            path: path.to_path_buf(),
            reason: "zero channels".into(),
        });
    }
    let interleaved: Vec<f32> = match (spec.sample_format, spec.bits_per_sample) {
        (hound::SampleFormat::Float, 32) => reader
            .into_samples::<f32>()
            .collect::<Result<_, _>>()
            .map_err(|e| wav_error(path, e))?,
        (hound::SampleFormat::Int, bits @ 1..=32) => {
            // Full scale of a signed `bits`-wide integer, so every depth lands in [-1, 1).
            let scale = 1.0 / f64::from(1u32 << (bits - 1)) as f32;
            reader
                .into_samples::<i32>()
                .map(|s| s.map(|v| v as f32 * scale))
                .collect::<Result<_, _>>()
                .map_err(|e| wav_error(path, e))?
        }
        (format, bits) => {
            return Err(AudioError::Unsupported {
                path: path.to_path_buf(),
                reason: format!("{bits}-bit {format:?} samples"),
            });
        }
    };
    let samples = downmix(&interleaved, channels);
    if samples.is_empty() {
        return Err(AudioError::Empty {
            path: path.to_path_buf(),
        });
    }
    Ok(MonoAudio {
        samples,
        sample_rate: spec.sample_rate,
    })
}

/// Averages interleaved frames to one channel; a trailing partial frame is dropped.
pub fn downmix(interleaved: &[f32], channels: usize) -> Vec<f32> {
    match channels {
        0 => Vec::new(),
        1 => interleaved.to_vec(),
        n => interleaved
            .chunks_exact(n)
            .map(|frame| frame.iter().sum::<f32>() / n as f32)
            .collect(),
    }
}

/// Converts mono audio to 16 kHz.
///
/// rubato's synchronous FFT resampler: the rate ratio of a file is fixed, and
/// for that case it is both the fastest and the cleanest (anti-aliased)
/// converter rubato offers; rubato itself is the maintained, pure-Rust
/// standard for sample-rate conversion (no C library to build).
pub fn resample_to_16k(samples: &[f32], sample_rate: u32) -> Result<Vec<f32>, ResampleError> {
    resample(samples, sample_rate, WHISPER_SAMPLE_RATE)
}

/// Converts mono audio between two fixed rates.
pub fn resample(samples: &[f32], from: u32, to: u32) -> Result<Vec<f32>, ResampleError> {
    if from == to || samples.is_empty() {
        return Ok(samples.to_vec());
    }
    let fail = |reason: String| ResampleError { from, to, reason };
    // Any chunk size works for a whole clip; 1024 keeps the FFTs small.
    let mut resampler = Fft::<f32>::new(from as usize, to as usize, 1024, 1, FixedSync::Both)
        .map_err(|e| fail(e.to_string()))?;
    let input =
        InterleavedSlice::new(samples, 1, samples.len()).map_err(|e| fail(e.to_string()))?;
    let output = resampler
        .process_all(&input, samples.len(), None)
        .map_err(|e| fail(e.to_string()))?;
    Ok(output.take_data())
}

fn wav_error(path: &Path, error: hound::Error) -> AudioError {
    let path = path.to_path_buf();
    match error {
        hound::Error::IoError(source) => AudioError::Read { path, source },
        hound::Error::FormatError(reason) => AudioError::NotWav {
            path,
            reason: reason.to_string(),
        },
        hound::Error::Unsupported => AudioError::Unsupported {
            path,
            reason: "encoding other than PCM or IEEE float".into(),
        },
        other => AudioError::NotWav {
            path,
            reason: other.to_string(),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn write_wav(path: &Path, spec: hound::WavSpec, frames: &[Vec<f32>]) {
        let mut writer = hound::WavWriter::create(path, spec).expect("create wav");
        for frame in frames {
            for &value in frame {
                match (spec.sample_format, spec.bits_per_sample) {
                    (hound::SampleFormat::Float, _) => writer.write_sample(value).expect("write"),
                    (_, 16) => writer
                        .write_sample((value * 32767.0) as i16)
                        .expect("write"),
                    (_, 24) => writer
                        .write_sample((value * 8_388_607.0) as i32)
                        .expect("write"),
                    (_, bits) => panic!("test writes no {bits}-bit ints"),
                }
            }
        }
        writer.finalize().expect("finalize");
    }

    fn tone(rate: u32, seconds: f32, hz: f32) -> Vec<f32> {
        let n = (rate as f32 * seconds) as usize;
        (0..n)
            .map(|i| 0.5 * (std::f32::consts::TAU * hz * i as f32 / rate as f32).sin())
            .collect()
    }

    fn temp_wav(name: &str) -> (tempfile::TempDir, PathBuf) {
        let dir = tempfile::tempdir().expect("temp dir");
        let path = dir.path().join(name);
        (dir, path)
    }

    #[test]
    fn stereo_44k_int16_becomes_16k_mono() {
        let (_dir, path) = temp_wav("stereo.wav");
        let spec = hound::WavSpec {
            channels: 2,
            sample_rate: 44_100,
            bits_per_sample: 16,
            sample_format: hound::SampleFormat::Int,
        };
        let left = tone(44_100, 1.0, 440.0);
        // Opposite phase on the right: a correct downmix cancels to silence.
        let frames: Vec<Vec<f32>> = left.iter().map(|&v| vec![v, -v]).collect();
        write_wav(&path, spec, &frames);
        let out = load_wav_16k(&path).expect("load");
        assert!(
            (out.len() as i64 - 16_000).abs() <= 2,
            "{} samples",
            out.len()
        );
        assert!(out.iter().all(|v| v.abs() < 1e-3), "channels not averaged");
    }

    #[test]
    fn float_48k_tone_keeps_its_pitch_and_level() {
        let (_dir, path) = temp_wav("float.wav");
        let spec = hound::WavSpec {
            channels: 1,
            sample_rate: 48_000,
            bits_per_sample: 32,
            sample_format: hound::SampleFormat::Float,
        };
        let frames: Vec<Vec<f32>> = tone(48_000, 0.5, 1000.0)
            .into_iter()
            .map(|v| vec![v])
            .collect();
        write_wav(&path, spec, &frames);
        let out = load_wav_16k(&path).expect("load");
        assert!(
            (out.len() as i64 - 8_000).abs() <= 2,
            "{} samples",
            out.len()
        );
        // Away from the edges it is the same 1 kHz sine at 16 kHz.
        let expected = tone(16_000, 0.5, 1000.0);
        let worst = out[400..7_600]
            .iter()
            .zip(&expected[400..7_600])
            .map(|(a, b)| (a - b).abs())
            .fold(0.0f32, f32::max);
        assert!(worst < 0.01, "resampled sine off by {worst}");
    }

    #[test]
    fn int24_is_scaled_to_unit_range() {
        let (_dir, path) = temp_wav("int24.wav");
        let spec = hound::WavSpec {
            channels: 1,
            sample_rate: 16_000,
            bits_per_sample: 24,
            sample_format: hound::SampleFormat::Int,
        };
        write_wav(&path, spec, &[vec![0.5], vec![-0.25]]);
        let out = load_wav_16k(&path).expect("load");
        assert_eq!(out.len(), 2);
        assert!(
            (out[0] - 0.5).abs() < 1e-4 && (out[1] + 0.25).abs() < 1e-4,
            "{out:?}"
        );
    }

    #[test]
    fn text_file_is_not_a_wav() {
        let (_dir, path) = temp_wav("notes.wav");
        std::fs::write(&path, "buy ten shares of apple").expect("write");
        let err = load_wav_16k(&path).expect_err("text is not audio");
        let message = err.to_string();
        assert!(matches!(err, AudioError::NotWav { .. }), "{err:?}");
        assert!(
            message.contains("notes.wav") && message.contains("not a WAV file"),
            "{message}"
        );
    }

    #[test]
    fn missing_file_names_the_path() {
        let err = load_wav_16k(Path::new("/nonexistent/command.wav")).expect_err("missing");
        assert!(matches!(err, AudioError::Read { .. }), "{err:?}");
        assert!(
            err.to_string()
                .starts_with("/nonexistent/command.wav: cannot read"),
            "{err}"
        );
    }

    #[test]
    fn header_without_samples_is_empty_audio() {
        let (_dir, path) = temp_wav("empty.wav");
        let spec = hound::WavSpec {
            channels: 1,
            sample_rate: 16_000,
            bits_per_sample: 16,
            sample_format: hound::SampleFormat::Int,
        };
        write_wav(&path, spec, &[]);
        let err = load_wav_16k(&path).expect_err("empty");
        assert!(err.to_string().ends_with("empty.wav: empty audio"), "{err}");
    }

    #[test]
    fn same_rate_is_untouched() {
        let samples = vec![0.1, -0.2, 0.3];
        assert_eq!(resample_to_16k(&samples, 16_000).expect("noop"), samples);
    }

    #[test]
    fn downmix_drops_a_partial_frame() {
        assert_eq!(downmix(&[1.0, 0.0, 0.5, 0.5, 1.0], 2), vec![0.5, 0.5]);
    }
}
