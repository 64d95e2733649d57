namespace Plugboard.Box.Backends.Docker;

/// <summary>
/// A POSIX shell script run inside a session container (as the session's user) to kill process trees without a
/// kill API: Docker has none for execs. It uses shell builtins only (no forks), so it still works when a fork bomb
/// holds every pid the container may have.
/// <para>
/// Arguments: <c>mode signal pid...</c>. Mode <c>sweep</c> kills every process except pid 1 (the init), the keeper
/// (the child of pid 1 with the earliest start time: the container's main process), this script, and the trees of
/// the given pids (managed processes). Mode <c>tree</c> kills the given pids and their descendants. Exec roots have
/// ppid 0 inside the container (their parent is outside its pid namespace), and orphans are re-parented to pid 1, so
/// <c>setsid</c>, double forks and ignored signals all end up in the sweep. With signal <c>KILL</c> the victims are
/// stopped first (so they cannot fork) and the sweep repeats until nothing is left; it prints the number killed.
/// </para>
/// </summary>
internal static class KillScript
{
    public const string Text = """
        mode=$1; sig=$2; shift 2
        roots=" $* "; me=$$; total=0; pass=0
        while [ $pass -lt 40 ]; do
          pass=$((pass+1)); all=""; keeper=""; kstart=""
          for d in /proc/[0-9]*; do
            p=${d#/proc/}
            [ "$p" = "$me" ] && continue
            read -r line 2>/dev/null < "$d/stat" || continue
            rest=${line##*) }
            set -- $rest
            [ "$1" = Z ] && continue
            [ "$1" = X ] && continue
            all="$all $p:$2"
            if [ "$2" = 1 ]; then
              if [ -z "$kstart" ] || [ "${20}" -lt "$kstart" ] 2>/dev/null; then keeper=$p; kstart=${20}; fi
            fi
          done
          if [ "$mode" = sweep ]; then set0=" 1 $keeper$roots"; else set0="$roots"; fi
          closure=$set0; changed=1
          while [ $changed = 1 ]; do
            changed=0
            for e in $all; do
              p=${e%%:*}; pp=${e##*:}
              case "$closure" in *" $p "*) continue;; esac
              [ "$pp" = 1 ] && continue
              case "$closure" in *" $pp "*) closure="$closure$p "; changed=1;; esac
            done
          done
          victims=""
          for e in $all; do
            p=${e%%:*}
            [ "$p" = 1 ] && continue
            case "$closure" in *" $p "*) inset=1;; *) inset=0;; esac
            if [ "$mode" = sweep ]; then
              [ $inset = 0 ] && victims="$victims $p"
            else
              [ $inset = 1 ] && victims="$victims $p"
            fi
          done
          [ -z "$victims" ] && break
          set -- $victims
          total=$((total+$#))
          if [ "$sig" = KILL ]; then
            kill -STOP $victims 2>/dev/null
            kill -KILL $victims 2>/dev/null
          else
            kill -"$sig" $victims 2>/dev/null
            break
          fi
        done
        echo "$total"
        """;
}
