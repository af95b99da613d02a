pub mod cimd;
pub mod redirect;
