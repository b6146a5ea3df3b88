//! The wasm-bindgen surface (wasm32 only): a thin layer over the core.
