
using namespace System.Management.Automation
using namespace System.Management.Automation.Language

Register-ArgumentCompleter -Native -CommandName 'pointauth' -ScriptBlock {
    param($wordToComplete, $commandAst, $cursorPosition)

    $commandElements = $commandAst.CommandElements
    $command = @(
        'pointauth'
        for ($i = 1; $i -lt $commandElements.Count; $i++) {
            $element = $commandElements[$i]
            if ($element -isnot [StringConstantExpressionAst] -or
                $element.StringConstantType -ne [StringConstantType]::BareWord -or
                $element.Value.StartsWith('-') -or
                $element.Value -eq $wordToComplete) {
                break
        }
        $element.Value
    }) -join ';'

    $completions = @(switch ($command) {
        'pointauth' {
            [CompletionResult]::new('--profile', '--profile', [CompletionResultType]::ParameterName, 'Named session to use: one per account or environment [env: POINTAUTH_PROFILE] [default: default]')
            [CompletionResult]::new('--base-url', '--base-url', [CompletionResultType]::ParameterName, 'Service base URL [env: POINTAUTH_BASE_URL] [default: the profile''s remembered URL, else https://api.pointservices.com]')
            [CompletionResult]::new('--store', '--store', [CompletionResultType]::ParameterName, 'Where secrets live: the OS credential store, the kernel keyring, a private file, or the first that works [env: POINTAUTH_STORE] [default: auto]')
            [CompletionResult]::new('--timeout', '--timeout', [CompletionResultType]::ParameterName, 'The longest the command spends on the network in all, in seconds (or 90s, 2m) [env: POINTAUTH_TIMEOUT] [default: 30]')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Log each request (method, URL, status, time) to stderr; secrets are never logged')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Log each request (method, URL, status, time) to stderr; secrets are never logged')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('login', 'login', [CompletionResultType]::ParameterValue, 'Sign in and store the session')
            [CompletionResult]::new('token', 'token', [CompletionResultType]::ParameterValue, 'Print a fresh access token')
            [CompletionResult]::new('refresh', 'refresh', [CompletionResultType]::ParameterValue, 'Refresh the access token now, even if it is fresh')
            [CompletionResult]::new('status', 'status', [CompletionResultType]::ParameterValue, 'Show who is signed in and until when, without contacting the service')
            [CompletionResult]::new('logout', 'logout', [CompletionResultType]::ParameterValue, 'Remove the stored session and remembered settings')
            [CompletionResult]::new('exec', 'exec', [CompletionResultType]::ParameterValue, 'Run a command with POINTAUTH_ACCESS_TOKEN set to a fresh token')
            [CompletionResult]::new('api', 'api', [CompletionResultType]::ParameterValue, 'Send an authenticated request to the service and print the answer')
            [CompletionResult]::new('doctor', 'doctor', [CompletionResultType]::ParameterValue, 'Check everything pointauth depends on, and say what to fix')
            [CompletionResult]::new('completions', 'completions', [CompletionResultType]::ParameterValue, 'Print a shell completion script')
            [CompletionResult]::new('help', 'help', [CompletionResultType]::ParameterValue, 'Print this message or the help of the given subcommand(s)')
            break
        }
        'pointauth;login' {
            [CompletionResult]::new('--username', '--username', [CompletionResultType]::ParameterName, 'Account to sign in as [default: POINTAUTH_USERNAME, else the remembered one, else a prompt]')
            [CompletionResult]::new('--profile', '--profile', [CompletionResultType]::ParameterName, 'Named session to use: one per account or environment [env: POINTAUTH_PROFILE] [default: default]')
            [CompletionResult]::new('--base-url', '--base-url', [CompletionResultType]::ParameterName, 'Service base URL [env: POINTAUTH_BASE_URL] [default: the profile''s remembered URL, else https://api.pointservices.com]')
            [CompletionResult]::new('--store', '--store', [CompletionResultType]::ParameterName, 'Where secrets live: the OS credential store, the kernel keyring, a private file, or the first that works [env: POINTAUTH_STORE] [default: auto]')
            [CompletionResult]::new('--timeout', '--timeout', [CompletionResultType]::ParameterName, 'The longest the command spends on the network in all, in seconds (or 90s, 2m) [env: POINTAUTH_TIMEOUT] [default: 30]')
            [CompletionResult]::new('--password-stdin', '--password-stdin', [CompletionResultType]::ParameterName, 'Read the password from standard input, a pipe or a file (one trailing newline is removed)')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Log each request (method, URL, status, time) to stderr; secrets are never logged')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Log each request (method, URL, status, time) to stderr; secrets are never logged')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            break
        }
        'pointauth;token' {
            [CompletionResult]::new('--min-ttl', '--min-ttl', [CompletionResultType]::ParameterName, 'Minimum time the token must stay valid: 300, 90s, 5m, 1h [default: 5m, or half the service''s token lifetime if shorter]')
            [CompletionResult]::new('--profile', '--profile', [CompletionResultType]::ParameterName, 'Named session to use: one per account or environment [env: POINTAUTH_PROFILE] [default: default]')
            [CompletionResult]::new('--base-url', '--base-url', [CompletionResultType]::ParameterName, 'Service base URL [env: POINTAUTH_BASE_URL] [default: the profile''s remembered URL, else https://api.pointservices.com]')
            [CompletionResult]::new('--store', '--store', [CompletionResultType]::ParameterName, 'Where secrets live: the OS credential store, the kernel keyring, a private file, or the first that works [env: POINTAUTH_STORE] [default: auto]')
            [CompletionResult]::new('--timeout', '--timeout', [CompletionResultType]::ParameterName, 'The longest the command spends on the network in all, in seconds (or 90s, 2m) [env: POINTAUTH_TIMEOUT] [default: 30]')
            [CompletionResult]::new('--header', '--header', [CompletionResultType]::ParameterName, 'Print `Authorization: Bearer <token>` instead of the bare token')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Print {"access_token", "token_type", "expires_at", "expires_in"} as JSON')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Log each request (method, URL, status, time) to stderr; secrets are never logged')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Log each request (method, URL, status, time) to stderr; secrets are never logged')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            break
        }
        'pointauth;refresh' {
            [CompletionResult]::new('--profile', '--profile', [CompletionResultType]::ParameterName, 'Named session to use: one per account or environment [env: POINTAUTH_PROFILE] [default: default]')
            [CompletionResult]::new('--base-url', '--base-url', [CompletionResultType]::ParameterName, 'Service base URL [env: POINTAUTH_BASE_URL] [default: the profile''s remembered URL, else https://api.pointservices.com]')
            [CompletionResult]::new('--store', '--store', [CompletionResultType]::ParameterName, 'Where secrets live: the OS credential store, the kernel keyring, a private file, or the first that works [env: POINTAUTH_STORE] [default: auto]')
            [CompletionResult]::new('--timeout', '--timeout', [CompletionResultType]::ParameterName, 'The longest the command spends on the network in all, in seconds (or 90s, 2m) [env: POINTAUTH_TIMEOUT] [default: 30]')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Log each request (method, URL, status, time) to stderr; secrets are never logged')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Log each request (method, URL, status, time) to stderr; secrets are never logged')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            break
        }
        'pointauth;status' {
            [CompletionResult]::new('--profile', '--profile', [CompletionResultType]::ParameterName, 'Named session to use: one per account or environment [env: POINTAUTH_PROFILE] [default: default]')
            [CompletionResult]::new('--base-url', '--base-url', [CompletionResultType]::ParameterName, 'Service base URL [env: POINTAUTH_BASE_URL] [default: the profile''s remembered URL, else https://api.pointservices.com]')
            [CompletionResult]::new('--store', '--store', [CompletionResultType]::ParameterName, 'Where secrets live: the OS credential store, the kernel keyring, a private file, or the first that works [env: POINTAUTH_STORE] [default: auto]')
            [CompletionResult]::new('--timeout', '--timeout', [CompletionResultType]::ParameterName, 'The longest the command spends on the network in all, in seconds (or 90s, 2m) [env: POINTAUTH_TIMEOUT] [default: 30]')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Print JSON instead of text (with --all, an array)')
            [CompletionResult]::new('--all', '--all', [CompletionResultType]::ParameterName, 'Show every profile')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Log each request (method, URL, status, time) to stderr; secrets are never logged')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Log each request (method, URL, status, time) to stderr; secrets are never logged')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            break
        }
        'pointauth;logout' {
            [CompletionResult]::new('--profile', '--profile', [CompletionResultType]::ParameterName, 'Named session to use: one per account or environment [env: POINTAUTH_PROFILE] [default: default]')
            [CompletionResult]::new('--base-url', '--base-url', [CompletionResultType]::ParameterName, 'Service base URL [env: POINTAUTH_BASE_URL] [default: the profile''s remembered URL, else https://api.pointservices.com]')
            [CompletionResult]::new('--store', '--store', [CompletionResultType]::ParameterName, 'Where secrets live: the OS credential store, the kernel keyring, a private file, or the first that works [env: POINTAUTH_STORE] [default: auto]')
            [CompletionResult]::new('--timeout', '--timeout', [CompletionResultType]::ParameterName, 'The longest the command spends on the network in all, in seconds (or 90s, 2m) [env: POINTAUTH_TIMEOUT] [default: 30]')
            [CompletionResult]::new('--all', '--all', [CompletionResultType]::ParameterName, 'Remove every profile')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Log each request (method, URL, status, time) to stderr; secrets are never logged')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Log each request (method, URL, status, time) to stderr; secrets are never logged')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            break
        }
        'pointauth;exec' {
            [CompletionResult]::new('--min-ttl', '--min-ttl', [CompletionResultType]::ParameterName, 'Minimum time the token must stay valid: 300, 90s, 5m, 1h [default: 5m, or half the service''s token lifetime if shorter]')
            [CompletionResult]::new('--profile', '--profile', [CompletionResultType]::ParameterName, 'Named session to use: one per account or environment [env: POINTAUTH_PROFILE] [default: default]')
            [CompletionResult]::new('--base-url', '--base-url', [CompletionResultType]::ParameterName, 'Service base URL [env: POINTAUTH_BASE_URL] [default: the profile''s remembered URL, else https://api.pointservices.com]')
            [CompletionResult]::new('--store', '--store', [CompletionResultType]::ParameterName, 'Where secrets live: the OS credential store, the kernel keyring, a private file, or the first that works [env: POINTAUTH_STORE] [default: auto]')
            [CompletionResult]::new('--timeout', '--timeout', [CompletionResultType]::ParameterName, 'The longest the command spends on the network in all, in seconds (or 90s, 2m) [env: POINTAUTH_TIMEOUT] [default: 30]')
            [CompletionResult]::new('--token-file', '--token-file', [CompletionResultType]::ParameterName, 'Keep a fresh token in a file for as long as CMD runs (Unix), named by POINTAUTH_TOKEN_FILE')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Log each request (method, URL, status, time) to stderr; secrets are never logged')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Log each request (method, URL, status, time) to stderr; secrets are never logged')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            break
        }
        'pointauth;api' {
            [CompletionResult]::new('-X', '-X ', [CompletionResultType]::ParameterName, 'The HTTP method [default: GET, or POST with fields or --input]')
            [CompletionResult]::new('--method', '--method', [CompletionResultType]::ParameterName, 'The HTTP method [default: GET, or POST with fields or --input]')
            [CompletionResult]::new('-f', '-f', [CompletionResultType]::ParameterName, 'A string field: key=value, key[sub]=value, key[]=value (repeatable)')
            [CompletionResult]::new('--raw-field', '--raw-field', [CompletionResultType]::ParameterName, 'A string field: key=value, key[sub]=value, key[]=value (repeatable)')
            [CompletionResult]::new('-F', '-F ', [CompletionResultType]::ParameterName, 'A typed field: true, false, null and numbers as JSON; @FILE or @- a file''s or standard input''s text (repeatable)')
            [CompletionResult]::new('--field', '--field', [CompletionResultType]::ParameterName, 'A typed field: true, false, null and numbers as JSON; @FILE or @- a file''s or standard input''s text (repeatable)')
            [CompletionResult]::new('--input', '--input', [CompletionResultType]::ParameterName, 'Send FILE''s bytes as the body, as they are (- for standard input; JSON content type unless -H sets one)')
            [CompletionResult]::new('-H', '-H ', [CompletionResultType]::ParameterName, 'Add a request header, ''Name: value'' (repeatable; Authorization is refused)')
            [CompletionResult]::new('--header', '--header', [CompletionResultType]::ParameterName, 'Add a request header, ''Name: value'' (repeatable; Authorization is refused)')
            [CompletionResult]::new('--min-ttl', '--min-ttl', [CompletionResultType]::ParameterName, 'Minimum time the token must stay valid: 300, 90s, 5m, 1h [default: 5m, or half the service''s token lifetime if shorter]')
            [CompletionResult]::new('--profile', '--profile', [CompletionResultType]::ParameterName, 'Named session to use: one per account or environment [env: POINTAUTH_PROFILE] [default: default]')
            [CompletionResult]::new('--base-url', '--base-url', [CompletionResultType]::ParameterName, 'Service base URL [env: POINTAUTH_BASE_URL] [default: the profile''s remembered URL, else https://api.pointservices.com]')
            [CompletionResult]::new('--store', '--store', [CompletionResultType]::ParameterName, 'Where secrets live: the OS credential store, the kernel keyring, a private file, or the first that works [env: POINTAUTH_STORE] [default: auto]')
            [CompletionResult]::new('--timeout', '--timeout', [CompletionResultType]::ParameterName, 'The longest the command spends on the network in all, in seconds (or 90s, 2m) [env: POINTAUTH_TIMEOUT] [default: 30]')
            [CompletionResult]::new('-i', '-i', [CompletionResultType]::ParameterName, 'Print the status line and the headers before the body')
            [CompletionResult]::new('--include', '--include', [CompletionResultType]::ParameterName, 'Print the status line and the headers before the body')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Log each request (method, URL, status, time) to stderr; secrets are never logged')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Log each request (method, URL, status, time) to stderr; secrets are never logged')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            break
        }
        'pointauth;doctor' {
            [CompletionResult]::new('--profile', '--profile', [CompletionResultType]::ParameterName, 'Named session to use: one per account or environment [env: POINTAUTH_PROFILE] [default: default]')
            [CompletionResult]::new('--base-url', '--base-url', [CompletionResultType]::ParameterName, 'Service base URL [env: POINTAUTH_BASE_URL] [default: the profile''s remembered URL, else https://api.pointservices.com]')
            [CompletionResult]::new('--store', '--store', [CompletionResultType]::ParameterName, 'Where secrets live: the OS credential store, the kernel keyring, a private file, or the first that works [env: POINTAUTH_STORE] [default: auto]')
            [CompletionResult]::new('--timeout', '--timeout', [CompletionResultType]::ParameterName, 'The longest the command spends on the network in all, in seconds (or 90s, 2m) [env: POINTAUTH_TIMEOUT] [default: 30]')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Print a JSON array of {check, status, detail, hint}')
            [CompletionResult]::new('--offline', '--offline', [CompletionResultType]::ParameterName, 'Skip the network check: no request at all')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Log each request (method, URL, status, time) to stderr; secrets are never logged')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Log each request (method, URL, status, time) to stderr; secrets are never logged')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            break
        }
        'pointauth;completions' {
            [CompletionResult]::new('--profile', '--profile', [CompletionResultType]::ParameterName, 'Named session to use: one per account or environment [env: POINTAUTH_PROFILE] [default: default]')
            [CompletionResult]::new('--base-url', '--base-url', [CompletionResultType]::ParameterName, 'Service base URL [env: POINTAUTH_BASE_URL] [default: the profile''s remembered URL, else https://api.pointservices.com]')
            [CompletionResult]::new('--store', '--store', [CompletionResultType]::ParameterName, 'Where secrets live: the OS credential store, the kernel keyring, a private file, or the first that works [env: POINTAUTH_STORE] [default: auto]')
            [CompletionResult]::new('--timeout', '--timeout', [CompletionResultType]::ParameterName, 'The longest the command spends on the network in all, in seconds (or 90s, 2m) [env: POINTAUTH_TIMEOUT] [default: 30]')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Log each request (method, URL, status, time) to stderr; secrets are never logged')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Log each request (method, URL, status, time) to stderr; secrets are never logged')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            break
        }
        'pointauth;help' {
            [CompletionResult]::new('login', 'login', [CompletionResultType]::ParameterValue, 'Sign in and store the session')
            [CompletionResult]::new('token', 'token', [CompletionResultType]::ParameterValue, 'Print a fresh access token')
            [CompletionResult]::new('refresh', 'refresh', [CompletionResultType]::ParameterValue, 'Refresh the access token now, even if it is fresh')
            [CompletionResult]::new('status', 'status', [CompletionResultType]::ParameterValue, 'Show who is signed in and until when, without contacting the service')
            [CompletionResult]::new('logout', 'logout', [CompletionResultType]::ParameterValue, 'Remove the stored session and remembered settings')
            [CompletionResult]::new('exec', 'exec', [CompletionResultType]::ParameterValue, 'Run a command with POINTAUTH_ACCESS_TOKEN set to a fresh token')
            [CompletionResult]::new('api', 'api', [CompletionResultType]::ParameterValue, 'Send an authenticated request to the service and print the answer')
            [CompletionResult]::new('doctor', 'doctor', [CompletionResultType]::ParameterValue, 'Check everything pointauth depends on, and say what to fix')
            [CompletionResult]::new('completions', 'completions', [CompletionResultType]::ParameterValue, 'Print a shell completion script')
            [CompletionResult]::new('help', 'help', [CompletionResultType]::ParameterValue, 'Print this message or the help of the given subcommand(s)')
            break
        }
        'pointauth;help;login' {
            break
        }
        'pointauth;help;token' {
            break
        }
        'pointauth;help;refresh' {
            break
        }
        'pointauth;help;status' {
            break
        }
        'pointauth;help;logout' {
            break
        }
        'pointauth;help;exec' {
            break
        }
        'pointauth;help;api' {
            break
        }
        'pointauth;help;doctor' {
            break
        }
        'pointauth;help;completions' {
            break
        }
        'pointauth;help;help' {
            break
        }
    })

    $completions.Where{ $_.CompletionText -like "$wordToComplete*" } |
        Sort-Object -Property ListItemText
}
