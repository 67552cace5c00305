export const TRUNKS_HELP = `Usage: voicebridge trunks <command>

Configure the carriers and PBXs allowed to send calls (docs/cli.md, README
"Connect your trunk").

Commands:
  add <name> [options]     create a trunk or change the given fields
  set <name> [options]     the same as add
  show <name> [--json]     show one trunk (passwords masked)
  list [--json]            list trunks (passwords masked)
  remove <name>            remove a trunk (its sources can no longer call)

Run "voicebridge trunks <command> --help" for a command's options.
`;

export const ADD_HELP = `Usage: voicebridge trunks add <name> [options]

Creates trunk <name> or updates only the given fields; every write increments
its configVersion. <name>: 1 to 63 of letters, digits, _ . - .
A value of "" removes an optional field.

Who may call:
  --source CIDR           address or CIDR allowed to send new calls; repeat or
                          comma-separate; replaces the stored list
  --clear-sources         no source CIDRs (needs --auth-* or --register-*)
  --auth-username USER    inbound digest: challenge this trunk's INVITEs
  --auth-password PASS      and expect these credentials (stored, never shown)
  --no-auth               remove inbound digest
  --transport udp|tcp|tls refuse calls from this trunk over other transports
  --enabled | --disabled  accept or refuse this trunk's calls (new: enabled)

The dialled number:
  --number-from ruri|to   Request-URI (default) or To user part
  --number-format e164|national
                          how the carrier writes it (default e164)
  --country-code CC       country code for national numbers, e.g. 44
  --default-number E164   configured number whose agent answers numbers that
                          are not configured (default: 404)

The caller:
  --trusted | --untrusted caller from P-Asserted-Identity, Privacy: id
                          honoured (default untrusted: From is used)

Limits (beyond them: 503 + Retry-After):
  --max-calls N           concurrent calls from this trunk
  --calls-per-second N    new calls per second from this trunk

Media:
  --rtp-latching learn|sdp
                          learn the caller's RTP source (default) or trust
                          only the SDP address

Outbound registration (we REGISTER to the carrier):
  --register-registrar sip:HOST[:PORT]
  --register-username USER
  --register-auth-username USER   digest user when it differs
  --register-password PASS
  --register-expires SECONDS      60 to 86400 (default 3600)
  --register-transport udp|tcp|tls (default udp)
  --no-register           remove the registration

Calls out through this trunk (voicebridge dial; docs/security.md "Toll fraud"):
  --outbound-uri sip:HOST[:PORT][;transport=udp|tcp|tls]
                          where INVITEs go (default: a registered trunk's
                          registrar)
  --outbound-username USER        digest user for the carrier's challenge
  --outbound-password-env VAR     variable signaling reads the password from
                          (must be on AGENT_SECRET_ENV; never stored)
  --caller-id +E164       a caller id dials may use; repeat; the first is
                          the default; no caller id: every dial is refused
  --from-user USER        From user part when the carrier wants an account
  --outbound-allow PATTERN
                          destinations allowed, + and digits with an optional
                          trailing * (+1555*); repeat; default the trunk's
                          --country-code; premium-rate numbers need a
                          pattern at least as long as their prefix
  --outbound-max-calls N  concurrent outbound calls (--max-calls counts
                          inbound and outbound together)
  --outbound-cps R        new outbound calls per second
  --daily-max-calls N     outbound calls started per UTC day
  --daily-max-minutes N   minutes of answered outbound calls per UTC day
  --outbound-session-expires S
                          RFC 4028 session interval offered on calls out
                          (default SESSION_EXPIRES_S, 1800)
  --outbound-number-format e164|national
                          how the destination is written (national: the
                          digits after --country-code)
  --no-outbound           remove the outbound settings

  --json                  print the saved trunk as JSON (passwords masked)
  -h, --help              show this help
`;

export const SHOW_HELP = `Usage: voicebridge trunks show <name> [--json]

Shows trunk <name>, passwords masked. Exit status 1 when it is not configured.
`;

export const LIST_HELP = `Usage: voicebridge trunks list [--json]

Lists every trunk, sorted by name, passwords masked.
`;

export const REMOVE_HELP = `Usage: voicebridge trunks remove <name>

Removes trunk <name>. Exit status 1 when it was not configured.
`;
