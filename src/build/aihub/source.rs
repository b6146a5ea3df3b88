//! Where the dataset's files are: a folder tree, and zip archives found in it read in place.
//!
//! Input: a root folder. Output: [`Entry`]s, one per file or zip member, each with a logical
//! path (`<root>/…/TS_1.요리.zip/요리/끓이기/a.wav` for a member) and its NFC name for matching;
//! [`read`] returns the bytes behind any such path, streaming the member out of its archive
//! (never unpacking to disk). Member names are UTF-8 when they are (macOS archives store them
//! decomposed, NFD, without saying so), else CP949 (Korean Windows), else the archive's CP437.
//! macOS metadata (`__MACOSX/`, `._*`, `.DS_Store`) and hidden files are skipped.

use super::names::nfc;
use std::cell::RefCell;
use std::collections::HashMap;
use std::fs::File;
use std::io::{BufReader, Read};
use std::path::{Path, PathBuf};

/// Largest member or file [`read`] returns, in bytes.
pub const MAX_READ_BYTES: u64 = 1 << 30;

/// One file of the dataset.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Entry {
    /// Logical path: the file's own path, or the archive's path joined with the member's name.
    pub path: PathBuf,
    /// The path below the root, NFC, `/`-separated (for matching and reports).
    pub rel: String,
    /// Size in bytes (uncompressed, for members).
    pub size: u64,
    /// The archive holding it, if any.
    pub archive: Option<PathBuf>,
}

impl Entry {
    /// File name (last component of [`Entry::rel`]).
    pub fn name(&self) -> &str {
        self.rel.rsplit('/').next().unwrap_or(&self.rel)
    }
    /// Lower-case extension of the name.
    pub fn extension(&self) -> String {
        self.name()
            .rsplit_once('.')
            .map_or(String::new(), |(_, e)| e.to_ascii_lowercase())
    }
}

/// Everything found under a root.
#[derive(Debug, Default)]
pub struct Listing {
    /// Files and members, sorted by logical path.
    pub entries: Vec<Entry>,
    /// Archives or folders that could not be read, with the reason.
    pub problems: Vec<(PathBuf, String)>,
    /// macOS metadata and hidden files skipped.
    pub skipped_metadata: usize,
}

fn is_metadata(name: &str) -> bool {
    name.starts_with('.') || name == "__MACOSX" || name == "Thumbs.db" || name == "desktop.ini"
}

/// A zip member's name: UTF-8 if it is, else CP949, else the archive's own (CP437) reading.
pub fn member_name(raw: &[u8], fallback: &str) -> String {
    if let Ok(s) = std::str::from_utf8(raw) {
        return s.to_string();
    }
    let (s, had_errors) = encoding_rs::EUC_KR.decode_without_bom_handling(raw);
    if had_errors {
        fallback.to_string()
    } else {
        s.into_owned()
    }
}

type Archive = zip::ZipArchive<BufReader<File>>;

fn open_archive(path: &Path) -> Result<Archive, String> {
    let file = File::open(path).map_err(|e| e.to_string())?;
    zip::ZipArchive::new(BufReader::new(file))
        .map_err(|e| format!("not a readable zip archive: {e}"))
}

/// Member names (as [`member_name`] reads them) -> index.
fn member_index(archive: &mut Archive) -> HashMap<String, usize> {
    let mut map = HashMap::new();
    for i in 0..archive.len() {
        if let Ok(f) = archive.by_index_raw(i) {
            map.insert(member_name(f.name_raw(), f.name()), i);
        }
    }
    map
}

/// Lists the files under `root`, reading the member lists of the zip archives among them.
pub fn list(root: &Path) -> Listing {
    let mut out = Listing::default();
    walk(root, root, 0, &mut out);
    out.entries.sort_by(|a, b| a.path.cmp(&b.path));
    out
}

fn rel_of(root: &Path, path: &Path) -> String {
    nfc(&path
        .strip_prefix(root)
        .unwrap_or(path)
        .to_string_lossy()
        .replace('\\', "/"))
}

fn walk(root: &Path, dir: &Path, depth: usize, out: &mut Listing) {
    if depth > 24 {
        return;
    }
    let mut items: Vec<_> = match std::fs::read_dir(dir) {
        Ok(rd) => rd.filter_map(Result::ok).collect(),
        Err(e) => {
            out.problems
                .push((dir.to_path_buf(), format!("cannot read the folder: {e}")));
            return;
        }
    };
    items.sort_by_key(|e| e.file_name());
    for e in items {
        let name = e.file_name().to_string_lossy().into_owned();
        if is_metadata(&name) {
            out.skipped_metadata += 1;
            continue;
        }
        let path = e.path();
        let Ok(meta) = std::fs::metadata(&path) else {
            out.problems
                .push((path, "cannot read the file's metadata".into()));
            continue;
        };
        if meta.is_dir() {
            walk(root, &path, depth + 1, out);
        } else if name.to_ascii_lowercase().ends_with(".zip") {
            list_archive(root, &path, out);
        } else {
            out.entries.push(Entry {
                rel: rel_of(root, &path),
                path,
                size: meta.len(),
                archive: None,
            });
        }
    }
}

fn list_archive(root: &Path, path: &Path, out: &mut Listing) {
    let mut archive = match open_archive(path) {
        Ok(a) => a,
        Err(e) => {
            out.problems.push((path.to_path_buf(), e));
            return;
        }
    };
    let base = rel_of(root, path);
    for i in 0..archive.len() {
        let f = match archive.by_index_raw(i) {
            Ok(f) => f,
            Err(e) => {
                out.problems
                    .push((path.to_path_buf(), format!("member {i} is unreadable: {e}")));
                continue;
            }
        };
        if f.is_dir() {
            continue;
        }
        let name = member_name(f.name_raw(), f.name());
        if name.split(['/', '\\']).any(is_metadata) {
            out.skipped_metadata += 1;
            continue;
        }
        out.entries.push(Entry {
            path: path.join(&name),
            rel: format!("{base}/{}", nfc(&name.replace('\\', "/"))),
            size: f.size(),
            archive: Some(path.to_path_buf()),
        });
    }
}

/// An archive kept open by a reading thread, with its member index.
struct OpenArchive {
    path: PathBuf,
    archive: Archive,
    index: HashMap<String, usize>,
}

thread_local! {
    /// The last archive this thread read from, with its member index (reads come in path order).
    static OPEN: RefCell<Option<OpenArchive>> = const { RefCell::new(None) };
}

/// Where `path` points inside an archive: the archive and the member's name.
fn split_archive_path(path: &Path) -> Option<(PathBuf, String)> {
    let mut archive = path.parent();
    while let Some(a) = archive {
        let is_zip = a.extension().is_some_and(|e| e.eq_ignore_ascii_case("zip"));
        if is_zip && a.is_file() {
            let member = path.strip_prefix(a).ok()?.to_string_lossy().into_owned();
            return Some((a.to_path_buf(), member));
        }
        archive = a.parent();
    }
    None
}

/// The bytes of a file, or of a zip member given as `<archive>.zip/<member>`. Errors name the
/// reason: a missing member, a member whose data is damaged or truncated (CRC or inflate error),
/// or one larger than [`MAX_READ_BYTES`].
pub fn read(path: &Path) -> std::io::Result<Vec<u8>> {
    use std::io::{Error, ErrorKind};
    if path.is_file() {
        let len = std::fs::metadata(path)?.len();
        if len > MAX_READ_BYTES {
            return Err(Error::other(format!(
                "{len} bytes is more than {MAX_READ_BYTES}"
            )));
        }
        return std::fs::read(path);
    }
    let Some((archive_path, member)) = split_archive_path(path) else {
        return Err(Error::new(ErrorKind::NotFound, "no such file"));
    };
    OPEN.with(|cell| {
        let mut slot = cell.borrow_mut();
        if slot.as_ref().is_none_or(|o| o.path != archive_path) {
            let mut a = open_archive(&archive_path).map_err(Error::other)?;
            let index = member_index(&mut a);
            *slot = Some(OpenArchive {
                path: archive_path.clone(),
                archive: a,
                index,
            });
        }
        let OpenArchive { archive, index, .. } = slot.as_mut().expect("just opened");
        let &i = index
            .get(&member)
            .ok_or_else(|| Error::new(ErrorKind::NotFound, "no such member in the archive"))?;
        let f = archive.by_index(i).map_err(Error::other)?;
        if f.size() > MAX_READ_BYTES {
            return Err(Error::other(format!(
                "member of {} bytes is more than {MAX_READ_BYTES}",
                f.size()
            )));
        }
        let mut bytes = Vec::with_capacity(f.size() as usize);
        f.take(MAX_READ_BYTES)
            .read_to_end(&mut bytes)
            .map_err(|e| {
                Error::new(e.kind(), format!("the member is damaged or truncated: {e}"))
            })?;
        Ok(bytes)
    })
}

/// The start and the end of a file, and its length.
pub struct HeadTail {
    /// The first bytes.
    pub head: Vec<u8>,
    /// The last bytes after `head` (empty when `head` holds the whole file).
    pub tail: Vec<u8>,
    /// The file's length.
    pub len: u64,
}

/// The first `n` bytes and the last `tail` bytes of a plain file (for cheap checks of large
/// images); `None` for archive members (use [`read`]).
pub fn head_and_tail(path: &Path, n: usize, tail: usize) -> Option<std::io::Result<HeadTail>> {
    use std::io::{Seek, SeekFrom};
    if !path.is_file() {
        return None;
    }
    Some((|| {
        let mut f = File::open(path)?;
        let len = f.metadata()?.len();
        let mut head = Vec::with_capacity(n);
        (&mut f).take(n as u64).read_to_end(&mut head)?;
        let start = len.saturating_sub(tail as u64).max(head.len() as u64);
        f.seek(SeekFrom::Start(start))?;
        let mut end = Vec::with_capacity(tail);
        f.take(tail as u64).read_to_end(&mut end)?;
        Ok(HeadTail {
            head,
            tail: end,
            len,
        })
    })())
}
