//! The wasm-bindgen surface (wasm32 only): a thin layer that turns JS values into core calls.
//!
//! ```js
//! const sori = new Sori(modelBytes, indexBytes);      // throws Error(message)
//! sori.classes(); sori.image(slug);                    // gallery
//! sori.matchClip(float32Samples, sampleRate);          // one clip -> Result
//! const scan = sori.fileScan(samples, sampleRate);     // long files, in steps
//! while (!scan.step(8).done) await nextTick();  scan.result();
//! const live = sori.listener(audioContext.sampleRate); live.push(block); live.poll();
//! decodeOggVorbis(bytes, audioContext.sampleRate);    // reference sound -> Float32Array (fallback)
//! ```

use crate::embed::efficientat::Mn04;
use crate::features::FeatureConfig;
use crate::index::Index;
use crate::matcher::{
    Analysis, Analyzer, LiveSession, MatchResult, Matcher, MatcherOptions, HOP_SAMPLES,
};
use serde::Serialize;
use std::sync::Arc;
use wasm_bindgen::prelude::*;

mod teach;

fn to_js<T: Serialize>(v: &T) -> Result<JsValue, JsError> {
    let s = serde_wasm_bindgen::Serializer::new()
        .serialize_maps_as_objects(true)
        .serialize_missing_as_null(true);
    v.serialize(&s).map_err(|e| JsError::new(&e.to_string()))
}

fn err(e: impl std::fmt::Display) -> JsError {
    JsError::new(&e.to_string())
}

/// The 64-band display log-mel front end alone (the live spectrogram's; for benchmarks and diagnostics): mono 16 kHz `samples` ->
/// flat frames, 64 values per frame (`data[t * 64 + band]`), `1 + (len - 400) / 160` frames, no
/// padding; empty when shorter than 400 samples. See [`crate::features`].
#[wasm_bindgen(js_name = logMel)]
pub fn log_mel(samples: &[f32]) -> Vec<f32> {
    crate::features::LogMelExtractor::new(&FeatureConfig::display())
        .compute(samples)
        .data
}

/// A reference sound (Ogg Vorbis bytes from `<index>.sounds`) -> mono samples at `rate` (the
/// AudioContext's), for browsers whose `decodeAudioData` cannot read Ogg Vorbis. See
/// [`crate::audio::decode_for_playback`]. Throws Error(message) on bytes it cannot decode.
#[wasm_bindgen(js_name = decodeOggVorbis)]
pub fn decode_ogg_vorbis(bytes: &[u8], rate: u32) -> Result<Vec<f32>, JsError> {
    crate::audio::decode_for_playback(bytes, rate).map_err(err)
}

/// A loaded model and index.
#[wasm_bindgen]
pub struct Sori {
    model: Arc<Mn04>,
    /// The shipped index alone; `matcher` is it plus the taught classes.
    base: Arc<Matcher>,
    matcher: Arc<Matcher>,
    analyzer: Analyzer,
    teaching: teach::Teaching,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct ClassView<'a> {
    id: u16,
    slug: &'a str,
    category: &'a str,
    category_ko: &'a str,
    name_ko: &'a str,
    name_en: &'a str,
    coverage: &'static str,
    clips: u32,
    image_credit: &'a str,
}

#[derive(Serialize)]
struct Segment {
    start: f32,
    end: f32,
    verdict: String,
    score: f32,
}

#[derive(Serialize)]
struct ScanResult<'a> {
    overall: &'a MatchResult,
    timeline: &'a [Segment],
}

#[wasm_bindgen]
impl Sori {
    /// Loads the mn04 weights and an index; throws an `Error` with a readable message if either is bad.
    #[wasm_bindgen(constructor)]
    pub fn new(model_bytes: &[u8], index_bytes: &[u8]) -> Result<Sori, JsError> {
        let model = Arc::new(Mn04::from_bytes(model_bytes).map_err(err)?);
        let index = Index::from_bytes(index_bytes).map_err(err)?;
        index
            .check_features(crate::matcher::analysis_hash())
            .map_err(err)?;
        let matcher = Arc::new(Matcher::new(index, MatcherOptions::default()).map_err(err)?);
        Ok(Sori {
            analyzer: Analyzer::new(Arc::clone(&model)),
            model,
            base: Arc::clone(&matcher),
            matcher,
            teaching: teach::Teaching::default(),
        })
    }

    /// All 76 classes with names, category and coverage.
    pub fn classes(&self) -> Result<JsValue, JsError> {
        let views: Vec<ClassView> = self
            .matcher
            .index()
            .classes
            .iter()
            .map(|c| ClassView {
                id: c.info.id,
                slug: &c.info.slug,
                category: &c.info.category,
                category_ko: &c.info.category_ko,
                name_ko: &c.info.name_ko,
                name_en: &c.info.name_en,
                coverage: c.coverage.as_str(),
                clips: c.clips,
                image_credit: c.image.as_ref().map_or("", |i| i.credit.as_str()),
            })
            .collect();
        to_js(&views)
    }

    /// `{mime, bytes}` of a class's image, or `undefined`.
    pub fn image(&self, slug: &str) -> JsValue {
        let Some(img) = self
            .matcher
            .index()
            .class_by_slug(slug)
            .and_then(|c| c.image.as_ref())
        else {
            return JsValue::UNDEFINED;
        };
        let obj = js_sys::Object::new();
        let _ = js_sys::Reflect::set(&obj, &"mime".into(), &img.mime.as_str().into());
        let _ = js_sys::Reflect::set(
            &obj,
            &"bytes".into(),
            &js_sys::Uint8Array::from(img.bytes.as_slice()),
        );
        obj.into()
    }

    /// Free text describing how the index was built.
    #[wasm_bindgen(js_name = buildInfo)]
    pub fn build_info(&self) -> String {
        self.matcher.index().build_info.clone()
    }

    /// Matches one clip of mono samples at any rate 8–96 kHz.
    #[wasm_bindgen(js_name = matchClip)]
    pub fn match_clip(&mut self, samples: &[f32], sample_rate: u32) -> Result<JsValue, JsError> {
        let s16 = crate::audio::prepare(samples, sample_rate).map_err(err)?;
        let analysis = self.analyzer.analyse(&s16);
        to_js(&self.matcher.match_analysis(&analysis, &s16))
    }

    /// Starts a stepwise scan of a (long) file; see [`FileScan`].
    #[wasm_bindgen(js_name = fileScan)]
    pub fn file_scan(&self, samples: &[f32], sample_rate: u32) -> Result<FileScan, JsError> {
        let s16 = crate::audio::prepare(samples, sample_rate).map_err(err)?;
        let starts = Analyzer::window_starts(s16.len());
        Ok(FileScan {
            analyzer: Analyzer::new(Arc::clone(&self.model)),
            matcher: Arc::clone(&self.matcher),
            analysis: Analysis {
                window_starts: starts,
                windows: Vec::new(),
            },
            samples: s16,
        })
    }

    /// Scans a whole file at once: `{overall, timeline}`.
    pub fn scan(&self, samples: &[f32], sample_rate: u32) -> Result<JsValue, JsError> {
        let mut scan = self.file_scan(samples, sample_rate)?;
        scan.run(usize::MAX);
        scan.result()
    }

    /// A live session for audio at `sample_rate` (the AudioContext's rate).
    pub fn listener(&self, sample_rate: u32) -> Result<Listener, JsError> {
        Ok(Listener {
            session: LiveSession::new(
                Arc::clone(&self.model),
                Arc::clone(&self.matcher),
                sample_rate,
            )
            .map_err(err)?,
        })
    }
}

/// A file being scanned window by window, so the page stays responsive.
#[wasm_bindgen]
pub struct FileScan {
    analyzer: Analyzer,
    matcher: Arc<Matcher>,
    analysis: Analysis,
    samples: Vec<f32>,
}

impl FileScan {
    fn run(&mut self, max_windows: usize) {
        for _ in 0..max_windows {
            let i = self.analysis.windows.len();
            let Some(&start) = self.analysis.window_starts.get(i) else {
                break;
            };
            let w = self.analyzer.analyse_at(&self.samples, start);
            self.analysis.windows.push(w);
        }
    }
}

#[wasm_bindgen]
impl FileScan {
    /// Analyses up to `max_windows` more windows; returns `{done, progress}` (progress 0..1).
    pub fn step(&mut self, max_windows: usize) -> Result<JsValue, JsError> {
        self.run(max_windows.max(1));
        let total = self.analysis.window_starts.len().max(1);
        let done = self.analysis.windows.len();
        to_js(&serde_json_like::Progress {
            done: done >= total,
            progress: done as f32 / total as f32,
        })
    }

    /// Duration of the file in seconds.
    #[wasm_bindgen(getter)]
    pub fn duration(&self) -> f32 {
        self.samples.len() as f32 / crate::audio::TARGET_RATE as f32
    }

    /// `{overall, timeline: [{start, end, verdict, score}]}` over the windows analysed so far.
    pub fn result(&self) -> Result<JsValue, JsError> {
        let overall = self.matcher.match_analysis(&self.analysis, &self.samples);
        let rate = crate::audio::TARGET_RATE as f32;
        let mut timeline: Vec<Segment> = Vec::new();
        let windows = &self.analysis.windows;
        for (i, &start) in self
            .analysis
            .window_starts
            .iter()
            .enumerate()
            .take(windows.len())
        {
            // Each window is judged with its neighbours (about 2 s of evidence), as the live answer is.
            let around = &windows[i.saturating_sub(1)..(i + 2).min(windows.len())];
            let r = if windows[i].is_none() {
                self.matcher.decide(&[], &[], None)
            } else {
                let emb: Vec<&[f32]> = around
                    .iter()
                    .flatten()
                    .map(|p| p.embedding.as_slice())
                    .collect();
                let sc: Vec<&[f32]> = around
                    .iter()
                    .flatten()
                    .map(|p| p.scores.as_slice())
                    .collect();
                self.matcher.decide(&emb, &sc, None)
            };
            let (s, e) = (
                start as f32 / rate,
                ((start + HOP_SAMPLES) as f32 / rate).min(self.duration()),
            );
            match timeline.last_mut() {
                Some(last) if last.verdict == r.verdict => {
                    last.end = e;
                    last.score = last.score.max(r.score);
                }
                _ => timeline.push(Segment {
                    start: s,
                    end: e,
                    verdict: r.verdict,
                    score: r.score,
                }),
            }
        }
        to_js(&ScanResult {
            overall: &overall,
            timeline: &timeline,
        })
    }
}

mod serde_json_like {
    #[derive(serde::Serialize)]
    pub struct Progress {
        pub done: bool,
        pub progress: f32,
    }
}

/// A live microphone session.
#[wasm_bindgen]
pub struct Listener {
    session: LiveSession,
}

#[wasm_bindgen]
impl Listener {
    /// Feeds one block of mono samples at the session's rate.
    pub fn push(&mut self, block: &[f32]) {
        self.session.push(block);
    }

    /// `{level, peakHz, melFrames: Float32Array, heardSeconds, result}`.
    pub fn poll(&mut self) -> Result<JsValue, JsError> {
        let u = self.session.poll();
        let obj = js_sys::Object::new();
        let set = |k: &str, v: &JsValue| {
            js_sys::Reflect::set(&obj, &k.into(), v)
                .map(|_| ())
                .map_err(|_| JsError::new("cannot build the poll result"))
        };
        set("level", &u.level_db.into())?;
        set("peakHz", &u.peak_hz.map_or(JsValue::NULL, JsValue::from))?;
        set(
            "melFrames",
            &js_sys::Float32Array::from(u.mel_frames.as_slice()),
        )?;
        set("heardSeconds", &u.heard_seconds.into())?;
        set(
            "result",
            &match &u.result {
                Some(r) => to_js(r)?,
                None => JsValue::NULL,
            },
        )?;
        Ok(obj.into())
    }

    /// Forgets the evidence gathered so far.
    pub fn reset(&mut self) {
        self.session.reset();
    }
}
