//! The agents that run inside the runtime, one module each.

pub mod analysis;
pub mod communication;
pub mod file_mapping;
pub mod mapping;
pub mod planning;
pub mod seo;
pub mod verification;
