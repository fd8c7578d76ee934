//! Many processes at once: exactly one refresh, one answer for all, and a fresh token read
//! without the lock.

use std::collections::HashSet;
use std::process::Output;
use std::sync::Barrier;
use std::thread;
use std::time::{Duration, Instant};

use serde_json::json;

use crate::support::*;
use crate::*;

/// Runs `pointauth ARGS` in `n` processes started together; their outputs in start order.
fn concurrently(env: &TestEnv, n: usize, args: &[&str]) -> Vec<Output> {
    concurrently_with(env, n, |_, cmd| {
        cmd.args(args);
    })
}

/// Runs `n` processes started together, the `i`th set up by `setup(i, cmd)`.
fn concurrently_with(
    env: &TestEnv,
    n: usize,
    setup: impl Fn(usize, &mut assert_cmd::Command) + Sync,
) -> Vec<Output> {
    let barrier = Barrier::new(n);
    thread::scope(|scope| {
        let handles: Vec<_> = (0..n)
            .map(|i| {
                let (barrier, setup) = (&barrier, &setup);
                scope.spawn(move || {
                    let mut cmd = env.cmd();
                    setup(i, &mut cmd);
                    barrier.wait();
                    cmd.output().expect("run pointauth")
                })
            })
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    })
}

/// `token` as a CI job runs it: credentials in the environment, no login step.
fn ci_job(username: &str, password: &str) -> impl Fn(usize, &mut assert_cmd::Command) + Sync {
    let (username, password) = (username.to_owned(), password.to_owned());
    move |_, cmd| {
        cmd.arg("token")
            .env("POINTAUTH_USERNAME", &username)
            .env("POINTAUTH_PASSWORD", &password);
    }
}

#[test]
fn twenty_four_concurrent_tokens_make_exactly_one_refresh() {
    let env = TestEnv::new();
    login_stale(&env);
    let stale = env.stored_access_token();
    env.server.set_delay(Duration::from_millis(500));

    let outputs = concurrently(&env, 24, &["token"]);

    for output in &outputs {
        assert_exit(output, 0);
    }
    let printed: HashSet<String> = outputs.iter().map(stdout_of).collect();
    assert_eq!(
        printed.len(),
        1,
        "every process prints the same token: {printed:?}"
    );
    let token = printed.into_iter().next().unwrap();
    let token = token.strip_suffix('\n').expect("token and a newline");
    assert_ne!(token, stale, "the stale token was refreshed");
    assert_eq!(token, env.stored_access_token());
    assert!(env.server.issued_tokens().contains(&token.to_owned()));
    assert_eq!(env.server.refresh_count(), 1, "exactly one refresh");
    assert_eq!(env.server.sign_in_count(), 1, "only the login signed in");
}

#[test]
fn a_fresh_token_is_read_without_the_lock() {
    let env = TestEnv::new();
    env.login();
    let _held = hold_lock(&env);
    // The lock stays held until the test ends, so exit 0 says the token was read without it:
    // a `token` that waited for the lock would wait its whole patience (--timeout + 10 s =
    // 40 s) and be killed by the 10 s timeout here. Expected well under a second; the kill is
    // the only wall-clock bound, ample for a loaded machine and a quarter of that wait.
    let output = env
        .cmd()
        .arg("token")
        .timeout(Duration::from_secs(10))
        .output()
        .unwrap();
    assert_exit(&output, 0);
    assert_eq!(
        stdout_of(&output),
        format!("{}\n", env.stored_access_token())
    );
    assert_eq!(env.server.refresh_count(), 0);
}

/// The control for the test above: the lock file the test holds is the one pointauth uses,
/// so a stale token does wait for the holder, then refreshes.
#[test]
fn a_stale_token_waits_for_the_lock_holder() {
    let env = TestEnv::new();
    login_stale(&env);
    let held = hold_lock(&env);
    thread::scope(|scope| {
        let waiter = scope.spawn(|| env.cmd().arg("token").output().unwrap());
        thread::sleep(Duration::from_millis(1500));
        assert!(!waiter.is_finished(), "token waits while the lock is held");
        assert_eq!(env.server.refresh_count(), 0);
        drop(held);
        let output = waiter.join().unwrap();
        assert_exit(&output, 0);
        assert_eq!(
            stdout_of(&output),
            format!("{}\n", env.stored_access_token())
        );
    });
    assert_eq!(env.server.refresh_count(), 1);
}

/// `logout` removes the lock file while it holds it. A `token` that was waiting on that
/// file then holds a lock on a name nobody uses any more; it must take the lock again on
/// the file that has the name now, and wait for that one's holder (here a later command,
/// played by the test).
#[test]
fn a_waiter_whose_lock_file_was_replaced_waits_for_the_new_files_holder() {
    let env = TestEnv::new();
    login_stale(&env);
    let lock_path = env.lock_path("default");
    let old = hold_lock(&env);
    let mut waiter = std_cmd(env.cmd().arg("token"))
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    // Until the waiter has the old lock file open (an event, not a time).
    let fds = std::path::PathBuf::from(format!("/proc/{}/fd", waiter.id()));
    let has_lock_open = || {
        std::fs::read_dir(&fds).is_ok_and(|entries| {
            entries
                .flatten()
                .any(|fd| std::fs::read_link(fd.path()).is_ok_and(|to| to == lock_path))
        })
    };
    while !has_lock_open() {
        assert!(waiter.try_wait().unwrap().is_none(), "token ended early");
        thread::sleep(Duration::from_millis(5));
    }
    std::fs::remove_file(&lock_path).unwrap();
    let new = hold_lock(&env);
    drop(old);
    // A waiter that kept the lock on the removed file would refresh now, in milliseconds.
    thread::sleep(Duration::from_millis(1500));
    assert!(
        waiter.try_wait().unwrap().is_none(),
        "token waits for the new lock file's holder"
    );
    assert_eq!(env.server.refresh_count(), 0);
    drop(new);
    let output = waiter.wait_with_output().unwrap();
    assert_exit(&output, 0);
    assert_eq!(
        stdout_of(&output),
        format!("{}\n", env.stored_access_token())
    );
    assert_eq!(env.server.refresh_count(), 1);
}

#[test]
fn concurrent_refreshes_with_rotating_refresh_tokens_never_end_the_session() {
    let env = TestEnv::new();
    env.server.set_rotate_refresh_tokens(true);
    login_stale(&env);
    env.server.set_delay(Duration::from_millis(200));

    let outputs = concurrently(&env, 12, &["token"]);
    for output in &outputs {
        assert_exit(output, 0);
    }
    assert_eq!(env.server.refresh_count(), 1);
    assert_eq!(env.stored_refresh_token(), newest_refresh_token(&env));
}

/// `refresh` always refreshes: with rotation each process must send the token the previous
/// one stored, or the service answers INVALID_REFRESH_TOKEN and the session would end.
#[test]
fn concurrent_forced_refreshes_chain_the_rotated_tokens() {
    let env = TestEnv::new();
    env.server.set_rotate_refresh_tokens(true);
    env.login();
    env.server.set_delay(Duration::from_millis(50));

    let outputs = concurrently(&env, 8, &["refresh"]);
    for output in &outputs {
        assert_exit(output, 0);
    }
    assert_eq!(env.server.refresh_count(), 8);
    assert_eq!(env.stored_refresh_token(), newest_refresh_token(&env));
    // And the session still works afterwards.
    let (output, _) = run(&env, &["refresh"]);
    assert_exit(&output, 0);
    assert_eq!(env.stored_refresh_token(), newest_refresh_token(&env));
}

/// A stale token in two profiles: each profile has its own lock and its own refresh.
#[test]
fn profiles_refresh_independently() {
    let env = TestEnv::new();
    env.login_profile("a");
    env.login_profile("b");
    for profile in ["a", "b"] {
        env.edit_session(profile, |session| {
            session["access_token_expires_at"] = serde_json::json!(from_now(60));
        });
    }
    env.server.set_delay(Duration::from_millis(300));
    let outputs = concurrently_with(&env, 8, |i, cmd| {
        cmd.args(["--profile", if i % 2 == 0 { "a" } else { "b" }, "token"]);
    });
    for output in &outputs {
        assert_exit(output, 0);
    }
    assert_eq!(env.server.refresh_count(), 2, "one refresh per profile");
    let printed: HashSet<String> = outputs.iter().map(stdout_of).collect();
    assert_eq!(printed.len(), 2);
}

/// CI without a login step: many jobs at once sign in exactly once (a burst of sign-ins is
/// how an account gets locked out).
#[test]
fn concurrent_ci_jobs_sign_in_once() {
    let env = TestEnv::new();
    env.server.set_delay(Duration::from_millis(300));
    let outputs = concurrently_with(&env, 12, ci_job(DEFAULT_USERNAME, DEFAULT_PASSWORD));
    for output in &outputs {
        assert_exit(output, 0);
    }
    assert_eq!(env.server.sign_in_count(), 1, "one sign-in for all");
    let printed: HashSet<String> = outputs.iter().map(stdout_of).collect();
    assert_eq!(printed.len(), 1);
}

/// A revoked session and many processes: one refresh learns the session has ended; the others
/// do not try the dead token again.
#[test]
fn concurrent_tokens_on_a_revoked_session_ask_once() {
    let env = TestEnv::new();
    login_stale(&env);
    env.server.revoke_all_refresh_tokens();
    env.server.set_delay(Duration::from_millis(300));
    let outputs = concurrently(&env, 8, &["token"]);
    for output in &outputs {
        assert_exit(output, 3);
    }
    assert_eq!(env.server.refresh_count(), 1);
    assert!(!env.session_path("default").exists());
}

/// The same with CI credentials: one refresh is rejected, one sign-in replaces the session,
/// and every process gets the new token.
#[test]
fn concurrent_ci_jobs_replace_a_revoked_session_once() {
    let env = TestEnv::new();
    login_stale(&env);
    env.server.revoke_all_refresh_tokens();
    env.server.set_delay(Duration::from_millis(300));
    let outputs = concurrently_with(&env, 8, ci_job(DEFAULT_USERNAME, DEFAULT_PASSWORD));
    for output in &outputs {
        assert_exit(output, 0);
    }
    assert_eq!(env.server.refresh_count(), 1);
    assert_eq!(
        env.server.sign_in_count(),
        2,
        "the login, and one sign-in after"
    );
    let printed: HashSet<String> = outputs.iter().map(stdout_of).collect();
    assert_eq!(
        printed,
        HashSet::from([format!("{}\n", env.stored_access_token())])
    );
}

/// `logout` while another process is refreshing: once both are done, the profile is logged
/// out — the refresh must not write the session back.
#[test]
fn a_logout_during_a_refresh_is_not_undone() {
    let env = TestEnv::new();
    login_stale(&env);
    env.server.set_delay(Duration::from_millis(1000));
    thread::scope(|scope| {
        let refreshing = scope.spawn(|| env.cmd().arg("token").output().unwrap());
        // The refresh starts well under a second after the spawn; the 10 s deadline only
        // ends the wait if it never does, and the count assertion then fails the test.
        let started = Instant::now();
        while env.server.refresh_count() == 0 && started.elapsed() < Duration::from_secs(10) {
            thread::sleep(Duration::from_millis(10));
        }
        assert_eq!(env.server.refresh_count(), 1, "the refresh is in flight");
        let (output, _) = run(&env, &["logout"]);
        assert_exit(&output, 0);
        let _ = refreshing.join().unwrap();
    });
    assert!(
        !env.session_path("default").exists(),
        "the refresh wrote the session back after logout"
    );
    let (output, _) = run(&env, &["token"]);
    assert_exit(&output, 3);
}

/// A stale token while the service is down, and many processes: the refresh that failed is
/// the result the others reuse — they serve the cached token without asking again, instead of
/// queueing up behind the lock to make three attempts each (72 requests for 24 processes, the
/// last caller waiting for all of them).
#[test]
fn concurrent_tokens_reuse_a_failed_refresh_instead_of_queueing() {
    let env = TestEnv::new();
    login_stale(&env);
    let cached = env.stored_access_token();
    script(&env, Endpoint::Refresh, status(503, "UNAVAILABLE"), 100);
    let started = Instant::now();
    let outputs = concurrently(&env, 8, &["token"]);
    let took = started.elapsed();
    for output in &outputs {
        assert_exit(output, 0);
        assert_eq!(stdout_of(output), format!("{cached}\n"));
    }
    assert!(
        env.server.refresh_count() <= 3,
        "{} refresh attempts for one stale token in {took:?}",
        env.server.refresh_count()
    );
}

#[test]
fn concurrent_ci_jobs_with_a_wrong_password_sign_in_once_and_all_exit_4() {
    let env = TestEnv::new();
    env.server.set_delay(Duration::from_millis(300));
    let outputs = concurrently_with(&env, 12, ci_job(DEFAULT_USERNAME, "not the password"));
    for output in &outputs {
        assert_exit(output, 4);
        // Every job, the one that tried and those that waited, says what to fix.
        assert_stderr_has(
            output,
            &["INVALID_PASSWORD", "hint: check the username and password"],
        );
    }
    // Retrying a rejected password from every job would trip the service's lockout.
    assert_eq!(
        env.server.sign_in_count(),
        1,
        "one sign-in attempt for all jobs"
    );
}

/// A sign-in answered 200 with something that is not a session: the jobs that waited say
/// so as the one that asked does (exit 5, the service answered badly), without asking again.
#[test]
fn concurrent_ci_jobs_share_a_sign_in_answer_pointauth_cannot_use() {
    let env = TestEnv::new();
    env.server.set_delay(Duration::from_millis(300));
    script(&env, Endpoint::SignIn, answer(200, "[1,2,3]", &[]), 100);
    let outputs = concurrently_with(&env, 6, ci_job(DEFAULT_USERNAME, DEFAULT_PASSWORD));
    let mut shared = 0;
    for output in &outputs {
        assert_exit(output, 5);
        assert_stderr_has(output, &["sign-in failed", "HTTP 200"]);
        if stderr_of(output).contains("an answer pointauth cannot use") {
            assert_stderr_has(output, &["hint: check --base-url"]);
            shared += 1;
        }
    }
    assert_eq!(env.server.sign_in_count(), 1, "one sign-in for all jobs");
    assert_eq!(
        shared,
        outputs.len() - 1,
        "the others were told by the first"
    );
}

#[test]
fn a_queued_job_never_inherits_another_identitys_sign_in_failure() {
    let env = TestEnv::new();
    env.server.add_user("bob@example.com", "bobs password");
    let held = hold_lock(&env);
    let (bob, alice) = thread::scope(|scope| {
        let job = |username: &'static str, password: &'static str| {
            let mut cmd = env.cmd();
            cmd.arg("token")
                .env("POINTAUTH_USERNAME", username)
                .env("POINTAUTH_PASSWORD", password);
            scope.spawn(move || cmd.output().unwrap())
        };
        let bob = job("bob@example.com", "wrong password");
        let alice = job(DEFAULT_USERNAME, DEFAULT_PASSWORD);
        thread::sleep(Duration::from_millis(500));
        drop(held);
        (bob.join().unwrap(), alice.join().unwrap())
    });
    assert_exit(&bob, 4);
    // Whichever ran first, alice signs in with her own credentials and gets her own token.
    assert_exit(&alice, 0);
    assert_eq!(env.server.sign_in_count(), 2);
    assert!(!stderr_of(&alice).contains("INVALID_PASSWORD"));
}

/// The race v1 lost 1 to 3 times per burst: a job that started after the first job's
/// sign-in had already failed made a sign-in of its own. Many bursts, not one: each burst
/// (a fresh service and HOME) makes exactly one sign-in, rejected or not, and every job exits
/// as the one that tried.
#[test]
fn every_burst_of_parallel_ci_jobs_signs_in_exactly_once() {
    for burst in 0..20 {
        for (password, exit) in [("not the password", 4), (DEFAULT_PASSWORD, 0)] {
            let env = TestEnv::new();
            let outputs = concurrently_with(&env, 12, ci_job(DEFAULT_USERNAME, password));
            for output in &outputs {
                assert_exit(output, exit);
            }
            assert_eq!(
                env.server.sign_in_count(),
                1,
                "burst {burst} with exit {exit}: one sign-in for twelve jobs"
            );
        }
    }
}

/// A failure is shared with the jobs queued behind it, and forgotten at the next success:
/// once a login has worked, a later job signs in for itself.
#[test]
fn a_success_forgets_the_sign_in_failure_before_it() {
    let env = TestEnv::new();
    let ci = |env: &TestEnv| {
        let mut cmd = env.cmd();
        cmd.arg("token")
            .env("POINTAUTH_USERNAME", DEFAULT_USERNAME)
            .env("POINTAUTH_PASSWORD", DEFAULT_PASSWORD);
        cmd.output().unwrap()
    };
    // A rejected sign-in, which the next job shares without asking again...
    script(&env, Endpoint::SignIn, status(400, "INVALID_PASSWORD"), 1);
    assert_exit(&ci(&env), 4);
    assert_exit(&ci(&env), 4);
    assert_eq!(env.server.sign_in_count(), 1);
    // ...until a login with the same credentials works.
    let (output, _) = run_login(&env, &[]);
    assert_exit(&output, 0);
    assert_eq!(env.server.sign_in_count(), 2);
    // Its session ends; the next job signs in itself instead of repeating the old failure.
    env.edit_session("default", |session| {
        session["access_token_expires_at"] = json!(from_now(-7200));
        session["refresh_token_expires_at"] = json!(from_now(-60));
    });
    let output = ci(&env);
    assert_exit(&output, 0);
    assert_eq!(env.server.sign_in_count(), 3);
}
