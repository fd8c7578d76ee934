//! `exec --token-file`: the command runs as pointauth's child while pointauth keeps a file
//! with a fresh token for it, passes signals on, and ends when the command ends, with its
//! status, leaving no file, directory or zombie behind.
//!
//! The command stays in pointauth's process group, as with `tini` or `aws-vault exec`: it
//! keeps the terminal (pointauth's foreground group is its own), and what the terminal sends
//! to that group (Ctrl-C, Ctrl-\, a new window size, a hangup) reaches it directly, so only
//! signals another process sent to pointauth are passed on (`signals.rs`).
//!
//! Three threads: this one waits for the command and for events and does everything that
//! touches the command or the file; one takes the caught signals off signal-hook's pipe; and a
//! refresh, while one is under way, runs on a third, so a slow service never holds up a
//! signal or the end. When the command ends during a refresh, the file goes at once and
//! pointauth exits when that refresh is over (a rotated refresh token is stored first).

use std::ffi::OsStr;
use std::os::unix::process::ExitStatusExt;
use std::process::{Child, Command, ExitCode, ExitStatus};
use std::sync::mpsc::{self, RecvTimeoutError, Sender};
use std::time::Duration;

use rustix::process::{Pid, Signal};

use super::not_started;
use super::schedule::Plan;
use super::signals::{Caught, Signals, should_forward};
use crate::auth::{MinTtl, Obtained};
use crate::commands::{Ctx, show_warnings};
use crate::error::{Error, Result};
use crate::output::{report, say, warn};
use crate::session::Access;
use crate::store::token_file::TokenFile;

/// The longest one wait lasts: the plan is looked at again by the wall clock at least this
/// often (a suspended laptop's monotonic clock stands still), and a lost SIGCHLD costs no more.
const MAX_WAIT: Duration = Duration::from_secs(5);
/// The shortest: the clock has whole seconds, so a wait may end just before its moment.
const MIN_WAIT: Duration = Duration::from_millis(10);

enum Event {
    Caught(Caught),
    Obtained(Result<Obtained>),
}

pub(super) fn run(
    ctx: &Ctx,
    min_ttl: MinTtl,
    mut command: Command,
    program: &OsStr,
    access: Access,
) -> Result<ExitCode> {
    let file = TokenFile::create(ctx.runtime_dir.as_deref(), ctx.stores.paths())?;
    if let Err(err) = file.write(&access.token) {
        remove(file);
        return Err(err.into());
    }
    let signals = match Signals::catch() {
        Ok(signals) => signals,
        Err(err) => {
            remove(file);
            return Err(Error::internal("cannot catch signals for the command").because(err));
        }
    };
    let path = file.path();
    // BEARER_TOKEN comes first in WLCG token discovery: left set, it would hide the file.
    command
        .env("POINTAUTH_TOKEN_FILE", &path)
        .env("BEARER_TOKEN_FILE", &path)
        .env_remove("BEARER_TOKEN");
    let child = match command.spawn() {
        Ok(child) => child,
        Err(err) => {
            remove(file);
            return Ok(not_started(program, err));
        }
    };
    let plan = Plan::new(min_ttl, &access, ctx.now());
    match supervise(ctx, plan, file, child, signals) {
        Ok(status) => Ok(mirror(status)),
        Err(err) => Err(Error::internal("cannot wait for the command").because(err)),
    }
}

/// The command's status as pointauth's: its exit code, or 128+N when signal N killed it.
fn mirror(status: ExitStatus) -> ExitCode {
    match (status.code(), status.signal()) {
        (Some(code), _) => ExitCode::from(u8::try_from(code).unwrap_or(1)),
        (None, Some(signal)) => ExitCode::from(u8::try_from(128 + signal).unwrap_or(255)),
        (None, None) => ExitCode::from(1),
    }
}

fn supervise(
    ctx: &Ctx,
    mut plan: Plan,
    file: TokenFile,
    mut child: Child,
    signals: Signals,
) -> std::io::Result<ExitStatus> {
    let (events, inbox) = mpsc::channel();
    let closer = signals.handle();
    let pid = i32::try_from(child.id()).ok();
    std::thread::scope(|scope| {
        let caught = events.clone();
        scope.spawn(move || {
            signals.each_until_closed(|signal| {
                let _ = caught.send(Event::Caught(signal));
            });
        });
        let mut refreshing = false;
        let status = loop {
            // Only this thread reaps the command, so until it has, `pid` is the command's.
            match child.try_wait() {
                Ok(Some(status)) => break Ok(status),
                Ok(None) => {}
                Err(_) => break child.wait(),
            }
            let now = ctx.now();
            if plan.expired(now) {
                clear(&file);
            }
            if !refreshing && plan.due(now) {
                refreshing = true;
                let want = plan.want();
                let events: Sender<Event> = events.clone();
                scope.spawn(move || {
                    let _ = events.send(Event::Obtained(ctx.obtain_now(want)));
                });
            }
            let wait = plan.wake_at(refreshing).map_or(MAX_WAIT, |at| {
                (at - now)
                    .to_std()
                    .unwrap_or_default()
                    .clamp(MIN_WAIT, MAX_WAIT)
            });
            match inbox.recv_timeout(wait) {
                Ok(Event::Caught(Caught::Signal { signal, sender })) => {
                    if let Some(pid) = pid
                        && should_forward(sender, pid)
                    {
                        forward(pid, signal);
                    }
                }
                Ok(Event::Caught(Caught::Child)) | Err(RecvTimeoutError::Timeout) => {}
                Err(RecvTimeoutError::Disconnected) => {}
                Ok(Event::Obtained(obtained)) => {
                    refreshing = false;
                    got(ctx, &mut plan, &file, obtained);
                }
            }
        };
        closer.close();
        remove(file);
        status
    })
}

/// What a refresh brought: a new token for the file, or a warning and the next try.
fn got(ctx: &Ctx, plan: &mut Plan, file: &TokenFile, obtained: Result<Obtained>) {
    let now = ctx.now();
    let warning = match obtained {
        Ok(obtained) => {
            show_warnings(ctx, &obtained);
            match file.write(&obtained.access.token) {
                Ok(()) => {
                    if let Some(notice) = plan.written(&obtained.access, now) {
                        say!("pointauth: {notice}");
                    }
                    None
                }
                Err(err) => Some(plan.passing(
                    &format!(
                        "cannot write the token file: {}",
                        Error::from(err).message()
                    ),
                    now,
                )),
            }
        }
        Err(err) => plan
            .failed(&err, now)
            .map(|warning| format!("cannot refresh the command's token: {warning}")),
    };
    if let Some(warning) = warning {
        warn(&warning);
    }
}

fn forward(pid: i32, signal: i32) {
    if let (Some(pid), Some(signal)) = (Pid::from_raw(pid), Signal::from_named_raw(signal)) {
        // The command may have just ended: nothing to tell it then.
        let _ = rustix::process::kill_process(pid, signal);
    }
}

/// The token expired: no reader may find it.
fn clear(file: &TokenFile) {
    warn("the token in the token file has expired: the file is removed");
    if let Err(err) = file.clear() {
        report(&Error::from(err));
    }
}

fn remove(file: TokenFile) {
    if let Err(err) = file.remove() {
        report(&Error::from(err));
    }
}
