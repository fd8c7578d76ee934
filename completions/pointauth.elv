
use builtin;
use str;

set edit:completion:arg-completer[pointauth] = {|@words|
    fn spaces {|n|
        builtin:repeat $n ' ' | str:join ''
    }
    fn cand {|text desc|
        edit:complex-candidate $text &display=$text' '(spaces (- 14 (wcswidth $text)))$desc
    }
    var command = 'pointauth'
    for word $words[1..-1] {
        if (str:has-prefix $word '-') {
            break
        }
        set command = $command';'$word
    }
    var completions = [
        &'pointauth'= {
            cand --profile 'Named session to use: one per account or environment [env: POINTAUTH_PROFILE] [default: default]'
            cand --base-url 'Service base URL [env: POINTAUTH_BASE_URL] [default: the profile''s remembered URL, else https://api.pointservices.com]'
            cand --store 'Where secrets live: the OS credential store, the kernel keyring, a private file, or the first that works [env: POINTAUTH_STORE] [default: auto]'
            cand --timeout 'The longest the command spends on the network in all, in seconds (or 90s, 2m) [env: POINTAUTH_TIMEOUT] [default: 30]'
            cand -v 'Log each request (method, URL, status, time) to stderr; secrets are never logged'
            cand --verbose 'Log each request (method, URL, status, time) to stderr; secrets are never logged'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
            cand -V 'Print version'
            cand --version 'Print version'
            cand login 'Sign in and store the session'
            cand token 'Print a fresh access token'
            cand refresh 'Refresh the access token now, even if it is fresh'
            cand status 'Show who is signed in and until when, without contacting the service'
            cand logout 'Remove the stored session and remembered settings'
            cand exec 'Run a command with POINTAUTH_ACCESS_TOKEN set to a fresh token'
            cand api 'Send an authenticated request to the service and print the answer'
            cand doctor 'Check everything pointauth depends on, and say what to fix'
            cand completions 'Print a shell completion script'
            cand help 'Print this message or the help of the given subcommand(s)'
        }
        &'pointauth;login'= {
            cand --username 'Account to sign in as [default: POINTAUTH_USERNAME, else the remembered one, else a prompt]'
            cand --profile 'Named session to use: one per account or environment [env: POINTAUTH_PROFILE] [default: default]'
            cand --base-url 'Service base URL [env: POINTAUTH_BASE_URL] [default: the profile''s remembered URL, else https://api.pointservices.com]'
            cand --store 'Where secrets live: the OS credential store, the kernel keyring, a private file, or the first that works [env: POINTAUTH_STORE] [default: auto]'
            cand --timeout 'The longest the command spends on the network in all, in seconds (or 90s, 2m) [env: POINTAUTH_TIMEOUT] [default: 30]'
            cand --password-stdin 'Read the password from standard input, a pipe or a file (one trailing newline is removed)'
            cand -v 'Log each request (method, URL, status, time) to stderr; secrets are never logged'
            cand --verbose 'Log each request (method, URL, status, time) to stderr; secrets are never logged'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
        }
        &'pointauth;token'= {
            cand --min-ttl 'Minimum time the token must stay valid: 300, 90s, 5m, 1h [default: 5m, or half the service''s token lifetime if shorter]'
            cand --profile 'Named session to use: one per account or environment [env: POINTAUTH_PROFILE] [default: default]'
            cand --base-url 'Service base URL [env: POINTAUTH_BASE_URL] [default: the profile''s remembered URL, else https://api.pointservices.com]'
            cand --store 'Where secrets live: the OS credential store, the kernel keyring, a private file, or the first that works [env: POINTAUTH_STORE] [default: auto]'
            cand --timeout 'The longest the command spends on the network in all, in seconds (or 90s, 2m) [env: POINTAUTH_TIMEOUT] [default: 30]'
            cand --header 'Print `Authorization: Bearer <token>` instead of the bare token'
            cand --json 'Print {"access_token", "token_type", "expires_at", "expires_in"} as JSON'
            cand -v 'Log each request (method, URL, status, time) to stderr; secrets are never logged'
            cand --verbose 'Log each request (method, URL, status, time) to stderr; secrets are never logged'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
        }
        &'pointauth;refresh'= {
            cand --profile 'Named session to use: one per account or environment [env: POINTAUTH_PROFILE] [default: default]'
            cand --base-url 'Service base URL [env: POINTAUTH_BASE_URL] [default: the profile''s remembered URL, else https://api.pointservices.com]'
            cand --store 'Where secrets live: the OS credential store, the kernel keyring, a private file, or the first that works [env: POINTAUTH_STORE] [default: auto]'
            cand --timeout 'The longest the command spends on the network in all, in seconds (or 90s, 2m) [env: POINTAUTH_TIMEOUT] [default: 30]'
            cand -v 'Log each request (method, URL, status, time) to stderr; secrets are never logged'
            cand --verbose 'Log each request (method, URL, status, time) to stderr; secrets are never logged'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
        }
        &'pointauth;status'= {
            cand --profile 'Named session to use: one per account or environment [env: POINTAUTH_PROFILE] [default: default]'
            cand --base-url 'Service base URL [env: POINTAUTH_BASE_URL] [default: the profile''s remembered URL, else https://api.pointservices.com]'
            cand --store 'Where secrets live: the OS credential store, the kernel keyring, a private file, or the first that works [env: POINTAUTH_STORE] [default: auto]'
            cand --timeout 'The longest the command spends on the network in all, in seconds (or 90s, 2m) [env: POINTAUTH_TIMEOUT] [default: 30]'
            cand --json 'Print JSON instead of text (with --all, an array)'
            cand --all 'Show every profile'
            cand -v 'Log each request (method, URL, status, time) to stderr; secrets are never logged'
            cand --verbose 'Log each request (method, URL, status, time) to stderr; secrets are never logged'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
        }
        &'pointauth;logout'= {
            cand --profile 'Named session to use: one per account or environment [env: POINTAUTH_PROFILE] [default: default]'
            cand --base-url 'Service base URL [env: POINTAUTH_BASE_URL] [default: the profile''s remembered URL, else https://api.pointservices.com]'
            cand --store 'Where secrets live: the OS credential store, the kernel keyring, a private file, or the first that works [env: POINTAUTH_STORE] [default: auto]'
            cand --timeout 'The longest the command spends on the network in all, in seconds (or 90s, 2m) [env: POINTAUTH_TIMEOUT] [default: 30]'
            cand --all 'Remove every profile'
            cand -v 'Log each request (method, URL, status, time) to stderr; secrets are never logged'
            cand --verbose 'Log each request (method, URL, status, time) to stderr; secrets are never logged'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
        }
        &'pointauth;exec'= {
            cand --min-ttl 'Minimum time the token must stay valid: 300, 90s, 5m, 1h [default: 5m, or half the service''s token lifetime if shorter]'
            cand --profile 'Named session to use: one per account or environment [env: POINTAUTH_PROFILE] [default: default]'
            cand --base-url 'Service base URL [env: POINTAUTH_BASE_URL] [default: the profile''s remembered URL, else https://api.pointservices.com]'
            cand --store 'Where secrets live: the OS credential store, the kernel keyring, a private file, or the first that works [env: POINTAUTH_STORE] [default: auto]'
            cand --timeout 'The longest the command spends on the network in all, in seconds (or 90s, 2m) [env: POINTAUTH_TIMEOUT] [default: 30]'
            cand --token-file 'Keep a fresh token in a file for as long as CMD runs (Unix), named by POINTAUTH_TOKEN_FILE'
            cand -v 'Log each request (method, URL, status, time) to stderr; secrets are never logged'
            cand --verbose 'Log each request (method, URL, status, time) to stderr; secrets are never logged'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
        }
        &'pointauth;api'= {
            cand -X 'The HTTP method [default: GET, or POST with fields or --input]'
            cand --method 'The HTTP method [default: GET, or POST with fields or --input]'
            cand -f 'A string field: key=value, key[sub]=value, key[]=value (repeatable)'
            cand --raw-field 'A string field: key=value, key[sub]=value, key[]=value (repeatable)'
            cand -F 'A typed field: true, false, null and numbers as JSON; @FILE or @- a file''s or standard input''s text (repeatable)'
            cand --field 'A typed field: true, false, null and numbers as JSON; @FILE or @- a file''s or standard input''s text (repeatable)'
            cand --input 'Send FILE''s bytes as the body, as they are (- for standard input; JSON content type unless -H sets one)'
            cand -H 'Add a request header, ''Name: value'' (repeatable; Authorization is refused)'
            cand --header 'Add a request header, ''Name: value'' (repeatable; Authorization is refused)'
            cand --min-ttl 'Minimum time the token must stay valid: 300, 90s, 5m, 1h [default: 5m, or half the service''s token lifetime if shorter]'
            cand --profile 'Named session to use: one per account or environment [env: POINTAUTH_PROFILE] [default: default]'
            cand --base-url 'Service base URL [env: POINTAUTH_BASE_URL] [default: the profile''s remembered URL, else https://api.pointservices.com]'
            cand --store 'Where secrets live: the OS credential store, the kernel keyring, a private file, or the first that works [env: POINTAUTH_STORE] [default: auto]'
            cand --timeout 'The longest the command spends on the network in all, in seconds (or 90s, 2m) [env: POINTAUTH_TIMEOUT] [default: 30]'
            cand -i 'Print the status line and the headers before the body'
            cand --include 'Print the status line and the headers before the body'
            cand -v 'Log each request (method, URL, status, time) to stderr; secrets are never logged'
            cand --verbose 'Log each request (method, URL, status, time) to stderr; secrets are never logged'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
        }
        &'pointauth;doctor'= {
            cand --profile 'Named session to use: one per account or environment [env: POINTAUTH_PROFILE] [default: default]'
            cand --base-url 'Service base URL [env: POINTAUTH_BASE_URL] [default: the profile''s remembered URL, else https://api.pointservices.com]'
            cand --store 'Where secrets live: the OS credential store, the kernel keyring, a private file, or the first that works [env: POINTAUTH_STORE] [default: auto]'
            cand --timeout 'The longest the command spends on the network in all, in seconds (or 90s, 2m) [env: POINTAUTH_TIMEOUT] [default: 30]'
            cand --json 'Print a JSON array of {check, status, detail, hint}'
            cand --offline 'Skip the network check: no request at all'
            cand -v 'Log each request (method, URL, status, time) to stderr; secrets are never logged'
            cand --verbose 'Log each request (method, URL, status, time) to stderr; secrets are never logged'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
        }
        &'pointauth;completions'= {
            cand --profile 'Named session to use: one per account or environment [env: POINTAUTH_PROFILE] [default: default]'
            cand --base-url 'Service base URL [env: POINTAUTH_BASE_URL] [default: the profile''s remembered URL, else https://api.pointservices.com]'
            cand --store 'Where secrets live: the OS credential store, the kernel keyring, a private file, or the first that works [env: POINTAUTH_STORE] [default: auto]'
            cand --timeout 'The longest the command spends on the network in all, in seconds (or 90s, 2m) [env: POINTAUTH_TIMEOUT] [default: 30]'
            cand -v 'Log each request (method, URL, status, time) to stderr; secrets are never logged'
            cand --verbose 'Log each request (method, URL, status, time) to stderr; secrets are never logged'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
        }
        &'pointauth;help'= {
            cand login 'Sign in and store the session'
            cand token 'Print a fresh access token'
            cand refresh 'Refresh the access token now, even if it is fresh'
            cand status 'Show who is signed in and until when, without contacting the service'
            cand logout 'Remove the stored session and remembered settings'
            cand exec 'Run a command with POINTAUTH_ACCESS_TOKEN set to a fresh token'
            cand api 'Send an authenticated request to the service and print the answer'
            cand doctor 'Check everything pointauth depends on, and say what to fix'
            cand completions 'Print a shell completion script'
            cand help 'Print this message or the help of the given subcommand(s)'
        }
        &'pointauth;help;login'= {
        }
        &'pointauth;help;token'= {
        }
        &'pointauth;help;refresh'= {
        }
        &'pointauth;help;status'= {
        }
        &'pointauth;help;logout'= {
        }
        &'pointauth;help;exec'= {
        }
        &'pointauth;help;api'= {
        }
        &'pointauth;help;doctor'= {
        }
        &'pointauth;help;completions'= {
        }
        &'pointauth;help;help'= {
        }
    ]
    $completions[$command]
}
