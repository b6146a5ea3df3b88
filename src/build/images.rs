//! Class images (native only): an image file -> a [`ClassImage`] ready for the index.
//!
//! * SVG is sanitised and passed through ([`sanitize_svg`]): scripts, event handlers,
//!   `<foreignObject>`, external references and unknown elements are stripped, a DOCTYPE
//!   or entity declaration is rejected, whitespace is minified.
//! * JPEG, PNG and WebP become a square, centre-cropped [`THUMB_SIZE`] px JPEG at
//!   [`JPEG_QUALITY`] ([`thumbnail`], [`encode_jpeg`]).
//!
//! [`pick_representative`] chooses the images closest to a class's mean colour histogram.

use crate::index::ClassImage;
use image::imageops::FilterType;
use image::{DynamicImage, RgbImage};
use std::path::{Path, PathBuf};

/// Side of raster thumbnails in pixels. The kiosk shows the image at about 40% of a
/// 1080p screen (≈430 px). Measured on four photos (`thumbnail_sizes` test): at 384 px
/// PNG takes 70–324 kB, lossless WebP 73–320 kB, JPEG q80 19–62 kB, q85 22–72 kB, q90
/// 26–89 kB; at 256 px JPEG q80 takes 9–32 kB. 384 px JPEG q80 keeps the picture sharp
/// at kiosk size for about a fifth of a PNG.
pub const THUMB_SIZE: u32 = 384;
/// JPEG quality of raster thumbnails.
pub const JPEG_QUALITY: u8 = 80;
/// Largest image file accepted, in bytes.
pub const MAX_IMAGE_BYTES: u64 = 64 << 20;
/// Largest SVG accepted, in bytes.
pub const MAX_SVG_BYTES: usize = 1 << 20;

/// SVG elements kept by the sanitiser (local names); any other element is dropped with
/// its content.
const SVG_ELEMENTS: &[&str] = &[
    "svg",
    "g",
    "path",
    "rect",
    "circle",
    "ellipse",
    "line",
    "polyline",
    "polygon",
    "defs",
    "lineargradient",
    "radialgradient",
    "stop",
    "clippath",
    "mask",
    "use",
    "symbol",
    "title",
    "desc",
    "text",
    "tspan",
    "pattern",
    "filter",
    "style",
    "marker",
    "fegaussianblur",
    "feoffset",
    "feblend",
    "fecolormatrix",
    "fecomposite",
    "feflood",
    "femerge",
    "femergenode",
    "femorphology",
    "fedropshadow",
];

/// Loads a class image: SVG sanitised, rasters thumbnailed. The credit is left empty.
pub fn load_class_image(path: &Path) -> Result<ClassImage, String> {
    let size = std::fs::metadata(path)
        .map_err(|e| format!("reading {}: {e}", path.display()))?
        .len();
    if size > MAX_IMAGE_BYTES {
        return Err(format!(
            "{} is {size} bytes, more than the {MAX_IMAGE_BYTES} accepted",
            path.display()
        ));
    }
    let bytes = std::fs::read(path).map_err(|e| format!("reading {}: {e}", path.display()))?;
    let ext = path
        .extension()
        .and_then(|e| e.to_str())
        .unwrap_or("")
        .to_ascii_lowercase();
    if ext == "svg" {
        let text = std::str::from_utf8(&bytes)
            .map_err(|_| format!("{}: SVG is not UTF-8", path.display()))?;
        let clean = sanitize_svg(text).map_err(|e| format!("{}: {e}", path.display()))?;
        return Ok(ClassImage {
            mime: "image/svg+xml".into(),
            bytes: clean.into_bytes(),
            credit: String::new(),
        });
    }
    let img = decode(&bytes).map_err(|e| format!("{}: {e}", path.display()))?;
    let thumb = thumbnail(&img, THUMB_SIZE);
    Ok(ClassImage {
        mime: "image/jpeg".into(),
        bytes: encode_jpeg(&thumb, JPEG_QUALITY)?,
        credit: String::new(),
    })
}

/// Decodes JPEG, PNG or WebP bytes (format sniffed from the content).
pub fn decode(bytes: &[u8]) -> Result<DynamicImage, String> {
    image::ImageReader::new(std::io::Cursor::new(bytes))
        .with_guessed_format()
        .map_err(|e| e.to_string())?
        .decode()
        .map_err(|e| format!("cannot decode image: {e}"))
}

/// Centre-crops `img` to a square and resizes it to `size` × `size` (Lanczos3).
pub fn thumbnail(img: &DynamicImage, size: u32) -> RgbImage {
    let (w, h) = (img.width(), img.height());
    let side = w.min(h).max(1);
    let square = img.crop_imm((w - side.min(w)) / 2, (h - side.min(h)) / 2, side, side);
    let filter = if side > size {
        FilterType::Lanczos3
    } else {
        FilterType::CatmullRom
    };
    square.resize_exact(size, size, filter).to_rgb8()
}

/// Encodes as baseline JPEG at `quality` (1..=100).
pub fn encode_jpeg(img: &RgbImage, quality: u8) -> Result<Vec<u8>, String> {
    let mut out = Vec::new();
    image::codecs::jpeg::JpegEncoder::new_with_quality(&mut out, quality.clamp(1, 100))
        .encode_image(img)
        .map_err(|e| e.to_string())?;
    Ok(out)
}

/// Encodes as PNG (for comparison; the index uses JPEG).
pub fn encode_png(img: &RgbImage) -> Result<Vec<u8>, String> {
    let mut out = Vec::new();
    img.write_with_encoder(image::codecs::png::PngEncoder::new(&mut out))
        .map_err(|e| e.to_string())?;
    Ok(out)
}

/// Encodes as lossless WebP (the only WebP encoder in `image`; for comparison).
pub fn encode_webp_lossless(img: &RgbImage) -> Result<Vec<u8>, String> {
    let mut out = Vec::new();
    img.write_with_encoder(image::codecs::webp::WebPEncoder::new_lossless(&mut out))
        .map_err(|e| e.to_string())?;
    Ok(out)
}

/// 4×4×4 RGB histogram of a 32 px thumbnail of the file, normalised to sum 1.
fn colour_histogram(path: &Path) -> Option<[f32; 64]> {
    let bytes = std::fs::read(path).ok()?;
    Some(histogram(&decode(&bytes).ok()?))
}

/// 4×4×4 RGB histogram of a 32 px thumbnail of `img`, normalised to sum 1.
pub fn histogram(img: &DynamicImage) -> [f32; 64] {
    let img = thumbnail(img, 32);
    let mut h = [0f32; 64];
    for p in img.pixels() {
        let [r, g, b] = p.0;
        h[usize::from(r >> 6) * 16 + usize::from(g >> 6) * 4 + usize::from(b >> 6)] += 1.0;
    }
    let n = (img.width() * img.height()) as f32;
    h.iter_mut().for_each(|x| *x /= n);
    h
}

/// Picks the `n` most representative images: those whose colour histogram is closest
/// (L1) to the mean histogram of all decodable images. Ties and undecodable files
/// (including SVGs, which come last) are ordered by path, so the choice is deterministic.
pub fn pick_representative(paths: &[PathBuf], n: usize) -> Vec<PathBuf> {
    let mut sorted: Vec<PathBuf> = paths.to_vec();
    sorted.sort();
    sorted.dedup();
    let threads = std::thread::available_parallelism()
        .map_or(1, |n| n.get())
        .max(1);
    let chunk = sorted.len().div_ceil(threads).max(1);
    let hists: Vec<Option<[f32; 64]>> = std::thread::scope(|s| {
        let handles: Vec<_> = sorted
            .chunks(chunk)
            .map(|c| s.spawn(move || c.iter().map(|p| colour_histogram(p)).collect::<Vec<_>>()))
            .collect();
        handles
            .into_iter()
            .flat_map(|h| h.join().unwrap_or_default())
            .collect()
    });
    let ok: Vec<&[f32; 64]> = hists.iter().flatten().collect();
    let mut mean = [0f32; 64];
    for h in &ok {
        mean.iter_mut()
            .zip(h.iter())
            .for_each(|(m, x)| *m += x / ok.len() as f32);
    }
    let mut scored: Vec<(f32, &PathBuf)> = sorted
        .iter()
        .zip(&hists)
        .map(|(p, h)| {
            (
                h.map_or(f32::INFINITY, |h| {
                    h.iter().zip(&mean).map(|(a, b)| (a - b).abs()).sum()
                }),
                p,
            )
        })
        .collect();
    scored.sort_by(|a, b| a.0.total_cmp(&b.0).then_with(|| a.1.cmp(b.1)));
    scored.into_iter().take(n).map(|(_, p)| p.clone()).collect()
}

/// Lower-cased local name (after any `prefix:`).
fn local(name: &str) -> String {
    name.rsplit(':').next().unwrap_or(name).to_ascii_lowercase()
}

/// Decodes the XML entities allowed without a DTD; errors on any other reference.
fn decode_entities(s: &str) -> Result<String, String> {
    let mut out = String::with_capacity(s.len());
    let mut rest = s;
    while let Some(i) = rest.find('&') {
        out.push_str(&rest[..i]);
        let end = rest[i..].find(';').ok_or("unterminated entity reference")? + i;
        let name = &rest[i + 1..end];
        let c = match name {
            "lt" => '<',
            "gt" => '>',
            "amp" => '&',
            "quot" => '"',
            "apos" => '\'',
            _ => {
                let code = if let Some(hex) =
                    name.strip_prefix("#x").or_else(|| name.strip_prefix("#X"))
                {
                    u32::from_str_radix(hex, 16).ok()
                } else {
                    name.strip_prefix('#').and_then(|d| d.parse().ok())
                };
                code.and_then(char::from_u32)
                    .ok_or_else(|| format!("unknown entity reference &{name};"))?
            }
        };
        out.push(c);
        rest = &rest[end + 1..];
    }
    out.push_str(rest);
    Ok(out)
}

/// True when CSS or an attribute value is unsafe: `url(` pointing anywhere but `#…`,
/// `@import`, `javascript:`, `expression(` or CSS escapes (which could hide those).
fn unsafe_value(decoded: &str) -> bool {
    let v: String = decoded
        .chars()
        .filter(|c| !c.is_whitespace())
        .collect::<String>()
        .to_ascii_lowercase();
    if v.contains("javascript:")
        || v.contains("@import")
        || v.contains("expression(")
        || v.contains('\\')
    {
        return true;
    }
    v.match_indices("url(")
        .any(|(i, _)| !v[i + 4..].trim_start_matches(['"', '\'']).starts_with('#'))
}

fn collapse_ws(s: &str) -> String {
    s.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// Sanitises an SVG document for display: keeps only known drawing elements and safe
/// attributes; strips `<script>`, `<foreignObject>`, `on*` attributes, `href`s not
/// starting with `#`, `<use>` of external files, `url(…)` to anything but `#…`,
/// comments and processing instructions; minifies whitespace. Rejects a DOCTYPE,
/// `<!ENTITY`, malformed markup, a root that is not `<svg>`, or more than
/// [`MAX_SVG_BYTES`].
pub fn sanitize_svg(src: &str) -> Result<String, String> {
    if src.len() > MAX_SVG_BYTES {
        return Err(format!("SVG is larger than {MAX_SVG_BYTES} bytes"));
    }
    let mut out = String::with_capacity(src.len());
    let mut stack: Vec<(String, bool)> = Vec::new(); // (name, kept)
    let mut dropping = 0usize; // depth inside a dropped element
    let mut seen_root = false;
    let mut in_style = false;
    let mut rest = src;
    while !rest.is_empty() {
        if let Some(r) = rest.strip_prefix("<!--") {
            rest = &r[r.find("-->").ok_or("unterminated comment")? + 3..];
        } else if let Some(r) = rest.strip_prefix("<![CDATA[") {
            let end = r.find("]]>").ok_or("unterminated CDATA section")?;
            let text = &r[..end];
            if in_style && unsafe_value(text) {
                return Err("a <style> block references something outside the image".into());
            }
            if dropping == 0 && !text.trim().is_empty() {
                out.push_str(&collapse_ws(text).replace('&', "&amp;").replace('<', "&lt;"));
            }
            rest = &r[end + 3..];
        } else if rest.starts_with("<!") {
            return Err("DOCTYPE and entity declarations are not allowed in SVG images".into());
        } else if let Some(r) = rest.strip_prefix("<?") {
            rest = &r[r.find("?>").ok_or("unterminated processing instruction")? + 2..];
        } else if let Some(r) = rest.strip_prefix("</") {
            let end = r.find('>').ok_or("unterminated end tag")?;
            let name = r[..end].trim();
            let (open, kept) = stack.pop().ok_or_else(|| format!("unexpected </{name}>"))?;
            if open != name {
                return Err(format!("</{name}> closes <{open}>"));
            }
            if kept {
                out.push_str(&format!("</{name}>"));
            } else {
                dropping -= 1;
            }
            in_style = false;
            rest = &r[end + 1..];
        } else if let Some(r) = rest.strip_prefix('<') {
            let (tag, after) = parse_tag(r)?;
            rest = after;
            let lname = local(&tag.name);
            if !seen_root {
                if lname != "svg" {
                    return Err(format!("the root element is <{}>, not <svg>", tag.name));
                }
                seen_root = true;
            } else if stack.is_empty() {
                return Err("content after the root </svg>".into());
            }
            let external_use = lname == "use"
                && tag
                    .attrs
                    .iter()
                    .any(|(k, v)| local(k) == "href" && !v.starts_with('#'));
            let keep = dropping == 0 && SVG_ELEMENTS.contains(&lname.as_str()) && !external_use;
            if keep {
                out.push('<');
                out.push_str(&tag.name);
                let mut has_xmlns = false;
                for (k, raw) in &tag.attrs {
                    let lk = local(k);
                    let v = decode_entities(raw)?;
                    has_xmlns |= k == "xmlns";
                    let drop = lk.starts_with("on")
                        || (lk == "href" && !v.trim_start().starts_with('#'))
                        || unsafe_value(&v);
                    if !drop {
                        out.push_str(&format!(
                            " {k}=\"{}\"",
                            collapse_ws(raw).replace('"', "&quot;")
                        ));
                    }
                }
                if stack.is_empty() && !has_xmlns {
                    out.push_str(" xmlns=\"http://www.w3.org/2000/svg\"");
                }
                out.push_str(if tag.self_closing { "/>" } else { ">" });
            }
            if !tag.self_closing {
                if !keep {
                    dropping += 1;
                }
                in_style = keep && lname == "style";
                stack.push((tag.name, keep));
            }
        } else {
            let end = rest.find('<').unwrap_or(rest.len());
            let text = &rest[..end];
            if !text.trim().is_empty() {
                if stack.is_empty() {
                    return Err("text outside the root element".into());
                }
                let decoded = decode_entities(text)?;
                if in_style && unsafe_value(&decoded) {
                    return Err("a <style> block references something outside the image".into());
                }
                if dropping == 0 {
                    out.push_str(&collapse_ws(text));
                }
            }
            rest = &rest[end..];
        }
    }
    if !seen_root || !stack.is_empty() {
        return Err("the SVG document is incomplete".into());
    }
    Ok(out)
}

struct Tag {
    name: String,
    attrs: Vec<(String, String)>,
    self_closing: bool,
}

/// Parses `name attr="v" … >` or `… />` (after the `<`); returns the tag and the rest.
fn parse_tag(s: &str) -> Result<(Tag, &str), String> {
    let name_end = s
        .find(|c: char| c.is_whitespace() || c == '>' || c == '/')
        .ok_or("unterminated tag")?;
    let name = &s[..name_end];
    if name.is_empty()
        || !name
            .chars()
            .all(|c| c.is_alphanumeric() || matches!(c, ':' | '-' | '_' | '.'))
    {
        return Err(format!("malformed tag name {name:?}"));
    }
    let mut rest = &s[name_end..];
    let mut attrs = Vec::new();
    loop {
        rest = rest.trim_start();
        if let Some(r) = rest.strip_prefix("/>") {
            return Ok((
                Tag {
                    name: name.into(),
                    attrs,
                    self_closing: true,
                },
                r,
            ));
        }
        if let Some(r) = rest.strip_prefix('>') {
            return Ok((
                Tag {
                    name: name.into(),
                    attrs,
                    self_closing: false,
                },
                r,
            ));
        }
        let eq = rest
            .find('=')
            .ok_or_else(|| format!("malformed attributes in <{name}>"))?;
        let key = rest[..eq].trim();
        if key.is_empty()
            || !key
                .chars()
                .all(|c| c.is_alphanumeric() || matches!(c, ':' | '-' | '_' | '.'))
        {
            return Err(format!("malformed attribute name {key:?} in <{name}>"));
        }
        let after = rest[eq + 1..].trim_start();
        let quote = after
            .chars()
            .next()
            .filter(|c| *c == '"' || *c == '\'')
            .ok_or("attribute value without quotes")?;
        let close = after[1..]
            .find(quote)
            .ok_or("unterminated attribute value")?
            + 1;
        let value = &after[1..close];
        if value.contains('<') {
            return Err(format!("'<' inside an attribute of <{name}>"));
        }
        attrs.push((key.to_string(), value.to_string()));
        rest = &after[close + 1..];
    }
}
