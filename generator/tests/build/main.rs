//! Integration tests: build fixture sites with the real templates and check the output and the
//! diagnostics, through the library and through the `generator` binary.

mod errors;
mod feeds;
mod fresh;
mod incremental;
mod render;
mod search;
mod serve;
mod site_test;
