//! ipc (unix-domain sockets): binding over a stale socket file left by a dead process,
//! and the `ipc://*` wildcard.

use crate::error::{Error, Result};
use std::io::ErrorKind;
use std::os::unix::net::{UnixListener, UnixStream};
use std::path::{Path, PathBuf};

/// The file a listener bound. The socket that bound it removes it when it closes or
/// unbinds, at once, in its own thread: the listener itself is closed by the I/O thread
/// a little later, and by then the application may have bound the path anew, whose
/// file must stay.
#[derive(Debug)]
pub struct SocketFile {
    pub path: PathBuf,
}

impl SocketFile {
    pub fn remove(&self) {
        let _ = std::fs::remove_file(&self.path);
    }
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
    Ok((SocketFile { path }, l))
}

fn wildcard_path() -> PathBuf {
    use std::sync::atomic::{AtomicU32, Ordering};
    static N: AtomicU32 = AtomicU32::new(0);
    let n = N.fetch_add(1, Ordering::Relaxed);
    std::env::temp_dir().join(format!("zmq-rs-{}-{n}.ipc", std::process::id()))
}
