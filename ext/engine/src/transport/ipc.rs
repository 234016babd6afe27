//! ipc (unix-domain sockets): binding over a stale socket file left by a dead process,
//! and the `ipc://*` wildcard.

use crate::error::{Error, Result};
use std::io::ErrorKind;
use std::os::unix::net::{UnixListener, UnixStream};
use std::path::{Path, PathBuf};

pub fn bind(path: &Path) -> Result<(PathBuf, UnixListener)> {
    let path = if path == Path::new("*") {
        wildcard_path()
    } else {
        path.to_path_buf()
    };
    match UnixListener::bind(&path) {
        Ok(l) => Ok((path, finish(l)?)),
        Err(e) if e.kind() == ErrorKind::AddrInUse => {
            // Someone still listening means the address is in use; a file nobody
            // answers on is left over from a dead process and may be replaced.
            if UnixStream::connect(&path).is_ok() {
                return Err(Error::new(libc::EADDRINUSE));
            }
            std::fs::remove_file(&path)?;
            let l = UnixListener::bind(&path)?;
            Ok((path, finish(l)?))
        }
        Err(e) => Err(e.into()),
    }
}

fn finish(l: UnixListener) -> Result<UnixListener> {
    l.set_nonblocking(true)?;
    Ok(l)
}

fn wildcard_path() -> PathBuf {
    use std::sync::atomic::{AtomicU32, Ordering};
    static N: AtomicU32 = AtomicU32::new(0);
    let n = N.fetch_add(1, Ordering::Relaxed);
    std::env::temp_dir().join(format!("zmq-rs-{}-{n}.ipc", std::process::id()))
}
