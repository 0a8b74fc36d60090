//! Black-box tests of the web application: each starts the server on port 0 with a fresh
#![allow(clippy::unwrap_used, clippy::expect_used)]
//! database (SQLite, or PostgreSQL when TEST_DATABASE_URL is set) and clicks through it as
//! the roles would.

mod helpers;

mod admin;
mod attack;
mod calendar;
mod concurrency;
mod deadline;
mod frameworks;
mod fuzz;
mod hostile;
mod mail;
mod member_admin;
mod orders;
mod overview;
mod processes;
mod procurement;
mod resilience;
mod rules;
mod security;
mod smtp;
mod statements;
mod upload;
