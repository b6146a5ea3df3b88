//! Teaching in the page (issue 17): a thin layer over [`crate::teach`] on the loaded [`Sori`].
//!
//! ```js
//! for (const piece of sori.cutExamples(samples, rate))          // long audio -> 16 kHz pieces ≤ 5 s
//!   sori.checkExample(piece, 16000, slug);  // {ok, id, seconds} | {ok: false, problem, ...}
//! sori.learn(slug, nameKo, nameEn, replace);  // the kept examples -> a taught class, live at once
//! sori.taught(); sori.exampleAudio(id, i); sori.removeExample(id, i); sori.renameClass(id, ko, en);
//! sori.removeClass(id); sori.resetTaught();
//! const bytes = sori.packBytes(withAudio);  sori.loadPack(bytes);  // SORIPAK v1
//! ```
//!
//! Every failure is a JS `Error` with a `code` (see `docs/teach-api.md`) the page turns into a
//! Korean and English message; the state is unchanged when a call fails. See the API document for
//! the full contract.

use super::{to_js, Sori};
use crate::matcher::TaughtMode;
use crate::teach::{self, Pack, PackError, Target, TaughtExample, TeachError, Teacher};
use serde::Serialize;
use std::sync::Arc;
use wasm_bindgen::prelude::*;

/// What the page has taught so far, and the examples kept for the next learning step.
#[derive(Default)]
pub(super) struct Teaching {
    /// Made on first use (holds the index's teaching negatives).
    teacher: Option<Teacher>,
    /// Every taught class (empty until something is taught or loaded).
    pack: Pack,
    /// Checked examples not learned yet, with the id `checkExample` gave them.
    pending: Vec<(u32, TaughtExample)>,
    /// The room without the sound (`setBackground`): "not this sound" for every learning step
    /// until cleared; not kept in packs.
    background: Vec<TaughtExample>,
    next_id: u32,
}

/// A JS `Error` with `message` and a stable `code`.
fn fail(code: &str, message: impl std::fmt::Display) -> JsValue {
    let e = js_sys::Error::new(&message.to_string());
    let _ = js_sys::Reflect::set(&e, &"code".into(), &code.into());
    e.into()
}

fn internal(e: JsError) -> JsValue {
    JsValue::from(e)
}

/// The code of a refused pack.
pub fn pack_code(e: &PackError) -> &'static str {
    match e {
        PackError::NotAPack => "not_a_pack",
        PackError::Newer { .. } => "newer",
        PackError::Older { .. } => "older",
        PackError::OtherAnalysis { .. } => "other_analysis",
        PackError::Truncated(_) => "truncated",
        PackError::Damaged(_) => "damaged",
        PackError::Corrupt(_) => "corrupt",
    }
}

/// The code of a refused teaching step.
pub fn teach_code(e: &TeachError) -> &'static str {
    match e {
        TeachError::NotTeachable => "not_teachable",
        TeachError::NoExamples(_) => "no_examples",
        TeachError::UnknownClass(_) => "unknown_class",
        TeachError::BadName(_) => "bad_name",
        TeachError::TooMany => "too_many",
        TeachError::OtherIndex(_) => "other_index",
    }
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct ExampleView {
    seconds: f32,
    windows: usize,
    has_audio: bool,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct TaughtView {
    id: u16,
    slug: String,
    name_ko: String,
    name_en: String,
    /// `new`, `strengthen` or `replace`.
    mode: &'static str,
    threshold: f32,
    examples: Vec<ExampleView>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Kept {
    ok: bool,
    id: u32,
    seconds: f32,
    windows: usize,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct BackgroundView {
    seconds: f32,
    windows: usize,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct LearnView {
    class: TaughtView,
    positives: usize,
    negatives: usize,
}

fn view(c: &teach::TaughtClass) -> TaughtView {
    TaughtView {
        id: c.class_id,
        slug: c.slug.clone(),
        name_ko: c.name_ko.clone(),
        name_en: c.name_en.clone(),
        mode: c.mode.as_str(),
        threshold: c.threshold,
        examples: c
            .examples
            .iter()
            .map(|e| ExampleView {
                seconds: e.audio.len() as f32 / crate::audio::TARGET_RATE as f32,
                windows: e.windows.len(),
                has_audio: !e.audio.is_empty(),
            })
            .collect(),
    }
}

impl Sori {
    fn teacher(&mut self) -> Result<&Teacher, JsValue> {
        if self.teaching.teacher.is_none() {
            let t = Teacher::new(self.base.index()).map_err(|e| fail(teach_code(&e), &e))?;
            self.teaching.teacher = Some(t);
        }
        Ok(self.teaching.teacher.as_ref().expect("just set"))
    }

    /// Makes `pack` the live one: the matcher answers its classes from now on. Unchanged on error.
    fn install(&mut self, pack: Pack) -> Result<(), JsValue> {
        let matcher = self.base.with_pack(&pack).map_err(|e| {
            fail(
                "corrupt",
                format!("the taught classes do not fit this index: {e}"),
            )
        })?;
        self.matcher = Arc::new(matcher);
        self.teaching.pack = pack;
        Ok(())
    }

    fn target_of(&self, c: &teach::TaughtClass) -> Target {
        match c.mode {
            TaughtMode::New => Target::New {
                slug: c.slug.clone(),
                name_ko: c.name_ko.clone(),
                name_en: c.name_en.clone(),
            },
            mode => Target::Shipped {
                slug: c.slug.clone(),
                replace: mode == TaughtMode::Replace,
            },
        }
    }
}

#[wasm_bindgen]
impl Sori {
    /// Cuts audio at any rate 8–96 kHz into examples (16 kHz, at most 5 s each; the core's
    /// `teach::cut_examples`): an array of `Float32Array`s. Throws `{code: 'audio'}` on empty audio
    /// or an unusable rate.
    #[wasm_bindgen(js_name = cutExamples)]
    pub fn cut_examples(
        &self,
        samples: &[f32],
        sample_rate: u32,
    ) -> Result<js_sys::Array, JsValue> {
        let s16 = crate::audio::prepare(samples, sample_rate).map_err(|e| fail("audio", e))?;
        Ok(teach::cut_examples(&s16)
            .into_iter()
            .map(|p| JsValue::from(js_sys::Float32Array::from(p)))
            .collect())
    }

    /// The verdict name a new sound with these names gets (`teach::slug_from`).
    #[wasm_bindgen(js_name = slugFor)]
    pub fn slug_for(&self, name_ko: &str, name_en: &str) -> String {
        teach::slug_from(name_en, name_ko)
    }

    /// Checks one example (audio at any rate) for the class `target` (a slug; a new sound's
    /// [`Sori::slug_for`]): `{ok: true, id, seconds, windows}` when kept for the next
    /// [`Sori::learn`], else `{ok: false, problem, message, …}` with `problem` one of `too_short`
    /// (`seconds`, `min`), `silent`, `clipped` (`percent`), `already_another` (`class`, `percent`).
    #[wasm_bindgen(js_name = checkExample)]
    pub fn check_example(
        &mut self,
        samples: &[f32],
        sample_rate: u32,
        target: &str,
    ) -> Result<JsValue, JsValue> {
        let s16 = crate::audio::prepare(samples, sample_rate).map_err(|e| fail("audio", e))?;
        let checked = teach::check_audio(&s16).and_then(|()| {
            let analysis = self.analyzer.analyse(&s16);
            teach::check_example(&self.matcher, &analysis, target).map(|()| analysis)
        });
        match checked {
            Ok(analysis) => {
                let example = TaughtExample::from_analysis(&analysis, Some(&s16));
                let id = self.teaching.next_id;
                self.teaching.next_id = id.wrapping_add(1);
                let windows = example.windows.len();
                self.teaching.pending.push((id, example));
                to_js(&Kept {
                    ok: true,
                    id,
                    seconds: s16.len() as f32 / crate::audio::TARGET_RATE as f32,
                    windows,
                })
                .map_err(internal)
            }
            Err(problem) => {
                let v = to_js(&problem).map_err(internal)?;
                let _ = js_sys::Reflect::set(&v, &"ok".into(), &false.into());
                let _ = js_sys::Reflect::set(&v, &"message".into(), &problem.to_string().into());
                Ok(v)
            }
        }
    }

    /// Records the room without the sound (audio at any rate 8–96 kHz, cut like examples): learned
    /// as "not this sound" by every [`Sori::learn`] (and relearning) until [`Sori::clear_background`];
    /// it replaces an earlier one and is not kept in packs. Returns `{seconds, windows}` (`windows`
    /// 0 when the room was silent: nothing to learn from it, and nothing is kept). Throws
    /// `{code: 'audio'}` on empty audio or an unusable rate.
    #[wasm_bindgen(js_name = setBackground)]
    pub fn set_background(
        &mut self,
        samples: &[f32],
        sample_rate: u32,
    ) -> Result<JsValue, JsValue> {
        let s16 = crate::audio::prepare(samples, sample_rate).map_err(|e| fail("audio", e))?;
        let background: Vec<TaughtExample> = teach::cut_examples(&s16)
            .into_iter()
            .map(|piece| TaughtExample::from_analysis(&self.analyzer.analyse(piece), None))
            .filter(|e| !e.windows.is_empty())
            .collect();
        let windows = background.iter().map(|e| e.windows.len()).sum();
        self.teaching.background = background;
        to_js(&BackgroundView {
            seconds: s16.len() as f32 / crate::audio::TARGET_RATE as f32,
            windows,
        })
        .map_err(internal)
    }

    /// Forgets the room recorded with [`Sori::set_background`].
    #[wasm_bindgen(js_name = clearBackground)]
    pub fn clear_background(&mut self) {
        self.teaching.background.clear();
    }

    /// How many checked examples wait for [`Sori::learn`].
    #[wasm_bindgen(js_name = pendingCount)]
    pub fn pending_count(&self) -> usize {
        self.teaching.pending.len()
    }

    /// Drops a checked example (by the id `checkExample` gave it); false when there is none.
    #[wasm_bindgen(js_name = discardExample)]
    pub fn discard_example(&mut self, id: u32) -> bool {
        let before = self.teaching.pending.len();
        self.teaching.pending.retain(|(i, _)| *i != id);
        self.teaching.pending.len() != before
    }

    /// Drops every checked example not learned yet.
    #[wasm_bindgen(js_name = clearPending)]
    pub fn clear_pending(&mut self) {
        self.teaching.pending.clear();
    }

    /// Learns the class `slug` (one of the index's: strengthened, or replaced when `replace`; else
    /// a new sound named `name_ko` / `name_en`, its slug made from them when `slug` is empty) from
    /// the kept examples plus those it already has. The matcher answers it at once (listeners made
    /// from now on; make a new one). Returns `{class, positives, negatives}`; throws with a
    /// `teach::TeachError` code (`no_examples`, `bad_name`, `too_many`, …), nothing changed.
    pub fn learn(
        &mut self,
        slug: &str,
        name_ko: &str,
        name_en: &str,
        replace: bool,
    ) -> Result<JsValue, JsValue> {
        let shipped = self.base.index().class_by_slug(slug.trim()).is_some();
        let target = if shipped {
            Target::Shipped {
                slug: slug.trim().to_string(),
                replace,
            }
        } else {
            Target::New {
                slug: slug.trim().to_string(),
                name_ko: name_ko.trim().to_string(),
                name_en: name_en.trim().to_string(),
            }
        };
        let examples: Vec<TaughtExample> = self
            .teaching
            .pending
            .iter()
            .map(|(_, e)| e.clone())
            .collect();
        let pack = self.teaching.pack.clone();
        let background = self.teaching.background.clone();
        let teacher = self.teacher()?;
        let pack = if pack.classes.is_empty() {
            teacher.empty_pack()
        } else {
            pack
        };
        let (next, report) = teacher
            .teach(&pack, &target, examples, &background)
            .map_err(|e| fail(teach_code(&e), &e))?;
        let class = match &target {
            Target::Shipped { slug, .. } => next.classes.iter().find(|c| &c.slug == slug),
            Target::New { .. } => next.classes.last(),
        }
        .map(view)
        .ok_or_else(|| fail("internal", "the class was not taught"))?;
        self.install(next)?;
        self.teaching.pending.clear();
        to_js(&LearnView {
            class,
            positives: report.positives,
            negatives: report.negatives,
        })
        .map_err(internal)
    }

    /// Every taught class: `[{id, slug, nameKo, nameEn, mode, threshold, examples: [{seconds,
    /// windows, hasAudio}]}]`, in the order taught.
    pub fn taught(&self) -> Result<JsValue, JsValue> {
        let views: Vec<TaughtView> = self.teaching.pack.classes.iter().map(view).collect();
        to_js(&views).map_err(internal)
    }

    /// The audio of example `i` of class `id` (16 kHz mono), or `undefined` when it has none.
    #[wasm_bindgen(js_name = exampleAudio)]
    pub fn example_audio(&self, id: u16, i: usize) -> Option<js_sys::Float32Array> {
        let e = self.teaching.pack.class(id)?.examples.get(i)?;
        if e.audio.is_empty() {
            return None;
        }
        let f: Vec<f32> = e.audio.iter().map(|&s| f32::from(s) / 32767.0).collect();
        Some(js_sys::Float32Array::from(f.as_slice()))
    }

    /// Removes example `i` of class `id` and re-learns the class from the others (the class goes
    /// when it was its last). Throws `{code: 'not_found'}` or a teaching code; nothing changed then.
    #[wasm_bindgen(js_name = removeExample)]
    pub fn remove_example(&mut self, id: u16, i: usize) -> Result<JsValue, JsValue> {
        let class = self
            .teaching
            .pack
            .class(id)
            .cloned()
            .filter(|c| i < c.examples.len())
            .ok_or_else(|| fail("not_found", format!("no example {i} of class {id}")))?;
        let target = self.target_of(&class);
        let pack = self.teaching.pack.clone();
        let background = self.teaching.background.clone();
        let teacher = self.teacher()?;
        let without = teacher.remove(&pack, id);
        let next = if class.examples.len() == 1 {
            without
        } else {
            let mut rest = class.examples.clone();
            rest.remove(i);
            teacher
                .teach(&without, &target, rest, &background)
                .map_err(|e| fail(teach_code(&e), &e))?
                .0
        };
        self.install(next)?;
        self.taught()
    }

    /// Renames a new sound (its verdict name, the slug, stays). Throws `{code: 'not_found'}` for
    /// no such new sound, `{code: 'bad_name'}` when both names are empty.
    #[wasm_bindgen(js_name = renameClass)]
    pub fn rename_class(
        &mut self,
        id: u16,
        name_ko: &str,
        name_en: &str,
    ) -> Result<JsValue, JsValue> {
        if name_ko.trim().is_empty() && name_en.trim().is_empty() {
            return Err(fail("bad_name", "give a Korean or an English name"));
        }
        let c = self
            .teaching
            .pack
            .classes
            .iter_mut()
            .find(|c| c.class_id == id && c.mode == TaughtMode::New)
            .ok_or_else(|| fail("not_found", format!("no new sound with id {id}")))?;
        c.name_ko = name_ko.trim().to_string();
        c.name_en = name_en.trim().to_string();
        self.taught()
    }

    /// Removes a taught class (the others stay as they are).
    #[wasm_bindgen(js_name = removeClass)]
    pub fn remove_class(&mut self, id: u16) -> Result<JsValue, JsValue> {
        let next = Pack {
            classes: self
                .teaching
                .pack
                .classes
                .iter()
                .filter(|c| c.class_id != id)
                .cloned()
                .collect(),
            ..self.teaching.pack.clone()
        };
        self.install(next)?;
        self.taught()
    }

    /// Forgets every taught class, kept example and the recorded room: back to the shipped index.
    #[wasm_bindgen(js_name = resetTaught)]
    pub fn reset_taught(&mut self) {
        self.matcher = Arc::clone(&self.base);
        self.teaching.pack = Pack::default();
        self.teaching.pending.clear();
        self.teaching.background.clear();
    }

    /// The taught classes as a pack file (SORIPAK v1), with the examples' 16 kHz audio when
    /// `with_audio` (needed to play them back or re-learn them after an index change).
    #[wasm_bindgen(js_name = packBytes)]
    pub fn pack_bytes(&self, with_audio: bool) -> Vec<u8> {
        let mut pack = self.teaching.pack.clone();
        if !with_audio {
            for c in &mut pack.classes {
                for e in &mut c.examples {
                    e.audio.clear();
                }
            }
        }
        pack.to_bytes()
    }

    /// How many classes are taught.
    #[wasm_bindgen(js_name = taughtCount)]
    pub fn taught_count(&self) -> usize {
        self.teaching.pack.classes.len()
    }

    /// Loads a pack file in place of the taught classes (re-learned first when fitted against
    /// another index). Returns `taught()`; throws with a code (`not_a_pack`, `newer`, `older`,
    /// `other_analysis`, `truncated`, `damaged`, `corrupt`, `other_index`, …) and keeps the
    /// current taught classes when the file is refused.
    #[wasm_bindgen(js_name = loadPack)]
    pub fn load_pack(&mut self, bytes: &[u8]) -> Result<JsValue, JsValue> {
        let pack = Pack::from_bytes(bytes).map_err(|e| fail(pack_code(&e), &e))?;
        let pack = if pack.classes.is_empty() {
            pack
        } else {
            let teacher = self.teacher()?;
            if teacher.fits(&pack) {
                pack
            } else {
                teacher
                    .relearn(&pack)
                    .map_err(|e| fail(teach_code(&e), &e))?
            }
        };
        self.install(pack)?;
        self.taught()
    }
}
