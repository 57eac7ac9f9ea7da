//! `frontproxy demo` (to be completed).
use std::process::ExitCode;
use crate::UsageError;
pub fn run(_args: &[String]) -> Result<ExitCode, UsageError> {
    Err(UsageError("demo: not implemented yet".into()))
}
