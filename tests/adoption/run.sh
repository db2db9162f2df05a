#!/usr/bin/env bash
# Adoption check: does what a team does on day one, from packages only.
#   1. packs all five packages (Tessera, Tessera.AspNetCore, Tessera.Admin, Tessera.Dashboard, Tessera.Cli),
#      as the README's `dotnet pack` does, into a temporary folder (a version of its own,
#      0.1.0-adoption.<time>, so no cached package can stand in for the fresh one);
#   2. creates a fresh `dotnet new web` app outside the repository, adds Tessera.AspNetCore and
#      Tessera.Dashboard from that folder, configures it from appsettings.json (ConnectionStringName),
#      maps the dashboard behind an authorization policy (cookie authentication, role "operator") and
#      runs it against a redis-server started here on a free loopback port;
#   3. stores a value over HTTP and reads it back with the session cookie;
#   4. asks for the dashboard: refused without a login (401) and with a login that lacks the role (403),
#      served to an operator (200, the overview counting the session stored in step 3);
#   5. installs the CLI from the same folder with `dotnet tool install --tool-path` and runs
#      `tessera doctor` and `tessera stats` against that server.
# Needs: the .NET 10 SDK, redis-server, redis-cli, curl, unzip, openssl, and the NuGet feed (no other network).
# Cleans up after itself (processes by PID, temp folder, the adoption versions in the NuGet cache).
# Usage: tests/adoption/run.sh        exit 0 when every step worked; the failing step's output otherwise.
set -euo pipefail
repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1 DOTNET_SKIP_FIRST_TIME_EXPERIENCE=1
start=$SECONDS

for tool in dotnet redis-server redis-cli curl unzip openssl; do
  command -v "$tool" >/dev/null || { echo "adoption: $tool is required (./test.sh installs redis-server, redis-tools, curl, unzip and openssl with apt)." >&2; exit 1; }
done

work="$(mktemp -d "${TMPDIR:-/tmp}/tessera-adoption.XXXXXX")"
version="$(cd "$repo" && dotnet msbuild src/Tessera/Tessera.csproj -getProperty:VersionPrefix)-adoption.$(date +%s)"
cache="$(dotnet nuget locals global-packages -l | sed 's/^global-packages: //')"
redis_pid="" app_pid=""

cleanup() {
  local code=$?
  [[ -n "$app_pid" ]] && kill "$app_pid" 2>/dev/null && wait "$app_pid" 2>/dev/null || true
  [[ -n "$redis_pid" ]] && kill "$redis_pid" 2>/dev/null && wait "$redis_pid" 2>/dev/null || true
  for id in tessera tessera.aspnetcore tessera.admin tessera.dashboard tessera.cli; do
    rm -rf "${cache%/}/$id/$version"
    rmdir "${cache%/}/$id" 2>/dev/null || true   # only when no other version is cached
  done
  rm -rf "$work"
  if ((code == 0)); then echo "adoption: ok in $((SECONDS - start)) s"; else echo "adoption: FAILED (exit $code) after $((SECONDS - start)) s" >&2; fi
}
trap cleanup EXIT

step() { echo "adoption: $*"; }
# Runs a command quietly; on failure prints its output and fails.
quiet() {
  local log="$work/last.log"
  if ! "$@" >"$log" 2>&1; then cat "$log" >&2; echo "adoption: failed: $*" >&2; return 1; fi
}

free_port() {
  local port
  for _ in $(seq 1 100); do
    port=$((20000 + RANDOM % 40000))
    if ! (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then echo "$port"; return 0; fi
  done
  echo "adoption: no free port found" >&2; return 1
}

step "packing $version"
# The README's command: the solution packs every package (and skips tests, samples and benchmarks).
quiet dotnet pack "$repo/Tessera.slnx" -c Release -o "$work/feed" -p:VersionSuffix="${version#*-}" --nologo
for id in Tessera Tessera.AspNetCore Tessera.Admin Tessera.Dashboard Tessera.Cli; do
  for ext in nupkg snupkg; do
    [[ -f "$work/feed/$id.$version.$ext" ]] || { ls "$work/feed" >&2; echo "adoption: the pack made no $id.$version.$ext" >&2; exit 1; }
  done
  # What nuget.org shows and needs: the readme, the licence, the repository.
  nuspec="$(unzip -p "$work/feed/$id.$version.nupkg" "$id.nuspec")"
  for want in '<readme>README.md</readme>' '<license type="expression">MIT</license>' '<repository type="git" url="https://'; do
    grep -qF "$want" <<<"$nuspec" || { echo "$nuspec" >&2; echo "adoption: $id's nuspec lacks $want" >&2; exit 1; }
  done
  # The listing is read whole: with pipefail, `unzip -l | grep -q` fails when grep stops at the match and unzip
  # dies of SIGPIPE writing the rest (it did once, "holds no README.md" for a package that held it).
  listing="$(unzip -l "$work/feed/$id.$version.nupkg")"
  grep -q ' README.md$' <<<"$listing" || { echo "$listing" >&2; echo "adoption: $id's package holds no README.md" >&2; exit 1; }
done

redis_port="$(free_port)"
step "redis-server on 127.0.0.1:$redis_port"
mkdir -p "$work/redis"
redis-server --port "$redis_port" --bind 127.0.0.1 --dir "$work/redis" --save '' --appendonly no --daemonize no --logfile "$work/redis/log" &
redis_pid=$!
for _ in $(seq 1 50); do redis-cli -p "$redis_port" ping 2>/dev/null | grep -q PONG && break; sleep 0.1; done
redis-cli -p "$redis_port" ping | grep -q PONG

step "a fresh web app using the packages"
cat >"$work/nuget.config" <<XML
<?xml version="1.0" encoding="utf-8"?>
<configuration>
  <packageSources>
    <add key="tessera-local" value="$work/feed" />
  </packageSources>
</configuration>
XML
quiet dotnet new web -o "$work/app" -n AdoptionApp --no-restore
cd "$work/app"
quiet dotnet add package Tessera.AspNetCore --version "$version"
quiet dotnet add package Tessera.Dashboard --version "$version"
cat >Program.cs <<'CS'
using System.Security.Claims;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authentication.Cookies;
using Tessera;

var builder = WebApplication.CreateBuilder(args);
builder.Services.AddTessera(builder.Configuration.GetSection("Tessera"));
builder.Services.AddHealthChecks().AddTessera();
builder.Services.AddAuthentication(CookieAuthenticationDefaults.AuthenticationScheme).AddCookie(o =>
{
    o.Events.OnRedirectToLogin = c => { c.Response.StatusCode = 401; return Task.CompletedTask; };
    o.Events.OnRedirectToAccessDenied = c => { c.Response.StatusCode = 403; return Task.CompletedTask; };
});
builder.Services.AddAuthorization(o => o.AddPolicy("operators", p => p.RequireRole("operator")));
builder.Services.AddTesseraDashboard(o => o.AuthorizationPolicy = "operators");

var app = builder.Build();
app.UseTessera();
app.UseAuthentication();
app.UseAuthorization();
app.MapHealthChecks("/healthz");
app.MapTesseraDashboard("/admin/sessions");
// Stands in for the app's real login page: signs in with the given role.
app.MapPost("/login", async (HttpContext ctx, string user, string? role) =>
{
    var claims = new List<Claim> { new(ClaimTypes.NameIdentifier, user), new(ClaimTypes.Name, user) };
    if (role is not null)
    {
        claims.Add(new Claim(ClaimTypes.Role, role));
    }

    await ctx.SignInAsync(new ClaimsPrincipal(new ClaimsIdentity(claims, CookieAuthenticationDefaults.AuthenticationScheme)));
    return "signed in";
});
app.MapPost("/set", (HttpContext ctx, string v) =>
{
    ctx.Session.SetString("value", v);
    return "stored";
});
app.MapGet("/get", async (HttpContext ctx) =>
{
    await ctx.Session.LoadAsync();
    return ctx.Session.GetString("value") ?? "(none)";
});
app.Run();
CS
cat >appsettings.json <<'JSON'
{
  "Logging": { "LogLevel": { "Default": "Warning" } },
  "Tessera": { "ConnectionStringName": "redis", "IdleTimeout": "00:05:00" }
}
JSON
quiet dotnet build -c Release --nologo

app_port="$(free_port)"
step "running it on 127.0.0.1:$app_port"
ConnectionStrings__redis="127.0.0.1:$redis_port" ASPNETCORE_URLS="http://127.0.0.1:$app_port" \
  dotnet bin/Release/net10.0/AdoptionApp.dll >"$work/app.log" 2>&1 &
app_pid=$!
for _ in $(seq 1 150); do
  [[ "$(curl -s "http://127.0.0.1:$app_port/healthz" 2>/dev/null)" == Healthy ]] && break
  kill -0 "$app_pid" 2>/dev/null || { cat "$work/app.log" >&2; echo "adoption: the app exited" >&2; exit 1; }
  sleep 0.2
done
[[ "$(curl -s "http://127.0.0.1:$app_port/healthz")" == Healthy ]] || { cat "$work/app.log" >&2; echo "adoption: /healthz never said Healthy" >&2; exit 1; }

step "a session over HTTP"
value="adopted-$RANDOM"
cookie="$(curl -s -D - -o /dev/null -X POST "http://127.0.0.1:$app_port/set?v=$value" | tr -d '\r' | sed -n 's/^[Ss]et-[Cc]ookie: \(__Host-Tessera=[^;]*\).*/\1/p')"
[[ -n "$cookie" ]] || { echo "adoption: /set sent no __Host-Tessera cookie" >&2; exit 1; }
got="$(curl -s -H "Cookie: $cookie" "http://127.0.0.1:$app_port/get")"
[[ "$got" == "$value" ]] || { echo "adoption: read back '$got', expected '$value'" >&2; exit 1; }
without="$(curl -s "http://127.0.0.1:$app_port/get")"
[[ "$without" == "(none)" ]] || { echo "adoption: a request without the cookie read '$without'" >&2; exit 1; }
# Redis holds the session under its handle, base64url(SHA-256(id)), never under the id in the cookie.
id="${cookie#__Host-Tessera=}"
handle="$(printf %s "$id" | openssl dgst -sha256 -binary | base64 | tr '+/' '-_' | tr -d '=\n')"
[[ "$(redis-cli -p "$redis_port" exists "session:$id")" == 0 ]] || { echo "adoption: a key is named by the raw session id" >&2; exit 1; }
ttl="$(redis-cli -p "$redis_port" pttl "session:$handle")"
((ttl > 0 && ttl <= 300000)) || { echo "adoption: the session's PTTL is $ttl ms, expected the configured 5 min at most" >&2; exit 1; }

step "the dashboard behind its policy"
dashboard="http://127.0.0.1:$app_port/admin/sessions/"
status="$(curl -s -o /dev/null -w '%{http_code}' "$dashboard")"
[[ "$status" == 401 ]] || { echo "adoption: the dashboard without a login answered $status, expected 401" >&2; exit 1; }
login() {   # prints the authentication cookie (name=value) of a login with the given role, or none
  curl -s -D - -o /dev/null -X POST "http://127.0.0.1:$app_port/login?user=$1${2:+&role=$2}" | tr -d '\r' |
    sed -n 's/^[Ss]et-[Cc]ookie: \(\.AspNetCore\.Cookies=[^;]*\).*/\1/p'
}
visitor="$(login visitor)"
[[ -n "$visitor" ]] || { echo "adoption: /login sent no authentication cookie" >&2; exit 1; }
status="$(curl -s -o /dev/null -w '%{http_code}' -H "Cookie: $visitor" "$dashboard")"
[[ "$status" == 403 ]] || { echo "adoption: the dashboard for a user without the operator role answered $status, expected 403" >&2; exit 1; }
operator="$(login ops operator)"
status="$(curl -s -o "$work/dashboard.html" -w '%{http_code}' -H "Cookie: $operator" "$dashboard")"
[[ "$status" == 200 ]] || { cat "$work/dashboard.html" "$work/app.log" >&2; echo "adoption: the dashboard for an operator answered $status, expected 200" >&2; exit 1; }
grep -q "Tessera sessions</title>" "$work/dashboard.html" || { head -c 2000 "$work/dashboard.html" >&2; echo "adoption: the operator got no dashboard page" >&2; exit 1; }
grep -q 'data-figure="sessions" data-value="1"' "$work/dashboard.html" || { grep -o 'data-figure="sessions"[^>]*>' "$work/dashboard.html" >&2; echo "adoption: the dashboard's overview did not count the one session" >&2; exit 1; }

step "the tessera tool from the same folder"
quiet dotnet tool install Tessera.Cli --version "$version" --tool-path "$work/tools" --add-source "$work/feed" --configfile "$work/nuget.config"
"$work/tools/tessera" doctor --redis "127.0.0.1:$redis_port" >"$work/doctor.txt" 2>&1 || { cat "$work/doctor.txt" >&2; echo "adoption: tessera doctor failed" >&2; exit 1; }
grep -q "persistence" "$work/doctor.txt" || { cat "$work/doctor.txt" >&2; echo "adoption: doctor printed no findings" >&2; exit 1; }
sessions="$("$work/tools/tessera" stats --json --redis "127.0.0.1:$redis_port" | sed -n 's/^  "sessions": \([0-9]*\),*$/\1/p')"
[[ "$sessions" == 1 ]] || { echo "adoption: tessera stats counted '$sessions' sessions, expected 1" >&2; exit 1; }
# An operator given the user's full id finds the session by its handle, and prints the handle only.
"$work/tools/tessera" show "$id" --redis "127.0.0.1:$redis_port" >"$work/show.txt" 2>&1 || { cat "$work/show.txt" >&2; echo "adoption: tessera show <id> failed" >&2; exit 1; }
grep -q -- "$handle" "$work/show.txt" || { cat "$work/show.txt" >&2; echo "adoption: tessera show printed no handle" >&2; exit 1; }
! grep -q -- "$id" "$work/show.txt" || { echo "adoption: tessera show printed the raw id" >&2; exit 1; }
