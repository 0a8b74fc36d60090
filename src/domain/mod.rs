//! Pure product logic, free of I/O: money, pricing, lot rules.

pub mod account;
pub mod audit;
pub mod framework;
pub mod idempotency;
pub mod ids;
pub mod lot;
pub mod money;
pub mod pricing;
pub mod quote;
pub mod rules;
pub mod spend;
pub mod upload;
