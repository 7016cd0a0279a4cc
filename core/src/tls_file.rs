//! The root file for clients that take trust only as a file (libpq's `sslrootcert`, psql, the
//! mysql client): the system roots, the RDS bundle and the public roots in one PEM, written once
//! per process into a private cache directory.

use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use sha2::{Digest, Sha256};

use crate::error::{Error, Result};
use crate::tls::{CA_BUNDLE_PEM, PUBLIC_ROOTS_PEM};

/// Where distributions keep their CA bundle file (OpenSSL's `SSL_CERT_FILE` comes first).
#[cfg(unix)]
const SYSTEM_ROOT_FILES: &[&str] = &[
    "/etc/ssl/certs/ca-certificates.crt", // Debian, Ubuntu, Gentoo, Arch
    "/etc/pki/tls/certs/ca-bundle.crt",   // Fedora, RHEL, Amazon Linux
    "/etc/pki/ca-trust/extracted/pem/tls-ca-bundle.pem", // RHEL 7+
    "/etc/ssl/ca-bundle.pem",             // openSUSE
    "/etc/ssl/cert.pem",                  // Alpine, macOS, BSDs
    "/var/lib/ca-certificates/ca-bundle.pem", // SUSE
];
/// None on Windows: its roots live in the certificate store, and a Unix path there names a file
/// on the current drive, which any local user may create (`C:\etc\ssl\cert.pem`): another
/// user's roots in this user's trust file. Only `SSL_CERT_FILE` is read.
#[cfg(not(unix))]
const SYSTEM_ROOT_FILES: &[&str] = &[];

/// The system's CA bundle file: `$SSL_CERT_FILE` if set and readable, else (on Unix) the first
/// well-known distribution path that exists. `None` on a system without one (a bare container,
/// Windows without `SSL_CERT_FILE`).
pub fn system_roots_file() -> Option<PathBuf> {
    let env = std::env::var_os("SSL_CERT_FILE")
        .filter(|v| !v.is_empty())
        .map(PathBuf::from);
    env.into_iter()
        .chain(SYSTEM_ROOT_FILES.iter().map(PathBuf::from))
        .find(|p| p.is_file())
}

/// The default trust as one PEM: the system roots (when a system bundle exists), the RDS
/// bundle and the public roots RDS Proxy / DSQL chain to.
pub fn trust_pem() -> String {
    let system = system_roots_file()
        .and_then(|p| fs::read_to_string(&p).ok().map(|t| (p, t)))
        .map(|(p, t)| format!("# System roots from {}\n{}\n", p.display(), t.trim_end()))
        .unwrap_or_default();
    format!("{system}\n{CA_BUNDLE_PEM}\n{PUBLIC_ROOTS_PEM}")
}

/// A file holding [`trust_pem`], for libpq's `sslrootcert` and the launched psql / mysql.
///
/// Written once per process (later calls return the same path) into the private cache
/// directory `$XDG_CACHE_HOME/rds-iam` (else `~/.cache/rds-iam`, else `<tmp>/rds-iam-<uid>`;
/// on Windows else `%LOCALAPPDATA%\rds-iam`, else `%TEMP%\rds-iam`), which must be ours and
/// (on Unix) not writable by others; the file is named by its content's hash and replaced
/// atomically, so concurrent processes never see half a file.
pub fn trust_file() -> Result<PathBuf> {
    static FILE: OnceLock<PathBuf> = OnceLock::new();
    if let Some(p) = FILE.get() {
        return Ok(p.clone());
    }
    let path = write_trust_file(&cache_dir(), &trust_pem())?;
    Ok(FILE.get_or_init(|| path).clone())
}

fn cache_dir() -> PathBuf {
    let var = |k: &str| {
        std::env::var_os(k)
            .filter(|v| !v.is_empty())
            .map(PathBuf::from)
    };
    if let Some(x) = var("XDG_CACHE_HOME") {
        return x.join("rds-iam");
    }
    private::default_cache_dir(var)
}

fn io_error(what: &str, path: &Path, e: impl std::fmt::Display) -> Error {
    Error::argument(
        "ca",
        format!(
            "cannot {what} {}: {e}; set XDG_CACHE_HOME to a private writable directory, or pass \
             your own CA file (`ca`)",
            path.display()
        ),
    )
}

/// Creates `dir` (private to this user) if needed and refuses one that is not ours.
fn private_dir(dir: &Path) -> Result<()> {
    private::create_dir(dir).map_err(|e| io_error("create", dir, e))?;
    let meta = fs::symlink_metadata(dir).map_err(|e| io_error("inspect", dir, e))?;
    if !meta.is_dir() || !private::is_private(&meta) {
        return Err(io_error(
            "use",
            dir,
            "it is not a directory owned by this user and closed to others",
        ));
    }
    Ok(())
}

/// What "private" means per platform: Unix modes and owner; on Windows the per-user profile
/// directories (`%LOCALAPPDATA%`, `%TEMP%`) are closed to other users by their inherited ACLs,
/// and a directory we create there inherits them.
#[cfg(unix)]
mod private {
    use std::fs;
    use std::os::unix::fs::{DirBuilderExt, MetadataExt, OpenOptionsExt, PermissionsExt};
    use std::path::{Path, PathBuf};

    /// `~/.cache/rds-iam`, else `<tmp>/rds-iam-<uid>` (a shared /tmp: one per user).
    pub(super) fn default_cache_dir(var: impl Fn(&str) -> Option<PathBuf>) -> PathBuf {
        if let Some(h) = var("HOME") {
            return h.join(".cache").join("rds-iam");
        }
        // SAFETY: geteuid has no preconditions and cannot fail.
        let uid = unsafe { libc::geteuid() };
        std::env::temp_dir().join(format!("rds-iam-{uid}"))
    }

    /// `dir` and its missing parents, mode 0700.
    pub(super) fn create_dir(dir: &Path) -> std::io::Result<()> {
        fs::DirBuilder::new()
            .recursive(true)
            .mode(0o700)
            .create(dir)
    }

    /// Owned by this user and writable by nobody else.
    pub(super) fn is_private(meta: &fs::Metadata) -> bool {
        // SAFETY: geteuid has no preconditions and cannot fail.
        let uid = unsafe { libc::geteuid() };
        meta.uid() == uid && meta.permissions().mode() & 0o022 == 0
    }

    /// A new file, readable by all (it holds only public certificates).
    pub(super) fn create_new(path: &Path) -> std::io::Result<fs::File> {
        fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .mode(0o644)
            .open(path)
    }
}

#[cfg(not(unix))]
mod private {
    use std::fs;
    use std::path::{Path, PathBuf};

    /// `%LOCALAPPDATA%\rds-iam`, else `~/.cache/rds-iam` (`HOME` as Git Bash sets it), else
    /// `%TEMP%\rds-iam` (per user on Windows).
    pub(super) fn default_cache_dir(var: impl Fn(&str) -> Option<PathBuf>) -> PathBuf {
        if let Some(x) = var("LOCALAPPDATA") {
            return x.join("rds-iam");
        }
        if let Some(h) = var("HOME") {
            return h.join(".cache").join("rds-iam");
        }
        std::env::temp_dir().join("rds-iam")
    }

    /// `dir` and its missing parents, with the ACL they inherit.
    pub(super) fn create_dir(dir: &Path) -> std::io::Result<()> {
        fs::create_dir_all(dir)
    }

    /// A real directory (not a link elsewhere); its ACL is the profile's.
    pub(super) fn is_private(_meta: &fs::Metadata) -> bool {
        true
    }

    /// A new file.
    pub(super) fn create_new(path: &Path) -> std::io::Result<fs::File> {
        fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(path)
    }
}

/// Writes `pem` as `<dir>/trust-<hash>.pem` unless that file already holds it; returns its path.
pub(crate) fn write_trust_file(dir: &Path, pem: &str) -> Result<PathBuf> {
    private_dir(dir)?;
    let hash: String = Sha256::digest(pem.as_bytes())[..8]
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    let path = dir.join(format!("trust-{hash}.pem"));
    if fs::read_to_string(&path).is_ok_and(|t| t == pem) {
        return Ok(path);
    }
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos());
    let tmp = dir.join(format!(".trust-{}-{nanos}.tmp", std::process::id()));
    let write = || -> std::io::Result<()> {
        let mut f = private::create_new(&tmp)?;
        f.write_all(pem.as_bytes())?;
        f.sync_all()?;
        fs::rename(&tmp, &path)
    };
    write().map_err(|e| {
        let _ = fs::remove_file(&tmp);
        io_error("write", &path, e)
    })?;
    Ok(path)
}

#[cfg(test)]
mod tests {
    use super::*;
    #[cfg(unix)]
    use std::os::unix::fs::PermissionsExt;

    fn scratch(name: &str) -> PathBuf {
        let d =
            std::env::temp_dir().join(format!("rds-iam-tls-test-{}-{name}", std::process::id()));
        let _ = fs::remove_dir_all(&d);
        d
    }

    #[test]
    fn writes_once_into_a_private_directory() {
        let dir = scratch("ok").join("cache");
        let a = write_trust_file(&dir, "pem one\n").unwrap();
        let b = write_trust_file(&dir, "pem one\n").unwrap();
        assert_eq!(a, b);
        assert_eq!(fs::read_to_string(&a).unwrap(), "pem one\n");
        #[cfg(unix)]
        assert_eq!(
            fs::metadata(&dir).unwrap().permissions().mode() & 0o777,
            0o700
        );
        let c = write_trust_file(&dir, "pem two\n").unwrap();
        assert_ne!(
            a, c,
            "new content, new name: a running libpq never sees it change"
        );
        assert_eq!(
            fs::read_dir(&dir).unwrap().count(),
            2,
            "no temporary files left"
        );
        fs::remove_dir_all(dir.parent().unwrap()).unwrap();
    }

    #[cfg(unix)]
    #[test]
    fn refuses_a_directory_others_can_write() {
        let dir = scratch("open");
        fs::create_dir_all(&dir).unwrap();
        fs::set_permissions(&dir, fs::Permissions::from_mode(0o777)).unwrap();
        let err = write_trust_file(&dir, "pem\n").unwrap_err();
        assert!(err.to_string().contains("closed to others"), "{err}");
        fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn the_trust_holds_the_bundle_and_the_public_roots() {
        let pem = trust_pem();
        assert!(pem.contains(CA_BUNDLE_PEM) && pem.contains(PUBLIC_ROOTS_PEM));
        let path = trust_file().unwrap();
        assert_eq!(fs::read_to_string(&path).unwrap(), pem);
        assert_eq!(trust_file().unwrap(), path);
    }
}
