//! The signals `exec --token-file` passes on to its command, caught on a thread through
//! signal-hook's self-pipe with who sent each, and the rule for which of them to pass on.

use signal_hook::consts::signal::{
    SIGCHLD, SIGHUP, SIGINT, SIGQUIT, SIGTERM, SIGUSR1, SIGUSR2, SIGWINCH,
};
use signal_hook::iterator::exfiltrator::WithOrigin;
use signal_hook::iterator::{Handle, SignalsInfo};

/// The signals the contract says pointauth passes on to the command.
const FORWARDED: [i32; 7] = [SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGUSR1, SIGUSR2, SIGWINCH];

/// A signal pointauth got.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Caught {
    /// The command changed state (it may have ended).
    Child,
    /// A signal to pass on, and the process that sent it, when one did.
    Signal { signal: i32, sender: Option<i32> },
}

/// The caught signals, until `Handle::close`.
pub(super) struct Signals {
    info: SignalsInfo<WithOrigin>,
}

impl Signals {
    /// Catches SIGCHLD and the forwarded signals, except those pointauth was started with
    /// ignored: those stay ignored, for the command too (as `nohup` and a shell's background
    /// jobs mean them to be). Called before the command starts, so none is missed.
    pub(super) fn catch() -> std::io::Result<Signals> {
        let ignored = ignored_at_start();
        let wanted = FORWARDED
            .into_iter()
            .filter(|signal| ignored & (1u64 << (signal - 1)) == 0)
            .chain([SIGCHLD]);
        Ok(Signals {
            info: SignalsInfo::<WithOrigin>::new(wanted)?,
        })
    }

    /// Ends `each_until_closed` from another thread.
    pub(super) fn handle(&self) -> Handle {
        self.info.handle()
    }

    /// Hands every caught signal to `f`, until the handle is closed.
    pub(super) fn each_until_closed(mut self, mut f: impl FnMut(Caught)) {
        for origin in self.info.forever() {
            if origin.signal == SIGCHLD {
                f(Caught::Child);
            } else {
                f(Caught::Signal {
                    signal: origin.signal,
                    sender: origin.process.map(|process| process.pid),
                });
            }
        }
    }
}

/// Whether a signal pointauth got goes on to the command (in pointauth's process group):
/// only one that a process other than the command sent. One the kernel sent has no sender:
/// the terminal's Ctrl-C, Ctrl-\, window-size change and hangup go to the whole foreground
/// process group, so the command already has it, and passing it on would make two.
pub(super) fn should_forward(sender: Option<i32>, child: i32) -> bool {
    sender.is_some_and(|pid| pid != child)
}

/// The signals this process was started with set to be ignored, as a bit mask (bit N-1 for
/// signal N): on Linux from /proc; elsewhere none are known.
fn ignored_at_start() -> u64 {
    #[cfg(target_os = "linux")]
    {
        std::fs::read_to_string("/proc/self/status")
            .ok()
            .and_then(|status| parse_sig_ign(&status))
            .unwrap_or(0)
    }
    #[cfg(not(target_os = "linux"))]
    {
        0
    }
}

/// The `SigIgn:` mask of /proc/PID/status.
#[cfg_attr(not(target_os = "linux"), allow(dead_code))]
fn parse_sig_ign(status: &str) -> Option<u64> {
    status
        .lines()
        .find_map(|line| line.strip_prefix("SigIgn:"))
        .and_then(|hex| u64::from_str_radix(hex.trim(), 16).ok())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_signals_another_process_sent_are_passed_on() {
        assert!(should_forward(Some(4000), 123), "kill from another process");
        assert!(should_forward(Some(0), 123), "from outside a pid namespace");
        assert!(
            !should_forward(None, 123),
            "the kernel: the terminal's signals"
        );
        assert!(!should_forward(Some(123), 123), "the command itself");
    }

    #[test]
    fn the_ignored_mask_is_read_from_proc_status() {
        let status = "Name:\tpointauth\nSigBlk:\t0000000000000000\nSigIgn:\t0000000000000001\n";
        assert_eq!(parse_sig_ign(status), Some(1 << (SIGHUP - 1)));
        assert_eq!(parse_sig_ign("Name:\tx\n"), None);
    }
}
