//! Clearing a bundled lot: ranking quotes, dropping lines over their limit, splitting the
//! cost exactly among lines and members (the rules of the pricing contract). `tiers` holds the
//! limits and tier tables, `scenario` the checked input, `evaluation` the clearing itself.

mod evaluation;
mod scenario;
mod tiers;

pub use evaluation::*;
pub use scenario::*;
pub use tiers::*;

#[cfg(test)]
mod tests;
