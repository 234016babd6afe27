//! Ruby binding (placeholder proving the build pipeline; the binding replaces it).

use magnus::{function, prelude::*, Error, Ruby};

#[magnus::init]
fn init(ruby: &Ruby) -> Result<(), Error> {
    let zmq = ruby.define_module("ZMQ")?;
    zmq.define_singleton_method("__native_loaded?", function!(|| true, 0))?;
    Ok(())
}
