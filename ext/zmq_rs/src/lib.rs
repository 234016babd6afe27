//! Ruby binding.
