//! ipc (unix-domain sockets): binding over an existing socket file, and the `ipc://*`
//! wildcard.

use crate::error::Result;
use std::io::ErrorKind;
use std::os::unix::fs::MetadataExt;
use std::os::unix::net::UnixListener;
use std::path::{Path, PathBuf};

/// The file a listener bound. The socket that bound it removes it when it closes or
/// unbinds, at once, in its own thread: the listener itself is closed by the I/O thread
/// a little later, and by then the application may have bound the path anew, whose
/// file must stay.
#[derive(Debug)]
pub struct SocketFile {
    pub path: PathBuf,
    /// (device, inode) of the file this listener made: the path may since have been
    /// taken over by another bind, whose file is not ours to remove.
    id: Option<(u64, u64)>,
}

impl SocketFile {
    pub fn remove(&self) {
        if self.id.is_some() && file_id(&self.path) == self.id {
            let _ = std::fs::remove_file(&self.path);
        }
    }
}

fn file_id(path: &Path) -> Option<(u64, u64)> {
    std::fs::symlink_metadata(path)
        .ok()
        .map(|m| (m.dev(), m.ino()))
}

/// Binds `path`, as libzmq does: a socket file already there is replaced, whether a
/// dead process left it or a live socket still listens on it (that socket keeps the
/// connections it has; new ones come here).
pub fn bind(path: &Path) -> Result<(SocketFile, UnixListener)> {
    let path = if path == Path::new("*") {
        wildcard_path()
    } else {
        path.to_path_buf()
    };
    let listener = match UnixListener::bind(&path) {
        Err(e) if e.kind() == ErrorKind::AddrInUse => {
            match std::fs::remove_file(&path) {
                Err(e) if e.kind() != ErrorKind::NotFound => return Err(e.into()),
                _ => {}
            }
            UnixListener::bind(&path)?
        }
        other => other?,
    };
    listener.set_nonblocking(true)?;
    let id = file_id(&path);
    Ok((SocketFile { path, id }, listener))
}

fn wildcard_path() -> PathBuf {
    use std::sync::atomic::{AtomicU32, Ordering};
    static N: AtomicU32 = AtomicU32::new(0);
    let n = N.fetch_add(1, Ordering::Relaxed);
    std::env::temp_dir().join(format!("zmq-rs-{}-{n}.ipc", std::process::id()))
}
