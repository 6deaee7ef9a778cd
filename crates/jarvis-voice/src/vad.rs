//! Energy-based voice-activity trimming: cut the silence before and after a
//! command so whisper encodes only the part that holds speech.
//!
//! Only the edges are cut; pauses inside the command stay, since a quiet
//! syllable mid-sentence must not split the words.

use std::ops::Range;

/// Frame length for the energy measure: short enough to find word edges,
/// long enough to average out a single period of a low voice.
const FRAME_MS: u32 = 20;
/// Kept on each side of the speech, so soft onsets ("f", "s") survive.
pub const PADDING_MS: u32 = 150;
/// Anything quieter than this is silence however quiet the recording is.
const ABSOLUTE_FLOOR_DB: f32 = -50.0;
/// Frames this far below the loudest frame count as background.
const BELOW_PEAK_DB: f32 = 35.0;

/// Where speech starts and ends in `samples`, padded by [`PADDING_MS`];
/// `None` when nothing rises above the silence threshold.
pub fn speech_range(samples: &[f32], sample_rate: u32) -> Option<Range<usize>> {
    let frame = (sample_rate * FRAME_MS / 1000).max(1) as usize;
    let levels: Vec<f32> = samples.chunks(frame).map(level_db).collect();
    let peak = levels.iter().copied().fold(f32::NEG_INFINITY, f32::max);
    let threshold = ABSOLUTE_FLOOR_DB.max(peak - BELOW_PEAK_DB);
    let first = levels.iter().position(|&db| db > threshold)?;
    let last = levels.iter().rposition(|&db| db > threshold)?;
    let padding = (sample_rate * PADDING_MS / 1000) as usize;
    let start = (first * frame).saturating_sub(padding);
    let end = ((last + 1) * frame + padding).min(samples.len());
    Some(start..end)
}

/// `samples` without leading and trailing silence; `None` if all of it is silence.
pub fn trim_silence(samples: &[f32], sample_rate: u32) -> Option<&[f32]> {
    speech_range(samples, sample_rate).map(|range| &samples[range])
}

/// RMS level of one frame in dB relative to full scale (digital silence is -inf).
fn level_db(frame: &[f32]) -> f32 {
    if frame.is_empty() {
        return f32::NEG_INFINITY;
    }
    let mean_square = frame.iter().map(|&s| s * s).sum::<f32>() / frame.len() as f32;
    10.0 * mean_square.log10()
}

#[cfg(test)]
mod tests {
    use super::*;

    const RATE: u32 = 16_000;

    fn silence(ms: u32) -> Vec<f32> {
        vec![0.0; (RATE * ms / 1000) as usize]
    }

    fn tone(ms: u32, amplitude: f32) -> Vec<f32> {
        (0..(RATE * ms / 1000))
            .map(|i| amplitude * (std::f32::consts::TAU * 220.0 * i as f32 / RATE as f32).sin())
            .collect()
    }

    /// Deterministic low-level hiss (a linear congruential generator).
    fn hiss(ms: u32, amplitude: f32) -> Vec<f32> {
        let mut state: u32 = 12_345;
        (0..(RATE * ms / 1000))
            .map(|_| {
                state = state.wrapping_mul(1_664_525).wrapping_add(1_013_904_223);
                amplitude * ((state >> 8) as f32 / (1u32 << 24) as f32 * 2.0 - 1.0)
            })
            .collect()
    }

    fn samples(ms: u32) -> usize {
        (RATE * ms / 1000) as usize
    }

    #[test]
    fn silence_tone_silence_keeps_the_tone_and_padding() {
        let audio = [silence(1000), tone(800, 0.3), silence(1200)].concat();
        let range = speech_range(&audio, RATE).expect("tone is voice");
        assert_eq!(
            range,
            samples(1000 - PADDING_MS)..samples(1800 + PADDING_MS)
        );
        assert_eq!(
            trim_silence(&audio, RATE).map(<[f32]>::len),
            Some(range.len())
        );
    }

    #[test]
    fn padding_is_clamped_at_the_edges() {
        let audio = [silence(50), tone(500, 0.3), silence(40)].concat();
        assert_eq!(speech_range(&audio, RATE), Some(0..audio.len()));
    }

    #[test]
    fn pauses_inside_speech_are_kept() {
        let audio = [
            silence(500),
            tone(300, 0.3),
            silence(600),
            tone(300, 0.3),
            silence(500),
        ]
        .concat();
        let range = speech_range(&audio, RATE).expect("voice");
        assert_eq!(range, samples(500 - PADDING_MS)..samples(1700 + PADDING_MS));
    }

    #[test]
    fn all_silence_is_no_speech() {
        assert_eq!(speech_range(&silence(2000), RATE), None);
        assert_eq!(trim_silence(&[], RATE), None);
    }

    #[test]
    fn quiet_hiss_alone_is_no_speech() {
        // About -60 dBFS: a quiet room through a decent microphone.
        assert_eq!(speech_range(&hiss(2000, 0.0017), RATE), None);
    }

    #[test]
    fn hiss_around_a_word_is_trimmed() {
        let noisy = |ms| hiss(ms, 0.003);
        let audio = [noisy(700), tone(600, 0.3), noisy(900)].concat();
        let range = speech_range(&audio, RATE).expect("voice");
        assert_eq!(range, samples(700 - PADDING_MS)..samples(1300 + PADDING_MS));
    }

    #[test]
    fn quiet_speech_is_still_speech() {
        // A distant speaker at about -36 dBFS is above the absolute floor.
        let audio = [silence(400), tone(500, 0.022), silence(400)].concat();
        let range = speech_range(&audio, RATE).expect("quiet voice");
        assert_eq!(range, samples(400 - PADDING_MS)..samples(900 + PADDING_MS));
    }

    #[test]
    fn other_sample_rates_use_their_own_frame_size() {
        let rate = 48_000;
        let audio: Vec<f32> = [vec![0.0; 48_000], vec![0.2; 24_000], vec![0.0; 48_000]].concat();
        let range = speech_range(&audio, rate).expect("voice");
        assert_eq!(range, (48_000 - 7_200)..(72_000 + 7_200));
    }
}
