//! Browser tests: the real site in headless Chromium over WebDriver, driven by clicking and
//! typing as a person would, with axe-core's WCAG 2.1 A/AA rules and the 320 px reflow check
//! on every page each role of the demo can reach.
#![allow(clippy::unwrap_used, clippy::expect_used)]

#[path = "../api/helpers.rs"]
#[allow(dead_code)]
mod helpers;

mod accessibility;
mod harness;
mod journeys;

/// Chromium is heavy on a two-core machine: one browser test at a time.
pub static ONE_AT_A_TIME: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());
