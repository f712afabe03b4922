//! Write: put the rendered site into a staging folder beside the build
//! dir, then swap it in with renames, so that a failed or interrupted build
//! leaves the previous site as it was. Nothing outside the build dir (and
//! its staging siblings) is ever deleted.

use crate::Set;
use crate::render::OutFile;
use rayon::prelude::*;
use std::fs;
use std::io;
use std::path::{Path, PathBuf};
use std::sync::Mutex;

/// Marks a folder as a copbook build, so that copbook only ever replaces
/// folders it made.
pub const MARKER: &str = ".copbook-build";

/// The real, absolute location of `p`: `..` and symlinks are resolved one
/// component at a time, also in the part that does not exist yet, so that
/// `newdir/../content` is seen for what it is.
fn absolute(p: &Path) -> PathBuf {
    use std::path::Component;
    let start = if p.is_absolute() {
        PathBuf::new()
    } else {
        std::env::current_dir().unwrap_or_default()
    };
    let mut out = start.canonicalize().unwrap_or(start);
    for c in p.components() {
        match c {
            Component::Prefix(_) | Component::RootDir => out.push(c.as_os_str()),
            Component::CurDir => {}
            Component::ParentDir => {
                out.pop();
            }
            Component::Normal(name) => {
                out.push(name);
                if let Ok(real) = out.canonicalize() {
                    out = real;
                }
            }
        }
    }
    out
}

/// Refuses a build dir that would overwrite the handbook or the system:
/// `/`, the home folder, the book root, `content/`, or an ancestor of them,
/// or a folder inside `content/`.
pub fn check_dest(root: &Path, dest: &Path) -> Result<(), String> {
    let root = absolute(root);
    let dest = absolute(dest);
    let content = root.join("content");
    let home = std::env::var_os("HOME").map(|h| absolute(Path::new(&h)));
    let shown = dest.display();
    if dest.parent().is_none() {
        return Err(format!(
            "refusing to build into `{shown}`: it is the file system root"
        ));
    }
    if home.as_deref() == Some(dest.as_path()) {
        return Err(format!(
            "refusing to build into `{shown}`: it is your home folder"
        ));
    }
    if root.starts_with(&dest) {
        return Err(format!(
            "refusing to build into `{shown}`: it holds the handbook itself"
        ));
    }
    if dest.starts_with(&content) {
        return Err(format!(
            "refusing to build into `{shown}`: it is inside content/"
        ));
    }
    if dest.starts_with(root.join("static")) || dest.starts_with(root.join("themes")) {
        return Err(format!(
            "refusing to build into `{shown}`: it is inside the handbook's sources"
        ));
    }
    if dest.is_file() {
        return Err(format!("refusing to build into `{shown}`: it is a file"));
    }
    if dest.is_dir()
        && !dest.join(MARKER).exists()
        && fs::read_dir(&dest)
            .map(|mut d| d.next().is_some())
            .unwrap_or(true)
    {
        return Err(format!(
            "refusing to replace `{shown}`: it is not empty and was not made by copbook; remove it or choose another folder with -d"
        ));
    }
    Ok(())
}

/// Swaps two folders in one step (Linux's `renameat2` with
/// `RENAME_EXCHANGE`). Where the system cannot, the caller falls back to
/// two renames, between which the build dir is briefly missing.
#[cfg(target_os = "linux")]
fn exchange(a: &Path, b: &Path) -> io::Result<()> {
    use rustix::fs::{CWD, RenameFlags, renameat_with};
    renameat_with(CWD, a, CWD, b, RenameFlags::EXCHANGE).map_err(io::Error::from)
}

#[cfg(not(target_os = "linux"))]
fn exchange(_: &Path, _: &Path) -> io::Result<()> {
    Err(io::ErrorKind::Unsupported.into())
}

/// A build being written: files go into a staging folder beside the
/// build dir as they are rendered (from any thread), and [`Staging::commit`]
/// swaps it in. Dropped without a commit, the staging folder is removed
/// and the build dir is left as it was.
pub struct Staging {
    dest: PathBuf,
    dir: PathBuf,
    old: PathBuf,
    committed: bool,
    /// The folders made so far: the search index puts ten thousand files
    /// into one folder, and asking the system to make it again for each
    /// is a failed `mkdir` that locks the folder the other threads write
    /// into.
    made: Mutex<Set<PathBuf>>,
}

impl Staging {
    /// Makes an empty staging folder for `dest`.
    pub fn new(dest: &Path) -> io::Result<Staging> {
        let dest = absolute(dest);
        let parent = dest
            .parent()
            .ok_or_else(|| io::Error::other("build dir has no parent"))?;
        let name = dest
            .file_name()
            .ok_or_else(|| io::Error::other("build dir has no name"))?
            .to_string_lossy()
            .into_owned();
        fs::create_dir_all(parent)?;
        let pid = std::process::id();
        let dir = parent.join(format!(".{name}.staging-{pid}"));
        let old = parent.join(format!(".{name}.old-{pid}"));
        for stale in [&dir, &old] {
            if stale.exists() {
                fs::remove_dir_all(stale)?;
            }
        }
        fs::create_dir_all(&dir)?;
        Ok(Staging {
            dest,
            dir,
            old,
            committed: false,
            made: Mutex::new(Set::default()),
        })
    }

    /// Writes one file (`path` relative to the site root), making its
    /// folder first. Safe to call from several threads at once.
    pub fn put(&self, path: &str, bytes: &[u8]) -> io::Result<()> {
        let target = self.dir.join(path);
        self.make_parent(&target)?;
        fs::write(target, bytes)
    }

    /// Copies the file `src` to `out` (relative to the site root).
    pub fn copy(&self, src: &Path, out: &str) -> io::Result<()> {
        let target = self.dir.join(out);
        self.make_parent(&target)?;
        fs::copy(src, target).map(drop)
    }

    /// Makes the folder of `file` unless this build has made it already.
    fn make_parent(&self, file: &Path) -> io::Result<()> {
        let Some(d) = file.parent() else {
            return Ok(());
        };
        // A poisoned lock only means another thread panicked mid-insert;
        // the set is still a set.
        if self.made().contains(d) {
            return Ok(());
        }
        make_dir(d)?;
        self.made().insert(d.to_path_buf());
        Ok(())
    }

    fn made(&self) -> std::sync::MutexGuard<'_, Set<PathBuf>> {
        self.made.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Marks the folder as copbook's and swaps it in for the build dir.
    pub fn commit(mut self) -> io::Result<()> {
        self.committed = true;
        let (staging, dest, old) = (&self.dir, &self.dest, &self.old);
        if let Err(e) = fs::write(
            staging.join(MARKER),
            b"This folder was written by copbook and is replaced on each build.\n",
        ) {
            let _ = fs::remove_dir_all(staging);
            return Err(e);
        }
        let had_old = dest.exists();
        if had_old && exchange(staging, dest).is_ok() {
            // One step: the build dir is never missing, even if copbook is
            // killed here; the previous site is now in the staging folder.
            return fs::remove_dir_all(staging);
        }
        if had_old {
            fs::rename(dest, old)?;
        }
        if let Err(e) = fs::rename(staging, dest) {
            if had_old {
                let _ = fs::rename(old, dest);
            }
            let _ = fs::remove_dir_all(staging);
            return Err(e);
        }
        if had_old {
            fs::remove_dir_all(old)?;
        }
        Ok(())
    }
}

/// Makes the folder `d`: one `mkdir` when its parent exists (every page
/// has a folder of its own, so this runs once per page; with
/// `create_dir_all` an existing folder costs a second call).
fn make_dir(d: &Path) -> io::Result<()> {
    match fs::create_dir(d) {
        Ok(()) => Ok(()),
        Err(e) if e.kind() == io::ErrorKind::AlreadyExists => Ok(()),
        Err(e) if e.kind() == io::ErrorKind::NotFound => fs::create_dir_all(d),
        Err(e) => Err(e),
    }
}

impl Drop for Staging {
    fn drop(&mut self) {
        if !self.committed {
            let _ = fs::remove_dir_all(&self.dir);
        }
    }
}

/// Writes `files` (and copies `assets`) into `dest` atomically.
pub fn write_site(dest: &Path, files: &[OutFile], assets: &[(PathBuf, String)]) -> io::Result<()> {
    let staging = Staging::new(dest)?;
    assets
        .par_iter()
        .try_for_each(|(src, out)| staging.copy(src, out))?;
    files
        .par_iter()
        .try_for_each(|f| staging.put(&f.path, &f.bytes))?;
    staging.commit()
}
