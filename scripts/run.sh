#!/usr/bin/env bash
# Builds the `plugboard` command and runs the runtime with the bundled plugins until Ctrl+C.
#
#   scripts/run.sh [extra `plugboard run` options, e.g. --port 7421]
#
# What it does:
#   1. if a runtime already runs with this data folder, prints where it is and exits 0 (safe to run twice);
#   2. publishes the CLI to .data/cli and writes .data/bin/plugboard, a wrapper bound to this data folder;
#   3. publishes every bundled plugin project in plugins/ into .data/bundled/<name> (a plugin that does not
#      build is reported and left out; the runtime starts with whatever is there, also with nothing);
#   4. packs Plugboard.Sdk and Plugboard.Runtime (and the projects they reference) into .data/packages, the local NuGet feed
#      that plugins created with `dotnet new plugboard-plugin --sdk-feed "$PWD/.data/packages"` restore from;
#   5. runs `plugboard run` in the foreground; it prints the control, debug and health addresses and where
#      the tokens are.
#
# Environment:
#   PLUGBOARD_DATA_DIR   the data folder (default: .data/runtime in the repository; git-ignored)
#   PLUGBOARD_CONFIG     a config file for `plugboard run` (see docs/configuration.md)
#   PLUGBOARD__...       any setting, e.g. PLUGBOARD__CONTROL__PORT=7421
#   PLUGBOARD_SKIP_BUILD=1  run what the last build produced
set -euo pipefail

repo_root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$repo_root"

data_root="$repo_root/.data"
data_dir="${PLUGBOARD_DATA_DIR:-$data_root/runtime}"
cli_dir="$data_root/cli"
bundled_dir="$data_root/bundled"
feed_dir="$data_root/packages"
wrapper="$data_root/bin/plugboard"
build_log="$data_root/build.log"

export DOTNET_NOLOGO=1 DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_SKIP_FIRST_TIME_EXPERIENCE=1
unset PLUGBOARD_ARTIFACTS # publish into .data, not into a developer's shared build folder

step() { printf '==> %s\n' "$*"; }
note() { printf '    %s\n' "$*"; }
die() { printf 'error: %s\n' "$*" >&2; exit 1; }

command -v dotnet >/dev/null || die "the .NET SDK is not on PATH; install .NET 10 (see global.json) and try again"
mkdir -p "$data_root"

# 1. Already running? runtime.json names the process; the runtime also holds a lock on the data folder.
info="$data_dir/runtime.json"
if [[ -f "$info" ]]; then
  pid="$(sed -n 's/.*"processId": *\([0-9]*\).*/\1/p' "$info" | head -n 1)"
  if [[ -n "$pid" ]] && kill -0 "$pid" 2>/dev/null; then
    control="$(sed -n 's/.*"controlUrl": *"\([^"]*\)".*/\1/p' "$info" | head -n 1)"
    health="$(sed -n 's/.*"healthUrl": *"\([^"]*\)".*/\1/p' "$info" | head -n 1)"
    step "Plugboard is already running (pid $pid) with the data folder $data_dir"
    note "control  $control   token: $data_dir/control.token"
    note "health   $health"
    note "manage it with: $wrapper plugin list"
    exit 0
  fi
fi

# project_closure PROJECT...: the projects and, transitively, the projects they reference.
project_closure() {
  local queue=("$@") seen=() project folder reference
  while ((${#queue[@]} > 0)); do
    project="$(realpath -m "${queue[0]}")"
    queue=("${queue[@]:1}")
    [[ " ${seen[*]} " == *" $project "* ]] && continue
    seen+=("$project")
    folder="$(dirname "$project")"
    while read -r reference; do
      [[ -n "$reference" ]] && queue+=("$folder/${reference//\\//}")
    done < <(sed -n 's/.*<ProjectReference Include="\([^"]*\)".*/\1/p' "$project")
  done
  printf '%s\n' "${seen[@]}"
}

publish() { # publish PROJECT OUTPUT [extra args...]
  local project="$1" output="$2"
  shift 2
  dotnet publish "$project" -c Release -o "$output" --nologo -v quiet -clp:NoSummary "$@" >>"$build_log" 2>&1
}

if [[ "${PLUGBOARD_SKIP_BUILD:-0}" != 1 ]]; then
  : >"$build_log"

  # 2. The CLI and its wrapper.
  step "building the plugboard command into .data/cli (log: .data/build.log)"
  publish src/Plugboard.Cli/Plugboard.Cli.csproj "$cli_dir" || { tail -n 30 "$build_log" >&2; die "the CLI does not build; see $build_log"; }

  # 3. Bundled plugins.
  step "publishing the bundled plugins into .data/bundled"
  mkdir -p "$bundled_dir"
  shopt -s nullglob
  for folder in plugins/*/; do
    name="$(basename "$folder")"
    projects=("$folder"*.csproj)
    if [[ ! -f "$folder/plugin.json" ]]; then
      note "$name: no plugin.json, skipped"
      continue
    fi
    if ((${#projects[@]} == 1)); then
      if publish "${projects[0]}" "$bundled_dir/$name" -p:UseAppHost=false; then
        cp "$folder/plugin.json" "$bundled_dir/$name/plugin.json"
        note "$name"
      else
        rm -rf "${bundled_dir:?}/$name"
        note "$name: does not build, left out (see $build_log)"
      fi
    else
      # A plugin in another language runs from its own folder.
      rm -rf "${bundled_dir:?}/$name"
      cp -r "$folder" "$bundled_dir/$name"
      note "$name (copied)"
    fi
  done
  # Plugins removed from plugins/ since the last run.
  for old in "$bundled_dir"/*/; do
    [[ -d "plugins/$(basename "$old")" ]] || rm -rf "$old"
  done
  shopt -u nullglob

  # 4. The SDK as packages, for plugins made from the templates.
  version="0.1.0-dev.$(git rev-list --count HEAD 2>/dev/null || echo 0).$(date +%s)"
  step "packing Plugboard.Sdk $version into .data/packages"
  mkdir -p "$feed_dir"
  # The SDK and the runtime (for the templates' tests), and every project they reference.
  mapfile -t sdk_projects < <(project_closure plugin-sdk/Plugboard.Sdk/Plugboard.Sdk.csproj src/Plugboard.Runtime/Plugboard.Runtime.csproj)
  for project in "${sdk_projects[@]}"; do
    dotnet pack "$project" -c Release -o "$feed_dir" -p:Version="$version" --nologo -v quiet -clp:NoSummary >>"$build_log" 2>&1 ||
      note "$(basename "$project" .csproj) does not pack (see $build_log); templates will not restore"
  done
  # Keep the feed small: the three newest versions.
  ls -t "$feed_dir"/Plugboard.Sdk.*.nupkg 2>/dev/null | tail -n +4 | while read -r stale; do
    stale_version="${stale##*/Plugboard.Sdk.}"
    rm -f "$feed_dir"/*."${stale_version}"
  done
fi

[[ -f "$cli_dir/plugboard.dll" ]] || die "$cli_dir/plugboard.dll is missing; run without PLUGBOARD_SKIP_BUILD=1"
mkdir -p "$(dirname "$wrapper")"
cat >"$wrapper" <<EOF
#!/usr/bin/env bash
# plugboard, bound to the data folder scripts/run.sh uses (override with --data-dir or PLUGBOARD__DATADIRECTORY).
export PLUGBOARD__DATADIRECTORY="\${PLUGBOARD__DATADIRECTORY:-$data_dir}"
exec dotnet "$cli_dir/plugboard.dll" "\$@"
EOF
chmod +x "$wrapper"

step "starting the runtime (Ctrl+C stops it and its plugins)"
note "CLI for this runtime: $wrapper  (e.g. $wrapper plugin list)"
exec dotnet "$cli_dir/plugboard.dll" run --data-dir "$data_dir" --plugin-dir "$bundled_dir" "$@"
