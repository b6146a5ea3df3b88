//! Sample-rate conversion: mono `&[f32]` at 8–96 kHz -> mono `Vec<f32>` at another rate
//! (normally [`TARGET_RATE`]), whole-buffer ([`resample`]) or streaming ([`StreamResampler`]).
//!
//! Both use rubato's synchronous FFT resampler (`rubato::Fft`), which low-pass filters with a
//! windowed-sinc anti-aliasing filter (Blackman–Harris², cutoff ≈ 0.97 of the lower Nyquist
//! frequency) in the frequency domain. The FFT block is sized so the output side holds at
//! least [`MIN_FFT_OUT`] samples (it must be a multiple of `rate / gcd(from, to)`) and an even
//! number of input samples, which keeps the cutoff high (7.5 kHz passes at 0 dB, 8.5 kHz is
//! more than 140 dB down) while the delay stays small (320 output samples, 20 ms, at 44.1 kHz;
//! 256 at 48 kHz). Rates sharing no large factor with 16 kHz (say 44,101 Hz) need blocks of
//! one second or more: correct, but with that much latency.
//!
//! The filter delay (`fft_size_out / 2` output samples, an integer) is dropped from the
//! start, so output sample `k` sits at time `k / to_rate`, like input sample `k * from / to`.
//! Input is consumed in fixed blocks of the resampler's chunk size whatever the caller's
//! block size, so streaming in 128-sample blocks gives exactly the samples of one big call.

use rubato::audioadapter_buffers::direct::SequentialSlice;
use rubato::{Fft, FixedSync, Resampler, WindowFunction};

use super::{check_rate, sanitize, AudioError, TARGET_RATE};

/// Smallest FFT size, in output samples, of one resampler block (see the module docs).
pub const MIN_FFT_OUT: usize = 512;

/// Output length for `len` input samples: `round(len * to / from)`, but at least 1 when `len > 0`
/// (a single input sample always yields a sample).
pub fn resampled_len(len: usize, from_rate: u32, to_rate: u32) -> usize {
    if len == 0 || from_rate == 0 {
        return 0;
    }
    let num = len as u128 * u128::from(to_rate);
    let from = u128::from(from_rate);
    let rounded = (num + from / 2) / from;
    (rounded as usize).max(1)
}

/// Resamples mono `samples` from `from_rate` to `to_rate` with an anti-aliasing sinc filter.
///
/// Both rates must be within 8–96 kHz. Equal rates return a copy. The output has
/// [`resampled_len`] samples (`round(len * to / from)`, at least 1) and no start delay. Empty
/// input gives empty output. Input should already be [`sanitize`]d: a NaN would spread over
/// the resampler block that contains it.
///
/// # Errors
/// [`AudioError::UnsupportedRate`] for a rate outside 8–96 kHz.
pub fn resample(samples: &[f32], from_rate: u32, to_rate: u32) -> Result<Vec<f32>, AudioError> {
    check_rate(from_rate)?;
    check_rate(to_rate)?;
    if from_rate == to_rate {
        return Ok(samples.to_vec());
    }
    let mut engine = Engine::new(from_rate, to_rate)?;
    let mut out = Vec::with_capacity(resampled_len(samples.len(), from_rate, to_rate));
    engine.push(samples, &mut out, false);
    engine.finish(&mut out);
    Ok(out)
}

/// Streaming resampler from a device rate to [`TARGET_RATE`] (16 kHz), for microphone input.
///
/// Push blocks of any size (an AudioWorklet hands 128 samples); complete 16 kHz samples are
/// appended to the caller's buffer as soon as they are final. The output does not depend on
/// the block sizes: 128-sample blocks give the same samples as one call with the whole buffer.
/// [`StreamResampler::finish`] flushes the tail so the total output has
/// [`resampled_len`]`(total_in, rate, 16000)` samples, like [`resample`], and resets the
/// stream. Pushed samples are [`sanitize`]d (NaN/inf -> 0, clamp to ±1).
///
/// Latency: up to one resampler chunk plus the filter delay (about 48 ms at 48 kHz).
#[derive(Debug)]
pub struct StreamResampler {
    engine: Engine,
}

impl StreamResampler {
    /// Creates a resampler from `from_rate` (8–96 kHz) to 16 kHz.
    ///
    /// # Errors
    /// [`AudioError::UnsupportedRate`] for a rate outside 8–96 kHz.
    pub fn new(from_rate: u32) -> Result<Self, AudioError> {
        check_rate(from_rate)?;
        Ok(StreamResampler {
            engine: Engine::new(from_rate, TARGET_RATE)?,
        })
    }

    /// The input rate this resampler was built for.
    pub fn from_rate(&self) -> u32 {
        self.engine.from
    }

    /// Appends to `out` every 16 kHz sample that `block` completes. Never allocates except to
    /// grow `out`.
    pub fn push(&mut self, block: &[f32], out: &mut Vec<f32>) {
        self.engine.push(block, out, true);
    }

    /// Flushes the tail: appends the remaining samples so that the whole stream produced
    /// [`resampled_len`] samples, then resets the resampler for a new stream.
    pub fn finish(&mut self, out: &mut Vec<f32>) {
        self.engine.finish(out);
    }

    /// Drops any buffered input and restarts the stream (no output).
    pub fn reset(&mut self) {
        self.engine.reset();
    }
}

/// The shared machinery: fixed-size chunks into rubato, delay trimming, length bookkeeping.
struct Engine {
    from: u32,
    to: u32,
    /// `None` when `from == to` (identity).
    fft: Option<Fft<f32>>,
    /// Input chunk being filled (`chunk_in` samples).
    chunk: Vec<f32>,
    fill: usize,
    /// Output of one chunk (`chunk_out` samples).
    out_buf: Vec<f32>,
    /// The filter delay, in output samples.
    delay: usize,
    /// Output samples still to drop from the start.
    skip: usize,
    /// Input samples consumed since the stream (re)started.
    consumed: u64,
    /// Output samples appended since the stream (re)started.
    emitted: u64,
}

impl std::fmt::Debug for Engine {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Engine")
            .field("from", &self.from)
            .field("to", &self.to)
            .field("chunk_in", &self.chunk.len())
            .field("chunk_out", &self.out_buf.len())
            .field("delay", &self.delay)
            .field("consumed", &self.consumed)
            .field("emitted", &self.emitted)
            .finish()
    }
}

fn gcd(mut a: usize, mut b: usize) -> usize {
    while b != 0 {
        (a, b) = (b, a % b);
    }
    a
}

impl Engine {
    fn new(from: u32, to: u32) -> Result<Self, AudioError> {
        if from == to {
            return Ok(Engine {
                from,
                to,
                fft: None,
                chunk: Vec::new(),
                fill: 0,
                out_buf: Vec::new(),
                delay: 0,
                skip: 0,
                consumed: 0,
                emitted: 0,
            });
        }
        let (f, t) = (from as usize, to as usize);
        let g = gcd(f, t);
        let (min_in, min_out) = (f / g, t / g);
        let mut blocks = MIN_FFT_OUT.div_ceil(min_out).max(1);
        // An even FFT input size puts the filter centre on a whole output sample, so the
        // delay of `fft_size_out / 2` is exact (an odd size would leave a fraction of a sample).
        if (blocks * min_in) % 2 == 1 {
            blocks += 1;
        }
        let chunk_size = blocks * min_in;
        let fft = Fft::<f32>::new_custom(
            f,
            t,
            chunk_size,
            1,
            1,
            WindowFunction::BlackmanHarris2,
            FixedSync::Both,
        )
        .map_err(|e| AudioError::Resample(e.to_string()))?;
        let chunk_in = fft.input_frames_next();
        let chunk_out = fft.output_frames_next();
        let delay = fft.output_delay();
        Ok(Engine {
            from,
            to,
            fft: Some(fft),
            chunk: vec![0.0; chunk_in],
            fill: 0,
            out_buf: vec![0.0; chunk_out],
            delay,
            skip: delay,
            consumed: 0,
            emitted: 0,
        })
    }

    fn reset(&mut self) {
        if let Some(fft) = self.fft.as_mut() {
            fft.reset();
        }
        self.fill = 0;
        self.skip = self.delay;
        self.consumed = 0;
        self.emitted = 0;
    }

    /// Feeds `block`; `clean` sanitises the samples on the way in.
    fn push(&mut self, block: &[f32], out: &mut Vec<f32>, clean: bool) {
        self.consumed += block.len() as u64;
        if self.fft.is_none() {
            let start = out.len();
            out.extend_from_slice(block);
            if clean {
                sanitize(&mut out[start..]);
            }
            self.emitted += block.len() as u64;
            return;
        }
        let mut rest = block;
        while !rest.is_empty() {
            let take = (self.chunk.len() - self.fill).min(rest.len());
            let dst = &mut self.chunk[self.fill..self.fill + take];
            dst.copy_from_slice(&rest[..take]);
            if clean {
                sanitize(dst);
            }
            self.fill += take;
            rest = &rest[take..];
            if self.fill == self.chunk.len() {
                self.process_chunk(out, u64::MAX);
            }
        }
    }

    /// Runs one full chunk through rubato and appends its output, minus the samples still
    /// to skip, up to a total of `limit` emitted samples.
    fn process_chunk(&mut self, out: &mut Vec<f32>, limit: u64) {
        self.fill = 0;
        let Some(fft) = self.fft.as_mut() else {
            return;
        };
        let n_in = self.chunk.len();
        let n_out = self.out_buf.len();
        let produced = match (
            SequentialSlice::new(&self.chunk[..], 1, n_in),
            SequentialSlice::new_mut(&mut self.out_buf[..], 1, n_out),
        ) {
            (Ok(input), Ok(mut output)) => match fft.process_into_buffer(&input, &mut output, None)
            {
                Ok((_, produced)) => produced,
                Err(_) => 0,
            },
            _ => 0,
        };
        // Sizes are fixed at construction, so rubato cannot reject them; keep time anyway.
        debug_assert_eq!(produced, n_out, "rubato rejected a fixed-size chunk");
        if produced != n_out {
            self.out_buf.fill(0.0);
        }
        let drop = self.skip.min(n_out);
        self.skip -= drop;
        let room = limit.saturating_sub(self.emitted);
        let take = ((n_out - drop) as u64).min(room) as usize;
        out.extend_from_slice(&self.out_buf[drop..drop + take]);
        self.emitted += take as u64;
    }

    /// Zero-pads the last partial chunk, pumps silence until the full length is out, resets.
    fn finish(&mut self, out: &mut Vec<f32>) {
        if self.fft.is_some() {
            let target = resampled_len(self.consumed as usize, self.from, self.to) as u64;
            // Each pass emits at least one sample once the delay is skipped, so this ends.
            while self.emitted < target {
                self.chunk[self.fill..].fill(0.0);
                self.fill = self.chunk.len();
                self.process_chunk(out, target);
            }
        }
        self.reset();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lengths_round_and_never_vanish() {
        assert_eq!(resampled_len(0, 44_100, 16_000), 0);
        assert_eq!(resampled_len(1, 44_100, 16_000), 1);
        assert_eq!(resampled_len(44_100, 44_100, 16_000), 16_000);
        assert_eq!(resampled_len(3, 8_000, 16_000), 6);
        assert_eq!(resampled_len(441, 44_100, 16_000), 160);
    }

    #[test]
    fn every_rate_pair_builds_and_outputs_the_right_length() {
        for from in [
            8_000, 11_025, 22_050, 32_000, 44_100, 44_101, 48_000, 96_000,
        ] {
            for len in [1usize, 2, 127, 1_000, 5_000] {
                let x: Vec<f32> = (0..len).map(|i| ((i % 17) as f32 - 8.0) / 10.0).collect();
                let y = resample(&x, from, TARGET_RATE).unwrap();
                assert_eq!(
                    y.len(),
                    resampled_len(len, from, TARGET_RATE),
                    "{from} {len}"
                );
                assert!(y.iter().all(|v| v.is_finite()));
            }
        }
    }

    #[test]
    fn upsampling_works_too() {
        let x = vec![0.25f32; 1_600];
        let y = resample(&x, 16_000, 48_000).unwrap();
        assert_eq!(y.len(), 4_800);
        // A constant stays constant away from the edges.
        assert!(y[1_000..3_800].iter().all(|v| (v - 0.25).abs() < 1e-3));
    }
}
