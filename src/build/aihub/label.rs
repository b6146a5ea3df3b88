//! One label file -> a [`Label`]: the class path (depth1/2/3), the media file it names, the
//! recording it was cut from, and the image's bounding boxes.
//!
//! Input: the raw bytes of a label JSON, in UTF-8 (with or without BOM), UTF-16 with BOM, or
//! CP949/EUC-KR (detected: bytes that are not UTF-8 are decoded as CP949, and refused if they are
//! not that either). Output: a [`Label`] or a message saying why the file is unusable.
//!
//! The schema is read loosely, because only part of it is known: the class path is the first
//! object holding `depth1`/`depth2`/`depth3` keys (AI-Hub writes `info.class.depth2`); the media
//! file name is any `file_name`-like key whose value has a media extension; the recording id any
//! key in [`RECORDING_KEYS`]; boxes are `annotations[].bbox` objects with `bndex_xcrdnt`,
//! `bndex_ycrdnt`, `bndex_width`, `bndex_hg` (or `x`, `y`, `width`, `height`, or `[x, y, w, h]`),
//! top-left corner and size in pixels; an empty or null `bbox` means none.

use super::names::nfc;
use serde_json::Value;

/// Keys (compared lower case, without `_`, `-` or spaces) that name the recording a clip was cut from.
pub const RECORDING_KEYS: &[&str] = &[
    "recordingid",
    "recordid",
    "recording",
    "recid",
    "originalfile",
    "originalfilename",
    "orgfilename",
    "originfile",
    "originfilename",
    "sourcerecording",
    "parentfile",
    "원본파일",
    "원본파일명",
    "녹음파일",
    "녹음파일명",
];

/// Keys that name the media file a label describes.
const FILE_KEYS: &[&str] = &[
    "filename",
    "filenm",
    "file",
    "sourcedataname",
    "rawdataname",
    "mediafilename",
    "imagefilename",
    "audiofilename",
    "soundfilename",
    "imgfilename",
    "wavfilename",
    "원천데이터명",
    "파일명",
];

/// A bounding box: top-left corner and size, in pixels.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct BoundingBox {
    /// Left edge.
    pub x: f64,
    /// Top edge.
    pub y: f64,
    /// Width.
    pub w: f64,
    /// Height.
    pub h: f64,
}

/// What a label says.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Label {
    /// `depth1` (category), `depth2` (class), `depth3` (sub-class), NFC, trimmed; `None` when absent or empty.
    pub depth: [Option<String>; 3],
    /// The media file the label names (file name only, NFC), when it names one.
    pub file_name: Option<String>,
    /// The recording the clip or photo was cut from, when the label says.
    pub recording: Option<String>,
    /// Bounding boxes of the image's annotations (empty for sounds and for images without any).
    pub boxes: Vec<BoundingBox>,
    /// The text encoding the file was in (`UTF-8`, `UTF-16LE`, `EUC-KR` …).
    pub encoding: &'static str,
}

/// Decodes label bytes to text: UTF-8 (BOM stripped), UTF-16 with a BOM, else CP949/EUC-KR.
pub fn decode_text(bytes: &[u8]) -> Result<(String, &'static str), String> {
    if let Some((enc, bom)) = encoding_rs::Encoding::for_bom(bytes) {
        let (text, had_errors) = enc.decode_without_bom_handling(&bytes[bom..]);
        if had_errors {
            return Err(format!("the text is not valid {}", enc.name()));
        }
        return Ok((text.into_owned(), enc.name()));
    }
    if let Ok(text) = std::str::from_utf8(bytes) {
        return Ok((text.to_string(), "UTF-8"));
    }
    let (text, had_errors) = encoding_rs::EUC_KR.decode_without_bom_handling(bytes);
    if had_errors {
        return Err("the text is neither UTF-8 nor CP949/EUC-KR".into());
    }
    Ok((text.into_owned(), "EUC-KR"))
}

fn norm_key(k: &str) -> String {
    nfc(k)
        .chars()
        .filter(|c| !matches!(c, '_' | '-' | ' ' | '.'))
        .flat_map(char::to_lowercase)
        .collect()
}

fn as_text(v: &Value) -> Option<String> {
    let s = match v {
        Value::String(s) => nfc(s.trim()),
        Value::Number(n) => n.to_string(),
        _ => return None,
    };
    (!s.is_empty()).then_some(s)
}

fn as_number(v: &Value) -> Option<f64> {
    match v {
        Value::Number(n) => n.as_f64(),
        Value::String(s) => s.trim().parse().ok(),
        _ => None,
    }
    .filter(|x: &f64| x.is_finite())
}

/// Every (key, value) pair of the document, depth first, objects in key order as written.
fn walk<'a>(v: &'a Value, out: &mut Vec<(&'a str, &'a Value)>) {
    match v {
        Value::Object(map) => {
            for (k, child) in map {
                out.push((k.as_str(), child));
                walk(child, out);
            }
        }
        Value::Array(items) => items.iter().for_each(|i| walk(i, out)),
        _ => {}
    }
}

fn class_path(v: &Value) -> Option<[Option<String>; 3]> {
    match v {
        Value::Object(map) => {
            let get = |name: &str| {
                map.iter()
                    .find(|(k, _)| norm_key(k) == name)
                    .and_then(|(_, v)| as_text(v))
            };
            let found = [get("depth1"), get("depth2"), get("depth3")];
            if found.iter().any(Option::is_some) {
                return Some(found);
            }
            map.values().find_map(class_path)
        }
        Value::Array(items) => items.iter().find_map(class_path),
        _ => None,
    }
}

fn parse_box(v: &Value) -> Option<BoundingBox> {
    let nums: Option<Vec<f64>> = match v {
        Value::Array(a) if a.len() == 4 => a.iter().map(as_number).collect(),
        Value::Object(map) if !map.is_empty() => {
            let get = |names: &[&str]| {
                map.iter()
                    .find(|(k, _)| names.contains(&norm_key(k).as_str()))
                    .and_then(|(_, v)| as_number(v))
            };
            Some(vec![
                get(&["bndexxcrdnt", "x", "left", "xmin"])?,
                get(&["bndexycrdnt", "y", "top", "ymin"])?,
                get(&["bndexwidth", "width", "w"])?,
                get(&["bndexhg", "height", "h"])?,
            ])
        }
        _ => None,
    };
    let n = nums?;
    Some(BoundingBox {
        x: n[0],
        y: n[1],
        w: n[2],
        h: n[3],
    })
}

fn has_media_extension(name: &str) -> bool {
    let ext = name
        .rsplit_once('.')
        .map_or("", |(_, e)| e)
        .to_ascii_lowercase();
    crate::build::dataset::SOUND_EXTENSIONS.contains(&ext.as_str())
        || crate::build::dataset::IMAGE_EXTENSIONS.contains(&ext.as_str())
}

/// Parses a label file's bytes.
pub fn parse(bytes: &[u8]) -> Result<Label, String> {
    let (text, encoding) = decode_text(bytes)?;
    let doc: Value = serde_json::from_str(&text).map_err(|e| format!("not valid JSON: {e}"))?;
    let mut pairs = Vec::new();
    walk(&doc, &mut pairs);
    let file_name = pairs.iter().find_map(|(k, v)| {
        let k = norm_key(k);
        let s = as_text(v)?;
        let base = s.rsplit(['/', '\\']).next().unwrap_or(&s).to_string();
        (FILE_KEYS.contains(&k.as_str()) && has_media_extension(&base)).then_some(base)
    });
    let recording = pairs.iter().find_map(|(k, v)| {
        let k = norm_key(k);
        (RECORDING_KEYS.contains(&k.as_str()) || k.ends_with("recordingid"))
            .then(|| as_text(v))
            .flatten()
    });
    let boxes = pairs
        .iter()
        .filter(|(k, _)| norm_key(k) == "bbox")
        .filter_map(|(_, v)| parse_box(v))
        .collect();
    Ok(Label {
        depth: class_path(&doc).unwrap_or_default(),
        file_name,
        recording,
        boxes,
        encoding,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_cp949_utf8_bom_and_the_loose_schema() {
        let json = r#"{"info": {"class": {"depth1": "요리", "depth2": "냉장고 사용", "depth3": "문 열기"},
            "file_name": "a/b/S_0001_02.jpg", "recording_id": 17},
            "annotations": [{"bbox": {"bndex_xcrdnt": 10, "bndex_ycrdnt": "20", "bndex_width": 30.5, "bndex_hg": 40}},
                            {"bbox": []}, {"bbox": null}, {"bbox": {}}]}"#;
        let (cp949, _, bad) = encoding_rs::EUC_KR.encode(json);
        assert!(!bad && std::str::from_utf8(&cp949).is_err());
        let l = parse(&cp949).unwrap();
        assert_eq!(l.encoding, "EUC-KR");
        assert_eq!(l.depth[1].as_deref(), Some("냉장고 사용"));
        assert_eq!(l.depth[2].as_deref(), Some("문 열기"));
        assert_eq!(l.file_name.as_deref(), Some("S_0001_02.jpg"));
        assert_eq!(l.recording.as_deref(), Some("17"));
        assert_eq!(
            l.boxes,
            vec![BoundingBox {
                x: 10.0,
                y: 20.0,
                w: 30.5,
                h: 40.0
            }]
        );
        let mut bom = vec![0xef, 0xbb, 0xbf];
        bom.extend_from_slice(json.as_bytes());
        assert_eq!(parse(&bom).unwrap().depth, l.depth);
        assert!(parse(b"{\"info\": ").unwrap_err().contains("JSON"));
        assert!(parse(&[0xff, 0x00, 0x81]).is_err());
        assert_eq!(
            parse(b"{}").unwrap(),
            Label {
                encoding: "UTF-8",
                ..Label::default()
            }
        );
    }
}
