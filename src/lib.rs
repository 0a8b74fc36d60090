//! sammelkauf: cooperative purchasing for municipal IT service providers. Members bundle
//! their orders into lots, suppliers quote volume prices, and every member's share is
//! computed exactly.

pub mod app;
pub mod calloff_scenario;
pub mod clock;
pub mod config;
pub mod db;
pub mod demo;
pub mod domain;
pub mod export;
pub mod i18n;
pub mod jobs;
pub mod mail;
pub mod password;
pub mod scenario;
pub mod startup;
pub mod web;

/// Takes a lock whatever a panic elsewhere left behind: everything the project guards with a
/// mutex (kept pages and tiers, waiting requests, a test clock) is only ever changed whole,
/// so a poisoned lock still guards whole values.
pub(crate) fn locked<T>(mutex: &std::sync::Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    mutex
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}
