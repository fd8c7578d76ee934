# Added by pointauth: the profiles that exist, for --profile.
function __fish_pointauth_profiles
    set -l cmd (commandline -opc)[1]
    $cmd completions --list-profiles 2>/dev/null
end

# clap's conditions do not hold while an option waits for its value at the
# top level (`pointauth --profile <TAB>`): these rules hold until `--`.
function __fish_pointauth_before_dashes
    not contains -- -- (commandline -opc)
end
complete -c pointauth -n __fish_pointauth_before_dashes -l profile -r -f -a "(__fish_pointauth_profiles)"
# `exec -- <TAB>`: a command.
function __fish_pointauth_exec_wants_command
    set -l words (commandline -opc)
    contains -- exec $words; and test "$words[-1]" = --
end
complete -c pointauth -n __fish_pointauth_exec_wants_command -f -a "(__fish_complete_command)"
complete -c pointauth -n __fish_pointauth_before_dashes -l store -r -f -a "auto keyring kernel file"

# Print an optspec for argparse to handle cmd's options that are independent of any subcommand.
function __fish_pointauth_global_optspecs
    string join \n profile= base-url= store= timeout= v/verbose h/help V/version
end

function __fish_pointauth_needs_command
    # Figure out if the current invocation already has a command.
    set -l cmd (commandline -opc)
    set -e cmd[1]
    argparse -s (__fish_pointauth_global_optspecs) -- $cmd 2>/dev/null
    or return
    if set -q argv[1]
        # Also print the command, so this can be used to figure out what it is.
        echo $argv[1]
        return 1
    end
    return 0
end

function __fish_pointauth_using_subcommand
    set -l cmd (__fish_pointauth_needs_command)
    test -z "$cmd"
    and return 1
    contains -- $cmd[1] $argv
end

complete -c pointauth -n "__fish_pointauth_needs_command" -l profile -d 'Named session to use: one per account or environment [env: POINTAUTH_PROFILE] [default: default]' -r -f -a "(__fish_pointauth_profiles)"
complete -c pointauth -n "__fish_pointauth_needs_command" -l base-url -d 'Service base URL [env: POINTAUTH_BASE_URL] [default: the profile\'s remembered URL, else https://api.pointservices.com]' -r
complete -c pointauth -n "__fish_pointauth_needs_command" -l store -d 'Where secrets live: the OS credential store, the kernel keyring, a private file, or the first that works [env: POINTAUTH_STORE] [default: auto]' -r -f -a "auto\t'The OS credential store if it answers, else (Linux) the kernel keyring, else the file store (with a warning at sign-in)'
keyring\t'The OS credential store: Secret Service, macOS Keychain, Windows Credential Manager'
kernel\t'Linux: the kernel\'s persistent keyring, in memory only (a session ends at reboot)'
file\t'A JSON file, mode 0600 in a 0700 directory under the user\'s data dir'"
complete -c pointauth -n "__fish_pointauth_needs_command" -l timeout -d 'The longest the command spends on the network in all, in seconds (or 90s, 2m) [env: POINTAUTH_TIMEOUT] [default: 30]' -r
complete -c pointauth -n "__fish_pointauth_needs_command" -s v -l verbose -d 'Log each request (method, URL, status, time) to stderr; secrets are never logged'
complete -c pointauth -n "__fish_pointauth_needs_command" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c pointauth -n "__fish_pointauth_needs_command" -s V -l version -d 'Print version'
complete -c pointauth -n "__fish_pointauth_needs_command" -f -a "login" -d 'Sign in and store the session'
complete -c pointauth -n "__fish_pointauth_needs_command" -f -a "token" -d 'Print a fresh access token'
complete -c pointauth -n "__fish_pointauth_needs_command" -f -a "refresh" -d 'Refresh the access token now, even if it is fresh'
complete -c pointauth -n "__fish_pointauth_needs_command" -f -a "status" -d 'Show who is signed in and until when, without contacting the service'
complete -c pointauth -n "__fish_pointauth_needs_command" -f -a "logout" -d 'Remove the stored session and remembered settings'
complete -c pointauth -n "__fish_pointauth_needs_command" -f -a "exec" -d 'Run a command with POINTAUTH_ACCESS_TOKEN set to a fresh token'
complete -c pointauth -n "__fish_pointauth_needs_command" -f -a "api" -d 'Send an authenticated request to the service and print the answer'
complete -c pointauth -n "__fish_pointauth_needs_command" -f -a "doctor" -d 'Check everything pointauth depends on, and say what to fix'
complete -c pointauth -n "__fish_pointauth_needs_command" -f -a "completions" -d 'Print a shell completion script'
complete -c pointauth -n "__fish_pointauth_needs_command" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c pointauth -n "__fish_pointauth_using_subcommand login" -l username -d 'Account to sign in as [default: POINTAUTH_USERNAME, else the remembered one, else a prompt]' -r
complete -c pointauth -n "__fish_pointauth_using_subcommand login" -l profile -d 'Named session to use: one per account or environment [env: POINTAUTH_PROFILE] [default: default]' -r -f -a "(__fish_pointauth_profiles)"
complete -c pointauth -n "__fish_pointauth_using_subcommand login" -l base-url -d 'Service base URL [env: POINTAUTH_BASE_URL] [default: the profile\'s remembered URL, else https://api.pointservices.com]' -r
complete -c pointauth -n "__fish_pointauth_using_subcommand login" -l store -d 'Where secrets live: the OS credential store, the kernel keyring, a private file, or the first that works [env: POINTAUTH_STORE] [default: auto]' -r -f -a "auto\t'The OS credential store if it answers, else (Linux) the kernel keyring, else the file store (with a warning at sign-in)'
keyring\t'The OS credential store: Secret Service, macOS Keychain, Windows Credential Manager'
kernel\t'Linux: the kernel\'s persistent keyring, in memory only (a session ends at reboot)'
file\t'A JSON file, mode 0600 in a 0700 directory under the user\'s data dir'"
complete -c pointauth -n "__fish_pointauth_using_subcommand login" -l timeout -d 'The longest the command spends on the network in all, in seconds (or 90s, 2m) [env: POINTAUTH_TIMEOUT] [default: 30]' -r
complete -c pointauth -n "__fish_pointauth_using_subcommand login" -l password-stdin -d 'Read the password from standard input, a pipe or a file (one trailing newline is removed)'
complete -c pointauth -n "__fish_pointauth_using_subcommand login" -s v -l verbose -d 'Log each request (method, URL, status, time) to stderr; secrets are never logged'
complete -c pointauth -n "__fish_pointauth_using_subcommand login" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c pointauth -n "__fish_pointauth_using_subcommand token" -l min-ttl -d 'Minimum time the token must stay valid: 300, 90s, 5m, 1h [default: 5m, or half the service\'s token lifetime if shorter]' -r
complete -c pointauth -n "__fish_pointauth_using_subcommand token" -l profile -d 'Named session to use: one per account or environment [env: POINTAUTH_PROFILE] [default: default]' -r -f -a "(__fish_pointauth_profiles)"
complete -c pointauth -n "__fish_pointauth_using_subcommand token" -l base-url -d 'Service base URL [env: POINTAUTH_BASE_URL] [default: the profile\'s remembered URL, else https://api.pointservices.com]' -r
complete -c pointauth -n "__fish_pointauth_using_subcommand token" -l store -d 'Where secrets live: the OS credential store, the kernel keyring, a private file, or the first that works [env: POINTAUTH_STORE] [default: auto]' -r -f -a "auto\t'The OS credential store if it answers, else (Linux) the kernel keyring, else the file store (with a warning at sign-in)'
keyring\t'The OS credential store: Secret Service, macOS Keychain, Windows Credential Manager'
kernel\t'Linux: the kernel\'s persistent keyring, in memory only (a session ends at reboot)'
file\t'A JSON file, mode 0600 in a 0700 directory under the user\'s data dir'"
complete -c pointauth -n "__fish_pointauth_using_subcommand token" -l timeout -d 'The longest the command spends on the network in all, in seconds (or 90s, 2m) [env: POINTAUTH_TIMEOUT] [default: 30]' -r
complete -c pointauth -n "__fish_pointauth_using_subcommand token" -l header -d 'Print `Authorization: Bearer <token>` instead of the bare token'
complete -c pointauth -n "__fish_pointauth_using_subcommand token" -l json -d 'Print {"access_token", "token_type", "expires_at", "expires_in"} as JSON'
complete -c pointauth -n "__fish_pointauth_using_subcommand token" -s v -l verbose -d 'Log each request (method, URL, status, time) to stderr; secrets are never logged'
complete -c pointauth -n "__fish_pointauth_using_subcommand token" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c pointauth -n "__fish_pointauth_using_subcommand refresh" -l profile -d 'Named session to use: one per account or environment [env: POINTAUTH_PROFILE] [default: default]' -r -f -a "(__fish_pointauth_profiles)"
complete -c pointauth -n "__fish_pointauth_using_subcommand refresh" -l base-url -d 'Service base URL [env: POINTAUTH_BASE_URL] [default: the profile\'s remembered URL, else https://api.pointservices.com]' -r
complete -c pointauth -n "__fish_pointauth_using_subcommand refresh" -l store -d 'Where secrets live: the OS credential store, the kernel keyring, a private file, or the first that works [env: POINTAUTH_STORE] [default: auto]' -r -f -a "auto\t'The OS credential store if it answers, else (Linux) the kernel keyring, else the file store (with a warning at sign-in)'
keyring\t'The OS credential store: Secret Service, macOS Keychain, Windows Credential Manager'
kernel\t'Linux: the kernel\'s persistent keyring, in memory only (a session ends at reboot)'
file\t'A JSON file, mode 0600 in a 0700 directory under the user\'s data dir'"
complete -c pointauth -n "__fish_pointauth_using_subcommand refresh" -l timeout -d 'The longest the command spends on the network in all, in seconds (or 90s, 2m) [env: POINTAUTH_TIMEOUT] [default: 30]' -r
complete -c pointauth -n "__fish_pointauth_using_subcommand refresh" -s v -l verbose -d 'Log each request (method, URL, status, time) to stderr; secrets are never logged'
complete -c pointauth -n "__fish_pointauth_using_subcommand refresh" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c pointauth -n "__fish_pointauth_using_subcommand status" -l profile -d 'Named session to use: one per account or environment [env: POINTAUTH_PROFILE] [default: default]' -r -f -a "(__fish_pointauth_profiles)"
complete -c pointauth -n "__fish_pointauth_using_subcommand status" -l base-url -d 'Service base URL [env: POINTAUTH_BASE_URL] [default: the profile\'s remembered URL, else https://api.pointservices.com]' -r
complete -c pointauth -n "__fish_pointauth_using_subcommand status" -l store -d 'Where secrets live: the OS credential store, the kernel keyring, a private file, or the first that works [env: POINTAUTH_STORE] [default: auto]' -r -f -a "auto\t'The OS credential store if it answers, else (Linux) the kernel keyring, else the file store (with a warning at sign-in)'
keyring\t'The OS credential store: Secret Service, macOS Keychain, Windows Credential Manager'
kernel\t'Linux: the kernel\'s persistent keyring, in memory only (a session ends at reboot)'
file\t'A JSON file, mode 0600 in a 0700 directory under the user\'s data dir'"
complete -c pointauth -n "__fish_pointauth_using_subcommand status" -l timeout -d 'The longest the command spends on the network in all, in seconds (or 90s, 2m) [env: POINTAUTH_TIMEOUT] [default: 30]' -r
complete -c pointauth -n "__fish_pointauth_using_subcommand status" -l json -d 'Print JSON instead of text (with --all, an array)'
complete -c pointauth -n "__fish_pointauth_using_subcommand status" -l all -d 'Show every profile'
complete -c pointauth -n "__fish_pointauth_using_subcommand status" -s v -l verbose -d 'Log each request (method, URL, status, time) to stderr; secrets are never logged'
complete -c pointauth -n "__fish_pointauth_using_subcommand status" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c pointauth -n "__fish_pointauth_using_subcommand logout" -l profile -d 'Named session to use: one per account or environment [env: POINTAUTH_PROFILE] [default: default]' -r -f -a "(__fish_pointauth_profiles)"
complete -c pointauth -n "__fish_pointauth_using_subcommand logout" -l base-url -d 'Service base URL [env: POINTAUTH_BASE_URL] [default: the profile\'s remembered URL, else https://api.pointservices.com]' -r
complete -c pointauth -n "__fish_pointauth_using_subcommand logout" -l store -d 'Where secrets live: the OS credential store, the kernel keyring, a private file, or the first that works [env: POINTAUTH_STORE] [default: auto]' -r -f -a "auto\t'The OS credential store if it answers, else (Linux) the kernel keyring, else the file store (with a warning at sign-in)'
keyring\t'The OS credential store: Secret Service, macOS Keychain, Windows Credential Manager'
kernel\t'Linux: the kernel\'s persistent keyring, in memory only (a session ends at reboot)'
file\t'A JSON file, mode 0600 in a 0700 directory under the user\'s data dir'"
complete -c pointauth -n "__fish_pointauth_using_subcommand logout" -l timeout -d 'The longest the command spends on the network in all, in seconds (or 90s, 2m) [env: POINTAUTH_TIMEOUT] [default: 30]' -r
complete -c pointauth -n "__fish_pointauth_using_subcommand logout" -l all -d 'Remove every profile'
complete -c pointauth -n "__fish_pointauth_using_subcommand logout" -s v -l verbose -d 'Log each request (method, URL, status, time) to stderr; secrets are never logged'
complete -c pointauth -n "__fish_pointauth_using_subcommand logout" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c pointauth -n "__fish_pointauth_using_subcommand exec" -l min-ttl -d 'Minimum time the token must stay valid: 300, 90s, 5m, 1h [default: 5m, or half the service\'s token lifetime if shorter]' -r
complete -c pointauth -n "__fish_pointauth_using_subcommand exec" -l profile -d 'Named session to use: one per account or environment [env: POINTAUTH_PROFILE] [default: default]' -r -f -a "(__fish_pointauth_profiles)"
complete -c pointauth -n "__fish_pointauth_using_subcommand exec" -l base-url -d 'Service base URL [env: POINTAUTH_BASE_URL] [default: the profile\'s remembered URL, else https://api.pointservices.com]' -r
complete -c pointauth -n "__fish_pointauth_using_subcommand exec" -l store -d 'Where secrets live: the OS credential store, the kernel keyring, a private file, or the first that works [env: POINTAUTH_STORE] [default: auto]' -r -f -a "auto\t'The OS credential store if it answers, else (Linux) the kernel keyring, else the file store (with a warning at sign-in)'
keyring\t'The OS credential store: Secret Service, macOS Keychain, Windows Credential Manager'
kernel\t'Linux: the kernel\'s persistent keyring, in memory only (a session ends at reboot)'
file\t'A JSON file, mode 0600 in a 0700 directory under the user\'s data dir'"
complete -c pointauth -n "__fish_pointauth_using_subcommand exec" -l timeout -d 'The longest the command spends on the network in all, in seconds (or 90s, 2m) [env: POINTAUTH_TIMEOUT] [default: 30]' -r
complete -c pointauth -n "__fish_pointauth_using_subcommand exec" -l token-file -d 'Keep a fresh token in a file for as long as CMD runs (Unix), named by POINTAUTH_TOKEN_FILE'
complete -c pointauth -n "__fish_pointauth_using_subcommand exec" -s v -l verbose -d 'Log each request (method, URL, status, time) to stderr; secrets are never logged'
complete -c pointauth -n "__fish_pointauth_using_subcommand exec" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c pointauth -n "__fish_pointauth_using_subcommand api" -s X -l method -d 'The HTTP method [default: GET, or POST with fields or --input]' -r
complete -c pointauth -n "__fish_pointauth_using_subcommand api" -s f -l raw-field -d 'A string field: key=value, key[sub]=value, key[]=value (repeatable)' -r
complete -c pointauth -n "__fish_pointauth_using_subcommand api" -s F -l field -d 'A typed field: true, false, null and numbers as JSON; @FILE or @- a file\'s or standard input\'s text (repeatable)' -r
complete -c pointauth -n "__fish_pointauth_using_subcommand api" -l input -d 'Send FILE\'s bytes as the body, as they are (- for standard input; JSON content type unless -H sets one)' -r
complete -c pointauth -n "__fish_pointauth_using_subcommand api" -s H -l header -d 'Add a request header, \'Name: value\' (repeatable; Authorization is refused)' -r
complete -c pointauth -n "__fish_pointauth_using_subcommand api" -l min-ttl -d 'Minimum time the token must stay valid: 300, 90s, 5m, 1h [default: 5m, or half the service\'s token lifetime if shorter]' -r
complete -c pointauth -n "__fish_pointauth_using_subcommand api" -l profile -d 'Named session to use: one per account or environment [env: POINTAUTH_PROFILE] [default: default]' -r -f -a "(__fish_pointauth_profiles)"
complete -c pointauth -n "__fish_pointauth_using_subcommand api" -l base-url -d 'Service base URL [env: POINTAUTH_BASE_URL] [default: the profile\'s remembered URL, else https://api.pointservices.com]' -r
complete -c pointauth -n "__fish_pointauth_using_subcommand api" -l store -d 'Where secrets live: the OS credential store, the kernel keyring, a private file, or the first that works [env: POINTAUTH_STORE] [default: auto]' -r -f -a "auto\t'The OS credential store if it answers, else (Linux) the kernel keyring, else the file store (with a warning at sign-in)'
keyring\t'The OS credential store: Secret Service, macOS Keychain, Windows Credential Manager'
kernel\t'Linux: the kernel\'s persistent keyring, in memory only (a session ends at reboot)'
file\t'A JSON file, mode 0600 in a 0700 directory under the user\'s data dir'"
complete -c pointauth -n "__fish_pointauth_using_subcommand api" -l timeout -d 'The longest the command spends on the network in all, in seconds (or 90s, 2m) [env: POINTAUTH_TIMEOUT] [default: 30]' -r
complete -c pointauth -n "__fish_pointauth_using_subcommand api" -s i -l include -d 'Print the status line and the headers before the body'
complete -c pointauth -n "__fish_pointauth_using_subcommand api" -s v -l verbose -d 'Log each request (method, URL, status, time) to stderr; secrets are never logged'
complete -c pointauth -n "__fish_pointauth_using_subcommand api" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c pointauth -n "__fish_pointauth_using_subcommand doctor" -l profile -d 'Named session to use: one per account or environment [env: POINTAUTH_PROFILE] [default: default]' -r -f -a "(__fish_pointauth_profiles)"
complete -c pointauth -n "__fish_pointauth_using_subcommand doctor" -l base-url -d 'Service base URL [env: POINTAUTH_BASE_URL] [default: the profile\'s remembered URL, else https://api.pointservices.com]' -r
complete -c pointauth -n "__fish_pointauth_using_subcommand doctor" -l store -d 'Where secrets live: the OS credential store, the kernel keyring, a private file, or the first that works [env: POINTAUTH_STORE] [default: auto]' -r -f -a "auto\t'The OS credential store if it answers, else (Linux) the kernel keyring, else the file store (with a warning at sign-in)'
keyring\t'The OS credential store: Secret Service, macOS Keychain, Windows Credential Manager'
kernel\t'Linux: the kernel\'s persistent keyring, in memory only (a session ends at reboot)'
file\t'A JSON file, mode 0600 in a 0700 directory under the user\'s data dir'"
complete -c pointauth -n "__fish_pointauth_using_subcommand doctor" -l timeout -d 'The longest the command spends on the network in all, in seconds (or 90s, 2m) [env: POINTAUTH_TIMEOUT] [default: 30]' -r
complete -c pointauth -n "__fish_pointauth_using_subcommand doctor" -l json -d 'Print a JSON array of {check, status, detail, hint}'
complete -c pointauth -n "__fish_pointauth_using_subcommand doctor" -l offline -d 'Skip the network check: no request at all'
complete -c pointauth -n "__fish_pointauth_using_subcommand doctor" -s v -l verbose -d 'Log each request (method, URL, status, time) to stderr; secrets are never logged'
complete -c pointauth -n "__fish_pointauth_using_subcommand doctor" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c pointauth -n "__fish_pointauth_using_subcommand completions" -l profile -d 'Named session to use: one per account or environment [env: POINTAUTH_PROFILE] [default: default]' -r -f -a "(__fish_pointauth_profiles)"
complete -c pointauth -n "__fish_pointauth_using_subcommand completions" -l base-url -d 'Service base URL [env: POINTAUTH_BASE_URL] [default: the profile\'s remembered URL, else https://api.pointservices.com]' -r
complete -c pointauth -n "__fish_pointauth_using_subcommand completions" -l store -d 'Where secrets live: the OS credential store, the kernel keyring, a private file, or the first that works [env: POINTAUTH_STORE] [default: auto]' -r -f -a "auto\t'The OS credential store if it answers, else (Linux) the kernel keyring, else the file store (with a warning at sign-in)'
keyring\t'The OS credential store: Secret Service, macOS Keychain, Windows Credential Manager'
kernel\t'Linux: the kernel\'s persistent keyring, in memory only (a session ends at reboot)'
file\t'A JSON file, mode 0600 in a 0700 directory under the user\'s data dir'"
complete -c pointauth -n "__fish_pointauth_using_subcommand completions" -l timeout -d 'The longest the command spends on the network in all, in seconds (or 90s, 2m) [env: POINTAUTH_TIMEOUT] [default: 30]' -r
complete -c pointauth -n "__fish_pointauth_using_subcommand completions" -s v -l verbose -d 'Log each request (method, URL, status, time) to stderr; secrets are never logged'
complete -c pointauth -n "__fish_pointauth_using_subcommand completions" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c pointauth -n "__fish_pointauth_using_subcommand help; and not __fish_seen_subcommand_from login token refresh status logout exec api doctor completions help" -f -a "login" -d 'Sign in and store the session'
complete -c pointauth -n "__fish_pointauth_using_subcommand help; and not __fish_seen_subcommand_from login token refresh status logout exec api doctor completions help" -f -a "token" -d 'Print a fresh access token'
complete -c pointauth -n "__fish_pointauth_using_subcommand help; and not __fish_seen_subcommand_from login token refresh status logout exec api doctor completions help" -f -a "refresh" -d 'Refresh the access token now, even if it is fresh'
complete -c pointauth -n "__fish_pointauth_using_subcommand help; and not __fish_seen_subcommand_from login token refresh status logout exec api doctor completions help" -f -a "status" -d 'Show who is signed in and until when, without contacting the service'
complete -c pointauth -n "__fish_pointauth_using_subcommand help; and not __fish_seen_subcommand_from login token refresh status logout exec api doctor completions help" -f -a "logout" -d 'Remove the stored session and remembered settings'
complete -c pointauth -n "__fish_pointauth_using_subcommand help; and not __fish_seen_subcommand_from login token refresh status logout exec api doctor completions help" -f -a "exec" -d 'Run a command with POINTAUTH_ACCESS_TOKEN set to a fresh token'
complete -c pointauth -n "__fish_pointauth_using_subcommand help; and not __fish_seen_subcommand_from login token refresh status logout exec api doctor completions help" -f -a "api" -d 'Send an authenticated request to the service and print the answer'
complete -c pointauth -n "__fish_pointauth_using_subcommand help; and not __fish_seen_subcommand_from login token refresh status logout exec api doctor completions help" -f -a "doctor" -d 'Check everything pointauth depends on, and say what to fix'
complete -c pointauth -n "__fish_pointauth_using_subcommand help; and not __fish_seen_subcommand_from login token refresh status logout exec api doctor completions help" -f -a "completions" -d 'Print a shell completion script'
complete -c pointauth -n "__fish_pointauth_using_subcommand help; and not __fish_seen_subcommand_from login token refresh status logout exec api doctor completions help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
