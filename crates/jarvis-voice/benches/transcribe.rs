//! "Audio ready → text" for each voice fixture with a warm whisper tiny.en on
//! one thread: Jarvis's settings against whisper.cpp's defaults.
//!
//! Run: `cargo bench -p jarvis-voice --bench transcribe`
//! (`JARVIS_BENCH_REPS` sets the runs per figure, default 5; each figure is
//! the median).
//!
//! Columns:
//! - `fast`: `SttOptions::default()` — silence trimmed, encoder window fitted
//!   to the clip, greedy, no timestamps, one segment, short command prompt.
//! - `fast+vocab`: the same with the full `command_vocabulary()` prompt
//!   (~155 tokens), to show what a long prompt costs.
//! - `default`: `SttOptions::whisper_defaults()` — whisper.cpp's full
//!   30-second window, no trimming, no prompt, temperature fallback on.
//!
//! whisper.cpp's own CLI is not compared: whisper-rs-sys vendors only
//! whisper.cpp's library sources (no `examples/`, so no `whisper-cli`), and
//! nothing else may be downloaded here.

#[path = "../tests/common/mod.rs"]
mod common;

use std::time::Instant;

use jarvis_voice::{
    SttOptions, WHISPER_SAMPLE_RATE, WhisperTranscriber, command_vocabulary, load_wav_16k, vad,
};

/// Time this thread has spent on a CPU, in ms (`/proc/thread-self/schedstat`,
/// nanoseconds). With one whisper thread it is what the wall time would be
/// on an idle machine; `None` where the kernel does not expose it.
fn thread_cpu_ms() -> Option<f64> {
    let stat = std::fs::read_to_string("/proc/thread-self/schedstat").ok()?;
    let ns: f64 = stat.split_whitespace().next()?.parse().ok()?;
    Some(ns / 1e6)
}

struct Run {
    wall_ms: f64,
    cpu_ms: Option<f64>,
    text: String,
}

/// Audio ready → text: silence trimming (when on) plus whisper.
fn audio_to_text(model: &WhisperTranscriber, samples: &[f32], opts: &SttOptions) -> Run {
    let cpu_before = thread_cpu_ms();
    let started = Instant::now();
    let speech = if opts.trim_silence {
        vad::trim_silence(samples, WHISPER_SAMPLE_RATE).unwrap_or(samples)
    } else {
        samples
    };
    let text = match model.transcribe_with(speech, opts) {
        Ok(transcript) => transcript.text,
        Err(e) => format!("<error: {e}>"),
    };
    let wall_ms = started.elapsed().as_secs_f64() * 1000.0;
    let cpu_ms = thread_cpu_ms()
        .zip(cpu_before)
        .map(|(after, before)| after - before);
    Run {
        wall_ms,
        cpu_ms,
        text,
    }
}

fn median(mut values: Vec<f64>) -> f64 {
    values.sort_by(f64::total_cmp);
    values.get(values.len() / 2).copied().unwrap_or(f64::NAN)
}

struct Column {
    name: &'static str,
    opts: SttOptions,
    wall: Vec<f64>,
    cpu: Vec<f64>,
    correct: usize,
}

impl Column {
    fn new(name: &'static str, opts: SttOptions) -> Self {
        Self {
            name,
            opts,
            wall: Vec::new(),
            cpu: Vec::new(),
            correct: 0,
        }
    }
}

fn main() {
    let reps: usize = std::env::var("JARVIS_BENCH_REPS")
        .ok()
        .and_then(|v| v.parse().ok())
        .filter(|&n| n > 0)
        .unwrap_or(5);
    let model_path = common::model_path();
    let load_started = Instant::now();
    let model = WhisperTranscriber::load(&model_path)
        .unwrap_or_else(|e| panic!("cannot load {}: {e}", model_path.display()));
    let load_ms = load_started.elapsed().as_secs_f64() * 1000.0;
    println!(
        "whisper tiny.en ({}), 1 thread, model load {load_ms:.0} ms, median of {reps} runs",
        model_path.display()
    );
    println!(
        "fast prompt: {} tokens; load average before: {}\n",
        model.prompt_tokens(),
        load_average()
    );

    let mut columns = vec![
        Column::new("fast", SttOptions::default()),
        Column::new(
            "fast+vocab",
            SttOptions {
                prompt: Some(command_vocabulary()),
                ..SttOptions::default()
            },
        ),
        Column::new("default", SttOptions::whisper_defaults()),
    ];
    println!("each cell: wall ms / on-CPU ms (on-CPU ≈ wall on an idle machine)");
    print!("{:>13} {:>7}", "fixture", "audio");
    for column in &columns {
        print!(" {:>17}", column.name);
    }
    println!("   text (fast)");

    for (id, reference) in common::fixtures() {
        let path = common::fixtures_dir().join(format!("{id}.wav"));
        let samples = load_wav_16k(&path).unwrap_or_else(|e| panic!("{e}"));
        let wanted = common::comparable_intent(&reference);
        print!(
            "{id:>13} {:>5.2} s",
            samples.len() as f64 / f64::from(WHISPER_SAMPLE_RATE)
        );
        let mut fast_text = String::new();
        for column in &mut columns {
            // One untimed run first: the first call after switching options
            // pays for growing whisper's buffers.
            audio_to_text(&model, &samples, &column.opts);
            let mut wall = Vec::with_capacity(reps);
            let mut cpu = Vec::with_capacity(reps);
            let mut text = String::new();
            for _ in 0..reps {
                let run = audio_to_text(&model, &samples, &column.opts);
                wall.push(run.wall_ms);
                cpu.extend(run.cpu_ms);
                text = run.text;
            }
            let (wall, cpu) = (median(wall), median(cpu));
            let right = common::comparable_intent(&text) == wanted;
            column.correct += usize::from(right);
            column.wall.push(wall);
            column.cpu.push(cpu);
            print!(
                " {wall:>7.0} / {cpu:>4.0} ms{}",
                if right { ' ' } else { '!' }
            );
            if column.name == "fast" {
                fast_text = text;
            }
        }
        println!("   {fast_text:?}");
    }

    print!("{:>13} {:>7}", "median", "");
    for column in &columns {
        print!(
            " {:>7.0} / {:>4.0} ms ",
            median(column.wall.clone()),
            median(column.cpu.clone())
        );
    }
    println!();
    print!("{:>13} {:>7}", "right intent", "");
    for column in &columns {
        print!(" {:>14}/{:<2} ", column.correct, column.wall.len());
    }
    println!("\n\n'!' marks a transcript whose intent differs from the reference's.");
    println!("load average after: {}", load_average());
}

/// The 1-minute load average, since other work on the machine skews every figure.
fn load_average() -> String {
    std::fs::read_to_string("/proc/loadavg")
        .ok()
        .and_then(|s| s.split_whitespace().next().map(str::to_string))
        .unwrap_or_else(|| "unknown".into())
}
