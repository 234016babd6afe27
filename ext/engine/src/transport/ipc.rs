//! ipc (unix-domain sockets): binding over a stale socket file left by a dead process,
//! and the `ipc://*` wildcard.

use crate::error::{Error, Result};
use std::io::ErrorKind;
use std::os::unix::fs::MetadataExt;
use std::os::unix::net::{UnixListener, UnixStream};
use std::path::{Path, PathBuf};

/// The file a listener bound. It is removed when the listener goes, but only if it is
/// still the same file: the listener is closed by the I/O thread a little after the
/// application closed its socket, and by then another socket may have bound the path
/// anew, whose file must stay.
#[derive(Debug)]
pub struct SocketFile {
    pub path: PathBuf,
    /// Device and inode of the file as bound.
    identity: Option<(u64, u64)>,
}

impl SocketFile {
    fn bound(path: PathBuf) -> SocketFile {
        let identity = file_identity(&path);
        SocketFile { path, identity }
    }

    pub fn remove_if_ours(&self) {
        if self.identity.is_some() && file_identity(&self.path) == self.identity {
            let _ = std::fs::remove_file(&self.path);
        }
    }
}

fn file_identity(path: &Path) -> Option<(u64, u64)> {
    std::fs::symlink_metadata(path)
        .ok()
        .map(|m| (m.dev(), m.ino()))
}

pub fn bind(path: &Path) -> Result<(SocketFile, UnixListener)> {
    let path = if path == Path::new("*") {
        wildcard_path()
    } else {
        path.to_path_buf()
    };
    match UnixListener::bind(&path) {
        Ok(l) => finish(path, l),
        Err(e) if e.kind() == ErrorKind::AddrInUse => {
            // Someone still listening means the address is in use; a file nobody
            // answers on is left over from a dead process (or from a listener being
            // closed right now, which may remove it first) and may be replaced.
            if UnixStream::connect(&path).is_ok() {
                return Err(Error::new(libc::EADDRINUSE));
            }
            match std::fs::remove_file(&path) {
                Err(e) if e.kind() != ErrorKind::NotFound => return Err(e.into()),
                _ => {}
            }
            let l = UnixListener::bind(&path)?;
            finish(path, l)
        }
        Err(e) => Err(e.into()),
    }
}

fn finish(path: PathBuf, l: UnixListener) -> Result<(SocketFile, UnixListener)> {
    l.set_nonblocking(true)?;
    Ok((SocketFile::bound(path), l))
}

fn wildcard_path() -> PathBuf {
    use std::sync::atomic::{AtomicU32, Ordering};
    static N: AtomicU32 = AtomicU32::new(0);
    let n = N.fetch_add(1, Ordering::Relaxed);
    std::env::temp_dir().join(format!("zmq-rs-{}-{n}.ipc", std::process::id()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn temp_path(name: &str) -> PathBuf {
        std::env::temp_dir().join(format!("zmq-rs-test-{}-{name}.ipc", std::process::id()))
    }

    /// A listener closed after another socket bound its path anew leaves the new
    /// socket's file alone.
    #[test]
    fn a_closing_listener_removes_only_its_own_file() {
        let path = temp_path("own");
        let (old_file, old) = bind(&path).unwrap();
        drop(old);
        // The old listener is gone but its file is still there: the new bind replaces it.
        let (new_file, _new) = bind(&path).unwrap();
        old_file.remove_if_ours();
        assert!(path.exists(), "the new socket's file was removed");
        new_file.remove_if_ours();
        assert!(!path.exists());
    }
}
