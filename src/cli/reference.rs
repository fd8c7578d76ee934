//! The reference tables users read in `--help`, the man pages and the README, generated from
//! the code that decides them: exit codes from the error kinds, variables from settings'
//! table, files from the store's paths.

use crate::error::Kind;

pub use crate::store::{FILES, File, OTHER_PLATFORMS, STORE_ENTRIES};

/// One row of the exit-code table.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ExitCode {
    pub code: u8,
    pub meaning: &'static str,
    pub typical_fix: &'static str,
}

/// Every exit code pointauth's own commands use (`exec` adds the command's own, 126 and 127).
pub const EXIT_CODES: &[ExitCode] = &{
    let mut rows = [ExitCode {
        code: 0,
        meaning: "success",
        typical_fix: "",
    }; Kind::ALL.len() + 1];
    let mut index = 0;
    while index < Kind::ALL.len() {
        let kind = Kind::ALL[index];
        rows[index + 1] = ExitCode {
            code: kind.code(),
            meaning: kind.meaning(),
            typical_fix: kind.typical_fix(),
        };
        index += 1;
    }
    rows
};

/// The root command's long help after the options: examples, then the exit codes.
pub(super) fn root_after_help() -> String {
    let mut text = String::from(super::args::EXAMPLES);
    text.push_str("\n\nExit status:\n");
    for row in EXIT_CODES {
        text.push_str(&format!("  {}  {}\n", row.code, row.meaning));
    }
    text.push_str("\nEnvironment:\n");
    for variable in crate::settings::VARIABLES {
        text.push_str(&format!(
            "  {}\n      {}\n",
            variable.name, variable.meaning
        ));
    }
    text.pop();
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_exit_code_table_lists_every_kind_once_after_success() {
        let codes: Vec<u8> = EXIT_CODES.iter().map(|row| row.code).collect();
        assert_eq!(codes, [0, 1, 2, 3, 4, 5, 6, 130]);
        assert!(EXIT_CODES[1..].iter().all(|row| !row.meaning.is_empty()));
    }
}
