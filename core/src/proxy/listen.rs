//! Binding an instance's listener: a loopback-guarded TCP port everywhere, and on Unix a socket
//! in a private directory. Windows has no AF_UNIX listener in tokio, so `--unix-socket` is
//! refused there with the TCP alternative named.

use std::net::SocketAddr;
use std::path::PathBuf;

use tokio::net::TcpListener;

use super::config::{InstanceConfig, Listen};
use super::keepalive::keepalive;
use super::session::ClientIo;
use crate::{Error, Result};

/// Where an instance listens, once bound.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ListenAddress {
    /// A TCP address (with the port the system chose, if `:0` was asked for).
    Tcp(SocketAddr),
    /// The unix socket's path (`DIR/.s.PGSQL.<port>`).
    Unix(PathBuf),
}

impl std::fmt::Display for ListenAddress {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ListenAddress::Tcp(a) => write!(f, "{a}"),
            ListenAddress::Unix(p) => write!(f, "{}", p.display()),
        }
    }
}

/// A bound listener; dropping it closes the port (and removes a unix socket's file).
pub(crate) enum Listener {
    Tcp(TcpListener),
    #[cfg(unix)]
    Unix(tokio::net::UnixListener, PathBuf),
}

impl Listener {
    pub(crate) async fn accept(&self) -> std::io::Result<ClientIo> {
        Ok(match self {
            Listener::Tcp(l) => {
                let (s, _) = l.accept().await?;
                let _ = s.set_nodelay(true);
                keepalive(&s);
                Box::new(s)
            }
            #[cfg(unix)]
            Listener::Unix(l, _) => Box::new(l.accept().await?.0),
        })
    }
}

#[cfg(unix)]
impl Drop for Listener {
    fn drop(&mut self) {
        if let Listener::Unix(_, path) = self {
            let _ = std::fs::remove_file(path);
        }
    }
}

/// Binds `c`'s listener: refuses a non-loopback TCP address unless allowed, and a unix socket
/// where the platform has none. A unix socket is named `unix_socket_name` (the engine's).
pub(crate) async fn bind(
    c: &InstanceConfig,
    unix_socket_name: &str,
) -> Result<(Listener, ListenAddress)> {
    match &c.listen {
        Listen::Tcp(addr) => {
            if !addr.ip().is_loopback() && !c.allow_non_loopback {
                return Err(Error::invalid_argument(
                    "listen",
                    format!("{addr} is not a loopback address: anyone who reaches it logs in as this process's IAM identity; pass --allow-non-loopback to mean it"),
                ));
            }
            let l = TcpListener::bind(addr).await.map_err(|e| {
                Error::invalid_argument(
                    "listen",
                    format!("cannot listen on {addr}: {e}; pass another --listen address"),
                )
            })?;
            let bound = l
                .local_addr()
                .map_err(|e| Error::invalid_argument("listen", e.to_string()))?;
            Ok((Listener::Tcp(l), ListenAddress::Tcp(bound)))
        }
        #[cfg(unix)]
        Listen::UnixDir(dir) => {
            let (path, l) = unix::bind_private(dir, unix_socket_name)?;
            Ok((Listener::Unix(l, path.clone()), ListenAddress::Unix(path)))
        }
        #[cfg(not(unix))]
        Listen::UnixDir(dir) => Err(Error::invalid_argument(
            "unix_socket",
            format!(
                "cannot listen on a unix socket ({}) in {}: this platform's runtime has no unix socket listener; use --listen 127.0.0.1:<port> instead",
                unix_socket_name,
                dir.display()
            ),
        )),
    }
}

#[cfg(unix)]
mod unix {
    //! The socket's directory and file: nobody but this user may reach either.
    use std::os::unix::fs::{DirBuilderExt, MetadataExt, PermissionsExt};
    use std::path::{Path, PathBuf};

    use tokio::net::UnixListener;

    use crate::{Error, Result};

    fn refuse(why: String) -> Error {
        Error::invalid_argument("unix_socket", why)
    }

    /// A private directory of ours: created `0700`, or refused when it is a symlink, another
    /// user owns it, or anyone else may read, write or enter it (`mode & 077`).
    pub(super) fn private_dir(dir: &Path) -> Result<()> {
        if std::fs::symlink_metadata(dir).is_err() {
            std::fs::DirBuilder::new()
                .recursive(true)
                .mode(0o700)
                .create(dir)
                .map_err(|e| refuse(format!("cannot create {}: {e}", dir.display())))?;
        }
        // symlink_metadata: a symlink is refused, never followed to wherever it points.
        let meta = std::fs::symlink_metadata(dir)
            .map_err(|e| refuse(format!("{}: {e}", dir.display())))?;
        // SAFETY: geteuid has no preconditions and cannot fail.
        let me = unsafe { libc::geteuid() };
        if meta.file_type().is_symlink() {
            return Err(refuse(format!(
                "{} is a symlink: pass the directory itself (mode 0700, owned by this user)",
                dir.display()
            )));
        }
        if !meta.is_dir() || meta.uid() != me || meta.mode() & 0o077 != 0 {
            return Err(refuse(format!(
                "{} must be a directory this user owns that nobody else may use (mode 0700; it is {:o}): chmod 700 it or pass another --unix-socket",
                dir.display(),
                meta.mode() & 0o7777
            )));
        }
        Ok(())
    }

    /// Binds `dir/name` so that the socket is never reachable with wider permissions: it is
    /// bound under a temporary name, set to `0700`, then renamed into place.
    pub(super) fn bind_private(dir: &Path, name: &str) -> Result<(PathBuf, UnixListener)> {
        private_dir(dir)?;
        let path = dir.join(name);
        // A socket left by a proxy that died: nobody answers on it.
        if std::os::unix::net::UnixStream::connect(&path).is_err() {
            let _ = std::fs::remove_file(&path);
        }
        let temporary = dir.join(format!(".{name}.{}.tmp", std::process::id()));
        let _ = std::fs::remove_file(&temporary);
        let cannot =
            |e: std::io::Error| refuse(format!("cannot listen on {}: {e}", path.display()));
        let l = UnixListener::bind(&temporary).map_err(cannot)?;
        let placed = std::fs::set_permissions(&temporary, std::fs::Permissions::from_mode(0o700))
            .and_then(|()| std::fs::rename(&temporary, &path));
        if let Err(e) = placed {
            let _ = std::fs::remove_file(&temporary);
            return Err(cannot(e));
        }
        Ok((path, l))
    }
}

/// Issue 32, defect 7: the socket's directory and file as another local user would find them.
#[cfg(all(test, unix))]
mod tests {
    use std::os::unix::fs::{symlink, PermissionsExt};
    use std::path::{Path, PathBuf};

    use super::unix::{bind_private, private_dir};

    /// A fresh directory of `mode` under the system's temporary directory.
    fn dir(name: &str, mode: u32) -> PathBuf {
        let d = std::env::temp_dir().join(format!("rds-iam-listen-{}-{name}", std::process::id()));
        let _ = std::fs::remove_dir_all(&d);
        std::fs::create_dir(&d).unwrap();
        std::fs::set_permissions(&d, std::fs::Permissions::from_mode(mode)).unwrap();
        d
    }

    fn refusal(d: &Path) -> String {
        match private_dir(d) {
            Ok(()) => panic!("{} was accepted", d.display()),
            Err(e) => e.to_string(),
        }
    }

    #[test]
    fn a_directory_others_may_read_or_enter_is_refused() {
        for mode in [0o755, 0o750, 0o701, 0o710] {
            let d = dir(&format!("{mode:o}"), mode);
            let why = refusal(&d);
            assert!(why.contains(&format!("it is {mode:o}")), "{why}");
            std::fs::remove_dir(&d).unwrap();
        }
        let d = dir("700", 0o700);
        private_dir(&d).unwrap();
        std::fs::remove_dir(&d).unwrap();
    }

    #[test]
    fn a_symlink_to_a_private_directory_is_refused() {
        let d = dir("target", 0o700);
        let link = d.with_file_name(format!("{}-link", d.file_name().unwrap().to_string_lossy()));
        let _ = std::fs::remove_file(&link);
        symlink(&d, &link).unwrap();
        let why = refusal(&link);
        assert!(why.contains("is a symlink"), "{why}");
        std::fs::remove_file(&link).unwrap();
        std::fs::remove_dir(&d).unwrap();
    }

    /// What happened to each name in a directory, as inotify reported it.
    #[cfg(target_os = "linux")]
    struct Watch {
        fd: i32,
    }

    #[cfg(target_os = "linux")]
    impl Watch {
        fn new(dir: &Path) -> Watch {
            use std::os::unix::ffi::OsStrExt;
            // SAFETY: plain syscalls on a descriptor this struct owns; the path is NUL-terminated.
            unsafe {
                let fd = libc::inotify_init1(libc::IN_NONBLOCK | libc::IN_CLOEXEC);
                assert!(fd >= 0, "inotify_init1");
                let path = std::ffi::CString::new(dir.as_os_str().as_bytes()).unwrap();
                let mask = libc::IN_CREATE | libc::IN_MOVED_TO | libc::IN_ATTRIB;
                assert!(libc::inotify_add_watch(fd, path.as_ptr(), mask) >= 0);
                Watch { fd }
            }
        }

        /// The events so far: (mask, name).
        fn events(&self) -> Vec<(u32, String)> {
            let mut buf = vec![0u8; 64 * 1024];
            // SAFETY: reads into a buffer of the length given.
            let n = unsafe { libc::read(self.fd, buf.as_mut_ptr().cast(), buf.len()) };
            let mut out = Vec::new();
            let mut at = 0usize;
            while n > 0 && at < n as usize {
                let word =
                    |i: usize| u32::from_ne_bytes(buf[at + i..at + i + 4].try_into().unwrap());
                let (mask, len) = (word(4), word(12) as usize);
                let name = &buf[at + 16..at + 16 + len];
                let name = name.split(|b| *b == 0).next().unwrap_or_default();
                out.push((mask, String::from_utf8_lossy(name).into_owned()));
                at += 16 + len;
            }
            out
        }
    }

    #[cfg(target_os = "linux")]
    impl Drop for Watch {
        fn drop(&mut self) {
            // SAFETY: the descriptor is ours and closed once.
            unsafe { libc::close(self.fd) };
        }
    }

    /// The socket's own name appears only by a rename, after its mode was set: it is never
    /// reachable there with the umask's wider mode, even for an instant.
    #[cfg(target_os = "linux")]
    #[tokio::test]
    async fn the_socket_appears_under_its_name_only_once_it_is_0700() {
        use std::os::unix::fs::FileTypeExt;
        let d = dir("socket", 0o700);
        let watch = Watch::new(&d);
        let (path, listener) = bind_private(&d, ".s.PGSQL.5432").unwrap();
        let events = watch.events();
        let mine: Vec<u32> = events
            .iter()
            .filter(|(_, name)| name == ".s.PGSQL.5432")
            .map(|(mask, _)| *mask)
            .collect();
        assert_eq!(
            mine,
            vec![libc::IN_MOVED_TO],
            "events in the directory: {events:?}"
        );
        let meta = std::fs::symlink_metadata(&path).unwrap();
        assert!(meta.file_type().is_socket());
        assert_eq!(meta.permissions().mode() & 0o777, 0o700);
        let others: Vec<_> = std::fs::read_dir(&d)
            .unwrap()
            .map(|e| e.unwrap().file_name())
            .collect();
        assert_eq!(
            others,
            vec![std::ffi::OsString::from(".s.PGSQL.5432")],
            "no temporary name left"
        );
        drop(listener);
        std::fs::remove_dir_all(&d).unwrap();
    }
}
