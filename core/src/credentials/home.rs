//! The home directory and `~` in the shared files' paths, found as aws-config finds them, so
//! that the paths our messages name are the files the chain really read: `HOME`; on Windows
//! then `USERPROFILE`, then `HOMEDRIVE` + `HOMEPATH` (a Windows user has no `HOME` unless a
//! Unix-like shell set one).

use std::path::PathBuf;

use super::selection::env_var;

/// This process's home directory.
pub(crate) fn home() -> Option<PathBuf> {
    home_from(env_var, cfg!(windows))
}

/// `path` with a leading `~` replaced by the home directory (`~/x`, and `~\x` on Windows); any
/// other path as it is.
pub(crate) fn expand_home(path: &str) -> PathBuf {
    expand_from(path, home(), cfg!(windows))
}

/// The home directory from `var`, with Windows' variables only when `windows`.
fn home_from(var: impl Fn(&str) -> Option<String>, windows: bool) -> Option<PathBuf> {
    var("HOME")
        .or_else(|| windows.then(|| var("USERPROFILE")).flatten())
        .or_else(|| {
            let (drive, path) = (var("HOMEDRIVE")?, var("HOMEPATH")?);
            windows.then(|| format!("{drive}{path}"))
        })
        .map(PathBuf::from)
}

fn expand_from(path: &str, home: Option<PathBuf>, windows: bool) -> PathBuf {
    let rest = path
        .strip_prefix("~/")
        .or_else(|| path.strip_prefix("~\\").filter(|_| windows));
    match (rest, home) {
        (Some(rest), Some(h)) => h.join(rest),
        _ => PathBuf::from(path),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn vars(pairs: &'static [(&'static str, &'static str)]) -> impl Fn(&str) -> Option<String> {
        move |k| {
            pairs
                .iter()
                .find(|(n, _)| *n == k)
                .map(|(_, v)| v.to_string())
        }
    }

    #[test]
    fn home_comes_first_everywhere() {
        let v = vars(&[("HOME", "/home/a"), ("USERPROFILE", r"C:\Users\a")]);
        assert_eq!(home_from(&v, false), Some(PathBuf::from("/home/a")));
        assert_eq!(home_from(&v, true), Some(PathBuf::from("/home/a")));
    }

    #[test]
    fn windows_falls_back_to_userprofile_then_homedrive_and_homepath() {
        let profile = vars(&[
            ("USERPROFILE", r"C:\Users\a"),
            ("HOMEDRIVE", "D:"),
            ("HOMEPATH", r"\u\a"),
        ]);
        assert_eq!(
            home_from(&profile, true),
            Some(PathBuf::from(r"C:\Users\a"))
        );
        let drive = vars(&[("HOMEDRIVE", "D:"), ("HOMEPATH", r"\u\a")]);
        assert_eq!(home_from(&drive, true), Some(PathBuf::from(r"D:\u\a")));
        assert_eq!(home_from(vars(&[("HOMEDRIVE", "D:")]), true), None);
    }

    #[test]
    fn unix_reads_no_windows_variable() {
        let v = vars(&[
            ("USERPROFILE", r"C:\Users\a"),
            ("HOMEDRIVE", "D:"),
            ("HOMEPATH", r"\a"),
        ]);
        assert_eq!(home_from(v, false), None);
    }

    #[test]
    fn a_leading_tilde_is_the_home_directory() {
        let h = Some(PathBuf::from("/h"));
        assert_eq!(
            expand_from("~/x/y", h.clone(), false),
            PathBuf::from("/h/x/y")
        );
        assert_eq!(
            expand_from(r"~\x", h.clone(), true),
            PathBuf::from("/h").join("x")
        );
        assert_eq!(expand_from(r"~\x", h.clone(), false), PathBuf::from(r"~\x"));
        assert_eq!(expand_from("~/x", None, false), PathBuf::from("~/x"));
        assert_eq!(expand_from("/abs/~/x", h, false), PathBuf::from("/abs/~/x"));
    }
}
