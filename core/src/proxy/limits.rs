//! How many sessions the proxy holds: the open-file limit, raised at start from the soft to the
//! hard limit as servers do, and the hard cap on open client connections derived from it and
//! from `--max-connections`. Past the cap a connection is closed at once, unread: a flood of
//! idle sockets then costs nothing but the accept, and the listeners and upstream dials keep
//! the descriptors they need.

/// Descriptors kept for the listeners, the HTTP endpoint, files and the runtime.
const RESERVED_FILES: usize = 64;

/// Raises the soft open-file limit to the hard one; the soft limit now, where there is one.
#[cfg(unix)]
pub(crate) fn raise_open_files() -> Option<usize> {
    let mut limit = libc::rlimit {
        rlim_cur: 0,
        rlim_max: 0,
    };
    // SAFETY: getrlimit only writes the struct it is given, which lives on this stack.
    if unsafe { libc::getrlimit(libc::RLIMIT_NOFILE, &mut limit) } != 0 {
        return None;
    }
    if limit.rlim_cur < limit.rlim_max {
        let mut wanted = limit;
        wanted.rlim_cur = limit.rlim_max;
        // SAFETY: setrlimit reads the struct it is given; raising the soft limit up to the
        // hard one needs no privilege. macOS refuses an unlimited soft limit: then the soft
        // limit stays as it was.
        if unsafe { libc::setrlimit(libc::RLIMIT_NOFILE, &wanted) } == 0 {
            limit = wanted;
        }
    }
    Some(usize::try_from(limit.rlim_cur).unwrap_or(usize::MAX))
}

/// Windows has no such limit on sockets.
#[cfg(not(unix))]
pub(crate) fn raise_open_files() -> Option<usize> {
    None
}

/// The most client connections held open at once: `--max-connections` and a small margin
/// (those sessions are refused with the engine's "too many connections" once their startup
/// arrives), and never more than the open-file limit allows at two descriptors a session.
pub(crate) fn hard_cap(max_connections: usize, open_files: Option<usize>) -> usize {
    let by_files = open_files.map_or(usize::MAX, |n| n.saturating_sub(RESERVED_FILES) / 2);
    let by_flag = match max_connections {
        0 => usize::MAX,
        n => n.saturating_add((n / 8).max(16)),
    };
    by_flag.min(by_files).max(1)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_cap_is_the_limit_and_a_margin_within_the_open_files() {
        assert_eq!(hard_cap(4, None), 20);
        assert_eq!(hard_cap(1000, None), 1125);
        assert_eq!(hard_cap(0, Some(1024)), 480);
        assert_eq!(hard_cap(1000, Some(1024)), 480);
        assert_eq!(hard_cap(0, None), usize::MAX);
        assert_eq!(hard_cap(0, Some(10)), 1);
    }

    #[cfg(unix)]
    #[test]
    fn the_soft_open_file_limit_is_raised_to_the_hard_one() {
        let soft = raise_open_files().expect("a limit");
        let mut limit = libc::rlimit {
            rlim_cur: 0,
            rlim_max: 0,
        };
        // SAFETY: as above.
        assert_eq!(
            unsafe { libc::getrlimit(libc::RLIMIT_NOFILE, &mut limit) },
            0
        );
        assert_eq!(usize::try_from(limit.rlim_cur).ok(), Some(soft));
        assert!(limit.rlim_cur == limit.rlim_max || cfg!(target_os = "macos"));
    }
}
